table 1 ORDERS
  filter t1-7 (CREATED_AT) hour-equals 12
  aggregate count
  limit 200
column count "Count" type/BigInteger
SELECT count(*) AS "count"
FROM "ORDERS" AS "t0"
WHERE CAST(EXTRACT(HOUR FROM "t0"."CREATED_AT") AS BIGINT) = $1
LIMIT $2
-- $1 = 12 (int64)
-- $2 = 200 (int64)
