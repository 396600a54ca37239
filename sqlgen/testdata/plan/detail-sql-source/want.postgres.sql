table 2 AIRPORTS
  limit 200
column ID "ID" type/BigInteger t2-0
column CODE "Code" type/Text t2-1
column CITY "City" type/Text t2-2
column HUB "Hub" type/Boolean t2-3
SELECT "t0"."ID" AS "ID", "t0"."CODE" AS "CODE", "t0"."CITY" AS "CITY", "t0"."HUB" AS "HUB"
FROM (SELECT * FROM airports_v2 WHERE active) AS "t0"
ORDER BY 1 ASC NULLS LAST
LIMIT $1
-- $1 = 200 (int64)
