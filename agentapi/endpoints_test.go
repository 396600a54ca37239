package agentapi

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/agentlayer/agentlayer/auth"
	"github.com/agentlayer/agentlayer/engine"
	"github.com/agentlayer/agentlayer/internal/testsupport/pgtest"
	"github.com/agentlayer/agentlayer/internal/testsupport/testkit"
)

func personaNamed(name string) persona {
	for _, p := range personas {
		if p.name == name {
			return p
		}
	}
	panic("no persona " + name)
}

// TestErrors answers every error row of docs/api.md with its status and body.
func TestErrors(t *testing.T) {
	eachDatabase(t, func(t *testing.T, s *e2e) {
		admin := personaNamed("admin").header(t)
		sales := personaNamed("sales").header(t)
		tests := []struct {
			name, method, path, body string
			header                   map[string]string
			status                   int
			want                     string
		}{
			{"a value that does not fit", "POST", "/api/agent/v1/construct-query", `{"table_id":1,"filters":[{"field_id":"t1-5","operation":"equals","value":"lots"}]}`, admin, 400,
				`{"error":"invalid_request","message":"filters[0].value must be a number for field t1-5 (TOTAL), not \"lots\"","path":"filters[0].value"}`},
			{"a month of 13", "POST", "/api/agent/v1/construct-query", `{"table_id":1,"filters":[{"field_id":"t1-7","operation":"month-equals","value":13}]}`, admin, 400,
				`{"error":"invalid_request","message":"filters[0].value must be a month from 1 to 12 for field t1-7 (CREATED_AT), not 13","path":"filters[0].value"}`},
			{"a malformed field id", "GET", "/api/agent/v1/table/1/field/not-a-valid-id/values", "", admin, 400,
				`{"error":"invalid_field_id","message":"Invalid field_id format: not-a-valid-id is neither a field id (t1-<n>) nor the name of a field of ORDERS (SUBTOTAL, USER.ADDRESS, or a display name)","path":"field_id","candidates":["t1-5 (Total)","t1-0 (ID)","t1-1 (User ID)","t1-2 (Product ID)","t1-3 (Subtotal)","t1-4 (Tax)","t1-7 (Created At)","t1-8 (Quantity)"]}`},
			{"a field of another prefix", "GET", "/api/agent/v1/metric/3/field/t9-0/values", "", admin, 400,
				`{"error":"field_prefix_mismatch","message":"field t9-0 does not match expected prefix c3-: ids of this query are c3-<n>","path":"field_id","candidates":["c3-0 (ID)","c3-1 (Product ID)","c3-2 (Reviewer)","c3-3 (Rating)","c3-4 (Body)","c3-5 (Created At)","c3-6 (Product → ID)","c3-7 (Product → EAN)"]}`},
			{"a table that is hidden", "GET", "/api/agent/v1/table/4", "", sales, 403,
				`{"error":"forbidden","message":"You don't have permissions to do that.","reason":"No policy grants you this table. Ask whoever manages access to the data if you need it."}`},
			{"a metric that is hidden", "GET", "/api/agent/v1/metric/3", "", sales, 403,
				`{"error":"forbidden","message":"You don't have permissions to do that.","reason":"No policy grants you this metric: its table, or a field it reads. Ask whoever manages access to the data if you need it."}`},
			{"a query on a hidden table", "POST", "/api/agent/v1/construct-query", `{"table_id":4}`, sales, 403,
				`{"error":"forbidden","message":"You don't have permissions to do that.","path":"table_id","reason":"No policy grants you this table. Ask whoever manages access to the data if you need it."}`},
			{"a metric that does not exist", "GET", "/api/agent/v1/metric/999", "", admin, 404,
				`{"error":"not_found","message":"Not found."}`},
			{"a table that does not exist", "GET", "/api/agent/v1/table/999999", "", admin, 404,
				`{"error":"not_found","message":"No table found with table_id 999999"}`},
			{"a construct on a table that does not exist", "POST", "/api/agent/v1/construct-query", `{"table_id":999999}`, admin, 404,
				`{"error":"not_found","message":"No table found with table_id 999999","path":"table_id"}`},
			{"a field index out of range", "GET", "/api/agent/v1/table/1/field/t1-99/values", "", admin, 404,
				`{"error":"not_found","message":"field t1-99 not found - no column at index 99","path":"field_id","candidates":["t1-29 (Product → Created At)","t1-28 (Product → Rating)","t1-27 (Product → Price)","t1-26 (Product → Vendor)","t1-25 (Product → Category)","t1-24 (Product → Title)","t1-23 (Product → EAN)","t1-22 (Product → ID)"]}`},
			{"a hidden field is a field that does not exist", "GET", "/api/agent/v1/table/2/field/t2-2/values", "", sales, 404,
				`{"error":"not_found","message":"field t2-2 not found - no column at index 2","path":"field_id","candidates":["t2-1 (Address)","t2-0 (ID)","t2-4 (Name)","t2-5 (City)","t2-6 (Longitude)","t2-7 (State)","t2-8 (Source)","t2-9 (Birth Date)"]}`},
			{"a bad table id", "GET", "/api/agent/v1/table/abc", "", admin, 400,
				`{"error":"invalid_request","message":"table id must be a positive integer, not \"abc\"","path":"id"}`},
			{"a bad boolean", "GET", "/api/agent/v1/table/1?with-fields=yes", "", admin, 400,
				`{"error":"invalid_request","message":"with-fields must be true or false, not \"yes\"","path":"with-fields"}`},
			{"a tampered token", "POST", "/api/agent/v1/execute", `{"query":"eyJ2IjoxLCJwIjp7InRhYmxlIjoiT1JERVJTIn0sInMiOiJ4In0="}`, admin, 400,
				`{"error":"invalid_request","message":"invalid query token: its signature does not verify","path":"query"}`},
			{"a token that is not one", "POST", "/api/agent/v1/execute", `{"query":"hello world"}`, admin, 400,
				`{"error":"invalid_request","message":"invalid query token: it is not base64","path":"query"}`},
			{"a search key misspelt", "POST", "/api/agent/v1/search", `{"term_query":["x"]}`, admin, 400,
				`{"error":"invalid_request","message":"unknown key \"term_query\" in the search request (did you mean \"term_queries\"?)","path":"term_query","candidates":["term_queries","semantic_queries"]}`},
			{"a construct key misspelt", "POST", "/api/agent/v1/construct-query", `{"table_id":1,"filter":[]}`, admin, 400,
				`{"error":"invalid_request","message":"unknown key \"filter\" in the request (did you mean \"filters\"?)","path":"filter","candidates":["table_id","metric_id","filters","fields","aggregations","group_by","order_by","limit","having"]}`},
			{"a wrong method", "GET", "/api/agent/v1/execute", "", admin, 405,
				`{"error":"method_not_allowed","message":"Method not allowed."}`},
			{"a path outside the API", "GET", "/nothing/here", "", nil, 404,
				`{"error":"not_found","message":"Not found."}`},
			{"a body that is not JSON", "POST", "/api/agent/v1/construct-query", `{"table_id":`, admin, 400,
				`{"error":"invalid_request","message":"the request must be a JSON object"}`},
			{"a request too large", "POST", "/api/agent/v1/construct-query", `{"table_id":1,"filters":[{"field_id":"t1-0","operation":"equals","values":[` + strings.Repeat("1,", MaxBodyBytes/2) + `1]}]}`, admin, 413,
				`{"error":"request_too_large","message":"The request body is larger than 1048576 bytes."}`},
			{"a continuation token that is not one", "POST", "/api/agent/v1/query", `{"continuation_token":"x"}`, admin, 400,
				`{"error":"invalid_request","message":"invalid query token: it is not base64","path":"continuation_token"}`},
			{"a form, not JSON", "POST", "/api/agent/v1/construct-query", `{"table_id":1}`, with(admin, "Content-Type", "application/x-www-form-urlencoded"), 400,
				`{"error":"invalid_request","message":"the request body must be JSON: Content-Type must be application/json, not \"application/x-www-form-urlencoded\""}`},
			{"JSON with a charset", "POST", "/api/agent/v1/search", `{"term_queries":["zzzz"]}`, with(admin, "Content-Type", "application/json; charset=utf-8"), 200,
				`{"data":[],"total_count":0}`},
			{"an unknown key in execute", "POST", "/api/agent/v1/execute", `{"query":"x","bogus":1}`, admin, 400,
				`{"error":"invalid_request","message":"unknown key \"bogus\" in the request body","path":"bogus"}`},
			{"an unknown key in a construct request", "POST", "/api/agent/v1/construct-query", `{"table_id":1,"bogus":1}`, admin, 400,
				`{"error":"invalid_request","message":"unknown key \"bogus\" in the request: it takes table_id, metric_id, filters, fields, aggregations, group_by, order_by, limit, having","path":"bogus","candidates":["table_id","metric_id","filters","fields","aggregations","group_by","order_by","limit","having"]}`},
			{"a NUL in a value", "POST", "/api/agent/v1/construct-query", `{"table_id":1,"filters":[{"field_id":"t1-16","operation":"equals","value":"T\u0000X"}]}`, admin, 400,
				`{"error":"invalid_request","message":"filters[0].value holds a NUL character","path":"filters[0].value"}`},
			{"invalid UTF-8", "POST", "/api/agent/v1/construct-query", "{\"table_id\":1,\"filters\":[{\"field_id\":\"t1-16\",\"operation\":\"equals\",\"value\":\"T\xffX\"}]}", admin, 400,
				`{"error":"invalid_request","message":"the document is not valid UTF-8 (byte 76)"}`},
			{"a metric's id in a table's query", "POST", "/api/agent/v1/construct-query", `{"table_id":1,"fields":[{"field_id":"c1-16"}]}`, admin, 400,
				`{"error":"field_prefix_mismatch","message":"field c1-16 does not match expected prefix t1-: ids of this query are t1-<n>; the same field here is t1-16 (User → State)","path":"fields[0].field_id","candidates":["t1-16 (User → State)"]}`},
			{"a path that is not canonical", "GET", "/api/agent/v1//ping", "", admin, 404,
				`{"error":"not_found","message":"no endpoint at /api/agent/v1//ping: paths are canonical (/api/agent/v1/ping)"}`},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got := call(t, tt.method, s.srv.URL+tt.path, tt.header, tt.body)
				if got.status != tt.status || got.body != tt.want {
					t.Errorf("got %d %s\nwant %d %s", got.status, got.body, tt.status, tt.want)
				}
			})
		}
	})
}

