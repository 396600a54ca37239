table 1 ORDERS
  filter t1-8 (QUANTITY) equals 1 2 3
  aggregate count
  limit 200
column count "Count" type/BigInteger
SELECT count(*) AS "count"
FROM "ORDERS" AS "t0"
WHERE "t0"."QUANTITY" = ANY(CAST($1 AS BIGINT[]))
LIMIT $2
-- $1 = [1, 2, 3] ([]int64)
-- $2 = 200 (int64)
