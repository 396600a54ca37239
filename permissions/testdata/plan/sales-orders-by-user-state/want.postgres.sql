as sam@example.com: policies sales
table 1 ORDERS
  aggregate sum t1-5 (TOTAL)
  group by t1-16 (USER.STATE)
  limit 200
row filter ORDERS: "…"."USER_ID" IN (SELECT "s1"."ID" FROM "PEOPLE" AS "s1" WHERE "s1"."STATE" = $1)
row filter PEOPLE via USER_ID: "…"."STATE" = $1
column STATE "User → State" type/Text t1-16
column sum "Sum of Total" type/Float
SELECT "t1"."STATE" AS "STATE", sum("t0"."TOTAL") AS "sum"
FROM "ORDERS" AS "t0"
LEFT JOIN "PEOPLE" AS "t1" ON "t1"."ID" = "t0"."USER_ID" AND ("t1"."STATE" = $1)
WHERE "t0"."USER_ID" IN (SELECT "s1"."ID" FROM "PEOPLE" AS "s1" WHERE "s1"."STATE" = $1)
GROUP BY 1
ORDER BY ("t1"."STATE" COLLATE "C") ASC NULLS LAST
LIMIT $2
-- $1 = "TX"
-- $2 = 200 (int64)
