as sue@example.com: policies support
table 2 PEOPLE
  field t2-0 (ID)
  field t2-6 (LONGITUDE)
  order by t2-6 (LONGITUDE) desc
  limit 5
column ID "ID" type/BigInteger t2-0
column LONGITUDE "Longitude" type/Float t2-6
SELECT "t0"."ID" AS "ID", NULL AS "LONGITUDE"
FROM "PEOPLE" AS "t0"
ORDER BY 1 ASC NULLS LAST
LIMIT $1
-- $1 = 5 (int64)
