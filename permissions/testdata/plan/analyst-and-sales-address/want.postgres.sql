as mix@example.com: policies analysts, sales
table 2 PEOPLE
  field t2-0 (ID)
  field t2-1 (ADDRESS)
  limit 3
row filter PEOPLE: "…"."STATE" = $1
column ID "ID" type/BigInteger t2-0
column ADDRESS "Address" type/Text t2-1
SELECT "t0"."ID" AS "ID", "t0"."ADDRESS" AS "ADDRESS"
FROM "PEOPLE" AS "t0"
WHERE "t0"."STATE" = $1
ORDER BY 1 ASC NULLS LAST
LIMIT $2
-- $1 = "TX"
-- $2 = 3 (int64)
