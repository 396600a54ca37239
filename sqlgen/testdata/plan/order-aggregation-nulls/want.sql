table 1 ORDERS
  aggregate count
  aggregate sum t1-6 (DISCOUNT)
  group by t1-16 (USER.STATE)
  order by aggregation 1 desc nulls first
  order by t1-16 (USER.STATE) asc nulls first
  limit 200
column STATE "User → State" type/Text t1-16
column count "Count" type/BigInteger
column sum "Sum of Discount" type/Float
SELECT "t1"."STATE" AS "STATE", count(*) AS "count", sum("t0"."DISCOUNT") AS "sum"
FROM "ORDERS" AS "t0"
LEFT JOIN "PEOPLE" AS "t1" ON "t1"."ID" = "t0"."USER_ID"
GROUP BY 1
ORDER BY 3 DESC NULLS FIRST, 1 ASC NULLS FIRST, 1 ASC NULLS LAST
LIMIT $1
-- $1 = 200 (int64)
