table 1 FLIGHTS
  filter t1-6 (FARE) less-than 50
  aggregate count
  limit 200
column count "Count" type/BigInteger
SELECT count(*) AS "count"
FROM "FLIGHTS" AS "t0"
WHERE "t0"."FARE" < $1
LIMIT $2
-- $1 = 50 (int64)
-- $2 = 200 (int64)
