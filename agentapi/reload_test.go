package agentapi

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/agentlayer/agentlayer/auth"
	"github.com/agentlayer/agentlayer/engine"
	"github.com/agentlayer/agentlayer/fixtures"
)

// The two policy sets the reload test swaps between: in B, sales see every
// state but their own, and not the names of people.
var (
	policyA = fixtures.Policy()
	policyB = []byte(strings.Replace(strings.Replace(string(fixtures.Policy()),
		"rows: row.STATE == user.attributes.state", "rows: row.STATE != user.attributes.state", 1),
		"hide: [EMAIL, PASSWORD]\n        rows: row.STATE", "hide: [EMAIL, PASSWORD, NAME]\n        rows: row.STATE", 1))
)

// TestReload_underLoad: clients query as three personas, through
// construct-then-execute (tokens minted under one set and run under the
// other) and /v1/query, while the policy set is swapped back and forth.
// Every answer is exactly the answer of one set or the other, and the only
// errors are those the new set causes (NAME, hidden in B, is not found).
func TestReload_underLoad(t *testing.T) {
	if string(policyA) == string(policyB) {
		t.Fatal("policy B is policy A")
	}
	ctx := context.Background()
	opts := engine.Options{ModelFile: fixtures.ModelFile, ModelYAML: fixtures.Model(), PolicyFile: "policy.yaml", PolicyYAML: policyA,
		Setup: fixtures.Setup(0.05), MaxConcurrentQueries: 4, QueueTimeout: 30 * time.Second}
	e, err := engine.New(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	h, err := sampleHandler(e)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	swap := func(policy []byte) {
		o := opts
		o.PolicyYAML = policy
		if err := e.Reload(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	queries := []string{
		`{"table_id":2,"aggregations":[{"function":"count"}]}`,
		`{"table_id":1,"aggregations":[{"function":"sum","field_id":"t1-5"},{"function":"count"}],"group_by":[{"field_id":"t1-7","field_granularity":"year"}]}`,
		`{"table_id":2,"fields":[{"field_id":"t2-0"},{"field_id":"t2-4"}],"limit":5}`,
		`{"table_id":3,"aggregations":[{"function":"avg","field_id":"t3-5"}]}`,
	}
	personas := []string{"admin@example.com", "sales.tx@example.com", "analyst@example.com"}
	header := func(email string) map[string]string {
		return map[string]string{"Authorization": "Bearer " + hs256(t, map[string]any{"email": email, "iat": time.Now().Unix()})}
	}
	// answer is what a request gets, as a string to compare.
	answer := func(email, query string, viaToken bool) string {
		h := header(email)
		var got response
		if viaToken {
			c := call(t, "POST", srv.URL+"/api/agent/v1/construct-query", h, query)
			if c.status != 200 {
				return fmt.Sprintf("construct %d %s", c.status, errorCode(c.body))
			}
			var tok struct{ Query string }
			json.Unmarshal([]byte(c.body), &tok)
			got = call(t, "POST", srv.URL+"/api/agent/v1/execute", h, `{"query":"`+tok.Query+`"}`)
		} else {
			got = call(t, "POST", srv.URL+"/api/agent/v1/query", h, query)
		}
		if got.status != 202 {
			return fmt.Sprintf("%d %s", got.status, errorCode(got.body))
		}
		var r execResult
		json.Unmarshal([]byte(got.body), &r)
		rows, _ := json.Marshal(r.Data.Rows)
		return r.Status + " " + roundFloats(string(rows))
	}
	expected := map[string][2]string{} // per persona and query: the answers under A and B
	for i, set := range [][]byte{policyA, policyB} {
		swap(set)
		for _, p := range personas {
			for _, q := range queries {
				k := p + " " + q
				x := expected[k]
				x[i] = answer(p, q, false)
				expected[k] = x
			}
		}
	}
	if x := expected["sales.tx@example.com "+queries[2]]; x[0] == x[1] || !strings.HasPrefix(x[1], "404") {
		t.Fatalf("the two sets do not differ as they should for sales: %q", x)
	}
	swap(policyA)

	stop := make(chan struct{})
	var reloads atomic.Int64
	reloaderDone := make(chan struct{})
	go func() {
		defer close(reloaderDone)
		sets := [][]byte{policyB, policyA}
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(10 * time.Millisecond):
			}
			o := opts
			o.PolicyYAML = sets[i%2]
			if err := e.Reload(ctx, o); err != nil {
				t.Error(err)
				return
			}
			reloads.Add(1)
		}
	}()
	var wg sync.WaitGroup
	var answers atomic.Int64
	bad := make(chan string, 100)
	for w := 0; w < 6; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 25 || reloads.Load() < 20; i++ {
				p, q := personas[(w+i)%len(personas)], queries[(w*7+i)%len(queries)]
				got := answer(p, q, i%2 == 0)
				x := expected[p+" "+q]
				// A construct refused under one set is that set's refusal,
				// as /v1/query gives it.
				got = strings.TrimPrefix(got, "construct ")
				if got != x[0] && got != x[1] {
					select {
					case bad <- fmt.Sprintf("%s %s:\n got %.200s\nwant %.200s\n  or %.200s", p, q, got, x[0], x[1]):
					default:
					}
				}
				answers.Add(1)
			}
		}()
	}
	wg.Wait()
	close(stop)
	// The engine closes when the test returns: a reload still reading
	// the database then would fail on a closed handle, not on a defect.
	<-reloaderDone
	close(bad)
	for b := range bad {
		t.Error(b)
	}
	t.Logf("%d answers checked across %d reloads", answers.Load(), reloads.Load())
	if reloads.Load() < 20 {
		t.Errorf("only %d reloads happened under load", reloads.Load())
	}
}