// with is headers h and one more.
func with(h map[string]string, key, value string) map[string]string {
	out := map[string]string{key: value}
	for k, v := range h {
		out[k] = v
	}
	return out
}

// constructToken constructs a query as p and returns its token.
func constructToken(t *testing.T, s *e2e, h map[string]string, request string) string {
	t.Helper()
	got := call(t, "POST", s.srv.URL+"/api/agent/v1/construct-query", h, request)
	if got.status != 200 {
		t.Fatalf("construct: %d %s", got.status, got.body)
	}
	var r struct{ Query string }
	json.Unmarshal([]byte(got.body), &r)
	return r.Query
}

type execResult struct {
	Status string `json:"status"`
	Error  string `json:"error"`
	Data   struct {
		Cols []map[string]any `json:"cols"`
		Rows [][]any          `json:"rows"`
	} `json:"data"`
	RowCount          int     `json:"row_count"`
	RunningTime       *int    `json:"running_time"`
	ContinuationToken *string `json:"continuation_token"`
}

func execute(t *testing.T, s *e2e, h map[string]string, token string) (int, execResult) {
	t.Helper()
	got := call(t, "POST", s.srv.URL+"/api/agent/v1/execute", h, `{"query":"`+token+`"}`)
	var r execResult
	if got.status == 202 {
		if err := json.Unmarshal([]byte(got.body), &r); err != nil {
			t.Fatalf("execute body: %v\n%s", err, got.body)
		}
	}
	return got.status, r
}

