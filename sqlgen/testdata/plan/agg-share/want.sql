table 1 ORDERS
  aggregate share where Discount is-not-null
  aggregate count
  group by t1-7 (CREATED_AT) by year
  limit 200
column CREATED_AT "Created At: Year" type/DateTime t1-7
column share "Share of rows where Discount is-not-null" type/Float
column count "Count" type/BigInteger
SELECT date_trunc('year', "t0"."CREATED_AT") AS "CREATED_AT", CAST(count(*) FILTER (WHERE "t0"."DISCOUNT" IS NOT NULL) AS DOUBLE) / nullif(count(*), 0) AS "share", count(*) AS "count"
FROM "ORDERS" AS "t0"
GROUP BY 1
ORDER BY 1 ASC NULLS LAST
LIMIT $1
-- $1 = 200 (int64)
