table 3 PRODUCTS
  filter t3-2 (TITLE) string-starts-with case-sensitive Aero
  filter t3-4 (VENDOR) string-contains case-sensitive Inc LLC
  aggregate count
  limit 200
column count "Count" type/BigInteger
SELECT count(*) AS "count"
FROM "PRODUCTS" AS "t0"
WHERE starts_with("t0"."TITLE", $1) AND EXISTS (SELECT 1 FROM unnest(CAST($2 AS TEXT[])) AS "u1"("p") WHERE (strpos("t0"."VENDOR", "u1"."p") > 0))
LIMIT $3
-- $1 = "Aero"
-- $2 = ["Inc", "LLC"] (list)
-- $3 = 200 (int64)
