table 1 ORDERS
  filter t1-7 (CREATED_AT) by week equals 2024-03-13T00:00:00/week
  aggregate count
  limit 200
column count "Count" type/BigInteger
SELECT count(*) AS "count"
FROM "ORDERS" AS "t0"
WHERE "t0"."CREATED_AT" >= $1 AND "t0"."CREATED_AT" < $2
LIMIT $3
-- $1 = 2024-03-11T00:00:00Z (timestamp)
-- $2 = 2024-03-18T00:00:00Z (timestamp)
-- $3 = 200 (int64)
