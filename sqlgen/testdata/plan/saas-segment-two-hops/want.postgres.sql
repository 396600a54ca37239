table 4 INVOICES
  filter segment 6 "Invoices of enterprise accounts"
  aggregate sum t4-2 (AMOUNT)
  limit 200
column sum "Sum of Amount" type/Float
SELECT sum("t0"."AMOUNT") AS "sum"
FROM "INVOICES" AS "t0"
WHERE "t0"."SUBSCRIPTION_ID" IN (SELECT "s1"."ID" FROM "SUBSCRIPTIONS" AS "s1" WHERE "s1"."ACCOUNT_ID" IN (SELECT "s2"."ID" FROM "ACCOUNTS" AS "s2" WHERE "s2"."TIER" = $1))
LIMIT $2
-- $1 = "enterprise"
-- $2 = 200 (int64)
