as sam@example.com: policies sales
table 1 ORDERS
  filter segment 5 "Orders of organic customers"
  aggregate count
  limit 200
row filter ORDERS: "…"."USER_ID" IN (SELECT "s1"."ID" FROM "PEOPLE" AS "s1" WHERE "s1"."STATE" = $1)
column count "Count" type/BigInteger
SELECT count(*) AS "count"
FROM "ORDERS" AS "t0"
WHERE "t0"."USER_ID" IN (SELECT "s1"."ID" FROM "PEOPLE" AS "s1" WHERE "s1"."STATE" = $1) AND "t0"."USER_ID" IN (SELECT "s2"."ID" FROM "PEOPLE" AS "s2" WHERE "s2"."SOURCE" = $2 AND "s2"."STATE" = $1)
LIMIT $3
-- $1 = "TX"
-- $2 = "Organic"
-- $3 = 200 (int64)