func errorCode(body string) string {
	var e struct{ Error string }
	json.Unmarshal([]byte(body), &e)
	return e.Error
}

// roundFloats rounds the numbers with fractions in a JSON text to 6
// digits: sums of doubles differ in their last digits from run to run.
func roundFloats(s string) string {
	var v any
	if json.Unmarshal([]byte(s), &v) != nil {
		return s
	}
	var walk func(any) any
	walk = func(x any) any {
		switch y := x.(type) {
		case float64:
			return fmt.Sprintf("%.6g", y)
		case []any:
			for i := range y {
				y[i] = walk(y[i])
			}
		}
		return x
	}
	out, _ := json.Marshal(walk(v))
	return string(out)
}

// TestHealthAndMetrics: /healthz and /readyz answer without credentials;
// the registry given to the handler counts requests by endpoint, status
// and outcome, and JWT failures by reason.
func TestHealthAndMetrics(t *testing.T) {
	e, err := sampleEngine()
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	v, _ := auth.NewVerifier(auth.VerifierOptions{Secret: testSecret})
	srv := httptest.NewServer(New(e, Options{Verifier: v, Metrics: reg}))
	defer srv.Close()
	if got := call(t, "GET", srv.URL+"/healthz", nil, ""); got.status != 200 || got.body != `{"status":"ok"}` {
		t.Errorf("healthz: %d %s", got.status, got.body)
	}
	got := call(t, "GET", srv.URL+"/readyz", nil, "")
	if got.status != 200 || !strings.Contains(got.body, `"status":"ready"`) || !strings.Contains(got.body, `"model_version":"`+e.Version().Model+`"`) {
		t.Errorf("readyz: %d %s", got.status, got.body)
	}
	old := hs256(t, map[string]any{"email": "a@example.com", "iat": time.Now().Unix() - 600})
	call(t, "GET", srv.URL+pingPath, map[string]string{"Authorization": "Bearer " + old}, "")
	call(t, "GET", srv.URL+pingPath, map[string]string{"Authorization": "Bearer " + hs256(t, map[string]any{"email": "a@example.com", "iat": time.Now().Unix()})}, "")
	ms := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	defer ms.Close()
	resp, err := http.Get(ms.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	text := string(body)
	for _, want := range []string{
		`agentlayer_jwt_failures_total{reason="issued_at"} 1`,
		`agentlayer_http_requests_total{endpoint="GET /api/agent/v1/ping",outcome="ok",status="200"} 1`,
		`agentlayer_http_requests_total{endpoint="GET /api/agent/v1/ping",outcome="refused",status="401"} 1`,
		`agentlayer_queries_running 0`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %s:\n%s", want, text)
		}
	}
}
