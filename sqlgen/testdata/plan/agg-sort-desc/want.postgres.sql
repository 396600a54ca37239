table 1 ORDERS
  aggregate sum t1-5 (TOTAL) sort desc
  aggregate count sort asc
  group by t1-26 (PRODUCT.VENDOR)
  limit 5
column VENDOR "Product → Vendor" type/Text t1-26
column sum "Sum of Total" type/Float
column count "Count" type/BigInteger
SELECT "t2"."VENDOR" AS "VENDOR", sum("t0"."TOTAL") AS "sum", count(*) AS "count"
FROM "ORDERS" AS "t0"
LEFT JOIN "PRODUCTS" AS "t2" ON "t2"."ID" = "t0"."PRODUCT_ID"
GROUP BY 1
ORDER BY 2 DESC NULLS LAST, 3 ASC NULLS LAST, ("t2"."VENDOR" COLLATE "C") ASC NULLS LAST
LIMIT $1
-- $1 = 5 (int64)
