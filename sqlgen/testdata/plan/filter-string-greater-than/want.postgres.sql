table 2 PEOPLE
  filter t2-7 (STATE) greater-than NY
  aggregate count
  limit 200
column count "Count" type/BigInteger
SELECT count(*) AS "count"
FROM "PEOPLE" AS "t0"
WHERE ("t0"."STATE" COLLATE "C") > $1
LIMIT $2
-- $1 = "NY"
-- $2 = 200 (int64)
