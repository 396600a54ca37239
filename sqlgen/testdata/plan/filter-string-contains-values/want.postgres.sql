table 3 PRODUCTS
  filter t3-2 (TITLE) string-contains lamp clock
  aggregate count
  limit 200
column count "Count" type/BigInteger
SELECT count(*) AS "count"
FROM "PRODUCTS" AS "t0"
WHERE EXISTS (SELECT 1 FROM unnest(CAST($1 AS TEXT[])) AS "u1"("p") WHERE (strpos(lower("t0"."TITLE"), lower("u1"."p")) > 0))
LIMIT $2
-- $1 = ["lamp", "clock"] (list)
-- $2 = 200 (int64)
