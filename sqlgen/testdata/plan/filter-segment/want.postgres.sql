table 1 ORDERS
  filter segment 1 "Large orders"
  aggregate count
  limit 200
column count "Count" type/BigInteger
SELECT count(*) AS "count"
FROM "ORDERS" AS "t0"
WHERE NOT ("t0"."TOTAL" = CAST('NaN' AS DOUBLE PRECISION)) AND "t0"."TOTAL" > $1
LIMIT $2
-- $1 = 100 (float64)
-- $2 = 200 (int64)
