table 1 ORDERS
  filter t1-8 (QUANTITY) equals 1 2 3
  aggregate count
  limit 200
column count "Count" type/BigInteger
SELECT count(*) AS "count"
FROM "ORDERS" AS "t0"
WHERE "t0"."QUANTITY" IN ($1, $2, $3)
LIMIT $4
-- $1 = 1 (int64)
-- $2 = 2 (int64)
-- $3 = 3 (int64)
-- $4 = 200 (int64)
