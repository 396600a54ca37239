table 1 ORDERS
  filter t1-16 (USER.STATE) not-equals TX CA
  aggregate count
  limit 200
column count "Count" type/BigInteger
SELECT count(*) AS "count"
FROM "ORDERS" AS "t0"
LEFT JOIN "PEOPLE" AS "t1" ON "t1"."ID" = "t0"."USER_ID"
WHERE NOT ("t1"."STATE" = ANY(CAST($1 AS TEXT[]))) OR "t1"."STATE" IS NULL
LIMIT $2
-- $1 = ["TX", "CA"] (list)
-- $2 = 200 (int64)
