as ana@example.com: policies analysts
table 2 PEOPLE
  filter t2-7 (STATE) equals {attributes.states}
  aggregate count
  limit 200
column count "Count" type/BigInteger
SELECT count(*) AS "count"
FROM "PEOPLE" AS "t0"
WHERE FALSE
LIMIT $1
-- $1 = 200 (int64)
