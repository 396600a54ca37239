metric 1 "Fares" over FLIGHTS
  aggregate sum c1-6 (FARE)
  group by c1-13 (DEST.ID)
  limit 10000
column ID "Dest → ID" type/BigInteger c1-13
column sum "Fares" type/Decimal
SELECT "t2"."ID" AS "ID", sum("t0"."FARE") AS "sum"
FROM "FLIGHTS" AS "t0"
LEFT JOIN (SELECT * FROM airports_v2 WHERE active) AS "t2" ON "t2"."ID" = "t0"."DEST_ID"
WHERE "t0"."ORIGIN_ID" IN (SELECT "s1"."ID" FROM (SELECT * FROM airports_v2 WHERE active) AS "s1" WHERE "s1"."HUB" = $1)
GROUP BY 1
ORDER BY 1 ASC NULLS LAST
LIMIT $2
-- $1 = true (bool)
-- $2 = 10000 (int64)
