as kim@example.com: policies outreach
table 2 PEOPLE
  aggregate count
  group by t2-7 (STATE)
  limit 200
row filter PEOPLE: regexp_matches("…"."EMAIL", $1) AND NOT regexp_matches("…"."NAME", $2) AND regexp_matches("…"."CITY", $3)
column STATE "State" type/Text t2-7
column count "Count" type/BigInteger
SELECT "t0"."STATE" AS "STATE", count(*) AS "count"
FROM "PEOPLE" AS "t0"
WHERE regexp_matches("t0"."EMAIL", $1) AND NOT regexp_matches("t0"."NAME", $2) AND regexp_matches("t0"."CITY", $3)
GROUP BY 1
ORDER BY 1 ASC NULLS LAST
LIMIT $4
-- $1 = "^[a-z0-9.]+@(yahoo|gmail)\\.com$"
-- $2 = "(?i)^test\\b"
-- $3 = "^[A-M].{2,}$"
-- $4 = 200 (int64)
