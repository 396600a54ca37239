table 1 ORDERS
  aggregate count
  limit 200
column count "Count" type/BigInteger
SELECT count(*) AS "count"
FROM "ORDERS" AS "t0"
LIMIT $1
-- $1 = 200 (int64)
