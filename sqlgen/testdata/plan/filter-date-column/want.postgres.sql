table 2 PEOPLE
  filter t2-9 (BIRTH_DATE) equals 1990-05-01T00:00:00/month
  aggregate count
  limit 200
column count "Count" type/BigInteger
SELECT count(*) AS "count"
FROM "PEOPLE" AS "t0"
WHERE "t0"."BIRTH_DATE" >= $1 AND "t0"."BIRTH_DATE" < $2
LIMIT $3
-- $1 = 1990-05-01T00:00:00Z (timestamp)
-- $2 = 1990-06-01T00:00:00Z (timestamp)
-- $3 = 200 (int64)
