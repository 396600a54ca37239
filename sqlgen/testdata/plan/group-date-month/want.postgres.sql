table 2 PEOPLE
  aggregate count
  group by t2-9 (BIRTH_DATE) by month
  limit 200
column BIRTH_DATE "Birth Date: Month" type/Date t2-9
column count "Count" type/BigInteger
SELECT CAST(date_trunc('month', CAST("t0"."BIRTH_DATE" AS TIMESTAMP)) AS DATE) AS "BIRTH_DATE", count(*) AS "count"
FROM "PEOPLE" AS "t0"
GROUP BY 1
ORDER BY 1 ASC NULLS LAST
LIMIT $1
-- $1 = 200 (int64)
