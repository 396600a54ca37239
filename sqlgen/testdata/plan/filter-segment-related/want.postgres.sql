table 1 FLIGHTS
  filter segment 1 "To hubs"
  filter segment 2 "Cheap or late"
  aggregate count
  limit 200
column count "Count" type/BigInteger
SELECT count(*) AS "count"
FROM "FLIGHTS" AS "t0"
WHERE "t0"."DEST_ID" IN (SELECT "s1"."ID" FROM (SELECT * FROM airports_v2 WHERE active) AS "s1" WHERE "s1"."HUB" = $1) AND ("t0"."FARE" < $2 OR NOT ("t0"."ON_TIME" IS NOT DISTINCT FROM $3))
LIMIT $4
-- $1 = true (bool)
-- $2 = 50 (float64)
-- $3 = true (bool)
-- $4 = 200 (int64)
