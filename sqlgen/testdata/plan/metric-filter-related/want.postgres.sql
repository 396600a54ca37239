metric 2 "Orders" over ORDERS
  filter c2-16 (USER.STATE) equals TX
  aggregate count
  group by c2-17 (USER.SOURCE)
  limit 10000
column SOURCE "User → Source" type/Text c2-17
column count "Orders" type/BigInteger
SELECT "t1"."SOURCE" AS "SOURCE", count(*) AS "count"
FROM "ORDERS" AS "t0"
LEFT JOIN "PEOPLE" AS "t1" ON "t1"."ID" = "t0"."USER_ID"
WHERE "t1"."STATE" = $1
GROUP BY 1
ORDER BY ("t1"."SOURCE" COLLATE "C") ASC NULLS LAST
LIMIT $2
-- $1 = "TX"
-- $2 = 10000 (int64)
