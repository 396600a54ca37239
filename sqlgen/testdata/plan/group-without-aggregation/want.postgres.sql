table 3 PRODUCTS
  group by t3-3 (CATEGORY)
  group by t3-4 (VENDOR)
  limit 200
column CATEGORY "Category" type/Text t3-3
column VENDOR "Vendor" type/Text t3-4
SELECT "t0"."CATEGORY" AS "CATEGORY", "t0"."VENDOR" AS "VENDOR"
FROM "PRODUCTS" AS "t0"
GROUP BY 1, 2
ORDER BY ("t0"."CATEGORY" COLLATE "C") ASC NULLS LAST, ("t0"."VENDOR" COLLATE "C") ASC NULLS LAST
LIMIT $1
-- $1 = 200 (int64)