// TestAgentFlow runs what an agent does — search, inspect, look at values,
// construct, execute — as the sales persona, and checks the answer with
// hand-written SQL.
func TestAgentFlow(t *testing.T) {
	eachDatabase(t, func(t *testing.T, s *e2e) {
		h := personaNamed("sales").header(t)
		got := call(t, "POST", s.srv.URL+"/api/agent/v1/search", h, `{"term_queries":"revenu","semantic_queries":["money from orders"]}`)
		if got.status != 200 || !strings.Contains(got.body, `"name":"Revenue"`) {
			t.Fatalf("search: %d %s", got.status, got.body)
		}
		got = call(t, "GET", s.srv.URL+"/api/agent/v1/metric/1", h, "")
		if got.status != 200 || !strings.Contains(got.body, `"default_time_dimension_field_id":"c1-7"`) {
			t.Fatalf("metric: %d %s", got.status, got.body)
		}
		got = call(t, "GET", s.srv.URL+"/api/agent/v1/table/1?with-segments=true&with-measures=true", h, "")
		if got.status != 200 || !strings.Contains(got.body, `"related_by":"USER_ID"`) || !strings.Contains(got.body, `"name":"Large orders"`) {
			t.Fatalf("table: %d %s", got.status, got.body)
		}
		got = call(t, "GET", s.srv.URL+"/api/agent/v1/table/1/field/t1-25/values", h, "")
		if got.status != 200 || !strings.Contains(got.body, `"values":["Doohickey","Gadget","Gizmo","Widget"]`) || !strings.Contains(got.body, `"distinct-count":4`) {
			t.Fatalf("values: %d %s", got.status, got.body)
		}
		tok := constructToken(t, s, h, `{"metric_id":1,"filters":[{"field_id":"c1-25","operation":"equals","value":"Gizmo"}],"group_by":[{"field_id":"c1-7","field_granularity":"year"}]}`)
		code, r := execute(t, s, h, tok)
		if code != 202 || r.Status != "completed" || r.RunningTime == nil {
			t.Fatalf("execute: %d %+v", code, r)
		}
		want := handRows(t, s.db, `SELECT date_trunc('year', o.CREATED_AT), sum(o.TOTAL) FROM ORDERS o JOIN PRODUCTS p ON p.ID = o.PRODUCT_ID
			WHERE p.CATEGORY = 'Gizmo' AND o.USER_ID IN (SELECT ID FROM PEOPLE WHERE STATE = 'TX') GROUP BY 1 ORDER BY 1`)
		var gotRows [][]string
		for _, row := range r.Data.Rows {
			gotRows = append(gotRows, testkit.CanonRow(row))
		}
		if d := testkit.DiffRows(gotRows, want); d != "" {
			t.Errorf("%s\ngot %v\nwant %v", d, gotRows, want)
		}
		if len(r.Data.Cols) != 2 || r.Data.Cols[1]["display_name"] != "Revenue" || r.Data.Cols[0]["unit"] != "year" {
			t.Errorf("cols %v", r.Data.Cols)
		}
	})
}

