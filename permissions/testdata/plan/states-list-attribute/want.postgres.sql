as lee@example.com: policies regional
table 2 PEOPLE
  aggregate count
  group by t2-7 (STATE)
  limit 200
row filter PEOPLE: "…"."STATE" = ANY(CAST($1 AS TEXT[]))
column STATE "State" type/Text t2-7
column count "Count" type/BigInteger
SELECT "t0"."STATE" AS "STATE", count(*) AS "count"
FROM "PEOPLE" AS "t0"
WHERE "t0"."STATE" = ANY(CAST($1 AS TEXT[]))
GROUP BY 1
ORDER BY ("t0"."STATE" COLLATE "C") ASC NULLS LAST
LIMIT $2
-- $1 = ["TX", "OK", "NM"] (list)
-- $2 = 200 (int64)
