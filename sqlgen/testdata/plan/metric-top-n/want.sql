metric 1 "Revenue" over ORDERS
  aggregate sum c1-5 (TOTAL) sort desc
  group by c1-24 (PRODUCT.TITLE)
  limit 3
column TITLE "Product → Title" type/Text c1-24
column sum "Revenue" type/Float
SELECT "t2"."TITLE" AS "TITLE", sum("t0"."TOTAL") AS "sum"
FROM "ORDERS" AS "t0"
LEFT JOIN "PRODUCTS" AS "t2" ON "t2"."ID" = "t0"."PRODUCT_ID"
GROUP BY 1
ORDER BY 2 DESC NULLS LAST, 1 ASC NULLS LAST
LIMIT $1
-- $1 = 3 (int64)
