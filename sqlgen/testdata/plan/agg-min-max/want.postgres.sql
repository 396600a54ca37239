table 1 ORDERS
  aggregate min t1-7 (CREATED_AT)
  aggregate max t1-5 (TOTAL)
  limit 200
column min "Min of Created At" type/DateTime
column max "Max of Total" type/Float
SELECT min("t0"."CREATED_AT") AS "min", max("t0"."TOTAL") AS "max"
FROM "ORDERS" AS "t0"
LIMIT $1
-- $1 = 200 (int64)
