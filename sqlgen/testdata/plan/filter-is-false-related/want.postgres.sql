table 1 FLIGHTS
  filter t1-12 (ORIGIN.HUB) is-false
  aggregate count
  limit 200
column count "Count" type/BigInteger
SELECT count(*) AS "count"
FROM "FLIGHTS" AS "t0"
LEFT JOIN (SELECT * FROM airports_v2 WHERE active) AS "t1" ON "t1"."ID" = "t0"."ORIGIN_ID"
WHERE "t1"."HUB" = FALSE
LIMIT $1
-- $1 = 200 (int64)
