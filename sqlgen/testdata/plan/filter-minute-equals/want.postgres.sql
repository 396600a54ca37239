table 1 ORDERS
  filter t1-7 (CREATED_AT) minute-equals 30
  aggregate count
  limit 200
column count "Count" type/BigInteger
SELECT count(*) AS "count"
FROM "ORDERS" AS "t0"
WHERE CAST(EXTRACT(MINUTE FROM "t0"."CREATED_AT") AS BIGINT) = $1
LIMIT $2
-- $1 = 30 (int64)
-- $2 = 200 (int64)
