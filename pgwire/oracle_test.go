package pgwire_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/agentlayer/agentlayer/engine"
	"github.com/agentlayer/agentlayer/fixtures"
	"github.com/agentlayer/agentlayer/internal/testsupport/pgsample"
	"github.com/agentlayer/agentlayer/internal/testsupport/testkit"
)

// oracle are statements whose meaning hangs on SQL's NULLs and three
// valued logic (NOT, OR, <>, NOT IN, NOT LIKE, NOT BETWEEN), on join
// kinds and on the order of NULLs: each is valid PostgreSQL over the
// sample's tables as well as semantic SQL over the model.
var oracle = []string{
	`SELECT count(*) FROM "ORDERS" WHERE "DISCOUNT" <> 5`,
	`SELECT count(*) FROM "ORDERS" WHERE NOT ("DISCOUNT" > 5)`,
	`SELECT count(*) FROM "ORDERS" WHERE NOT ("DISCOUNT" > 5 OR "TOTAL" < 20)`,
	`SELECT count(*) FROM "ORDERS" WHERE NOT ("DISCOUNT" > 5 AND "TOTAL" < 50)`,
	`SELECT count(*) FROM "ORDERS" WHERE "DISCOUNT" NOT IN (1, 2, 3)`,
	`SELECT count(*) FROM "ORDERS" WHERE NOT ("DISCOUNT" IN (1, 2, 3))`,
	`SELECT count(*) FROM "ORDERS" WHERE "DISCOUNT" NOT BETWEEN 2 AND 6`,
	`SELECT count(*) FROM "ORDERS" WHERE NOT ("DISCOUNT" IS NULL) OR "TOTAL" > 140`,
	`SELECT count(*) FROM "ORDERS" o LEFT JOIN "PEOPLE" p ON o."USER_ID" = p."ID" WHERE p."STATE" = 'TX' OR p."SOURCE" = 'Google'`,
	`SELECT count(*) FROM "ORDERS" o LEFT JOIN "PEOPLE" p ON o."USER_ID" = p."ID" WHERE NOT (p."STATE" <> 'TX')`,
	`SELECT count(*) FROM "ORDERS" o JOIN "PRODUCTS" pr ON o."PRODUCT_ID" = pr."ID"`,
	`SELECT count(*) FROM "ORDERS" o LEFT JOIN "PRODUCTS" pr ON pr."ID" = o."PRODUCT_ID"`,
	`SELECT count(*) FROM "PRODUCTS" WHERE "TITLE" LIKE '%Steel%'`,
	`SELECT count(*) FROM "PRODUCTS" WHERE "TITLE" NOT LIKE 'Aero%'`,
	`SELECT count(*) FROM "PRODUCTS" WHERE "TITLE" ILIKE '%steel%' AND NOT ("TITLE" ILIKE 'heavy%')`,
	`SELECT count(*), count("DISCOUNT"), count(DISTINCT "PRODUCT_ID") FROM "ORDERS"`,
	`SELECT count(*) FILTER (WHERE "DISCOUNT" > 3 OR "QUANTITY" > 4) FROM "ORDERS"`,
	`SELECT "ID", "DISCOUNT" FROM "ORDERS" ORDER BY "DISCOUNT" DESC, "ID" LIMIT 5`,
	`SELECT "ID", "DISCOUNT" FROM "ORDERS" ORDER BY "DISCOUNT" ASC NULLS FIRST, "ID" LIMIT 5`,
	`SELECT "ID", "DISCOUNT" FROM "ORDERS" ORDER BY "DISCOUNT", "ID" DESC LIMIT 5 OFFSET 3`,
	`SELECT pr."CATEGORY", sum(o."TOTAL") FROM "ORDERS" o LEFT JOIN "PRODUCTS" pr ON o."PRODUCT_ID" = pr."ID" GROUP BY 1 ORDER BY 2 DESC`,
	`SELECT DISTINCT "SOURCE" FROM "PEOPLE" ORDER BY 1`,
	`SELECT "STATE", count(*) FROM "PEOPLE" WHERE "STATE" IN ('TX', 'CA', 'NY') GROUP BY "STATE" ORDER BY count(*) DESC, 1`,
	`SELECT "STATE", count(*) FROM "PEOPLE" GROUP BY 1 HAVING count(*) > 40 ORDER BY 1`,
	`SELECT count(*) FROM "ORDERS" WHERE "CREATED_AT" >= now() - interval '2 years'`,
	`SELECT count(*) FROM "ORDERS" WHERE "CREATED_AT" < current_date - interval '1 year' AND "CREATED_AT" >= current_date - 1000`,
	`SELECT count(*) FROM "ORDERS" WHERE NOT ("CREATED_AT" < current_timestamp - interval '18 months')`,
	`SELECT count(*) FROM "PEOPLE" WHERE "BIRTH_DATE" < current_date - interval '40 years'`,
	`SELECT count(*) FROM "ORDERS" WHERE extract(month FROM "CREATED_AT") IN (6, 7, 8) AND extract(year FROM "CREATED_AT") = 2024`,
	`SELECT count(*) FROM "ORDERS" WHERE extract(year FROM "CREATED_AT") >= 2025 AND date_part('hour', "CREATED_AT") < 9`,
	`SELECT count(*) FROM "ORDERS" WHERE extract(year FROM "CREATED_AT") NOT IN (2023, 2024)`,
	`SELECT count(*) FROM "PEOPLE" WHERE extract(quarter FROM "BIRTH_DATE") = 1 AND NOT (extract(day FROM "BIRTH_DATE") = 1)`,
	`SELECT "CATEGORY", count(*) FROM "PRODUCTS" GROUP BY 1 HAVING sum("PRICE") BETWEEN 100 AND 5000 AND 10 <= count(*) ORDER BY 1`,
	`SELECT "SOURCE", count(*) FROM "PEOPLE" GROUP BY 1 HAVING max("LATITUDE") IS NOT NULL AND avg("LONGITUDE") < -80 ORDER BY 2 DESC`,
}

// TestSemantics_postgresOracle: PostgreSQL itself is the oracle of what
// a statement means. Each statement runs over the wire as the admin
// (every row, no mask on these fields) and directly on the PostgreSQL
// database the engine reads: the answers must be the same.
func TestSemantics_postgresOracle(t *testing.T) {
	testkit.FullTier(t, "PostgreSQL")
	t.Parallel()
	url := pgsample.Sample(t)
	st := newStack(t, engine.Options{Database: url, ModelFile: fixtures.ModelFile, ModelYAML: fixtures.Model(),
		PolicyFile: fixtures.PolicyFile, PolicyYAML: fixtures.Policy()})
	c, _ := connectTo(t, st.addr, "admin@example.com")
	raw, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close(context.Background())
	for _, q := range oracle {
		got, err := sqlAnswer(c, q)
		if err != nil {
			t.Errorf("%s: %v", q, err)
			continue
		}
		want, err := sqlAnswer(raw, q)
		if err != nil {
			t.Fatalf("PostgreSQL: %s: %v", q, err)
		}
		if d := testkit.DiffRows(got, want); d != "" {
			t.Errorf("%s:\n%s", q, d)
		}
	}
}
