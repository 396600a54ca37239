table 2 PEOPLE
  filter t2-9 (BIRTH_DATE) next 1 quarter complete, from now
  aggregate count
  limit 200
column count "Count" type/BigInteger
SELECT count(*) AS "count"
FROM "PEOPLE" AS "t0"
WHERE "t0"."BIRTH_DATE" >= $1 AND "t0"."BIRTH_DATE" < $2
LIMIT $3
-- $1 = 2025-10-01T00:00:00Z (timestamp)
-- $2 = 2026-01-01T00:00:00Z (timestamp)
-- $3 = 200 (int64)
