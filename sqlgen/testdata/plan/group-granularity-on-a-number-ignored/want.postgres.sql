table 1 ORDERS
  aggregate count
  group by t1-5 (TOTAL)
  limit 200
column TOTAL "Total" type/Float t1-5
column count "Count" type/BigInteger
SELECT "t0"."TOTAL" AS "TOTAL", count(*) AS "count"
FROM "ORDERS" AS "t0"
GROUP BY 1
ORDER BY 1 ASC NULLS LAST
LIMIT $1
-- $1 = 200 (int64)
