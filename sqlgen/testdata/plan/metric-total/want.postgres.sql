metric 1 "Revenue" over ORDERS
  aggregate sum c1-5 (TOTAL)
  limit 10000
column sum "Revenue" type/Float
SELECT sum("t0"."TOTAL") AS "sum"
FROM "ORDERS" AS "t0"
LIMIT $1
-- $1 = 10000 (int64)
