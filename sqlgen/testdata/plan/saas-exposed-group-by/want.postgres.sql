table 5 EVENTS
  aggregate count
  aggregate count-distinct t5-1 (USER_ID)
  group by t5-14 (USER.ACCOUNT.REGION)
  group by t5-9 (USER.ROLE)
  limit 200
column REGION "User → Account → Region" type/Text t5-14
column ROLE "User → Role" type/Text t5-9
column count "Count" type/BigInteger
column count_2 "Distinct values of User ID" type/BigInteger
SELECT "t1_1"."REGION" AS "REGION", "t1"."ROLE" AS "ROLE", count(*) AS "count", count(DISTINCT "t0"."USER_ID") AS "count_2"
FROM "EVENTS" AS "t0"
LEFT JOIN "USERS" AS "t1" ON "t1"."ID" = "t0"."USER_ID"
LEFT JOIN "ACCOUNTS" AS "t1_1" ON "t1_1"."ID" = "t1"."ACCOUNT_ID"
GROUP BY 1, 2
ORDER BY ("t1_1"."REGION" COLLATE "C") ASC NULLS LAST, ("t1"."ROLE" COLLATE "C") ASC NULLS LAST
LIMIT $1
-- $1 = 200 (int64)
