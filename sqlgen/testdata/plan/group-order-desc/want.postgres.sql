table 1 ORDERS
  aggregate count
  group by t1-8 (QUANTITY)
  order by t1-8 (QUANTITY) desc
  limit 200
column QUANTITY "Quantity" type/Integer t1-8
column count "Count" type/BigInteger
SELECT "t0"."QUANTITY" AS "QUANTITY", count(*) AS "count"
FROM "ORDERS" AS "t0"
GROUP BY 1
ORDER BY 1 DESC NULLS LAST, 1 ASC NULLS LAST
LIMIT $1
-- $1 = 200 (int64)
