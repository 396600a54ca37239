table 4 REVIEWS
  filter t4-4 (BODY) string-is-not-empty
  aggregate count
  limit 200
column count "Count" type/BigInteger
SELECT count(*) AS "count"
FROM "REVIEWS" AS "t0"
WHERE "t0"."BODY" IS NOT NULL AND "t0"."BODY" <> $1
LIMIT $2
-- $1 = ""
-- $2 = 200 (int64)
