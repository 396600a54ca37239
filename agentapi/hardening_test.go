package agentapi

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/agentlayer/agentlayer/engine"
	"github.com/agentlayer/agentlayer/internal/testsupport/testkit"
)

// TestMethodNotAllowed_authenticatesFirst: a known path with another method
// answers 401 without credentials, as its own methods do, and 405 with.
func TestMethodNotAllowed_authenticatesFirst(t *testing.T) {
	eachDatabase(t, func(t *testing.T, s *e2e) {
		for _, path := range []string{pingPath, "/api/agent/v1/table/1", "/api/agent/v1/execute"} {
			if got := call(t, "PUT", s.srv.URL+path, nil, ""); got.status != 401 || got.body != bodyMissing {
				t.Errorf("PUT %s without credentials: %d %s", path, got.status, got.body)
			}
			got := call(t, "PUT", s.srv.URL+path, personaNamed("admin").header(t), "")
			if got.status != 405 || got.header.Get("Allow") == "" {
				t.Errorf("PUT %s with credentials: %d %s", path, got.status, got.body)
			}
		}
		// /auth/sso authenticates nobody: 405 at once.
		if got := call(t, "PUT", s.srv.URL+"/auth/sso", nil, ""); got.status != 405 {
			t.Errorf("PUT /auth/sso: %d %s", got.status, got.body)
		}
	})
}

// TestIDs_canonical refuses ids written other than canonically: t1-05 is
// not t1-5, and table 01 is not table 1.
func TestIDs_canonical(t *testing.T) {
	eachDatabase(t, func(t *testing.T, s *e2e) {
		h := personaNamed("admin").header(t)
		for _, path := range []string{"/api/agent/v1/table/01", "/api/agent/v1/table/+1", "/api/agent/v1/metric/001"} {
			if got := call(t, "GET", s.srv.URL+path, h, ""); got.status != 400 {
				t.Errorf("GET %s: %d %s", path, got.status, got.body)
			}
		}
		for _, id := range []string{"t1-05", "t01-5", "t1-00"} {
			got := call(t, "POST", s.srv.URL+"/api/agent/v1/construct-query", h, `{"table_id":1,"fields":[{"field_id":"`+id+`"}]}`)
			if got.status != 400 || !strings.Contains(got.body, `"error":"invalid_field_id"`) {
				t.Errorf("field %s: %d %s", id, got.status, got.body)
			}
		}
		if got := call(t, "GET", s.srv.URL+"/api/agent/v1/table/1/field/t1-07/values", h, ""); got.status != 400 {
			t.Errorf("values of t1-07: %d %s", got.status, got.body)
		}
	})
}

// TestBodies_duplicateKeysAndDepth refuses, on every endpoint that reads a
// body, a key given twice in one object and nesting deeper than 32.
func TestBodies_duplicateKeysAndDepth(t *testing.T) {
	eachDatabase(t, func(t *testing.T, s *e2e) {
		h := personaNamed("admin").header(t)
		deep := strings.Repeat("[", 40) + strings.Repeat("]", 40)
		cases := []struct{ path, body, want string }{
			{"/api/agent/v1/construct-query", `{"table_id":1,"table_id":2}`, `key \"table_id\" appears twice`},
			{"/api/agent/v1/construct-query", `{"table_id":1,"filters":[{"field_id":"t1-5","operation":"equals","value":1,"value":2}]}`, `"path":"filters[0].value"`},
			{"/api/agent/v1/construct-query", `{"table_id":1,"filters":` + deep + `}`, "more than 32 deep"},
			{"/api/agent/v1/query", `{"table_id":1,"limit":5,"limit":500}`, `key \"limit\" appears twice`},
			{"/api/agent/v1/query", `{"table_id":1,"x":` + deep + `}`, "more than 32 deep"},
			{"/api/agent/v1/execute", `{"query":"a","query":"b"}`, `key \"query\" appears twice`},
			{"/api/agent/v1/search", `{"term_queries":["a"],"term_queries":["b"]}`, `appears twice`},
			{"/auth/sso", `{"jwt":"a","jwt":"b"}`, `appears twice`},
		}
		for _, c := range cases {
			got := call(t, "POST", s.srv.URL+c.path, h, c.body)
			if got.status != 400 || !strings.Contains(got.body, c.want) {
				t.Errorf("POST %s %.60s: %d %s", c.path, c.body, got.status, got.body)
			}
		}
	})
}

