table 1 ORDERS
  filter t1-7 (CREATED_AT) between 2024-01-01T00:00:00/month 2024-03-01T00:00:00/month
  filter t1-5 (TOTAL) between 10 20.5
  aggregate count
  limit 200
column count "Count" type/BigInteger
SELECT count(*) AS "count"
FROM "ORDERS" AS "t0"
WHERE "t0"."TOTAL" >= $1 AND "t0"."TOTAL" <= $2 AND "t0"."CREATED_AT" >= $3 AND "t0"."CREATED_AT" < $4
LIMIT $5
-- $1 = 10 (int64)
-- $2 = 20.5 (float64)
-- $3 = 2024-01-01T00:00:00Z (timestamp)
-- $4 = 2024-04-01T00:00:00Z (timestamp)
-- $5 = 200 (int64)
