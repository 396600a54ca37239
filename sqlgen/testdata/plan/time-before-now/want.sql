table 1 ORDERS
  filter t1-7 (CREATED_AT) before 30 day, from now
  aggregate count
  limit 200
column count "Count" type/BigInteger
SELECT count(*) AS "count"
FROM "ORDERS" AS "t0"
WHERE "t0"."CREATED_AT" < $1
LIMIT $2
-- $1 = 2025-06-16T15:30:00Z (timestamp)
-- $2 = 200 (int64)
