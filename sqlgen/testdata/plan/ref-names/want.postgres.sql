table 1 ORDERS
  filter t1-16 (USER.STATE) equals TX
  filter t1-25 (PRODUCT.CATEGORY) equals Gizmo
  aggregate sum t1-5 (TOTAL)
  group by t1-7 (CREATED_AT) by year
  order by t1-7 (CREATED_AT) desc
  limit 200
column CREATED_AT "Created At: Year" type/DateTime t1-7
column sum "Sum of Total" type/Float
SELECT date_trunc('year', "t0"."CREATED_AT") AS "CREATED_AT", sum("t0"."TOTAL") AS "sum"
FROM "ORDERS" AS "t0"
LEFT JOIN "PEOPLE" AS "t1" ON "t1"."ID" = "t0"."USER_ID"
LEFT JOIN "PRODUCTS" AS "t2" ON "t2"."ID" = "t0"."PRODUCT_ID"
WHERE "t1"."STATE" = $1 AND "t2"."CATEGORY" = $2
GROUP BY 1
ORDER BY 1 DESC NULLS LAST, 1 ASC NULLS LAST
LIMIT $3
-- $1 = "TX"
-- $2 = "Gizmo"
-- $3 = 200 (int64)
