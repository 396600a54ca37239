table 3 PRODUCTS
  filter t3-3 (CATEGORY) equals Gizmo
  aggregate count
  limit 200
column count "Count" type/BigInteger
SELECT count(*) AS "count"
FROM "PRODUCTS" AS "t0"
WHERE "t0"."CATEGORY" = $1
LIMIT $2
-- $1 = "Gizmo"
-- $2 = 200 (int64)
