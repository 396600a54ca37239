table 1 ORDERS
  filter t1-7 (CREATED_AT) since 1 year, from today
  aggregate count
  limit 200
column count "Count" type/BigInteger
SELECT count(*) AS "count"
FROM "ORDERS" AS "t0"
WHERE "t0"."CREATED_AT" >= $1
LIMIT $2
-- $1 = 2024-07-16T00:00:00Z (timestamp)
-- $2 = 200 (int64)
