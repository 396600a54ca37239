table 2 PEOPLE
  filter t2-2 (EMAIL) string-ends-with .example
  aggregate count
  limit 200
column count "Count" type/BigInteger
SELECT count(*) AS "count"
FROM "PEOPLE" AS "t0"
WHERE (right(lower("t0"."EMAIL"), length(lower($1))) = lower($1))
LIMIT $2
-- $1 = ".example"
-- $2 = 200 (int64)
