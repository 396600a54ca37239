table 1 ORDERS
  filter t1-6 (DISCOUNT) not-equals 2.5
  aggregate count
  limit 200
column count "Count" type/BigInteger
SELECT count(*) AS "count"
FROM "ORDERS" AS "t0"
WHERE "t0"."DISCOUNT" <> $1 OR "t0"."DISCOUNT" IS NULL
LIMIT $2
-- $1 = 2.5 (float64)
-- $2 = 200 (int64)
