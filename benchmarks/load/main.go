// Command load measures the result cache under load: concurrent clients
// over loopback HTTP ask a mix in which most requests repeat one of a few
// questions, asked by several personas, and the rest are new questions;
// once with the cache, once bypassing it (Cache-Control: no-cache, the
// path of a server without one), on the same server and data. Every
// response is checked against its persona's own answer: a 5xx, a
// mismatch or a leak fails the run.
//
//	go run ./benchmarks/load [-scale 100] [-clients 16] [-duration 20s]
//	    [-repeat 0.9] [-json out.json]
package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/agentlayer/agentlayer/benchmarks"
	"github.com/agentlayer/agentlayer/engine"
)

// question is one question as one persona, with the digest of its answer.
type question struct {
	name, persona string
	token         string
	want          [32]byte
}

// Run is one mode's outcome.
type Run struct {
	Mode       string  `json:"mode"` // cache or bypass
	Requests   int64   `json:"requests"`
	PerSecond  float64 `json:"requests_per_second"`
	P50Ms      float64 `json:"p50_ms"`
	P99Ms      float64 `json:"p99_ms"`
	Hits       int64   `json:"hits"`
	ServerErrs int64   `json:"server_errors"`
	Mismatches int64   `json:"mismatches"`
}

// Report is the whole run.
type Report struct {
	Machine   string  `json:"machine"`
	Scale     float64 `json:"scale"`
	Clients   int     `json:"clients"`
	Duration  string  `json:"duration"`
	Repeat    float64 `json:"repeat_share"`
	Questions int     `json:"repeated_questions"`
	Runs      []Run   `json:"runs"`
	Ratio     float64 `json:"throughput_ratio"`
}

func main() {
	scale := flag.Float64("scale", 100, "scale of the sample dataset")
	clients := flag.Int("clients", 16, "concurrent clients")
	duration := flag.Duration("duration", 20*time.Second, "how long each mode runs")
	repeat := flag.Float64("repeat", 0.9, "share of requests that repeat one of the questions")
	jsonOut := flag.String("json", "", "also write the report as JSON to this `file`")
	flag.Parse()
	ctx := context.Background()

	fmt.Fprintf(os.Stderr, "scale %g: loading the sample dataset…\n", *scale)
	env, err := benchmarks.NewCachedEnv(ctx, *scale, engine.CacheOptions{TTL: time.Hour})
	if err != nil {
		fatal(err)
	}
	defer env.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *clients}}
	questions, err := prepare(ctx, env, client)
	if err != nil {
		fatal(err)
	}
	counts, users, err := ordersPerUser(ctx, env)
	if err != nil {
		fatal(err)
	}
	fresh, err := newQuestions(ctx, env, counts, users, 30000)
	if err != nil {
		fatal(err)
	}
	report := Report{Machine: machine(), Scale: *scale, Clients: *clients, Duration: duration.String(), Repeat: *repeat, Questions: len(questions)}
	for _, mode := range []string{"bypass", "cache"} {
		env.Engine.Invalidate()
		fmt.Fprintf(os.Stderr, "%s: %d clients for %s…\n", mode, *clients, *duration)
		run := load(ctx, env, client, mode, questions, fresh, *clients, *duration, *repeat)
		report.Runs = append(report.Runs, run)
	}
	report.Ratio = report.Runs[1].PerSecond / report.Runs[0].PerSecond
	fmt.Printf("%s; sample at scale %g; %d clients, %s per mode; %.0f%% of requests repeat one of %d questions (persona × query)\n\n",
		report.Machine, *scale, *clients, *duration, *repeat*100, len(questions))
	fmt.Printf("%8s %9s %9s %8s %8s %7s %5s %10s\n", "mode", "requests", "req/s", "p50 ms", "p99 ms", "hits", "5xx", "mismatches")
	failed := false
	for _, r := range report.Runs {
		fmt.Printf("%8s %9d %9.1f %8.2f %8.2f %7d %5d %10d\n", r.Mode, r.Requests, r.PerSecond, r.P50Ms, r.P99Ms, r.Hits, r.ServerErrs, r.Mismatches)
		failed = failed || r.ServerErrs > 0 || r.Mismatches > 0
	}
	verdict := "met"
	if report.Ratio < 5 {
		verdict = "MISSED"
	}
	fmt.Printf("\nthroughput with the cache / without: %.2f ≥ 5 %s\n", report.Ratio, verdict)
	if *jsonOut != "" {
		data, _ := json.MarshalIndent(report, "", "  ")
		if err := os.WriteFile(*jsonOut, append(data, '\n'), 0o644); err != nil {
			fatal(err)
		}
	}
	if failed {
		fatal(fmt.Errorf("5xx or answers that are not their persona's"))
	}
}

// prepare makes the repeated questions: the benchmark's ten queries, each
// as its own persona and as the Texan sales persona (or the admin, where
// sales may not ask it), with each one's answer as computed bypassing the
// cache.
func prepare(ctx context.Context, env *benchmarks.Env, client *http.Client) ([]question, error) {
	var out []question
	for _, q := range benchmarks.Queries {
		added := 0
		for _, persona := range []string{q.Persona, "sales.tx@example.com", "admin@example.com"} {
			if added == 2 || slices.ContainsFunc(out, func(x question) bool { return x.name == q.Name && x.persona == persona }) {
				continue
			}
			q.Persona = persona
			p, err := env.Prepare(ctx, q)
			if err != nil {
				continue // this persona may not ask it
			}
			body, status, _, err := execute(ctx, env, client, p.Token, benchmarks.JWT(persona), true)
			if err != nil || status != http.StatusAccepted {
				return nil, fmt.Errorf("%s as %s: %d %v", q.Name, persona, status, err)
			}
			out = append(out, question{name: q.Name, persona: persona, token: p.Token, want: digest(body)})
			added++
		}
	}
	return out, nil
}

