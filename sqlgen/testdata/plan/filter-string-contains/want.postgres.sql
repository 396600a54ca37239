table 3 PRODUCTS
  filter t3-2 (TITLE) string-contains 50%_off\
  aggregate count
  limit 200
column count "Count" type/BigInteger
SELECT count(*) AS "count"
FROM "PRODUCTS" AS "t0"
WHERE (strpos(lower("t0"."TITLE"), lower($1)) > 0)
LIMIT $2
-- $1 = "50%_off\\"
-- $2 = 200 (int64)
