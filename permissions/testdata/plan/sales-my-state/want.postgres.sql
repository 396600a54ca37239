as sam@example.com: policies sales
table 2 PEOPLE
  filter t2-7 (STATE) not-equals {attributes.state}
  aggregate count
  limit 200
row filter PEOPLE: "…"."STATE" = $1
column count "Count" type/BigInteger
SELECT count(*) AS "count"
FROM "PEOPLE" AS "t0"
WHERE "t0"."STATE" = $1 AND ("t0"."STATE" <> $1 OR "t0"."STATE" IS NULL)
LIMIT $2
-- $1 = "TX"
-- $2 = 200 (int64)
