table 1 ORDERS
  filter t1-7 (CREATED_AT) current week, from now
  aggregate count
  limit 200
column count "Count" type/BigInteger
SELECT count(*) AS "count"
FROM "ORDERS" AS "t0"
WHERE "t0"."CREATED_AT" >= $1 AND "t0"."CREATED_AT" < $2
LIMIT $3
-- $1 = 2025-07-14T00:00:00Z (timestamp)
-- $2 = 2025-07-21T00:00:00Z (timestamp)
-- $3 = 200 (int64)
