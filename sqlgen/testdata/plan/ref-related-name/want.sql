table 1 ORDERS
  aggregate count
  group by t1-16 (USER.STATE)
  group by t1-25 (PRODUCT.CATEGORY)
  limit 200
column STATE "User → State" type/Text t1-16
column CATEGORY "Product → Category" type/Text t1-25
column count "Count" type/BigInteger
SELECT "t1"."STATE" AS "STATE", "t2"."CATEGORY" AS "CATEGORY", count(*) AS "count"
FROM "ORDERS" AS "t0"
LEFT JOIN "PEOPLE" AS "t1" ON "t1"."ID" = "t0"."USER_ID"
LEFT JOIN "PRODUCTS" AS "t2" ON "t2"."ID" = "t0"."PRODUCT_ID"
GROUP BY 1, 2
ORDER BY 1 ASC NULLS LAST, 2 ASC NULLS LAST
LIMIT $1
-- $1 = 200 (int64)
