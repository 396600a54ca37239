table 1 ORDERS
  filter t1-7 (CREATED_AT) month-not-equals 6 7 8
  aggregate count
  limit 200
column count "Count" type/BigInteger
SELECT count(*) AS "count"
FROM "ORDERS" AS "t0"
WHERE NOT (CAST(EXTRACT(MONTH FROM "t0"."CREATED_AT") AS BIGINT) = ANY(CAST($1 AS BIGINT[]))) OR "t0"."CREATED_AT" IS NULL
LIMIT $2
-- $1 = [6, 7, 8] ([]int64)
-- $2 = 200 (int64)
