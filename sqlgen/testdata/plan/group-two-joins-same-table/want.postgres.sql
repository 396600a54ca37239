table 1 FLIGHTS
  aggregate count
  group by t1-11 (ORIGIN.CITY)
  group by t1-15 (DEST.CITY)
  limit 200
column CITY "Origin → City" type/Text t1-11
column CITY_2 "Dest → City" type/Text t1-15
column count "Count" type/BigInteger
SELECT "t1"."CITY" AS "CITY", "t2"."CITY" AS "CITY_2", count(*) AS "count"
FROM "FLIGHTS" AS "t0"
LEFT JOIN (SELECT * FROM airports_v2 WHERE active) AS "t1" ON "t1"."ID" = "t0"."ORIGIN_ID"
LEFT JOIN (SELECT * FROM airports_v2 WHERE active) AS "t2" ON "t2"."ID" = "t0"."DEST_ID"
GROUP BY 1, 2
ORDER BY ("t1"."CITY" COLLATE "C") ASC NULLS LAST, ("t2"."CITY" COLLATE "C") ASC NULLS LAST
LIMIT $1
-- $1 = 200 (int64)