// TestRequestCaps: each cap on a request is a 400 that names it.
func TestRequestCaps(t *testing.T) {
	eachDatabase(t, func(t *testing.T, s *e2e) {
		h := personaNamed("admin").header(t)
		repeat := func(n int, item string) string {
			items := make([]string, n)
			for i := range items {
				items[i] = fmt.Sprintf(item, i)
			}
			return strings.Join(items, ",")
		}
		cases := []struct{ name, body, want string }{
			{"filters", `{"table_id":1,"filters":[` + repeat(engine.MaxFilters+1, `{"field_id":"t1-5","operation":"greater-than","value":%d}`) + `]}`,
				"filters has 101 items; a request may have at most 100"},
			{"values", `{"table_id":1,"filters":[{"field_id":"t1-0","operation":"equals","values":[` + repeat(600, "%d") + `]},{"field_id":"t1-1","operation":"equals","values":[` + repeat(401, "%d") + `]}]}`,
				"more than 1000 filter values"},
			{"pattern values", `{"table_id":2,"filters":[{"field_id":"t2-4","operation":"string-not-contains","values":[` + repeat(engine.MaxPatternValues+1, `"v%d"`) + `]}]}`,
				"at most 100"},
			{"value bytes", `{"table_id":2,"filters":[{"field_id":"t2-4","operation":"equals","value":"` + strings.Repeat("x", engine.MaxValueBytes+1) + `"}]}`,
				"filters[0].value is a string of 4097 bytes; a value may have at most 4096"},
			{"group_by", `{"table_id":1,"aggregations":[{"function":"count"}],"group_by":[` + repeat(engine.MaxGroupBy+1, `{"field_id":"t1-%d"}`) + `]}`,
				"group_by has 21 items; a request may have at most 20"},
			{"fields", `{"table_id":1,"fields":[` + repeat(engine.MaxFields+1, `{"field_id":"t1-%d"}`) + `]}`,
				"fields has 101 items; a request may have at most 100"},
		}
		for _, c := range cases {
			for _, path := range []string{"/api/agent/v1/construct-query", "/api/agent/v1/query"} {
				got := call(t, "POST", s.srv.URL+path, h, c.body)
				if got.status != 400 || !strings.Contains(got.body, c.want) {
					t.Errorf("%s on %s: %d %.300s", c.name, path, got.status, got.body)
				}
			}
		}
		// At the caps, the request is fine.
		ok := `{"table_id":2,"filters":[{"field_id":"t2-4","operation":"string-contains","values":[` + repeat(engine.MaxPatternValues, `"v%d"`) + `]},` +
			`{"field_id":"t2-0","operation":"equals","values":[` + repeat(engine.MaxValues-engine.MaxPatternValues, "%d") + `]}],"aggregations":[{"function":"count"}]}`
		if got := call(t, "POST", s.srv.URL+"/api/agent/v1/query", h, ok); got.status != 202 || !strings.Contains(got.body, `"status":"completed"`) {
			t.Errorf("at the caps: %d %.300s", got.status, got.body)
		}
	})
}

// TestPanic_recovered: a handler that panics answers 500 internal_error,
// which says nothing of the panic, and the log has its stack.
func TestPanic_recovered(t *testing.T) {
	e, err := sampleEngine()
	if err != nil {
		t.Fatal(err)
	}
	var logs testkit.SyncBuffer
	h := New(e, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))}).(*handler)
	h.mux.HandleFunc("GET /api/agent/test/panic", func(http.ResponseWriter, *http.Request) { panic("secret detail") })
	srv := httptest.NewServer(h)
	defer srv.Close()
	got := call(t, "GET", srv.URL+"/api/agent/test/panic", nil, "")
	if got.status != 500 || got.body != `{"error":"internal_error","message":"Something went wrong."}` {
		t.Errorf("got %d %s", got.status, got.body)
	}
	if out := logs.String(); !strings.Contains(out, "secret detail") || !strings.Contains(out, "outcome=panic") {
		t.Errorf("the log does not hold the panic:\n%s", out)
	}
	// The server goes on.
	if got := call(t, "GET", srv.URL+pingPath, nil, ""); got.status != 401 {
		t.Errorf("after the panic: %d", got.status)
	}
}

