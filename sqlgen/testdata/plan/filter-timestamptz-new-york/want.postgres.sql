table 1 FLIGHTS
  filter t1-3 (DEPARTS) equals 2024-03-10T00:00:00/day
  aggregate count
  limit 200
column count "Count" type/BigInteger
SELECT count(*) AS "count"
FROM "FLIGHTS" AS "t0"
WHERE "t0"."DEPARTS" >= $1 AND "t0"."DEPARTS" < $2
LIMIT $3
-- $1 = 2024-03-10T05:00:00Z (timestamp)
-- $2 = 2024-03-11T04:00:00Z (timestamp)
-- $3 = 200 (int64)
