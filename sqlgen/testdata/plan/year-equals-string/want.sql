table 1 ORDERS
  filter t1-7 (CREATED_AT) year-equals 2024
  aggregate count
  limit 200
column count "Count" type/BigInteger
SELECT count(*) AS "count"
FROM "ORDERS" AS "t0"
WHERE year("t0"."CREATED_AT") = $1
LIMIT $2
-- $1 = 2024 (int64)
-- $2 = 200 (int64)
