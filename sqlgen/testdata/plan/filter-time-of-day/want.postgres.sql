table 1 FLIGHTS
  filter t1-4 (GATE_TIME) greater-than 18h30m0s
  aggregate count
  limit 200
column count "Count" type/BigInteger
SELECT count(*) AS "count"
FROM "FLIGHTS" AS "t0"
WHERE "t0"."GATE_TIME" > $1
LIMIT $2
-- $1 = 1970-01-01T18:30:00Z (timestamp)
-- $2 = 200 (int64)
