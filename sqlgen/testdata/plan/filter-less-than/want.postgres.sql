table 1 ORDERS
  filter t1-8 (QUANTITY) less-than 2
  aggregate count
  limit 200
column count "Count" type/BigInteger
SELECT count(*) AS "count"
FROM "ORDERS" AS "t0"
WHERE "t0"."QUANTITY" < $1
LIMIT $2
-- $1 = 2 (int64)
-- $2 = 200 (int64)
