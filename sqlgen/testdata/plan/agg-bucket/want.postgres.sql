table 1 ORDERS
  aggregate max t1-7 (CREATED_AT) by month
  aggregate count-distinct t1-7 (CREATED_AT) by day
  limit 200
column max "Max of Created At: Month" type/DateTime
column count "Distinct values of Created At: Day" type/BigInteger
SELECT max(date_trunc('month', "t0"."CREATED_AT")) AS "max", count(DISTINCT date_trunc('day', "t0"."CREATED_AT")) AS "count"
FROM "ORDERS" AS "t0"
LIMIT $1
-- $1 = 200 (int64)
