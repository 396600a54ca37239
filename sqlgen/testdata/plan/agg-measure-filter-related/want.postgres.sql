table 1 FLIGHTS
  aggregate sum t1-7 (SEATS) (measure 1 "Seats on time")
  group by t1-10 (ORIGIN.CODE)
  limit 200
column CODE "Origin → Code" type/Text t1-10
column sum "Seats on time" type/BigInteger
SELECT "t1"."CODE" AS "CODE", sum("t0"."SEATS") FILTER (WHERE "t0"."ON_TIME" = $1) AS "sum"
FROM "FLIGHTS" AS "t0"
LEFT JOIN (SELECT * FROM airports_v2 WHERE active) AS "t1" ON "t1"."ID" = "t0"."ORIGIN_ID"
GROUP BY 1
ORDER BY ("t1"."CODE" COLLATE "C") ASC NULLS LAST
LIMIT $2
-- $1 = true (bool)
-- $2 = 200 (int64)
