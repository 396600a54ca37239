package engine_test

import (
	"context"
	"database/sql"
	"sync"
	"testing"

	"github.com/agentlayer/agentlayer/auth"
	"github.com/agentlayer/agentlayer/engine"
	"github.com/agentlayer/agentlayer/fixtures"
	"github.com/agentlayer/agentlayer/internal/testsupport/pgsample"
	"github.com/agentlayer/agentlayer/internal/testsupport/testkit"
	"github.com/agentlayer/agentlayer/sqlgen"
)

// sample is the sample dataset at scale 1, shared by the tests.
var sample = sync.OnceValues(func() (*engine.Engine, error) {
	return newEngine(context.Background(), engine.Options{
		ModelFile:  fixtures.ModelFile,
		ModelYAML:  fixtures.Model(),
		Setup:      fixtures.Setup(1),
		PolicyFile: fixtures.PolicyFile,
		PolicyYAML: fixtures.Policy(),
	})
})

func sampleEngine(t testing.TB) *engine.Engine {
	t.Helper()
	e, err := sample()
	if err != nil {
		t.Fatal(err)
	}
	return e
}

var admin = &auth.Principal{Email: "admin@example.com", Groups: []string{"admin"}}

func rawRows(t *testing.T, db *sql.DB, query string) [][]string {
	t.Helper()
	rows, err := testkit.Rows(db, query)
	if err != nil {
		t.Fatalf("hand-written SQL: %v\n%s", err, query)
	}
	return rows
}

func engineRows(t *testing.T, e *engine.Engine, p *auth.Principal, request string) ([]engine.Column, [][]string) {
	t.Helper()
	req, err := sqlgen.ParseRequest([]byte(request))
	if err != nil {
		t.Fatalf("request: %v", err)
	}
	rows, err := e.Query(context.Background(), p, req)
	if err != nil {
		t.Fatalf("query: %v", err)
	}
	defer rows.Close()
	var out [][]string
	for rows.Next() {
		out = append(out, testkit.CanonRow(rows.Row()))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return rows.Columns, out
}

// TestQuery_matchesHandWrittenSQL runs construct requests through the
// engine and compares their rows with SQL written by hand over the same
// data.
func TestQuery_matchesHandWrittenSQL(t *testing.T) {
	e := sampleEngine(t)
	// The oracle runs on DuckDB; PostgreSQL holds the same rows
	// (fixtures.TestLoadPostgres_sameRows) and must answer the same.
	t.Run("DuckDB", func(t *testing.T) { matchesOracle(t, e, e) })
	t.Run("PostgreSQL", func(t *testing.T) { matchesOracle(t, pgSampleEngine(t), e) })
}

// oracleCase is a request and the hand-written SQL whose rows it must
// answer with full access.
type oracleCase struct{ name, request, sql string }

// matchesOracle runs every oracle case on under, and its SQL on oracle,
// an engine over DuckDB holding the same rows.
func matchesOracle(t *testing.T, under, oracle *engine.Engine) {
	tests := oracleCases()
	if len(tests) < 40 {
		t.Fatalf("only %d cases", len(tests))
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, got := engineRows(t, under, admin, tt.request)
			want := rawRows(t, dbOf(t, oracle), tt.sql)
			if len(want) == 0 {
				t.Fatalf("the hand-written SQL returns no rows: a weak case")
			}
			if d := testkit.DiffRows(got, want); d != "" {
				t.Error(d)
			}
		})
	}
}

