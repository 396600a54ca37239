table 1 ORDERS
  field t1-0 (ID)
  field t1-5 (TOTAL)
  field t1-16 (USER.STATE)
  field t1-25 (PRODUCT.CATEGORY)
  limit 10
column ID "ID" type/BigInteger t1-0
column TOTAL "Total" type/Float t1-5
column STATE "User → State" type/Text t1-16
column CATEGORY "Product → Category" type/Text t1-25
SELECT "t0"."ID" AS "ID", "t0"."TOTAL" AS "TOTAL", "t1"."STATE" AS "STATE", "t2"."CATEGORY" AS "CATEGORY"
FROM "ORDERS" AS "t0"
LEFT JOIN "PEOPLE" AS "t1" ON "t1"."ID" = "t0"."USER_ID"
LEFT JOIN "PRODUCTS" AS "t2" ON "t2"."ID" = "t0"."PRODUCT_ID"
ORDER BY 1 ASC NULLS LAST
LIMIT $1
-- $1 = 10 (int64)
