table 1 ORDERS
  aggregate avg t1-5 (TOTAL)
  limit 200
column avg "Average of Total" type/Float
SELECT CAST(avg("t0"."TOTAL") AS DOUBLE PRECISION) AS "avg"
FROM "ORDERS" AS "t0"
LIMIT $1
-- $1 = 200 (int64)
