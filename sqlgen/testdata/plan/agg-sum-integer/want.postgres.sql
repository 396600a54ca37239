table 1 ORDERS
  aggregate sum t1-8 (QUANTITY)
  limit 200
column sum "Sum of Quantity" type/BigInteger
SELECT sum("t0"."QUANTITY") AS "sum"
FROM "ORDERS" AS "t0"
LIMIT $1
-- $1 = 200 (int64)
