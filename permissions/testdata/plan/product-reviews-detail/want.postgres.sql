as pat@example.com: policies product
table 4 REVIEWS
  limit 3
column ID "ID" type/BigInteger t4-0
column PRODUCT_ID "Product ID" type/BigInteger t4-1
column RATING "Rating" type/Integer t4-3
column BODY "Body" type/Text t4-4
column CREATED_AT "Created At" type/DateTime t4-5
SELECT "t0"."ID" AS "ID", "t0"."PRODUCT_ID" AS "PRODUCT_ID", "t0"."RATING" AS "RATING", "t0"."BODY" AS "BODY", "t0"."CREATED_AT" AS "CREATED_AT"
FROM "REVIEWS" AS "t0"
ORDER BY 1 ASC NULLS LAST
LIMIT $1
-- $1 = 3 (int64)
