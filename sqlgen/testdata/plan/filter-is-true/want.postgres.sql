table 1 FLIGHTS
  filter t1-5 (ON_TIME) is-true
  aggregate count
  limit 200
column count "Count" type/BigInteger
SELECT count(*) AS "count"
FROM "FLIGHTS" AS "t0"
WHERE "t0"."ON_TIME" = TRUE
LIMIT $1
-- $1 = 200 (int64)
