as con@example.com: policies analysts, contractors
table 1 ORDERS
  aggregate sum t1-5 (TOTAL)
  group by t1-7 (CREATED_AT) by year
  limit 200
row filter ORDERS: "…"."CREATED_AT" >= $1
column CREATED_AT "Created At: Year" type/DateTime t1-7
column sum "Sum of Total" type/Float
SELECT date_trunc('year', "t0"."CREATED_AT") AS "CREATED_AT", sum("t0"."TOTAL") AS "sum"
FROM "ORDERS" AS "t0"
WHERE "t0"."CREATED_AT" >= $1
GROUP BY 1
ORDER BY 1 ASC NULLS LAST
LIMIT $2
-- $1 = 2024-01-01T00:00:00Z (timestamp)
-- $2 = 200 (int64)