// ordersPerUser counts the orders of each user, from the raw database:
// the answers of the new questions, which count one user's orders.
func ordersPerUser(ctx context.Context, env *benchmarks.Env) (map[int64]int64, int64, error) {
	rows, err := env.DB.QueryContext(ctx, `SELECT USER_ID, count(*) FROM ORDERS WHERE USER_ID IS NOT NULL GROUP BY 1`)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := map[int64]int64{}
	for rows.Next() {
		var id, n int64
		if err := rows.Scan(&id, &n); err != nil {
			return nil, 0, err
		}
		out[id] = n
	}
	var users int64
	err = env.DB.QueryRowContext(ctx, `SELECT max(ID) FROM PEOPLE`).Scan(&users)
	return out, users, err
}

// newQuestions are n questions asked once each: the orders of a random
// user, as the analyst, with their answers from the raw database.
func newQuestions(ctx context.Context, env *benchmarks.Env, counts map[int64]int64, users int64, n int) ([]question, error) {
	rng := rand.New(rand.NewPCG(3, 4))
	out := make([]question, n)
	for i := range out {
		user := 1 + rng.Int64N(users)
		p, err := env.Prepare(ctx, benchmarks.Query{Persona: "analyst@example.com",
			Request: `{"table_id":1,"filters":[{"field_id":"t1-1","operation":"equals","value":` + strconv.FormatInt(user, 10) + `}],"aggregations":[{"function":"count"}]}`})
		if err != nil {
			return nil, err
		}
		out[i] = question{name: "orders of user " + strconv.FormatInt(user, 10), persona: "analyst@example.com", token: p.Token,
			want: sha256.Sum256([]byte(`"rows":[[` + strconv.FormatInt(counts[user], 10) + `]]`))}
	}
	return out, nil
}

// load runs the mix with clients for d, and counts.
func load(ctx context.Context, env *benchmarks.Env, client *http.Client, mode string, questions, fresh []question,
	clients int, d time.Duration, repeat float64) Run {
	var requests, hits, serverErrs, mismatches, next atomic.Int64
	var mu sync.Mutex
	var latencies []time.Duration
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(c), 42))
			jwts := map[string]string{}
			minted := time.Now()
			var mine []time.Duration
			for time.Now().Before(deadline) {
				if time.Since(minted) > time.Minute {
					clear(jwts)
					minted = time.Now()
				}
				var token, persona string
				var check func([]byte) bool
				if rng.Float64() < repeat {
					q := questions[rng.IntN(len(questions))]
					token, persona = q.token, q.persona
					check = func(body []byte) bool { return digest(body) == q.want }
				} else {
					q := fresh[int(next.Add(1)-1)%len(fresh)]
					token, persona = q.token, q.persona
					check = func(body []byte) bool {
						i := bytes.Index(body, []byte(`"rows":[[`))
						j := bytes.Index(body, []byte(`]]`))
						return i >= 0 && j > i && sha256.Sum256(body[i:j+2]) == q.want
					}
				}
				jwt, ok := jwts[persona]
				if !ok {
					jwt = benchmarks.JWT(persona)
					jwts[persona] = jwt
				}
				start := time.Now()
				body, status, cache, err := execute(ctx, env, client, token, jwt, mode == "bypass")
				mine = append(mine, time.Since(start))
				requests.Add(1)
				switch {
				case err != nil || status >= 500:
					serverErrs.Add(1)
				case status != http.StatusAccepted || !check(body):
					mismatches.Add(1)
				}
				if cache == "hit" {
					hits.Add(1)
				}
			}
			mu.Lock()
			latencies = append(latencies, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	slices.Sort(latencies)
	pct := func(p float64) float64 {
		if len(latencies) == 0 {
			return 0
		}
		return float64(latencies[int(p*float64(len(latencies)-1))].Microseconds()) / 1000
	}
	return Run{Mode: mode, Requests: requests.Load(), PerSecond: float64(requests.Load()) / d.Seconds(), P50Ms: pct(0.5), P99Ms: pct(0.99),
		Hits: hits.Load(), ServerErrs: serverErrs.Load(), Mismatches: mismatches.Load()}
}

// execute runs a query token through /v1/execute and reads the whole
// answer.
func execute(ctx context.Context, env *benchmarks.Env, client *http.Client, token, jwt string, bypass bool) ([]byte, int, string, error) {
	req, err := http.NewRequestWithContext(ctx, "POST", env.Server.URL+"/api/agent/v1/execute", bytes.NewReader([]byte(`{"query":"`+token+`"}`)))
	if err != nil {
		return nil, 0, "", err
	}
	req.Header.Set("Authorization", "Bearer "+jwt)
	if bypass {
		req.Header.Set("Cache-Control", "no-cache")
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return body, resp.StatusCode, resp.Header.Get("X-Agentlayer-Cache"), err
}

// digest is the digest of an answer without its running time, which
// differs from run to run.
func digest(body []byte) [32]byte {
	const rt = `"running_time":`
	if i := bytes.LastIndex(body, []byte(rt)); i >= 0 {
		j := i + len(rt)
		for j < len(body) && body[j] >= '0' && body[j] <= '9' {
			j++
		}
		body = append(slices.Clip(body[:i]), body[j:]...)
	}
	return sha256.Sum256(body)
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "load:", err)
	os.Exit(1)
}

func machine() string {
	return fmt.Sprintf("%d cores, %s/%s, %s", runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version())
}
