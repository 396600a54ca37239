table 1 ORDERS
  filter t1-7 (CREATED_AT) by month greater-than 2024-03-13T00:00:00/month
  aggregate count
  limit 200
column count "Count" type/BigInteger
SELECT count(*) AS "count"
FROM "ORDERS" AS "t0"
WHERE "t0"."CREATED_AT" >= $1
LIMIT $2
-- $1 = 2024-04-01T00:00:00Z (timestamp)
-- $2 = 200 (int64)