func oracleCases() []oracleCase {
	return []oracleCase{
		{"count", `{"table_id":1,"aggregations":[{"function":"count"}]}`,
			`SELECT count(*) FROM ORDERS`},
		{"share of orders with a discount, by year", `{"table_id":1,"aggregations":[{"function":"share","filter":{"field_id":"DISCOUNT","operation":"is-not-null"}}],"group_by":[{"field_id":"CREATED_AT","field_granularity":"year"}]}`,
			`SELECT date_trunc('year', CREATED_AT), avg(CASE WHEN DISCOUNT IS NOT NULL THEN 1.0 ELSE 0.0 END)::DOUBLE FROM ORDERS GROUP BY 1 ORDER BY 1`},
		{"sum", `{"table_id":1,"aggregations":[{"function":"sum","field_id":"t1-5"}]}`,
			`SELECT sum(TOTAL) FROM ORDERS`},
		{"revenue by month", `{"table_id":1,"aggregations":[{"function":"sum","field_id":"t1-5"}],"group_by":[{"field_id":"t1-7","field_granularity":"month"}]}`,
			`SELECT date_trunc('month', CREATED_AT), sum(TOTAL) FROM ORDERS GROUP BY 1 ORDER BY 1`},
		{"orders by category, a join", `{"table_id":1,"aggregations":[{"function":"count"}],"group_by":[{"field_id":"t1-25"}]}`,
			`SELECT p.CATEGORY, count(*) FROM ORDERS o LEFT JOIN PRODUCTS p ON p.ID = o.PRODUCT_ID GROUP BY 1 ORDER BY 1 NULLS LAST`},
		{"joined sum adds up to the total", `{"table_id":1,"aggregations":[{"function":"sum","field_id":"t1-5"}],"group_by":[{"field_id":"t1-25"}]}`,
			`SELECT p.CATEGORY, sum(o.TOTAL) FROM ORDERS o LEFT JOIN PRODUCTS p ON p.ID = o.PRODUCT_ID GROUP BY 1 ORDER BY 1 NULLS LAST`},
		{"average rating by category", `{"table_id":4,"aggregations":[{"function":"avg","field_id":"t4-3"}],"group_by":[{"field_id":"t4-9"}]}`,
			`SELECT p.CATEGORY, avg(r.RATING) FROM REVIEWS r LEFT JOIN PRODUCTS p ON p.ID = r.PRODUCT_ID GROUP BY 1 ORDER BY 1 NULLS LAST`},
		{"greater-than", `{"table_id":1,"filters":[{"field_id":"t1-5","operation":"greater-than","value":100}],"aggregations":[{"function":"count"}]}`,
			`SELECT count(*) FROM ORDERS WHERE TOTAL > 100`},
		{"less-than-or-equal on a decimal value", `{"table_id":1,"filters":[{"field_id":"t1-5","operation":"less-than-or-equal","value":20.5}],"aggregations":[{"function":"count"}]}`,
			`SELECT count(*) FROM ORDERS WHERE TOTAL <= 20.5`},
		{"segment", `{"table_id":1,"filters":[{"segment_id":1}],"aggregations":[{"function":"count"}]}`,
			`SELECT count(*) FROM ORDERS WHERE TOTAL > 100`},
		{"two segments", `{"table_id":1,"filters":[{"segment_id":1},{"segment_id":2}],"aggregations":[{"function":"sum","field_id":"t1-6"}]}`,
			`SELECT sum(DISCOUNT) FROM ORDERS WHERE TOTAL > 100 AND DISCOUNT > 0`},
		{"any of, on a joined field", `{"table_id":1,"filters":[{"field_id":"t1-16","operation":"equals","values":["TX","CA"]}],"aggregations":[{"function":"count"}]}`,
			`SELECT count(*) FROM ORDERS o LEFT JOIN PEOPLE p ON p.ID = o.USER_ID WHERE p.STATE IN ('TX', 'CA')`},
		{"none of keeps NULLs", `{"table_id":1,"filters":[{"field_id":"t1-16","operation":"not-equals","values":["TX","CA"]}],"aggregations":[{"function":"count"}]}`,
			`SELECT count(*) FROM ORDERS o LEFT JOIN PEOPLE p ON p.ID = o.USER_ID WHERE p.STATE NOT IN ('TX', 'CA') OR p.STATE IS NULL`},
		{"not-equals keeps NULLs", `{"table_id":1,"filters":[{"field_id":"t1-6","operation":"not-equals","value":5}],"aggregations":[{"function":"count"}]}`,
			`SELECT count(*) FROM ORDERS WHERE DISCOUNT <> 5 OR DISCOUNT IS NULL`},
		{"is-null", `{"table_id":1,"filters":[{"field_id":"t1-6","operation":"is-null"}],"aggregations":[{"function":"count"}]}`,
			`SELECT count(*) FROM ORDERS WHERE DISCOUNT IS NULL`},
		{"is-not-null", `{"table_id":1,"filters":[{"field_id":"t1-1","operation":"is-not-null"}],"aggregations":[{"function":"count"}]}`,
			`SELECT count(*) FROM ORDERS WHERE USER_ID IS NOT NULL`},
		{"string-contains, any case", `{"table_id":3,"filters":[{"field_id":"t3-2","operation":"string-contains","value":"WALLET"}],"aggregations":[{"function":"count"}]}`,
			`SELECT count(*) FROM PRODUCTS WHERE TITLE ILIKE '%wallet%'`},
		{"string-contains several", `{"table_id":3,"filters":[{"field_id":"t3-2","operation":"string-contains","values":["lamp","clock"]}],"fields":[{"field_id":"t3-0"},{"field_id":"t3-2"}]}`,
			`SELECT ID, TITLE FROM PRODUCTS WHERE TITLE ILIKE '%lamp%' OR TITLE ILIKE '%clock%' ORDER BY ID`},
		{"string-contains with % and _ literal", `{"table_id":4,"filters":[{"field_id":"t4-4","operation":"string-contains","value":"it_s"}],"aggregations":[{"function":"count"}]}`,
			`SELECT count(*) FROM REVIEWS WHERE strpos(lower(BODY), 'it_s') > 0`},
		{"string-starts-with", `{"table_id":2,"filters":[{"field_id":"t2-2","operation":"string-starts-with","value":"BI"}],"aggregations":[{"function":"count"}]}`,
			`SELECT count(*) FROM PEOPLE WHERE lower(EMAIL) LIKE 'bi%'`},
		{"string-ends-with", `{"table_id":2,"filters":[{"field_id":"t2-2","operation":"string-ends-with","value":"@SHOP.example"}],"aggregations":[{"function":"count"}]}`,
			`SELECT count(*) FROM PEOPLE WHERE lower(EMAIL) LIKE '%@shop.example'`},
		{"string-not-contains keeps NULLs", `{"table_id":4,"filters":[{"field_id":"t4-4","operation":"string-not-contains","value":"love"}],"aggregations":[{"function":"count"}]}`,
			`SELECT count(*) FROM REVIEWS WHERE BODY NOT ILIKE '%love%' OR BODY IS NULL`},
		{"string-is-empty", `{"table_id":4,"filters":[{"field_id":"t4-4","operation":"string-is-empty"}],"aggregations":[{"function":"count"}]}`,
			`SELECT count(*) FROM REVIEWS WHERE BODY IS NULL OR BODY = ''`},
		{"after a day", `{"table_id":1,"filters":[{"field_id":"t1-7","operation":"greater-than","value":"2024-06-01"}],"aggregations":[{"function":"count"}]}`,
			`SELECT count(*) FROM ORDERS WHERE CREATED_AT >= TIMESTAMP '2024-06-02'`},
		{"in a month", `{"table_id":1,"filters":[{"field_id":"t1-7","operation":"equals","value":"2024-03"}],"aggregations":[{"function":"count"}]}`,
			`SELECT count(*) FROM ORDERS WHERE year(CREATED_AT) = 2024 AND month(CREATED_AT) = 3`},
		{"before a year", `{"table_id":1,"filters":[{"field_id":"t1-7","operation":"less-than","value":2023}],"aggregations":[{"function":"count"}]}`,
			`SELECT count(*) FROM ORDERS WHERE CREATED_AT < TIMESTAMP '2023-01-01'`},
		{"at or before a minute", `{"table_id":1,"filters":[{"field_id":"t1-7","operation":"less-than-or-equal","value":"2022-03-01T10:30"}],"aggregations":[{"function":"count"}]}`,
			`SELECT count(*) FROM ORDERS WHERE CREATED_AT < TIMESTAMP '2022-03-01 10:31:00'`},
		{"year-equals", `{"table_id":1,"filters":[{"field_id":"t1-7","operation":"year-equals","value":2024}],"aggregations":[{"function":"count"}]}`,
			`SELECT count(*) FROM ORDERS WHERE year(CREATED_AT) = 2024`},
		{"quarter-equals by month", `{"table_id":1,"filters":[{"field_id":"t1-7","operation":"quarter-equals","value":2}],"aggregations":[{"function":"count"}],"group_by":[{"field_id":"t1-7","field_granularity":"month"}]}`,
			`SELECT date_trunc('month', CREATED_AT), count(*) FROM ORDERS WHERE quarter(CREATED_AT) = 2 GROUP BY 1 ORDER BY 1`},
		{"day-of-week-equals, ISO Monday", `{"table_id":1,"filters":[{"field_id":"t1-7","operation":"day-of-week-equals","value":1}],"aggregations":[{"function":"count"}]}`,
			`SELECT count(*) FROM ORDERS WHERE dayname(CREATED_AT) = 'Monday'`},
		{"hour-equals", `{"table_id":1,"filters":[{"field_id":"t1-7","operation":"hour-equals","values":[9,17]}],"aggregations":[{"function":"count"}]}`,
			`SELECT count(*) FROM ORDERS WHERE hour(CREATED_AT) IN (9, 17)`},
		{"month-not-equals", `{"table_id":1,"filters":[{"field_id":"t1-7","operation":"month-not-equals","values":[1,2]}],"aggregations":[{"function":"count"}]}`,
			`SELECT count(*) FROM ORDERS WHERE month(CREATED_AT) NOT IN (1, 2)`},
		{"a week, starting Sunday", `{"table_id":1,"filters":[{"field_id":"t1-7","operation":"equals","value":"2024-03-13","bucket":"week"}],"aggregations":[{"function":"count"}]}`,
			`SELECT count(*) FROM ORDERS WHERE CREATED_AT >= TIMESTAMP '2024-03-10' AND CREATED_AT < TIMESTAMP '2024-03-17'`},
		{"weekend by extraction", `{"table_id":1,"filters":[{"field_id":"t1-7","operation":"equals","values":[6,7],"bucket":"day-of-week"}],"aggregations":[{"function":"count"}]}`,
			`SELECT count(*) FROM ORDERS WHERE dayofweek(CREATED_AT) IN (0, 6)`},
		{"by day of week", `{"table_id":1,"aggregations":[{"function":"count"}],"group_by":[{"field_id":"t1-7","field_granularity":"day-of-week"}]}`,
			`SELECT isodow(CREATED_AT), count(*) FROM ORDERS GROUP BY 1 ORDER BY 1`},
		{"by week starting Sunday", `{"table_id":1,"aggregations":[{"function":"count"}],"group_by":[{"field_id":"t1-7","field_granularity":"week"}],"limit":1000}`,
			`SELECT CREATED_AT::DATE - CAST(dayofweek(CREATED_AT) AS INTEGER) AS w, count(*) FROM ORDERS GROUP BY 1 ORDER BY 1`},
		{"by quarter", `{"table_id":1,"aggregations":[{"function":"count"}],"group_by":[{"field_id":"t1-7","field_granularity":"quarter"}]}`,
			`SELECT make_date(year(CREATED_AT), (quarter(CREATED_AT) - 1) * 3 + 1, 1), count(*) FROM ORDERS GROUP BY 1 ORDER BY 1`},
		{"by year and category", `{"table_id":1,"aggregations":[{"function":"sum","field_id":"t1-3"}],"group_by":[{"field_id":"t1-7","field_granularity":"year"},{"field_id":"t1-25"}]}`,
			`SELECT make_date(year(o.CREATED_AT), 1, 1), p.CATEGORY, sum(o.SUBTOTAL) FROM ORDERS o LEFT JOIN PRODUCTS p ON p.ID = o.PRODUCT_ID GROUP BY 1, 2 ORDER BY 1, 2 NULLS LAST`},
		{"by hour, a date field bucketed by day", `{"table_id":2,"aggregations":[{"function":"count"}],"group_by":[{"field_id":"t2-9","field_granularity":"year"}],"filters":[{"field_id":"t2-9","operation":"greater-than-or-equal","value":"2000-01-01"}]}`,
			`SELECT make_date(year(BIRTH_DATE), 1, 1), count(*) FROM PEOPLE WHERE BIRTH_DATE >= DATE '2000-01-01' GROUP BY 1 ORDER BY 1`},
		{"count-distinct", `{"table_id":1,"aggregations":[{"function":"count-distinct","field_id":"t1-1"}]}`,
			`SELECT count(DISTINCT USER_ID) FROM ORDERS`},
		{"min and max", `{"table_id":1,"aggregations":[{"function":"min","field_id":"t1-7"},{"function":"max","field_id":"t1-7"},{"function":"max","field_id":"t1-8"}]}`,
			`SELECT min(CREATED_AT), max(CREATED_AT), max(QUANTITY) FROM ORDERS`},
		{"detail fields, ordered", `{"table_id":1,"fields":[{"field_id":"t1-0"},{"field_id":"t1-5"},{"field_id":"t1-16"}],"order_by":[{"field":{"field_id":"t1-5"},"direction":"desc"}],"limit":5}`,
			`SELECT o.ID, o.TOTAL, p.STATE FROM ORDERS o LEFT JOIN PEOPLE p ON p.ID = o.USER_ID ORDER BY o.TOTAL DESC, o.ID LIMIT 5`},
		{"detail, default fields", `{"table_id":3,"limit":3}`,
			`SELECT * FROM PRODUCTS ORDER BY ID LIMIT 3`},
		{"default limit is 200", `{"table_id":2,"fields":[{"field_id":"t2-0"}]}`,
			`SELECT ID FROM PEOPLE ORDER BY ID LIMIT 200`},
		{"ordered by a related field", `{"table_id":4,"fields":[{"field_id":"t4-0"},{"field_id":"t4-9"}],"order_by":[{"field":{"field_id":"t4-9"}},{"field":{"field_id":"t4-0"},"direction":"desc"}],"limit":20}`,
			`SELECT r.ID, p.CATEGORY FROM REVIEWS r LEFT JOIN PRODUCTS p ON p.ID = r.PRODUCT_ID ORDER BY p.CATEGORY NULLS LAST, r.ID DESC LIMIT 20`},
		{"measure", `{"table_id":1,"aggregations":[{"measure_id":1}],"group_by":[{"field_id":"t1-25"}]}`,
			`SELECT p.CATEGORY, sum(o.TOTAL) FROM ORDERS o LEFT JOIN PRODUCTS p ON p.ID = o.PRODUCT_ID GROUP BY 1 ORDER BY 1 NULLS LAST`},
		{"filtered measure beside count", `{"table_id":1,"aggregations":[{"measure_id":2},{"function":"count"}],"group_by":[{"field_id":"t1-7","field_granularity":"year"}]}`,
			`SELECT date_trunc('year', CREATED_AT), sum(DISCOUNT), count(*) FROM ORDERS GROUP BY 1 ORDER BY 1`},
		{"metric, one total row", `{"metric_id":1}`,
			`SELECT sum(TOTAL) FROM ORDERS`},
		{"metric by year", `{"metric_id":1,"group_by":[{"field_id":"c1-7","field_granularity":"year"}]}`,
			`SELECT date_trunc('year', CREATED_AT), sum(TOTAL) FROM ORDERS GROUP BY 1 ORDER BY 1`},
		{"metric by a related field", `{"metric_id":2,"group_by":[{"field_id":"c2-17"}]}`,
			`SELECT p.SOURCE, count(*) FROM ORDERS o LEFT JOIN PEOPLE p ON p.ID = o.USER_ID GROUP BY 1 ORDER BY 1 NULLS LAST`},
		{"metric with a filter", `{"metric_id":3,"filters":[{"field_id":"c3-9","operation":"equals","value":"Gizmo"}]}`,
			`SELECT avg(r.RATING) FROM REVIEWS r JOIN PRODUCTS p ON p.ID = r.PRODUCT_ID WHERE p.CATEGORY = 'Gizmo'`},
		{"metric by a measure", `{"metric_id":4,"group_by":[{"field_id":"c4-7","field_granularity":"year"}]}`,
			`SELECT date_trunc('year', CREATED_AT), sum(DISCOUNT) FROM ORDERS GROUP BY 1 ORDER BY 1`},
		{"top vendors by revenue", `{"table_id":1,"aggregations":[{"function":"sum","field_id":"t1-5","sort_order":"desc"}],"group_by":[{"field_id":"t1-26"}],"limit":3}`,
			`SELECT p.VENDOR, sum(o.TOTAL) AS s FROM ORDERS o LEFT JOIN PRODUCTS p ON p.ID = o.PRODUCT_ID GROUP BY 1 ORDER BY s DESC, 1 LIMIT 3`},
		{"group by alone is distinct", `{"table_id":3,"group_by":[{"field_id":"t3-3"}]}`,
			`SELECT DISTINCT CATEGORY FROM PRODUCTS ORDER BY 1`},
		{"ratings any of", `{"table_id":4,"filters":[{"field_id":"t4-3","operation":"equals","values":[1,2]}],"aggregations":[{"function":"count"}],"group_by":[{"field_id":"t4-3"}]}`,
			`SELECT RATING, count(*) FROM REVIEWS WHERE RATING IN (1, 2) GROUP BY 1 ORDER BY 1`},
		{"order_by a group, descending", `{"table_id":1,"aggregations":[{"function":"count"}],"group_by":[{"field_id":"t1-8"}],"order_by":[{"field":{"field_id":"t1-8"},"direction":"desc"}],"limit":4}`,
			`SELECT QUANTITY, count(*) FROM ORDERS GROUP BY 1 ORDER BY 1 DESC LIMIT 4`},
		{"average with and without a discount, one query", `{"table_id":1,"aggregations":[{"function":"avg","field_id":"TOTAL","filter":{"field_id":"DISCOUNT","operation":"is-not-null"}},{"function":"avg","field_id":"TOTAL","filter":{"field_id":"DISCOUNT","operation":"is-null"}}]}`,
			`SELECT round(avg(TOTAL) FILTER (WHERE DISCOUNT IS NOT NULL), 2), round(avg(TOTAL) FILTER (WHERE DISCOUNT IS NULL), 2) FROM ORDERS`},
		{"Texans' orders per category beside all orders", `{"table_id":1,"aggregations":[{"function":"count","filter":{"field_id":"USER.STATE","operation":"equals","value":"TX"}},{"function":"count"}],"group_by":[{"field_id":"PRODUCT.CATEGORY"}]}`,
			`SELECT p.CATEGORY, count(*) FILTER (WHERE u.STATE = 'TX'), count(*) FROM ORDERS o LEFT JOIN PEOPLE u ON u.ID = o.USER_ID LEFT JOIN PRODUCTS p ON p.ID = o.PRODUCT_ID GROUP BY 1 ORDER BY 1 NULLS LAST`},
		{"orders of Texans in 2025, by day", `{"table_id":1,"filters":[{"field_id":"t1-16","operation":"equals","value":"TX"},{"field_id":"t1-7","operation":"equals","value":"2025"}],"aggregations":[{"function":"count"}],"group_by":[{"field_id":"t1-7","field_granularity":"day"}],"limit":10}`,
			`SELECT date_trunc('day', o.CREATED_AT), count(*) FROM ORDERS o JOIN PEOPLE p ON p.ID = o.USER_ID WHERE p.STATE = 'TX' AND year(o.CREATED_AT) = 2025 GROUP BY 1 ORDER BY 1 LIMIT 10`},
	}
}