// TestTokens: a token is not bound to a user — it is planned again for
// whoever executes it; tampering is refused.
func TestTokens(t *testing.T) {
	eachDatabase(t, func(t *testing.T, s *e2e) {
		admin, sales, product, analyst := personaNamed("admin").header(t), personaNamed("sales").header(t), personaNamed("product").header(t), personaNamed("analyst").header(t)
		count := constructToken(t, s, admin, `{"table_id":2,"aggregations":[{"function":"count"}]}`)
		for _, tt := range []struct {
			who    map[string]string
			status int
			want   string
		}{
			{admin, 202, `SELECT count(*) FROM PEOPLE`},
			{sales, 202, `SELECT count(*) FROM PEOPLE WHERE STATE = 'TX'`},
			{product, 403, ``},
		} {
			code, r := execute(t, s, tt.who, count)
			if code != tt.status {
				t.Errorf("execute: %d, want %d", code, tt.status)
				continue
			}
			if code == 202 {
				if d := testkit.DiffRows([][]string{testkit.CanonRow(r.Data.Rows[0])}, handRows(t, s.db, tt.want)); d != "" {
					t.Errorf("%s: %v", tt.want, r.Data.Rows)
				}
			}
		}
		emails := constructToken(t, s, admin, `{"table_id":2,"fields":[{"field_id":"t2-0"},{"field_id":"t2-2"}],"limit":2}`)
		got := call(t, "POST", s.srv.URL+"/api/agent/v1/execute", analyst, `{"query":"`+emails+`"}`)
		if got.status != 404 || !strings.Contains(got.body, "field t2-2 not found") {
			t.Errorf("an admin's token naming a field the analyst may not see: %d %s", got.status, got.body)
		}
		// Flip a byte of the logical query: the signature no longer verifies.
		raw, _ := base64.StdEncoding.DecodeString(count)
		tampered := strings.Replace(string(raw), `"PEOPLE"`, `"ORDERS"`, 1)
		got = call(t, "POST", s.srv.URL+"/api/agent/v1/execute", admin, `{"query":"`+base64.StdEncoding.EncodeToString([]byte(tampered))+`"}`)
		if got.status != 400 || !strings.Contains(got.body, "signature does not verify") {
			t.Errorf("tampered token: %d %s", got.status, got.body)
		}
		if strings.Contains(string(raw), "SELECT") {
			t.Errorf("a token carries SQL: %s", raw)
		}
	})
}

