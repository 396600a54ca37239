table 1 ORDERS
  filter t1-16 (USER.STATE) not-equals TX CA
  aggregate count
  limit 200
column count "Count" type/BigInteger
SELECT count(*) AS "count"
FROM "ORDERS" AS "t0"
LEFT JOIN "PEOPLE" AS "t1" ON "t1"."ID" = "t0"."USER_ID"
WHERE NOT ("t1"."STATE" IN ($1, $2)) OR "t1"."STATE" IS NULL
LIMIT $3
-- $1 = "TX"
-- $2 = "CA"
-- $3 = 200 (int64)
