as ben@example.com: policies benchmarking
table 1 ORDERS
  aggregate sum t1-5 (TOTAL)
  group by t1-16 (USER.STATE)
  limit 200
column STATE "User → State" type/Text t1-16
column sum "Sum of Total" type/Float
SELECT "t1"."STATE" AS "STATE", sum("t0"."TOTAL") AS "sum"
FROM "ORDERS" AS "t0"
LEFT JOIN "PEOPLE" AS "t1" ON "t1"."ID" = "t0"."USER_ID"
GROUP BY 1
HAVING count(*) >= 10 AND count(DISTINCT "t1"."ID") >= 10
ORDER BY 1 ASC NULLS LAST
LIMIT $1
-- $1 = 200 (int64)
