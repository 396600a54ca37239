// Command soak drives agentlayer serve at a constant rate for a while,
// across the sample's personas, and checks every answer against the answer
// of SQL written by hand over the same data in a DuckDB of its own.
//
// It builds and starts `agentlayer serve` on the sample dataset (or a
// PostgreSQL database with --db) with a metrics listener, and prints
// requests per second, latency percentiles, status counts, leaks (answers
// holding what a persona may not see: must be 0), 5xx other than 503 (must
// be 0), and the server's resident memory and goroutines before, after,
// and a minute after the load. scripts/soak runs it.
package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/agentlayer/agentlayer/auth"
	"github.com/agentlayer/agentlayer/fixtures"
	"github.com/agentlayer/agentlayer/internal/testsupport/testkit"
)

const secret = "agentlayer-soak-secret-0123456789abcdef"

func main() {
	duration := flag.Duration("duration", 60*time.Second, "how long to send load")
	rate := flag.Int("rate", 200, "requests per second to send")
	workers := flag.Int("concurrency", 16, "requests in flight at most")
	scale := flag.Float64("scale", 1, "scale of the sample dataset")
	db := flag.String("db", "", "a PostgreSQL URL holding the sample (agentlayer fixtures load); default embedded DuckDB")
	settle := flag.Duration("settle", time.Minute, "how long to wait after the load before the last reading")
	flag.Parse()
	if err := soak(*duration, *rate, *workers, *scale, *db, *settle); err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(1)
	}
}

// check is one request of a persona and how to judge its answer.
type check struct {
	name, persona, method, path, body string
	// want is the answer's rows, canonical, from hand-written SQL; or
	// status alone when wantStatus is not 2xx.
	want       [][]string
	wantStatus int
	// forbidden are strings no answer to this persona may hold.
	forbidden []string
}

func soak(duration time.Duration, rate, workers int, scale float64, dbURL string, settle time.Duration) error {
	ref, err := sql.Open("duckdb", "")
	if err != nil {
		return err
	}
	defer ref.Close()
	if err := fixtures.Generate(context.Background(), ref, scale); err != nil {
		return err
	}
	checks, err := buildChecks(ref)
	if err != nil {
		return err
	}
	srv, err := startServer(scale, dbURL)
	if err != nil {
		return err
	}
	defer srv.stop()
	before := srv.reading()
	fmt.Printf("soak: %d checks, %d req/s for %v, %d in flight at most, against %s\n", len(checks), rate, duration, workers, srv.base)
	res := drive(srv.base, checks, duration, rate, workers)
	after := srv.reading()
	fmt.Printf("settling %v …\n", settle)
	time.Sleep(settle)
	later := srv.reading()
	res.print(duration)
	fmt.Printf("server RSS: %s before, %s after, %s %v after\n", mib(before.rss), mib(after.rss), mib(later.rss), settle)
	fmt.Printf("server goroutines: %d before, %d after, %d %v after\n", before.goroutines, after.goroutines, later.goroutines, settle)
	if res.leaks.Load() > 0 || res.server5xx.Load() > 0 || res.wrong.Load() > 0 {
		return fmt.Errorf("%d leaks, %d 5xx other than 503, %d wrong answers", res.leaks.Load(), res.server5xx.Load(), res.wrong.Load())
	}
	return nil
}

func mib(b float64) string { return fmt.Sprintf("%.0f MiB", b/(1<<20)) }

