table 1 FLIGHTS
  filter t1-5 (ON_TIME) equals true
  aggregate count
  limit 200
column count "Count" type/BigInteger
SELECT count(*) AS "count"
FROM "FLIGHTS" AS "t0"
WHERE "t0"."ON_TIME" = $1
LIMIT $2
-- $1 = true (bool)
-- $2 = 200 (int64)
