table 1 ORDERS
  aggregate sum t1-5 (TOTAL)
  limit 200
column sum "Sum of Total" type/Float
SELECT sum("t0"."TOTAL") AS "sum"
FROM "ORDERS" AS "t0"
LIMIT $1
-- $1 = 200 (int64)
