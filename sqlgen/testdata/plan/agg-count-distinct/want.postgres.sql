table 1 ORDERS
  aggregate count-distinct t1-1 (USER_ID)
  limit 200
column count "Distinct values of User ID" type/BigInteger
SELECT count(DISTINCT "t0"."USER_ID") AS "count"
FROM "ORDERS" AS "t0"
LIMIT $1
-- $1 = 200 (int64)