// TestQuery_paging pages through 450 rows with /v1/query: 200, 200, 50,
// none lost or repeated, every page authorized again; limit is the page
// size, as in Metabase.
func TestQuery_paging(t *testing.T) {
	eachDatabase(t, func(t *testing.T, s *e2e) {
		page := func(h map[string]string, body string) execResult {
			t.Helper()
			got := call(t, "POST", s.srv.URL+"/api/agent/v1/query", h, body)
			if got.status != 202 {
				t.Fatalf("%d %s", got.status, got.body)
			}
			var r execResult
			if err := json.Unmarshal([]byte(got.body), &r); err != nil || r.Status != "completed" {
				t.Fatalf("%v %s", err, got.body)
			}
			return r
		}
		all := func(h map[string]string, body string) ([][]string, []int) {
			var rows [][]string
			var sizes []int
			for {
				r := page(h, body)
				sizes = append(sizes, r.RowCount)
				for _, row := range r.Data.Rows {
					rows = append(rows, testkit.CanonRow(row))
				}
				if r.ContinuationToken == nil {
					return rows, sizes
				}
				body = `{"continuation_token":"` + *r.ContinuationToken + `"}`
			}
		}
		admin := personaNamed("admin").header(t)
		rows, sizes := all(admin, `{"table_id":1,"fields":[{"field_id":"t1-0"},{"field_id":"t1-5"}],"filters":[{"field_id":"t1-0","operation":"less-than-or-equal","value":450}]}`)
		if fmt.Sprint(sizes) != "[200 200 50]" {
			t.Errorf("pages of %v rows, want [200 200 50]", sizes)
		}
		if d := testkit.DiffRows(rows, handRows(t, s.db, "SELECT ID, TOTAL FROM ORDERS WHERE ID <= 450 ORDER BY ID")); d != "" {
			t.Error(d)
		}
		// Pages of 75, for the sales persona and its row rule.
		sales := personaNamed("sales")
		rows, sizes = all(sales.header(t), `{"table_id":1,"fields":[{"field_id":"t1-0"}],"filters":[{"field_id":"t1-0","operation":"less-than","value":3000}],"limit":75,"continuation_token":null}`)
		want := handRows(t, s.db, "SELECT ID FROM ORDERS WHERE ID < 3000 AND "+ordersWhere(sales)+" ORDER BY ID")
		if d := testkit.DiffRows(rows, want); d != "" || len(want) < 150 {
			t.Errorf("%s (%d rows)", d, len(want))
		}
		for i, n := range sizes {
			if (i < len(sizes)-1 && n != 75) || n > 75 {
				t.Errorf("pages of %v rows, want 75 each but the last", sizes)
			}
		}
		// A continuation token is authorized again for whoever sends it.
		r := page(admin, `{"table_id":2,"fields":[{"field_id":"t2-2"}]}`)
		if r.ContinuationToken == nil {
			t.Fatal("no continuation")
		}
		got := call(t, "POST", s.srv.URL+"/api/agent/v1/query", personaNamed("analyst").header(t), `{"continuation_token":"`+*r.ContinuationToken+`"}`)
		if got.status != 404 {
			t.Errorf("an admin's continuation of emails, sent by an analyst: %d %s", got.status, got.body)
		}
		// An aggregate fits one page: no continuation.
		got = call(t, "POST", s.srv.URL+"/api/agent/v1/query", admin, `{"table_id":1,"aggregations":[{"function":"count"}]}`)
		if !strings.Contains(got.body, `"continuation_token":null`) {
			t.Errorf("aggregate: %s", got.body)
		}
	})
}

