table 1 ORDERS
  filter t1-7 (CREATED_AT) between 2024-01-01T00:00:00/month 2024-03-01T00:00:00/month
  filter t1-5 (TOTAL) between 10 20.5
  aggregate count
  limit 200
column count "Count" type/BigInteger
SELECT count(*) AS "count"
FROM "ORDERS" AS "t0"
WHERE "t0"."CREATED_AT" >= $1 AND "t0"."CREATED_AT" < $2 AND "t0"."TOTAL" >= $3 AND "t0"."TOTAL" <= $4
LIMIT $5
-- $1 = 2024-01-01T00:00:00Z (timestamp)
-- $2 = 2024-04-01T00:00:00Z (timestamp)
-- $3 = 10 (int64)
-- $4 = 20.5 (float64)
-- $5 = 200 (int64)
