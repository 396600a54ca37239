as sam@example.com: policies sales
table 2 PEOPLE
  aggregate count
  limit 200
row filter PEOPLE: FALSE
column count "Count" type/BigInteger
SELECT count(*) AS "count"
FROM "PEOPLE" AS "t0"
WHERE FALSE
LIMIT $1
-- $1 = 200 (int64)
