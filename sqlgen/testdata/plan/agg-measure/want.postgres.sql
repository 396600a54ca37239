table 1 ORDERS
  aggregate sum t1-5 (TOTAL) (measure 1 "Gross revenue")
  aggregate sum t1-6 (DISCOUNT) (measure 2 "Discount given")
  limit 200
column sum "Gross revenue" type/Float
column sum_2 "Discount given" type/Float
SELECT sum("t0"."TOTAL") AS "sum", sum("t0"."DISCOUNT") FILTER (WHERE "t0"."DISCOUNT" IS NOT NULL) AS "sum_2"
FROM "ORDERS" AS "t0"
LIMIT $1
-- $1 = 200 (int64)
