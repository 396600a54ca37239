table 1 ORDERS
  filter t1-6 (DISCOUNT) is-null
  aggregate count
  limit 10000
column count "Count" type/BigInteger
SELECT count(*) AS "count"
FROM "ORDERS" AS "t0"
WHERE "t0"."DISCOUNT" IS NULL
LIMIT $1
-- $1 = 10000 (int64)
