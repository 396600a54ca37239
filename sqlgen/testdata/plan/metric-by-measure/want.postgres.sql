metric 4 "Discounts" over ORDERS
  aggregate sum c4-6 (DISCOUNT) (measure 2 "Discount given")
  group by c4-7 (CREATED_AT) by year
  limit 10000
column CREATED_AT "Created At: Year" type/DateTime c4-7
column sum "Discounts" type/Float
SELECT date_trunc('year', "t0"."CREATED_AT") AS "CREATED_AT", sum("t0"."DISCOUNT") FILTER (WHERE "t0"."DISCOUNT" IS NOT NULL) AS "sum"
FROM "ORDERS" AS "t0"
GROUP BY 1
ORDER BY 1 ASC NULLS LAST
LIMIT $1
-- $1 = 10000 (int64)
