table 1 ORDERS
  aggregate avg t1-5 (TOTAL) where Discount greater-than 0
  aggregate avg t1-5 (TOTAL) where Discount is-null
  aggregate count where User → State equals "TX"
  limit 200
column avg "Average of Total, where Discount greater-than 0" type/Float
column avg_2 "Average of Total, where Discount is-null" type/Float
column count "Count, where User → State equals \"TX\"" type/BigInteger
SELECT CAST(avg("t0"."TOTAL") FILTER (WHERE "t0"."DISCOUNT" > $1) AS DOUBLE PRECISION) AS "avg", CAST(avg("t0"."TOTAL") FILTER (WHERE "t0"."DISCOUNT" IS NULL) AS DOUBLE PRECISION) AS "avg_2", count(*) FILTER (WHERE "t1"."STATE" = $2) AS "count"
FROM "ORDERS" AS "t0"
LEFT JOIN "PEOPLE" AS "t1" ON "t1"."ID" = "t0"."USER_ID"
LIMIT $3
-- $1 = 0 (int64)
-- $2 = "TX"
-- $3 = 200 (int64)