// pgSample is the sample at scale 1 on PostgreSQL, shared by the tests.
var pgSample struct {
	once sync.Once
	e    *engine.Engine
	err  error
}

func pgSampleEngine(t *testing.T) *engine.Engine {
	t.Helper()
	url := pgsample.Sample(t)
	pgSample.once.Do(func() {
		pgSample.e, pgSample.err = engine.New(context.Background(), engine.Options{
			ModelFile: fixtures.ModelFile, ModelYAML: fixtures.Model(),
			PolicyFile: fixtures.PolicyFile, PolicyYAML: fixtures.Policy(),
			Database: url,
		})
	})
	if pgSample.err != nil {
		t.Fatal(pgSample.err)
	}
	return pgSample.e
}

// TestModelFilters_relatedUnderGrants: a segment or measure whose filter
// reads a related table works under a grant, and keeps to the related rows
// the user may see.
func TestModelFilters_relatedUnderGrants(t *testing.T) {
	e := sampleEngine(t)
	opts := sampleOptions()
	opts.PolicyYAML = []byte(`version: 1
policies:
  - name: everyone
    tables:
      ORDERS: "*"
      PRODUCTS: "*"
      PEOPLE:
        rows: row.STATE == user.attributes.state
`)
	texan, err := newEngine(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer texan.Close()
	tx := &auth.Principal{Email: "t@example.com", Attributes: map[string]any{"state": "TX"}}
	const (
		organic   = `{"table_id":1,"filters":[{"segment_id":5}],"aggregations":[{"function":"count"}]}`
		widgets   = `{"table_id":1,"aggregations":[{"measure_id":3}]}`
		widgetSQL = `SELECT sum(o.TOTAL) FILTER (WHERE p.CATEGORY = 'Widget') FROM ORDERS o LEFT JOIN PRODUCTS p ON p.ID = o.PRODUCT_ID`
	)
	for _, tt := range []struct {
		name    string
		e       *engine.Engine
		p       *auth.Principal
		request string
		sql     string
	}{
		{"admin, segment", e, admin, organic,
			`SELECT count(*) FROM ORDERS o JOIN PEOPLE u ON u.ID = o.USER_ID WHERE u.SOURCE = 'Organic'`},
		{"analyst, segment", e, &auth.Principal{Email: "a@example.com", Groups: []string{"analyst"}}, organic,
			`SELECT count(*) FROM ORDERS o JOIN PEOPLE u ON u.ID = o.USER_ID WHERE u.SOURCE = 'Organic'`},
		{"sales, segment", e, &auth.Principal{Email: "s@example.com", Groups: []string{"sales"}, Attributes: map[string]any{"state": "TX"}}, organic,
			`SELECT count(*) FROM ORDERS o JOIN PEOPLE u ON u.ID = o.USER_ID WHERE u.SOURCE = 'Organic' AND u.STATE = 'TX'`},
		{"people rows apply inside the semi-join", texan, tx, organic,
			`SELECT count(*) FROM ORDERS o JOIN PEOPLE u ON u.ID = o.USER_ID WHERE u.SOURCE = 'Organic' AND u.STATE = 'TX'`},
		{"admin, measure", e, admin, widgets, widgetSQL},
		{"sales, measure", e, &auth.Principal{Email: "s@example.com", Groups: []string{"sales"}, Attributes: map[string]any{"state": "TX"}}, widgets,
			`SELECT sum(o.TOTAL) FILTER (WHERE p.CATEGORY = 'Widget') FROM ORDERS o LEFT JOIN PRODUCTS p ON p.ID = o.PRODUCT_ID JOIN PEOPLE u ON u.ID = o.USER_ID WHERE u.STATE = 'TX'`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, got := engineRows(t, tt.e, tt.p, tt.request)
			want := rawRows(t, dbOf(t, tt.e), tt.sql)
			if d := testkit.DiffRows(got, want); d != "" {
				t.Error(d)
			}
		})
	}
}

