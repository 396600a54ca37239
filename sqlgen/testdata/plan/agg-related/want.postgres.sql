table 1 ORDERS
  aggregate avg t1-27 (PRODUCT.PRICE)
  limit 200
column avg "Average of Product → Price" type/Float
SELECT CAST(avg("t2"."PRICE") AS DOUBLE PRECISION) AS "avg"
FROM "ORDERS" AS "t0"
LEFT JOIN "PRODUCTS" AS "t2" ON "t2"."ID" = "t0"."PRODUCT_ID"
LIMIT $1
-- $1 = 200 (int64)
