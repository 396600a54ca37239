table 1 ORDERS
  filter t1-7 (CREATED_AT) last 6 month complete, from now
  aggregate count
  group by t1-7 (CREATED_AT) by month
  limit 200
column CREATED_AT "Created At: Month" type/DateTime t1-7
column count "Count" type/BigInteger
SELECT date_trunc('month', timezone('America/New_York', timezone('UTC', "t0"."CREATED_AT"))) AS "CREATED_AT", count(*) AS "count"
FROM "ORDERS" AS "t0"
WHERE "t0"."CREATED_AT" >= $1 AND "t0"."CREATED_AT" < $2
GROUP BY 1
ORDER BY 1 ASC NULLS LAST
LIMIT $3
-- $1 = 2025-01-01T05:00:00Z (timestamp)
-- $2 = 2025-07-01T04:00:00Z (timestamp)
-- $3 = 200 (int64)
