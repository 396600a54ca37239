table 1 ORDERS
  aggregate count
  group by t1-7 (CREATED_AT) by hour
  limit 200
column CREATED_AT "Created At: Hour" type/DateTime t1-7
column count "Count" type/BigInteger
SELECT date_trunc('hour', "t0"."CREATED_AT") AS "CREATED_AT", count(*) AS "count"
FROM "ORDERS" AS "t0"
GROUP BY 1
ORDER BY 1 ASC NULLS LAST
LIMIT $1
-- $1 = 200 (int64)
