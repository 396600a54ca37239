as sam@example.com: policies sales
table 1 ORDERS
  aggregate count
  limit 200
row filter ORDERS: "…"."USER_ID" IN (SELECT "s1"."ID" FROM "PEOPLE" AS "s1" WHERE "s1"."STATE" = $1)
column count "Count" type/BigInteger
SELECT count(*) AS "count"
FROM "ORDERS" AS "t0"
WHERE "t0"."USER_ID" IN (SELECT "s1"."ID" FROM "PEOPLE" AS "s1" WHERE "s1"."STATE" = $1)
LIMIT $2
-- $1 = "TX"
-- $2 = 200 (int64)
