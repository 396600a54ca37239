table 3 PRODUCTS
  limit 200
column ID "ID" type/BigInteger t3-0
column EAN "EAN" type/Text t3-1
column TITLE "Title" type/Text t3-2
column CATEGORY "Category" type/Text t3-3
column VENDOR "Vendor" type/Text t3-4
column PRICE "Price" type/Float t3-5
column RATING "Rating" type/Float t3-6
column CREATED_AT "Created At" type/DateTime t3-7
SELECT "t0"."ID" AS "ID", "t0"."EAN" AS "EAN", "t0"."TITLE" AS "TITLE", "t0"."CATEGORY" AS "CATEGORY", "t0"."VENDOR" AS "VENDOR", "t0"."PRICE" AS "PRICE", "t0"."RATING" AS "RATING", "t0"."CREATED_AT" AS "CREATED_AT"
FROM "PRODUCTS" AS "t0"
ORDER BY 1 ASC NULLS LAST
LIMIT $1
-- $1 = 200 (int64)
