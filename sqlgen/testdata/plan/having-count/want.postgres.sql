table 1 ORDERS
  aggregate count
  aggregate sum t1-5 (TOTAL)
  group by t1-16 (USER.STATE)
  order by aggregation 0 desc
  having aggregation 0 greater-than 500
  having aggregation 1 between 1000 500000
  limit 200
column STATE "User → State" type/Text t1-16
column count "Count" type/BigInteger
column sum "Sum of Total" type/Float
SELECT "t1"."STATE" AS "STATE", count(*) AS "count", sum("t0"."TOTAL") AS "sum"
FROM "ORDERS" AS "t0"
LEFT JOIN "PEOPLE" AS "t1" ON "t1"."ID" = "t0"."USER_ID"
GROUP BY 1
HAVING count(*) > $1 AND sum("t0"."TOTAL") >= $2 AND sum("t0"."TOTAL") <= $3
ORDER BY 2 DESC NULLS LAST, ("t1"."STATE" COLLATE "C") ASC NULLS LAST
LIMIT $4
-- $1 = 500 (int64)
-- $2 = 1000 (int64)
-- $3 = 500000 (int64)
-- $4 = 200 (int64)
