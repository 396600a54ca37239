table 1 ORDERS
  filter t1-5 (TOTAL) greater-than 100
  aggregate count
  limit 200
column count "Count" type/BigInteger
SELECT count(*) AS "count"
FROM "ORDERS" AS "t0"
WHERE "t0"."TOTAL" > $1
LIMIT $2
-- $1 = 100 (int64)
-- $2 = 200 (int64)
