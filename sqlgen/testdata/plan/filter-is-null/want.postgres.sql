table 1 ORDERS
  filter t1-6 (DISCOUNT) is-null
  aggregate count
  limit 200
column count "Count" type/BigInteger
SELECT count(*) AS "count"
FROM "ORDERS" AS "t0"
WHERE "t0"."DISCOUNT" IS NULL
LIMIT $1
-- $1 = 200 (int64)