// TestRequestLog_outcomes: a client that leaves before the first byte is
// logged as canceled (status 499), never 200; a query timeout as timeout;
// one line each.
func TestRequestLog_outcomes(t *testing.T) {
	var logs testkit.SyncBuffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	srv, e := slowServer(t, engine.Options{MaxConcurrentQueries: 1, QueryTimeout: 30 * time.Second, Logger: log}, Options{Logger: log})
	h := bearer(t)
	tok := constructTokenAt(t, srv.URL, h, slowQuery)
	cancel, done := startExecute(srv.URL, h, tok)
	waitRunning(t, e)
	cancel()
	<-done
	line := waitLogLine(t, &logs, "path=/api/agent/v1/execute")
	if !strings.Contains(line, "status=499") || !strings.Contains(line, "outcome=canceled") {
		t.Errorf("a client gone before the first byte is logged as:\n%s", line)
	}
}

// waitLogLine waits for the request log line that holds want, and checks
// there is exactly one.
func waitLogLine(t *testing.T, logs *testkit.SyncBuffer, want string) string {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		var lines []string
		for _, l := range strings.Split(logs.String(), "\n") {
			if strings.Contains(l, "msg=request") && strings.Contains(l, want) {
				lines = append(lines, l)
			}
		}
		switch {
		case len(lines) == 1:
			return lines[0]
		case len(lines) > 1:
			t.Fatalf("%d request lines for one request:\n%s", len(lines), strings.Join(lines, "\n"))
		case time.Now().After(deadline):
			t.Fatalf("no request line with %s:\n%s", want, logs.String())
		}
	}
}

// TestRequestLog_timeout: a query that times out is logged once, as a
// timeout.
func TestRequestLog_timeout(t *testing.T) {
	var logs testkit.SyncBuffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	srv, _ := slowServer(t, engine.Options{QueryTimeout: 200 * time.Millisecond, Logger: log}, Options{Logger: log})
	h := bearer(t)
	code, r := executeAt(t, srv.URL, h, constructTokenAt(t, srv.URL, h, slowQuery))
	if code != 202 || r.Status != "failed" {
		t.Fatalf("timeout: %d %+v", code, r)
	}
	if line := waitLogLine(t, &logs, "path=/api/agent/v1/execute"); !strings.Contains(line, "outcome=timeout") {
		t.Errorf("a timeout is logged as:\n%s", line)
	}
}

// TestJWT_duplicateClaims: a token whose payload names the email twice is
// refused like every other bad token, whichever email comes last.
func TestJWT_duplicateClaims(t *testing.T) {
	eachDatabase(t, func(t *testing.T, s *e2e) {
		now := time.Now().Unix()
		payload := fmt.Sprintf(`{"email":"nobody@example.com","iat":%d,"email":"admin@example.com"}`, now)
		tok := testkit.SignRawHS256(testSecret, `{"alg":"HS256","typ":"JWT"}`, payload)
		if got := call(t, "GET", s.srv.URL+"/api/agent/v1/table/1", map[string]string{"Authorization": "Bearer " + tok}, ""); got.status != 401 || got.body != bodyInvalid {
			t.Errorf("duplicate email: %d %s", got.status, got.body)
		}
		crit := testkit.SignRawHS256(testSecret, `{"alg":"HS256","typ":"JWT","crit":["exp"]}`, fmt.Sprintf(`{"email":"admin@example.com","iat":%d,"exp":%d}`, now, now+60))
		if got := call(t, "GET", s.srv.URL+pingPath, map[string]string{"Authorization": "Bearer " + crit}, ""); got.status != 401 || got.body != bodyInvalid {
			t.Errorf("crit header: %d %s", got.status, got.body)
		}
		// The same, well formed, passes.
		good := testkit.SignRawHS256(testSecret, `{"alg":"HS256","typ":"JWT"}`, fmt.Sprintf(`{"email":"admin@example.com","iat":%d}`, now))
		if got := call(t, "GET", s.srv.URL+pingPath, map[string]string{"Authorization": "Bearer " + good}, ""); got.status != 200 {
			t.Errorf("well formed: %d %s", got.status, got.body)
		}
	})
}
