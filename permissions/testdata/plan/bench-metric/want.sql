as ben@example.com: policies benchmarking
metric 1 "Revenue" over ORDERS
  aggregate sum c1-5 (TOTAL)
  limit 10000
column sum "Revenue" type/Float
SELECT sum("t0"."TOTAL") AS "sum"
FROM "ORDERS" AS "t0"
HAVING count(*) FILTER (WHERE NOT coalesce("t0"."USER_ID" IN (SELECT "s1"."ID" FROM "PEOPLE" AS "s1" WHERE "s1"."STATE" = $1), FALSE)) NOT BETWEEN 1 AND 9
LIMIT $2
-- $1 = "TX"
-- $2 = 10000 (int64)
