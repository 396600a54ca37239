as kim@example.com: policies outreach
table 2 PEOPLE
  aggregate count
  group by t2-7 (STATE)
  limit 200
row filter PEOPLE: ("…"."EMAIL" COLLATE "C" ~ $1) AND NOT ("…"."NAME" COLLATE "C" ~ $2) AND ("…"."CITY" COLLATE "C" ~ $3)
column STATE "State" type/Text t2-7
column count "Count" type/BigInteger
SELECT "t0"."STATE" AS "STATE", count(*) AS "count"
FROM "PEOPLE" AS "t0"
WHERE ("t0"."EMAIL" COLLATE "C" ~ $1) AND NOT ("t0"."NAME" COLLATE "C" ~ $2) AND ("t0"."CITY" COLLATE "C" ~ $3)
GROUP BY 1
ORDER BY ("t0"."STATE" COLLATE "C") ASC NULLS LAST
LIMIT $4
-- $1 = "(?:^(?:[\\u002E0-9a-z])+\\u0040(?:(?:yahoo|gmail))\\u002Ecom$)"
-- $2 = "(?:^[Tt][Ee][Ss\\u017F][Tt]\\y)"
-- $3 = "(?:^[A-M](?:[^\\n]){2,}$)"
-- $4 = 200 (int64)