// TestFieldValues_counts checks field values' counts, by frequency, and
// their truncation against hand-written SQL on both engines.
func TestFieldValues_counts(t *testing.T) {
	duck := sampleEngine(t)
	want := rawRows(t, dbOf(t, duck), `SELECT CATEGORY, count(*) FROM PRODUCTS GROUP BY 1 ORDER BY 2 DESC, 1`)
	for name, e := range map[string]*engine.Engine{"DuckDB": duck, "PostgreSQL": pgSampleEngine(t)} {
		t.Run(name, func(t *testing.T) {
			for _, limit := range []int{2, len(want), len(want) + 1} {
				fv, err := e.FieldValues(context.Background(), admin, engine.FieldRef{TableID: 3, FieldID: "t3-3"}, limit)
				if err != nil {
					t.Fatal(err)
				}
				var got [][]string
				for _, c := range fv.Counts {
					got = append(got, testkit.CanonRow([]any{c.Value, c.Count}))
				}
				n := min(limit, len(want))
				if d := testkit.DiffRows(got, want[:n]); d != "" {
					t.Errorf("limit %d: %s", limit, d)
				}
				if fv.Truncated != (limit < len(want)) {
					t.Errorf("limit %d of %d values: truncated %v", limit, len(want), fv.Truncated)
				}
				if len(fv.Values) != n || fv.Statistics.DistinctCount != int64(len(want)) {
					t.Errorf("limit %d: %d values, %d distinct", limit, len(fv.Values), fv.Statistics.DistinctCount)
				}
			}
		})
	}
}
