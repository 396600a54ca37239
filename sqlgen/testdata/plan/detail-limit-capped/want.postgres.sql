table 1 ORDERS
  field t1-0 (ID)
  limit 2000
column ID "ID" type/BigInteger t1-0
SELECT "t0"."ID" AS "ID"
FROM "ORDERS" AS "t0"
ORDER BY 1 ASC NULLS LAST
LIMIT $1
-- $1 = 2000 (int64)