// buildChecks writes the requests of every persona and their answers, by
// hand-written SQL over the reference database.
func buildChecks(ref *sql.DB) ([]check, error) {
	rows := func(q string) [][]string {
		r, err := testkit.Rows(ref, q)
		if err != nil {
			panic(fmt.Sprintf("%v\n%s", err, q))
		}
		return r
	}
	var emails []string
	for _, r := range rows(`SELECT EMAIL FROM PEOPLE WHERE EMAIL IS NOT NULL ORDER BY ID LIMIT 10`) {
		emails = append(emails, r[0])
	}
	var otherStates []string // the answers of sales must hold no PEOPLE state but TX
	for _, r := range rows(`SELECT DISTINCT '"STATE":"' || STATE || '"' FROM PEOPLE WHERE STATE <> 'TX'`) {
		otherStates = append(otherStates, r[0])
	}
	revenueByYear := `SELECT year(o.CREATED_AT)::VARCHAR || '-01-01T00:00:00Z', sum(o.TOTAL), count(*) FROM ORDERS o
		LEFT JOIN PEOPLE p ON p.ID = o.USER_ID %s GROUP BY 1 ORDER BY 1`
	byYear := `{"table_id":1,"aggregations":[{"function":"sum","field_id":"t1-5"},{"function":"count"}],"group_by":[{"field_id":"t1-7","field_granularity":"year"}]}`
	people := `{"table_id":2,"aggregations":[{"function":"count"}]}`
	salesPeople := `{"table_id":2,"fields":[{"field_id":"t2-0"},{"field_id":"t2-7"},{"field_id":"t2-4"}],"limit":50}`
	return []check{
		{name: "admin revenue by year", persona: "admin@example.com", method: "query", body: byYear, want: rows(fmt.Sprintf(revenueByYear, ""))},
		{name: "admin revenue by year (token)", persona: "admin@example.com", method: "execute", body: byYear, want: rows(fmt.Sprintf(revenueByYear, ""))},
		{name: "analyst people", persona: "analyst@example.com", method: "query", body: people, want: rows(`SELECT count(*) FROM PEOPLE`), forbidden: emails},
		{name: "analyst table 2", persona: "analyst@example.com", method: "GET", path: "/api/agent/v1/table/2", wantStatus: 200, forbidden: []string{`"name":"EMAIL"`, `"name":"PASSWORD"`}},
		{name: "sales people", persona: "sales.tx@example.com", method: "query", body: people, want: rows(`SELECT count(*) FROM PEOPLE WHERE STATE = 'TX'`), forbidden: emails},
		{name: "sales revenue by year", persona: "sales.tx@example.com", method: "execute", body: byYear, want: rows(fmt.Sprintf(revenueByYear, "WHERE p.STATE = 'TX'"))},
		{name: "sales people rows", persona: "sales.tx@example.com", method: "query", body: salesPeople,
			want: rows(`SELECT ID, STATE, NAME FROM PEOPLE WHERE STATE = 'TX' ORDER BY ID LIMIT 50`), forbidden: append(slices.Clone(emails), otherStates...)},
		{name: "sales states", persona: "sales.tx@example.com", method: "GET", path: "/api/agent/v1/table/2/field/t2-7/values", wantStatus: 200, forbidden: otherStates},
		{name: "sales reviews", persona: "sales.tx@example.com", method: "GET", path: "/api/agent/v1/table/4", wantStatus: 403},
		{name: "sales search", persona: "sales.tx@example.com", method: "POST", path: "/api/agent/v1/search", body: `{"term_queries":["reviews"]}`, wantStatus: 200, forbidden: []string{`"name":"REVIEWS"`}},
		{name: "product reviews", persona: "product@example.com", method: "query", body: `{"table_id":4,"aggregations":[{"function":"count"}]}`, want: rows(`SELECT count(*) FROM REVIEWS`)},
		{name: "product orders", persona: "product@example.com", method: "GET", path: "/api/agent/v1/table/1", wantStatus: 403},
		{name: "nobody search", persona: "nobody@example.com", method: "POST", path: "/api/agent/v1/search", body: `{"term_queries":["orders"]}`, wantStatus: 200, forbidden: []string{`"type":"table"`}},
	}, nil
}

// server is a running agentlayer serve.
type server struct {
	cmd           *exec.Cmd
	base, metrics string
	dir           string
}

func startServer(scale float64, dbURL string) (*server, error) {
	dir, err := os.MkdirTemp("", "agentlayer-soak-")
	if err != nil {
		return nil, err
	}
	bin := filepath.Join(dir, "agentlayer")
	build := exec.Command("go", "build", "-o", bin, "./cmd/agentlayer")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return nil, fmt.Errorf("build: %w", err)
	}
	args := []string{"serve", "--addr", "127.0.0.1:0", "--metrics-addr", "127.0.0.1:0"}
	if dbURL != "" {
		args = append(args, "--db", dbURL)
	} else {
		args = append(args, "--scale", strconv.FormatFloat(scale, 'f', -1, 64))
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "AGENTLAYER_JWT_SECRET="+secret)
	logs := &testkit.SyncBuffer{}
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{cmd: cmd, dir: dir}
	api := regexp.MustCompile(`msg="serving the Agent API" url=(\S+)/api/agent`)
	metrics := regexp.MustCompile(`msg="serving metrics" url=(\S+)`)
	for deadline := time.Now().Add(5 * time.Minute); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		out := logs.String()
		if m := api.FindStringSubmatch(out); m != nil {
			s.base = m[1]
		}
		if m := metrics.FindStringSubmatch(out); m != nil {
			s.metrics = m[1]
		}
		if s.base != "" && s.metrics != "" {
			return s, nil
		}
	}
	s.stop()
	return nil, fmt.Errorf("serve did not start:\n%s", logs.String())
}

func (s *server) stop() {
	if s.cmd.Process != nil {
		s.cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { s.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			s.cmd.Process.Kill()
		}
	}
	os.RemoveAll(s.dir)
}

type reading struct {
	rss        float64
	goroutines int
}

var metricLine = regexp.MustCompile(`(?m)^(process_resident_memory_bytes|go_goroutines) (\S+)$`)

