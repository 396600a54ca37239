metric 1 "Revenue" over ORDERS
  aggregate sum c1-5 (TOTAL)
  group by c1-7 (CREATED_AT)
  limit 10000
column CREATED_AT "Created At" type/DateTime c1-7
column sum "Revenue" type/Float
SELECT "t0"."CREATED_AT" AS "CREATED_AT", sum("t0"."TOTAL") AS "sum"
FROM "ORDERS" AS "t0"
GROUP BY 1
ORDER BY 1 ASC NULLS LAST
LIMIT $1
-- $1 = 10000 (int64)