// TestExecute_rowCaps: a detail query returns at most 2,000 rows, whatever
// its limit.
func TestExecute_rowCaps(t *testing.T) {
	eachDatabase(t, func(t *testing.T, s *e2e) {
		h := personaNamed("admin").header(t)
		tok := constructToken(t, s, h, `{"table_id":1,"fields":[{"field_id":"t1-0"}],"limit":100000}`)
		code, r := execute(t, s, h, tok)
		if code != 202 || r.RowCount != 2000 || len(r.Data.Rows) != 2000 {
			t.Errorf("execute: %d, %d rows", code, r.RowCount)
		}
	})
}

// slowServer serves a table of a trillion rows: a sum over it runs far
// longer than any test, unless it is cancelled.
func slowServer(t *testing.T, opts engine.Options, hopts ...Options) (*httptest.Server, *engine.Engine) {
	t.Helper()
	huge, small := "SELECT range AS ID FROM range(1000000000000)", "SELECT range AS ID FROM range(10)"
	if engine.IsPostgres(opts.Database) {
		huge, small = `SELECT g AS "ID" FROM generate_series(1, 1000000000000) AS g`, `SELECT g AS "ID" FROM generate_series(0, 9) AS g`
	}
	opts.ModelFile = "slow.yaml"
	opts.ModelYAML = twoTables("HUGE", huge, small, "")
	opts.Unrestricted = true
	e, err := engine.New(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := auth.NewVerifier(auth.VerifierOptions{Secret: testSecret})
	ho := Options{}
	if len(hopts) > 0 {
		ho = hopts[0]
	}
	ho.Verifier = v
	srv := httptest.NewServer(New(e, ho))
	t.Cleanup(func() {
		srv.Close()
		e.Close()
	})
	return srv, e
}

const (
	slowQuery  = `{"table_id":1,"aggregations":[{"function":"sum","field_id":"t1-0"}]}`
	quickQuery = `{"table_id":2,"aggregations":[{"function":"count"}]}`
)

func bearer(t *testing.T) map[string]string {
	return map[string]string{"Authorization": "Bearer " + hs256(t, jwt.MapClaims{"email": "x@example.com", "iat": time.Now().Unix()})}
}

// eachBackend runs f with database naming DuckDB (""), then a new
// PostgreSQL database of the test's own.
func eachBackend(t *testing.T, f func(t *testing.T, database string)) {
	t.Run("DuckDB", func(t *testing.T) { f(t, "") })
	t.Run("PostgreSQL", func(t *testing.T) { f(t, pgtest.NewDatabase(t)) })
}

// TestExecute_cancel closes the client's connection during a query that
// would run for minutes: the database stops working on it, and its slot
// frees.
func TestExecute_cancel(t *testing.T) {
	eachBackend(t, func(t *testing.T, database string) {
		srv, e := slowServer(t, engine.Options{Database: database, MaxConcurrentQueries: 1, QueueTimeout: 30 * time.Second})
		before := runtime.NumGoroutine()
		h := bearer(t)
		tok := constructTokenAt(t, srv.URL, h, slowQuery)

		cancel, done := startExecute(srv.URL, h, tok)
		waitRunning(t, e)
		cancel()
		<-done
		// The one slot comes free only once DuckDB has given the query up; a
		// second query takes it and answers.
		start := time.Now()
		code, r := executeAt(t, srv.URL, h, constructTokenAt(t, srv.URL, h, quickQuery))
		if code != 202 || r.Status != "completed" {
			t.Fatalf("after cancel: %d %+v", code, r)
		}
		t.Logf("the next query ran %v after the cancel", time.Since(start).Round(time.Millisecond))
		checkGoroutines(t, before)
	})
}

// startExecute sends an execute of tok in the background; cancel ends it
// from the client's side, and done closes once its call has returned.
func startExecute(srv string, h map[string]string, tok string) (cancel func(), done <-chan struct{}) {
	ctx, cancel := context.WithCancel(context.Background())
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		req, _ := http.NewRequestWithContext(ctx, "POST", srv+"/api/agent/v1/execute", strings.NewReader(`{"query":"`+tok+`"}`))
		req.Header.Set("Authorization", h["Authorization"])
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	return cancel, finished
}

// waitRunning waits until a query holds the engine's only slot.
func waitRunning(t *testing.T, e *engine.Engine) {
	t.Helper()
	waitFor(t, func() bool { return e.Stats().Running > 0 }, "the slow query to start")
}

// waitFor waits, at most 20 s, for cond to hold.
func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("waited in vain for %s", what)
		}
	}
}