func (s *server) reading() reading {
	var r reading
	resp, err := http.Get(s.metrics)
	if err != nil {
		return r
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, m := range metricLine.FindAllStringSubmatch(string(body), -1) {
		v, _ := strconv.ParseFloat(m[2], 64)
		if m[1] == "go_goroutines" {
			r.goroutines = int(v)
		} else {
			r.rss = v
		}
	}
	return r
}

// results are the counts of a run.
type results struct {
	mu                        sync.Mutex
	latencies                 []time.Duration
	statuses                  map[int]int
	leaks, server5xx, wrong   atomic.Int64
	sent, dropped, transportE atomic.Int64
	firstProblems             []string
}

func (r *results) problem(kind *atomic.Int64, format string, args ...any) {
	kind.Add(1)
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.firstProblems) < 10 {
		r.firstProblems = append(r.firstProblems, fmt.Sprintf(format, args...))
	}
}

// drive sends rate requests a second for duration, round-robin over the
// checks, at most workers at once; a request that finds every worker busy
// is dropped (counted), so that the rate stays the rate asked.
func drive(base string, checks []check, duration time.Duration, rate, workers int) *results {
	res := &results{statuses: map[int]int{}}
	jobs := make(chan check, workers)
	var wg sync.WaitGroup
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers}, Timeout: 60 * time.Second}
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range jobs {
				res.run(client, base, c)
			}
		}()
	}
	tick := time.NewTicker(time.Second / time.Duration(rate))
	defer tick.Stop()
	end := time.After(duration)
	for i := 0; ; i++ {
		select {
		case <-end:
			close(jobs)
			wg.Wait()
			return res
		case <-tick.C:
			select {
			case jobs <- checks[i%len(checks)]:
				res.sent.Add(1)
			default:
				res.dropped.Add(1)
			}
		}
	}
}

func (r *results) run(client *http.Client, base string, c check) {
	tok, _ := auth.Sign([]byte(secret), auth.Claims{Email: c.persona})
	do := func(method, path, body string) (int, []byte, error) {
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := client.Do(req)
		if err != nil {
			return 0, nil, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp.StatusCode, b, err
	}
	start := time.Now()
	var status int
	var body []byte
	var err error
	switch c.method {
	case "query":
		status, body, err = do("POST", "/api/agent/v1/query", c.body)
	case "execute":
		status, body, err = do("POST", "/api/agent/v1/construct-query", c.body)
		if err == nil && status == 200 {
			var t struct{ Query string }
			json.Unmarshal(body, &t)
			status, body, err = do("POST", "/api/agent/v1/execute", `{"query":"`+t.Query+`"}`)
		}
	default:
		status, body, err = do(c.method, c.path, c.body)
	}
	took := time.Since(start)
	if err != nil {
		r.problem(&r.transportE, "%s: %v", c.name, err)
		return
	}
	r.mu.Lock()
	r.latencies = append(r.latencies, took)
	r.statuses[status]++
	r.mu.Unlock()
	for _, f := range c.forbidden {
		if bytes.Contains(body, []byte(f)) {
			r.problem(&r.leaks, "%s: the answer holds %q", c.name, f)
		}
	}
	switch {
	case status == 503:
		return // overloaded: allowed, with Retry-After
	case status >= 500:
		r.problem(&r.server5xx, "%s: %d %.200s", c.name, status, body)
		return
	}
	if c.want == nil {
		if status != c.wantStatus {
			r.problem(&r.wrong, "%s: status %d, want %d: %.200s", c.name, status, c.wantStatus, body)
		}
		return
	}
	var ans struct {
		Status string
		Data   struct{ Rows [][]any }
	}
	if status != 202 || json.Unmarshal(body, &ans) != nil || ans.Status != "completed" {
		r.problem(&r.wrong, "%s: %d %.200s", c.name, status, body)
		return
	}
	got := make([][]string, len(ans.Data.Rows))
	for i, row := range ans.Data.Rows {
		got[i] = testkit.CanonRow(row)
	}
	if d := testkit.DiffRows(got, c.want); d != "" {
		r.problem(&r.wrong, "%s: %s", c.name, d)
	}
}

func (r *results) print(duration time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	slices.Sort(r.latencies)
	pct := func(p float64) time.Duration {
		if len(r.latencies) == 0 {
			return 0
		}
		return r.latencies[min(len(r.latencies)-1, int(p*float64(len(r.latencies))))]
	}
	fmt.Printf("requests: %d sent, %d answered (%.1f/s), %d dropped (every worker busy), %d transport errors\n",
		r.sent.Load(), len(r.latencies), float64(len(r.latencies))/duration.Seconds(), r.dropped.Load(), r.transportE.Load())
	fmt.Printf("latency: p50 %v, p99 %v, max %v\n", pct(0.5).Round(10*time.Microsecond), pct(0.99).Round(10*time.Microsecond), pct(1).Round(10*time.Microsecond))
	var codes []int
	for c := range r.statuses {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	var parts []string
	for _, c := range codes {
		parts = append(parts, fmt.Sprintf("%d×%d", c, r.statuses[c]))
	}
	fmt.Printf("statuses: %s\n", strings.Join(parts, ", "))
	fmt.Printf("leaks: %d; 5xx other than 503: %d; wrong answers: %d\n", r.leaks.Load(), r.server5xx.Load(), r.wrong.Load())
	for _, p := range r.firstProblems {
		fmt.Println("  ", p)
	}
}
