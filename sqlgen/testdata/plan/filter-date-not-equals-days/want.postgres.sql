table 1 ORDERS
  filter t1-7 (CREATED_AT) not-equals 2024-03-15T00:00:00/day 2024-03-16T00:00:00/day
  aggregate count
  limit 200
column count "Count" type/BigInteger
SELECT count(*) AS "count"
FROM "ORDERS" AS "t0"
WHERE NOT EXISTS (SELECT 1 FROM (SELECT unnest(CAST($1 AS TIMESTAMP[])) AS "lo", unnest(CAST($2 AS TIMESTAMP[])) AS "hi") AS "r1" WHERE "t0"."CREATED_AT" >= "r1"."lo" AND "t0"."CREATED_AT" < "r1"."hi") OR "t0"."CREATED_AT" IS NULL
LIMIT $3
-- $1 = [2024-03-15T00:00:00Z, 2024-03-16T00:00:00Z] (list of timestamps)
-- $2 = [2024-03-16T00:00:00Z, 2024-03-17T00:00:00Z] (list of timestamps)
-- $3 = 200 (int64)
