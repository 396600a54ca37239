table 1 ORDERS
  aggregate count
  limit 10000
column count "Count" type/BigInteger
SELECT count(*) AS "count"
FROM "ORDERS" AS "t0"
LIMIT $1
-- $1 = 10000 (int64)
