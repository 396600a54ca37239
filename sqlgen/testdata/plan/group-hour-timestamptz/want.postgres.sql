table 1 FLIGHTS
  aggregate count
  group by t1-3 (DEPARTS) by hour
  limit 200
column DEPARTS "Departs: Hour" type/DateTimeWithLocalTZ t1-3
column count "Count" type/BigInteger
SELECT date_trunc('hour', ("t0"."DEPARTS" AT TIME ZONE 'UTC')) AS "DEPARTS", count(*) AS "count"
FROM "FLIGHTS" AS "t0"
GROUP BY 1
ORDER BY 1 ASC NULLS LAST
LIMIT $1
-- $1 = 200 (int64)
