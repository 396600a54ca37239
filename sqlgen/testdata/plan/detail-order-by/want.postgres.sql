table 1 ORDERS
  field t1-0 (ID)
  field t1-5 (TOTAL)
  order by t1-5 (TOTAL) desc
  order by t1-16 (USER.STATE) asc
  limit 50
column ID "ID" type/BigInteger t1-0
column TOTAL "Total" type/Float t1-5
SELECT "t0"."ID" AS "ID", "t0"."TOTAL" AS "TOTAL"
FROM "ORDERS" AS "t0"
LEFT JOIN "PEOPLE" AS "t1" ON "t1"."ID" = "t0"."USER_ID"
ORDER BY "t0"."TOTAL" DESC NULLS LAST, ("t1"."STATE" COLLATE "C") ASC NULLS LAST, 1 ASC NULLS LAST
LIMIT $1
-- $1 = 50 (int64)