// TestExecute_overloaded saturates the bound on concurrent queries: the
// next query waits its queue time, then gets 503 with Retry-After.
func TestExecute_overloaded(t *testing.T) {
	eachBackend(t, func(t *testing.T, database string) {
		var logs testkit.SyncBuffer
		srv, e := slowServer(t, engine.Options{Database: database, MaxConcurrentQueries: 1, QueueTimeout: 100 * time.Millisecond},
			Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
		before := runtime.NumGoroutine()
		h := bearer(t)
		tok := constructTokenAt(t, srv.URL, h, slowQuery)
		cancel, done := startExecute(srv.URL, h, tok)
		quick := constructTokenAt(t, srv.URL, h, quickQuery)
		waitRunning(t, e)
		got := call(t, "POST", srv.URL+"/api/agent/v1/execute", h, `{"query":"`+quick+`"}`)
		if got.status != 503 || got.header.Get("Retry-After") != "1" ||
			got.body != `{"error":"overloaded","message":"Too many queries are running. Retry shortly."}` {
			t.Errorf("saturated: %d %v %s", got.status, got.header.Get("Retry-After"), got.body)
		}
		// The limits at work, logged as such: not an error to alert on.
		if !strings.Contains(logs.String(), "status=503 outcome=overloaded") || strings.Contains(logs.String(), "level=ERROR") {
			t.Errorf("the 503 is logged as:\n%s", logs.String())
		}
		cancel()
		<-done
		checkGoroutines(t, before)
	})
}

// TestExecute_timeout ends a query that runs past the query timeout with
// 202 {"status": "failed"}.
func TestExecute_timeout(t *testing.T) {
	eachBackend(t, func(t *testing.T, database string) {
		srv, _ := slowServer(t, engine.Options{Database: database, QueryTimeout: 200 * time.Millisecond})
		h := bearer(t)
		code, r := executeAt(t, srv.URL, h, constructTokenAt(t, srv.URL, h, slowQuery))
		if code != 202 || r.Status != "failed" || r.Error != "The query took longer than the time allowed." {
			t.Errorf("timeout: %d %+v", code, r)
		}
	})
}

func constructTokenAt(t *testing.T, base string, h map[string]string, request string) string {
	t.Helper()
	return constructToken(t, &e2e{srv: &httptest.Server{URL: base}}, h, request)
}

func executeAt(t *testing.T, base string, h map[string]string, token string) (int, execResult) {
	t.Helper()
	return execute(t, &e2e{srv: &httptest.Server{URL: base}}, h, token)
}

// checkGoroutines waits for the goroutines started since before to end.
func checkGoroutines(t *testing.T, before int) {
	t.Helper()
	http.DefaultClient.CloseIdleConnections()
	var n int
	for i := 0; i < 100; i++ {
		if n = runtime.NumGoroutine(); n <= before {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	buf := make([]byte, 1<<20)
	t.Errorf("%d goroutines, %d before:\n%s", n, before, buf[:runtime.Stack(buf, true)])
}

// TestStreaming shows that execute writes rows as they come: the first
// bytes of a large result reach the client before the last are produced.
func TestStreaming(t *testing.T) {
	eachDatabase(t, func(t *testing.T, s *e2e) {
		h := personaNamed("admin").header(t)
		tok := constructToken(t, s, h, `{"table_id":1,"fields":[{"field_id":"t1-0"},{"field_id":"t1-7"},{"field_id":"t1-24"}],"limit":2000}`)
		conn, err := net.Dial("tcp", strings.TrimPrefix(s.srv.URL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		body := `{"query":"` + tok + `"}`
		fmt.Fprintf(conn, "POST /api/agent/v1/execute HTTP/1.1\r\nHost: x\r\nAuthorization: %s\r\nContent-Length: %d\r\n\r\n%s", h["Authorization"], len(body), body)
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != 202 || resp.TransferEncoding == nil || resp.TransferEncoding[0] != "chunked" {
			t.Fatalf("status %d, transfer encoding %v: not streamed", resp.StatusCode, resp.TransferEncoding)
		}
		all, _ := io.ReadAll(resp.Body)
		var r execResult
		if err := json.Unmarshal(all, &r); err != nil || r.RowCount != 2000 {
			t.Fatalf("%v: %d rows", err, r.RowCount)
		}
		if ts, ok := r.Data.Rows[0][1].(string); !ok || !strings.HasSuffix(ts, "Z") {
			t.Errorf("timestamps are not ISO-8601: %v", r.Data.Rows[0][1])
		}
	})
}

// TestValues: integers beyond ±(2^53−1) come back as strings and go back in
// as strings; decimals are exact; UUIDs read as text.
func TestValues(t *testing.T) {
	e, err := engine.New(context.Background(), engine.Options{
		ModelFile: "big.yaml", ModelYAML: []byte("version: 1\ntables:\n  - id: 1\n    name: BIG\n    fields:\n      - {name: ID, semantic_type: type/PK}\n      - {name: N}\n      - {name: D}\n      - {name: U}\n"),
		Unrestricted: true,
		Setup: func(ctx context.Context, db *sql.DB) error {
			_, err := db.ExecContext(ctx, `CREATE TABLE BIG AS SELECT * FROM (VALUES
				(1, 9007199254740993, 12345678901234567890.1234567890::DECIMAL(38,10), '550e8400-e29b-41d4-a716-446655440000'::UUID),
				(2, 42, 0.5::DECIMAL(38,10), NULL),
				(3, -9007199254740993, -7::DECIMAL(38,10), NULL)) t(ID, N, D, U)`)
			return err
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	v, _ := auth.NewVerifier(auth.VerifierOptions{Secret: testSecret})
	srv := httptest.NewServer(New(e, Options{Verifier: v}))
	defer srv.Close()
	h := bearer(t)
	for _, tt := range []struct{ request, want string }{
		{`{"table_id":1,"fields":[{"field_id":"t1-1"},{"field_id":"t1-2"},{"field_id":"t1-3"}],"order_by":[{"field":{"field_id":"t1-0"}}]}`,
			`"rows":[["9007199254740993",12345678901234567890.123456789,"550e8400-e29b-41d4-a716-446655440000"],[42,0.5,null],["-9007199254740993",-7,null]]`},
		{`{"table_id":1,"aggregations":[{"function":"sum","field_id":"t1-1"}]}`, `"rows":[[42]]`},
		{`{"table_id":1,"fields":[{"field_id":"t1-0"}],"filters":[{"field_id":"t1-1","operation":"equals","value":"9007199254740993"}]}`, `"rows":[[1]]`},
		{`{"table_id":1,"fields":[{"field_id":"t1-0"}],"filters":[{"field_id":"t1-3","operation":"equals","value":"550e8400-e29b-41d4-a716-446655440000"}]}`, `"rows":[[1]]`},
	} {
		got := call(t, "POST", srv.URL+"/api/agent/v1/query", h, tt.request)
		if !strings.Contains(got.body, tt.want) {
			t.Errorf("%s\ngot  %s\nwant %s", tt.request, got.body, tt.want)
		}
	}
}

// TestSearch_empty: a search for nothing lists what the user may see.
func TestSearch_empty(t *testing.T) {
	eachDatabase(t, func(t *testing.T, s *e2e) {
		for _, tt := range []struct {
			who   string
			count int
		}{{"admin", 8}, {"product", 3}, {"nobody", 0}} {
			got := call(t, "POST", s.srv.URL+"/api/agent/v1/search", personaNamed(tt.who).header(t), `{}`)
			var r struct {
				TotalCount int `json:"total_count"`
			}
			json.Unmarshal([]byte(got.body), &r)
			if got.status != 200 || r.TotalCount != tt.count {
				t.Errorf("%s: %d %s, want %d results", tt.who, got.status, got.body, tt.count)
			}
		}
	})
}
