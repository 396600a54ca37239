as sam@example.com: policies sales
table 2 PEOPLE
  limit 5
row filter PEOPLE: "…"."STATE" = $1
column ID "ID" type/BigInteger t2-0
column ADDRESS "Address" type/Text t2-1
column NAME "Name" type/Text t2-4
column CITY "City" type/Text t2-5
column LONGITUDE "Longitude" type/Float t2-6
column STATE "State" type/Text t2-7
column SOURCE "Source" type/Text t2-8
column BIRTH_DATE "Birth Date" type/Date t2-9
column ZIP "Zip" type/Text t2-10
column LATITUDE "Latitude" type/Float t2-11
column CREATED_AT "Created At" type/DateTime t2-12
SELECT "t0"."ID" AS "ID", "t0"."ADDRESS" AS "ADDRESS", "t0"."NAME" AS "NAME", "t0"."CITY" AS "CITY", "t0"."LONGITUDE" AS "LONGITUDE", "t0"."STATE" AS "STATE", "t0"."SOURCE" AS "SOURCE", "t0"."BIRTH_DATE" AS "BIRTH_DATE", "t0"."ZIP" AS "ZIP", "t0"."LATITUDE" AS "LATITUDE", "t0"."CREATED_AT" AS "CREATED_AT"
FROM "PEOPLE" AS "t0"
WHERE "t0"."STATE" = $1
ORDER BY 1 ASC NULLS LAST
LIMIT $2
-- $1 = "TX"
-- $2 = 5 (int64)
