table 1 ORDERS
  field t1-0 (ID)
  field t1-7 (CREATED_AT) by month
  limit 10
column ID "ID" type/BigInteger t1-0
column CREATED_AT "Created At: Month" type/DateTime t1-7
SELECT "t0"."ID" AS "ID", date_trunc('month', "t0"."CREATED_AT") AS "CREATED_AT"
FROM "ORDERS" AS "t0"
ORDER BY 1 ASC NULLS LAST
LIMIT $1
-- $1 = 10 (int64)
