table 3 PRODUCTS
  filter t3-2 (TITLE) string-contains lamp clock
  aggregate count
  limit 200
column count "Count" type/BigInteger
SELECT count(*) AS "count"
FROM "PRODUCTS" AS "t0"
WHERE contains(lower("t0"."TITLE"), lower($1)) OR contains(lower("t0"."TITLE"), lower($2))
LIMIT $3
-- $1 = "lamp"
-- $2 = "clock"
-- $3 = 200 (int64)
