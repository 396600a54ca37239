table 1 ORDERS
  aggregate sum t1-5 (TOTAL)
  aggregate sum t1-3 (SUBTOTAL)
  aggregate count
  aggregate count-distinct t1-2 (PRODUCT_ID)
  limit 200
column sum "Sum of Total" type/Float
column sum_2 "Sum of Subtotal" type/Float
column count "Count" type/BigInteger
column count_2 "Distinct values of Product ID" type/BigInteger
SELECT sum("t0"."TOTAL") AS "sum", sum("t0"."SUBTOTAL") AS "sum_2", count(*) AS "count", count(DISTINCT "t0"."PRODUCT_ID") AS "count_2"
FROM "ORDERS" AS "t0"
LIMIT $1
-- $1 = 200 (int64)
