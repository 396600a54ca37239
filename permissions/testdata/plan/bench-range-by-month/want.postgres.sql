as ben@example.com: policies benchmarking
table 1 ORDERS
  filter t1-7 (CREATED_AT) between 2024-01-01T00:00:00/day 2024-06-30T00:00:00/day
  aggregate sum t1-5 (TOTAL)
  group by t1-7 (CREATED_AT) by month
  limit 200
column CREATED_AT "Created At: Month" type/DateTime t1-7
column sum "Sum of Total" type/Float
SELECT date_trunc('month', "t0"."CREATED_AT") AS "CREATED_AT", sum("t0"."TOTAL") AS "sum"
FROM "ORDERS" AS "t0"
WHERE "t0"."CREATED_AT" >= $1 AND "t0"."CREATED_AT" < $2
GROUP BY 1
HAVING count(*) FILTER (WHERE NOT coalesce("t0"."USER_ID" IN (SELECT "s1"."ID" FROM "PEOPLE" AS "s1" WHERE "s1"."STATE" = $3), FALSE)) NOT BETWEEN 1 AND 9
ORDER BY 1 ASC NULLS LAST
LIMIT $4
-- $1 = 2024-01-01T00:00:00Z (timestamp)
-- $2 = 2024-07-01T00:00:00Z (timestamp)
-- $3 = "TX"
-- $4 = 200 (int64)
-- guard, run first:
SELECT min("set") FROM (SELECT 0 AS "set"
FROM "ORDERS" AS "t0"
WHERE "t0"."CREATED_AT" >= $1 AND "t0"."CREATED_AT" < $2
GROUP BY "t0"."CREATED_AT" >= $3
HAVING count(*) FILTER (WHERE NOT coalesce("t0"."USER_ID" IN (SELECT "s1"."ID" FROM "PEOPLE" AS "s1" WHERE "s1"."STATE" = $4), FALSE)) BETWEEN 1 AND 9
UNION ALL
SELECT 1 AS "set"
FROM "ORDERS" AS "t0"
WHERE "t0"."CREATED_AT" >= $5 AND "t0"."CREATED_AT" < $6
GROUP BY "t0"."CREATED_AT" >= $7
HAVING count(*) FILTER (WHERE NOT coalesce("t0"."USER_ID" IN (SELECT "s2"."ID" FROM "PEOPLE" AS "s2" WHERE "s2"."STATE" = $4), FALSE)) BETWEEN 1 AND 9) AS "guard"
-- $1 = 2023-12-31T00:00:00Z (timestamp)
-- $2 = 2024-01-02T00:00:00Z (timestamp)
-- $3 = 2024-01-01T00:00:00Z (timestamp)
-- $4 = "TX"
-- $5 = 2024-06-30T00:00:00Z (timestamp)
-- $6 = 2024-07-02T00:00:00Z (timestamp)
-- $7 = 2024-07-01T00:00:00Z (timestamp)
