table 1 ORDERS
  filter t1-7 (CREATED_AT) not-equals 2024-03-15T00:00:00/day 2024-03-16T00:00:00/day
  aggregate count
  limit 200
column count "Count" type/BigInteger
SELECT count(*) AS "count"
FROM "ORDERS" AS "t0"
WHERE (("t0"."CREATED_AT" < $1 OR "t0"."CREATED_AT" >= $2) AND ("t0"."CREATED_AT" < $3 OR "t0"."CREATED_AT" >= $4)) OR "t0"."CREATED_AT" IS NULL
LIMIT $5
-- $1 = 2024-03-15T00:00:00Z (timestamp)
-- $2 = 2024-03-16T00:00:00Z (timestamp)
-- $3 = 2024-03-16T00:00:00Z (timestamp)
-- $4 = 2024-03-17T00:00:00Z (timestamp)
-- $5 = 200 (int64)
