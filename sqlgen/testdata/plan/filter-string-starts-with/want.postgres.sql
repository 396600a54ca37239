table 2 PEOPLE
  filter t2-2 (EMAIL) string-starts-with BI
  aggregate count
  limit 200
column count "Count" type/BigInteger
SELECT count(*) AS "count"
FROM "PEOPLE" AS "t0"
WHERE starts_with(lower("t0"."EMAIL"), lower($1))
LIMIT $2
-- $1 = "BI"
-- $2 = 200 (int64)
