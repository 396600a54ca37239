table 1 ORDERS
  filter t1-5 (TOTAL) is-null
  limit 200
column ID "ID" type/BigInteger t1-0
column USER_ID "User ID" type/BigInteger t1-1
column PRODUCT_ID "Product ID" type/BigInteger t1-2
column SUBTOTAL "Subtotal" type/Float t1-3
column TAX "Tax" type/Float t1-4
column TOTAL "Total" type/Float t1-5
column DISCOUNT "Discount" type/Float t1-6
column CREATED_AT "Created At" type/DateTime t1-7
column QUANTITY "Quantity" type/Integer t1-8
SELECT "t0"."ID" AS "ID", "t0"."USER_ID" AS "USER_ID", "t0"."PRODUCT_ID" AS "PRODUCT_ID", "t0"."SUBTOTAL" AS "SUBTOTAL", "t0"."TAX" AS "TAX", "t0"."TOTAL" AS "TOTAL", "t0"."DISCOUNT" AS "DISCOUNT", "t0"."CREATED_AT" AS "CREATED_AT", "t0"."QUANTITY" AS "QUANTITY"
FROM "ORDERS" AS "t0"
WHERE "t0"."TOTAL" IS NULL
ORDER BY 1 ASC NULLS LAST
LIMIT $1
-- $1 = 200 (int64)
