package agentapi

import (
	"context"
	"database/sql"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/agentlayer/agentlayer/engine"
	"github.com/agentlayer/agentlayer/fixtures"
	"github.com/agentlayer/agentlayer/internal/testsupport/pgsample"
	"github.com/agentlayer/agentlayer/internal/testsupport/testkit"
)

// pinnedNow is the clock of the servers the agent questions run on: the
// sample's orders run from 2022 to 2025, so "the last full year" is 2024
// and "the last 6 months" June to November 2025.
var pinnedNow = time.Date(2025, 12, 10, 9, 30, 0, 0, time.UTC)

// pinnedServer serves the sample with the clock pinned, on DuckDB or (with
// a URL) on PostgreSQL; db is DuckDB's, where hand-written SQL runs.
func pinnedServer(t *testing.T, url string) *e2e {
	t.Helper()
	var db *sql.DB
	opts := sampleOptions()
	opts.Now = func() time.Time { return pinnedNow }
	if url == "" {
		opts.Setup = func(ctx context.Context, d *sql.DB) error { db = d; return fixtures.Generate(ctx, d, 1) }
	} else {
		opts.Database = url
		db = server(t).db
	}
	e, err := engine.New(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	h, err := sampleHandler(e)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &e2e{srv: srv, e: e, db: db}
}

// eachPinned runs f on DuckDB and on PostgreSQL, the clock pinned.
func eachPinned(t *testing.T, f func(t *testing.T, s *e2e)) {
	t.Run("DuckDB", func(t *testing.T) { f(t, pinnedServer(t, "")) })
	t.Run("PostgreSQL", func(t *testing.T) { f(t, pinnedServer(t, pgsample.Sample(t))) })
}

type answer struct {
	Status string `json:"status"`
	Error  string `json:"error"`
	Data   struct {
		Cols []struct {
			Name, DisplayName string
			FieldID           string `json:"field_id"`
		}
		Rows [][]any
	}
	ContinuationToken *string              `json:"continuation_token"`
	HasMore           *bool                `json:"has_more"`
	Restrictions      []engine.Restriction `json:"restrictions"`
}

func ask(t *testing.T, s *e2e, p persona, body string) answer {
	t.Helper()
	got := call(t, "POST", s.srv.URL+"/api/agent/v1/query", p.header(t), body)
	var a answer
	if err := json.Unmarshal([]byte(got.body), &a); err != nil || got.status != 202 || a.Status != "completed" {
		t.Fatalf("%s\n%d %.400s", body, got.status, got.body)
	}
	return a
}

func canonRows(rows [][]any) [][]string {
	var out [][]string
	for _, r := range rows {
		out = append(out, testkit.CanonRow(r))
	}
	return out
}

// TestAgentQuestions asks the eight questions an agent was given, each in
// one request written from the compact schema alone (names, no ids), with
// the clock pinned, and checks each answer against SQL written by hand.
func TestAgentQuestions(t *testing.T) {
	analyst := personaNamed("analyst")
	questions := []struct {
		question, request, sql string
		names                  []string // what the request names, each in the compact schema
	}{
		{"total revenue in 2024",
			`{"metric_id":1,"filters":[{"field_id":"CREATED_AT","operation":"year-equals","value":"2024"}]}`,
			`SELECT round(sum(TOTAL), 2) FROM ORDERS WHERE year(CREATED_AT) = 2024`,
			[]string{"metric 1 Revenue", "CREATED_AT"}},
		{"the category with most orders in the last full year",
			`{"metric_id":2,"aggregations":[{"sort_order":"desc"}],"group_by":[{"field_id":"PRODUCT.CATEGORY"}],
			  "filters":[{"field_id":"CREATED_AT","operation":"last","value":1,"unit":"year","complete":true}],"limit":1,"page_size":1}`,
			`SELECT p.CATEGORY, count(*) FROM ORDERS o LEFT JOIN PRODUCTS p ON p.ID = o.PRODUCT_ID
			 WHERE o.CREATED_AT >= '2024-01-01' AND o.CREATED_AT < '2025-01-01' GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1`,
			[]string{"metric 2 Orders", "PRODUCT.CATEGORY", "CREATED_AT"}},
		{"top 5 states by customers",
			`{"table_id":2,"aggregations":[{"function":"count","sort_order":"desc"}],"group_by":[{"field_id":"STATE"}],"limit":5,"page_size":5}`,
			`SELECT STATE, count(*) FROM PEOPLE GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 5`,
			[]string{"table 2 PEOPLE", "STATE"}},
		{"average order with vs without discount",
			`{"table_id":1,"aggregations":[{"function":"avg","field_id":"TOTAL","filter":{"field_id":"DISCOUNT","operation":"is-not-null"}},
			                               {"function":"avg","field_id":"TOTAL","filter":{"field_id":"DISCOUNT","operation":"is-null"}}]}`,
			`SELECT round(avg(TOTAL) FILTER (WHERE DISCOUNT IS NOT NULL), 2), round(avg(TOTAL) FILTER (WHERE DISCOUNT IS NULL), 2) FROM ORDERS`,
			[]string{"table 1 ORDERS", "TOTAL", "DISCOUNT"}},
		{"orders per month in the last 6 months",
			`{"metric_id":2,"group_by":[{"field_id":"CREATED_AT","field_granularity":"month"}],
			  "filters":[{"field_id":"CREATED_AT","operation":"last","value":6,"unit":"month","complete":true}]}`,
			`SELECT date_trunc('month', CREATED_AT), count(*) FROM ORDERS
			 WHERE CREATED_AT >= '2025-06-01' AND CREATED_AT < '2025-12-01' GROUP BY 1 ORDER BY 1`,
			[]string{"metric 2 Orders", "CREATED_AT"}},
		{"average rating per category",
			`{"metric_id":3,"group_by":[{"field_id":"PRODUCT.CATEGORY"}]}`,
			`SELECT p.CATEGORY, avg(r.RATING) FROM REVIEWS r LEFT JOIN PRODUCTS p ON p.ID = r.PRODUCT_ID GROUP BY 1 ORDER BY 1 NULLS LAST`,
			[]string{"metric 3 Average rating", "PRODUCT.CATEGORY"}},
		{"top 3 products by revenue",
			`{"metric_id":1,"aggregations":[{"sort_order":"desc"}],"group_by":[{"field_id":"PRODUCT.TITLE"}],"limit":3,"page_size":3}`,
			`SELECT p.TITLE, round(sum(o.TOTAL), 2) FROM ORDERS o LEFT JOIN PRODUCTS p ON p.ID = o.PRODUCT_ID GROUP BY 1 ORDER BY sum(o.TOTAL) DESC, 1 LIMIT 3`,
			[]string{"metric 1 Revenue", "PRODUCT.TITLE"}},
		{"customers per acquisition source",
			`{"table_id":2,"aggregations":[{"function":"count"}],"group_by":[{"field_id":"SOURCE"}]}`,
			`SELECT SOURCE, count(*) FROM PEOPLE GROUP BY 1 ORDER BY 1 NULLS LAST`,
			[]string{"table 2 PEOPLE", "SOURCE"}},
	}
	eachPinned(t, func(t *testing.T, s *e2e) {
		schema := call(t, "GET", s.srv.URL+"/api/agent/v1/schema?format=compact", analyst.header(t), "")
		if schema.status != 200 {
			t.Fatalf("schema: %d %s", schema.status, schema.body)
		}
		for _, q := range questions {
			t.Run(q.question, func(t *testing.T) {
				for _, name := range q.names {
					if !strings.Contains(schema.body, name) {
						t.Errorf("the compact schema does not say %q", name)
					}
				}
				if strings.Contains(q.request, `"t1-`) || strings.Contains(q.request, `"c1-`) {
					t.Errorf("the request uses an id")
				}
				a := ask(t, s, analyst, q.request)
				want := handRows(t, s.db, q.sql)
				if len(want) == 0 {
					t.Fatal("the hand-written SQL returns no rows: a weak case")
				}
				if d := testkit.DiffRows(canonRows(a.Data.Rows), want); d != "" {
					t.Error(d)
				}
				if a.ContinuationToken != nil || a.HasMore == nil || *a.HasMore {
					t.Errorf("one page, complete: token %v, has_more %v", a.ContinuationToken, a.HasMore)
				}
				if len(a.Restrictions) != 0 {
					t.Errorf("an analyst reads every row of these tables: %+v", a.Restrictions)
				}
			})
		}
	})
}

// TestAgentContext: the context says the pinned clock and what the caller
// sees; ping counts it; the schema lists only what the caller may see.
func TestAgentContext(t *testing.T) {
	s := pinnedServer(t, "")
	sales := personaNamed("sales")
	got := call(t, "GET", s.srv.URL+"/api/agent/v1/context", sales.header(t), "")
	var c engine.Context
	if err := json.Unmarshal([]byte(got.body), &c); err != nil || got.status != 200 {
		t.Fatalf("%d %s", got.status, got.body)
	}
	if !c.Now.Equal(pinnedNow) || c.TimeZone != "UTC" || c.WeekStart != "sunday" {
		t.Errorf("context %+v", c)
	}
	var names []string
	for _, tb := range c.Tables {
		names = append(names, tb.Name)
	}
	if strings.Join(names, ",") != "ORDERS,PEOPLE,PRODUCTS" {
		t.Errorf("sales sees %v", names)
	}
	if got := call(t, "GET", s.srv.URL+"/api/agent/v1/ping", sales.header(t), ""); got.body != `{"message":"pong","tables":3,"metrics":3}` {
		t.Errorf("ping: %s", got.body)
	}
	compact := call(t, "GET", s.srv.URL+"/api/agent/v1/schema", sales.header(t), "").body
	for _, hidden := range []string{"EMAIL", "PASSWORD", "REVIEWS", "Average rating"} {
		if strings.Contains(compact, hidden) {
			t.Errorf("the compact schema names %s, which sales may not see:\n%s", hidden, compact)
		}
	}
	for _, want := range []string{"t2-7  STATE  string", "t1-16  USER.STATE  string", `restricted: Rows of PEOPLE are limited to PEOPLE.STATE = "TX".`, "# now 2025-12-10T09:30:00Z"} {
		if !strings.Contains(compact, want) {
			t.Errorf("the compact schema lacks %q:\n%s", want, compact)
		}
	}
	// Masked fields are marked, as table detail and answers mark them.
	support := persona{claims: jwt.MapClaims{"email": "support@example.com"}}
	compact = call(t, "GET", s.srv.URL+"/api/agent/v1/schema", support.header(t), "").body
	for _, want := range []string{"t2-2  EMAIL  string  Email  masked:email_domain", "t1-11  USER.EMAIL  string  Email  masked:email_domain"} {
		if !strings.Contains(compact, want) {
			t.Errorf("support's compact schema lacks %q:\n%s", want, compact)
		}
	}
	if got := call(t, "GET", s.srv.URL+"/api/agent/v1/schema?format=yaml", sales.header(t), ""); got.status != 400 {
		t.Errorf("format=yaml: %d", got.status)
	}
	if got := call(t, "GET", s.srv.URL+"/api/agent/v1/schema?format=json", sales.header(t), ""); got.status != 200 || !strings.Contains(got.body, `"details":[`) {
		t.Errorf("format=json: %d %.200s", got.status, got.body)
	}
}

// TestAgentRestrictions: an answer says how its rows are limited, in words
// when the rule reads what the caller sees; the same for table and metric
// details.
func TestAgentRestrictions(t *testing.T) {
	eachDatabase(t, func(t *testing.T, s *e2e) {
		sales := personaNamed("sales")
		a := ask(t, s, sales, `{"metric_id":1,"filters":[{"field_id":"CREATED_AT","operation":"year-equals","value":"2024"}]}`)
		want := `Rows of ORDERS are limited to ORDERS.USER_ID → PEOPLE where PEOPLE.STATE = "TX".`
		if len(a.Restrictions) != 1 || a.Restrictions[0].Text != want || a.Restrictions[0].Policies[0] != "sales" {
			t.Errorf("restrictions %+v", a.Restrictions)
		}
		// A join reads PEOPLE too: both tables' rules.
		a = ask(t, s, sales, `{"table_id":1,"aggregations":[{"function":"count"}],"group_by":[{"field_id":"USER.SOURCE"}]}`)
		if len(a.Restrictions) != 2 || a.Restrictions[1].Text != `Rows of PEOPLE are limited to PEOPLE.STATE = "TX".` {
			t.Errorf("restrictions of a join %+v", a.Restrictions)
		}
		// PRODUCTS are the whole catalogue for sales.
		if a := ask(t, s, sales, `{"table_id":3,"aggregations":[{"function":"count"}]}`); len(a.Restrictions) != 0 {
			t.Errorf("products: %+v", a.Restrictions)
		}
		for _, path := range []string{"/api/agent/v1/table/2", "/api/agent/v1/metric/1"} {
			got := call(t, "GET", s.srv.URL+path, sales.header(t), "")
			if !strings.Contains(got.body, `"restrictions":[{"table":`) {
				t.Errorf("%s: %.300s", path, got.body)
			}
		}
		if got := call(t, "GET", s.srv.URL+"/api/agent/v1/table/2", personaNamed("analyst").header(t), ""); !strings.Contains(got.body, `"restrictions":[]`) {
			t.Errorf("analyst: %.300s", got.body)
		}
	})
}

// TestAgentPageSize: page_size pages a total of limit rows; every page says
// has_more, and the last carries no token; without it, v1's meaning holds.
func TestAgentPageSize(t *testing.T) {
	s := server(t)
	admin := personaNamed("admin")
	all := handRows(t, s.db, `SELECT ID FROM ORDERS ORDER BY ID LIMIT 7`)
	var got [][]string
	body := `{"table_id":1,"fields":[{"field_id":"ID"}],"limit":7,"page_size":3}`
	for pages := 0; ; pages++ {
		if pages > 3 {
			t.Fatal("too many pages")
		}
		a := ask(t, s, admin, body)
		got = append(got, canonRows(a.Data.Rows)...)
		if a.HasMore == nil || *a.HasMore != (a.ContinuationToken != nil) {
			t.Fatalf("has_more %v with token %v", a.HasMore, a.ContinuationToken)
		}
		if a.ContinuationToken == nil {
			if pages != 2 || len(a.Data.Rows) != 1 {
				t.Errorf("the last page is page %d with %d rows", pages, len(a.Data.Rows))
			}
			break
		}
		if len(a.Data.Rows) != 3 {
			t.Errorf("page %d has %d rows", pages, len(a.Data.Rows))
		}
		body = `{"continuation_token":"` + *a.ContinuationToken + `"}`
	}
	if d := testkit.DiffRows(got, all); d != "" {
		t.Error(d)
	}
	// Without page_size, a limit under the page size is the page size, as
	// in Metabase: a full page of 2 has a next page.
	a := ask(t, s, admin, `{"table_id":1,"fields":[{"field_id":"ID"}],"limit":2}`)
	if len(a.Data.Rows) != 2 || a.ContinuationToken == nil || !*a.HasMore {
		t.Errorf("v1 paging: %d rows, token %v", len(a.Data.Rows), a.ContinuationToken)
	}
	for _, bad := range []string{`0`, `2001`, `"3"`, `1.5`} {
		got := call(t, "POST", s.srv.URL+"/api/agent/v1/query", admin.header(t), `{"table_id":1,"page_size":`+bad+`}`)
		if got.status != 400 || !strings.Contains(got.body, `"path":"page_size"`) {
			t.Errorf("page_size %s: %d %s", bad, got.status, got.body)
		}
	}
}

// TestAgentExplain: construct-query?explain=true says the query in words.
func TestAgentExplain(t *testing.T) {
	s := server(t)
	got := call(t, "POST", s.srv.URL+"/api/agent/v1/construct-query?explain=true", personaNamed("sales").header(t),
		`{"table_id":1,"aggregations":[{"function":"sum","field_id":"TOTAL","sort_order":"desc"}],"group_by":[{"field_id":"PRODUCT.CATEGORY"}],
		  "filters":[{"field_id":"CREATED_AT","operation":"between","values":["2024-01-01","2024-06-30"]},
		             {"field_id":"CREATED_AT","operation":"last","value":6,"unit":"month","complete":true}]}`)
	var r struct {
		Query       string
		Explanation engine.Explanation
	}
	if err := json.Unmarshal([]byte(got.body), &r); err != nil || got.status != 200 || r.Query == "" {
		t.Fatalf("%d %s", got.status, got.body)
	}
	x := r.Explanation
	checks := map[string]bool{
		"source":  x.Source == "table 1 ORDERS (Orders)",
		"columns": len(x.Columns) == 2 && x.Columns[0] == "Product → Category [t1-25]",
		"joins":   len(x.Joins) == 1 && strings.HasPrefix(x.Joins[0], "PRODUCT → PRODUCTS (Products), by PRODUCT_ID"),
		// Each with the bounds it resolved to, and whether each end is in.
		"filters": len(x.Filters) == 2 && x.Filters[0] == `Created At between "2024-01-01" "2024-06-30" (2024-01-01T00:00:00 ≤ Created At < 2024-07-01T00:00:00, wall-clock in the report zone)` &&
			strings.HasPrefix(x.Filters[1], "Created At last 6 month complete, from now (") && strings.Contains(x.Filters[1], "T00:00:00 ≤ Created At < "),
		"order":        len(x.OrderBy) == 2 && strings.HasSuffix(x.OrderBy[0], " desc"),
		"policies":     len(x.Policies) == 1 && x.Policies[0] == "sales",
		"restrictions": len(x.Restrictions) == 1 && x.Restrictions[0].Table == "ORDERS",
	}
	for what, ok := range checks {
		if !ok {
			t.Errorf("%s: %+v", what, x)
		}
	}
	if got := call(t, "POST", s.srv.URL+"/api/agent/v1/construct-query", personaNamed("sales").header(t), `{"table_id":1}`); strings.Contains(got.body, "explanation") {
		t.Errorf("an explanation nobody asked for: %s", got.body)
	}
}
