table 1 ORDERS
  aggregate sum t1-8 (QUANTITY)
  limit 10000
column sum "Sum of Quantity" type/BigInteger
SELECT sum("t0"."QUANTITY") AS "sum"
FROM "ORDERS" AS "t0"
LIMIT $1
-- $1 = 10000 (int64)
