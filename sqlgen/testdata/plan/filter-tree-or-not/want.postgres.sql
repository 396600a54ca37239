table 1 ORDERS
  filter (Total greater-than 100 or not (User → State equals "TX" and Discount is-null))
  aggregate count
  limit 200
column count "Count" type/BigInteger
SELECT count(*) AS "count"
FROM "ORDERS" AS "t0"
LEFT JOIN "PEOPLE" AS "t1" ON "t1"."ID" = "t0"."USER_ID"
WHERE "t0"."TOTAL" > $1 OR NOT ("t1"."STATE" = $2 AND "t0"."DISCOUNT" IS NULL)
LIMIT $3
-- $1 = 100 (int64)
-- $2 = "TX"
-- $3 = 200 (int64)
