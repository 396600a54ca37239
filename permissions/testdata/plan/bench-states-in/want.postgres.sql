as ben@example.com: policies benchmarking
table 1 ORDERS
  filter t1-16 (USER.STATE) equals CA WY
  filter t1-8 (QUANTITY) greater-than 3
  aggregate count
  limit 200
column count "Count" type/BigInteger
SELECT count(*) AS "count"
FROM "ORDERS" AS "t0"
LEFT JOIN "PEOPLE" AS "t1" ON "t1"."ID" = "t0"."USER_ID"
WHERE "t0"."QUANTITY" > $1 AND "t1"."STATE" = ANY(CAST($2 AS TEXT[]))
HAVING count(*) >= 10 AND count(DISTINCT "t1"."ID") >= 10
LIMIT $3
-- $1 = 3 (int64)
-- $2 = ["CA", "WY"] (list)
-- $3 = 200 (int64)
-- guard, run first:
SELECT min("set") FROM (SELECT 0 AS "set"
FROM "ORDERS" AS "t0"
LEFT JOIN "PEOPLE" AS "t1" ON "t1"."ID" = "t0"."USER_ID"
WHERE "t1"."STATE" = ANY(CAST($1 AS TEXT[])) AND "t0"."QUANTITY" >= $2 AND "t0"."QUANTITY" <= $3
GROUP BY "t0"."QUANTITY"
HAVING count(*) > 0 AND (count(*) < 10 OR count(DISTINCT "t1"."ID") < 10)
UNION ALL
SELECT 1 AS "set"
FROM "ORDERS" AS "t0"
LEFT JOIN "PEOPLE" AS "t1" ON "t1"."ID" = "t0"."USER_ID"
WHERE "t0"."QUANTITY" > $4 AND "t1"."STATE" = ANY(CAST($5 AS TEXT[]))
GROUP BY "t1"."STATE"
HAVING count(*) > 0 AND (count(*) < 10 OR count(DISTINCT "t1"."ID") < 10)) AS "guard"
-- $1 = ["CA", "WY"] (list)
-- $2 = 2 (int64)
-- $3 = 4 (int64)
-- $4 = 3 (int64)
-- $5 = ["CA", "WY"] (list)
