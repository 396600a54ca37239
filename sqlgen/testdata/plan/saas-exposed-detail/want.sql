table 4 INVOICES
  filter t4-18 (SUBSCRIPTION.ACCOUNT.TIER) equals enterprise
  field t4-0 (ID)
  field t4-15 (SUBSCRIPTION.ACCOUNT.NAME)
  field t4-8 (SUBSCRIPTION.PLAN)
  limit 10
column ID "ID" type/BigInteger t4-0
column NAME "Subscription → Account → Name" type/Text t4-15
column PLAN "Subscription → Plan" type/Text t4-8
SELECT "t0"."ID" AS "ID", "t1_1"."NAME" AS "NAME", "t1"."PLAN" AS "PLAN"
FROM "INVOICES" AS "t0"
LEFT JOIN "SUBSCRIPTIONS" AS "t1" ON "t1"."ID" = "t0"."SUBSCRIPTION_ID"
LEFT JOIN "ACCOUNTS" AS "t1_1" ON "t1_1"."ID" = "t1"."ACCOUNT_ID"
WHERE "t1_1"."TIER" = $1
ORDER BY 1 ASC NULLS LAST
LIMIT $2
-- $1 = "enterprise"
-- $2 = 10 (int64)
