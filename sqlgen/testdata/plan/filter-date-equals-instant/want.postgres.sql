table 1 ORDERS
  filter t1-7 (CREATED_AT) equals 2024-03-15T08:30:00Z/second
  aggregate count
  limit 200
column count "Count" type/BigInteger
SELECT count(*) AS "count"
FROM "ORDERS" AS "t0"
WHERE "t0"."CREATED_AT" >= $1 AND "t0"."CREATED_AT" < $2
LIMIT $3
-- $1 = 2024-03-15T08:30:00Z (timestamp)
-- $2 = 2024-03-15T08:30:01Z (timestamp)
-- $3 = 200 (int64)
