table 4 REVIEWS
  filter t4-4 (BODY) string-not-contains love
  aggregate count
  limit 200
column count "Count" type/BigInteger
SELECT count(*) AS "count"
FROM "REVIEWS" AS "t0"
WHERE NOT (strpos(lower("t0"."BODY"), lower($1)) > 0) OR "t0"."BODY" IS NULL
LIMIT $2
-- $1 = "love"
-- $2 = 200 (int64)
