// Command compare measures agentlayer against the raw database on the
// sample dataset: for each agent query, scale and database (embedded
// DuckDB, and PostgreSQL with -postgres), the plan's SQL run raw through
// database/sql (DuckDB's driver, or pgx on the same server), the same
// request through the engine, and over loopback HTTP, interleaved in one
// process over several rounds. It prints medians, their ratios, and what
// planning costs.
//
//	go run ./benchmarks/compare [-scales 1,100] [-rounds 7] [-json out.json]
//	    [-postgres postgres://postgres@127.0.0.1:5432/bench]
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/agentlayer/agentlayer/benchmarks"
	"github.com/agentlayer/agentlayer/engine"
	"github.com/agentlayer/agentlayer/sqlgen"
)

// Result is one query at one scale.
type Result struct {
	Database string  `json:"database"` // duckdb or postgres
	Scale    float64 `json:"scale"`
	Query    string  `json:"query"`
	Rows     int     `json:"rows"`
	RawMs    float64 `json:"raw_ms"` // database/sql, every value scanned into an any
	// FastMs is the database's fastest raw path, every value converted to
	// its Go type: DuckDB's Arrow interface, pgx's own on PostgreSQL.
	FastMs      float64 `json:"fast_raw_ms"`
	FastRatio   float64 `json:"engine_fast_ratio"` // the engine over FastMs
	EngineMs    float64 `json:"engine_ms"`
	HTTPMs      float64 `json:"http_ms"`
	MCPMs       float64 `json:"mcp_ms"`
	SQLMs       float64 `json:"sql_ms,omitempty"` // the statement over the wire (pgx); 0 when SQL cannot say it
	SQLRatio    float64 `json:"sql_ratio,omitempty"`
	EngineRatio float64 `json:"engine_ratio"`
	HTTPRatio   float64 `json:"http_ratio"`
	MCPRatio    float64 `json:"mcp_http_ratio"` // MCP over HTTP, both through their query token
	// With -cache: the engine's miss (computed and kept), hit, and the
	// hit over HTTP; engine and http are then the cache bypassed, as
	// without one.
	MissMs       float64 `json:"miss_ms,omitempty"`
	HitMs        float64 `json:"hit_ms,omitempty"`
	HTTPHitMs    float64 `json:"http_hit_ms,omitempty"`
	MissRatio    float64 `json:"miss_ratio,omitempty"`
	HitRatio     float64 `json:"hit_ratio,omitempty"`
	HTTPHitRatio float64 `json:"http_hit_ratio,omitempty"`
	PlanUs       float64 `json:"plan_us"`
	PlanAllocs   float64 `json:"plan_allocs"`
}

// Report is the whole run.
type Report struct {
	Machine string   `json:"machine"`
	Rounds  int      `json:"rounds"`
	Cache   bool     `json:"cache"`
	Results []Result `json:"results"`
	Targets []string `json:"targets"`
}

func main() {
	scalesFlag := flag.String("scales", "1,100", "comma-separated scales of the sample dataset")
	rounds := flag.Int("rounds", 7, "rounds per query; each round runs each path several times")
	budget := flag.Duration("round-time", 300*time.Millisecond, "time each path gets per round")
	jsonOut := flag.String("json", "", "also write the report as JSON to this `file`")
	only := flag.String("query", "", "measure only the queries whose name contains this")
	pgURL := flag.String("postgres", "", "also measure on the PostgreSQL database at this `URL` (its sample tables are replaced)")
	cache := flag.Bool("cache", false, "serve with the result cache, and measure its miss and hit paths instead of MCP")
	flag.Parse()

	ctx := context.Background()
	report := Report{Machine: machine(), Rounds: *rounds, Cache: *cache}
	var cacheOpts engine.CacheOptions
	if *cache {
		cacheOpts = engine.CacheOptions{TTL: time.Hour}
	}
	for _, s := range strings.Split(*scalesFlag, ",") {
		scale, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			fatal(err)
		}
		databases := []string{"duckdb"}
		if *pgURL != "" {
			databases = append(databases, "postgres")
		}
		for _, database := range databases {
			fmt.Fprintf(os.Stderr, "%s, scale %g: loading the sample dataset…\n", database, scale)
			var env *benchmarks.Env
			if database == "postgres" {
				env, err = benchmarks.NewPostgresEnv(ctx, scale, *pgURL)
			} else {
				env, err = benchmarks.NewCachedEnv(ctx, scale, cacheOpts)
			}
			if err != nil {
				fatal(err)
			}
			for _, q := range benchmarks.Queries {
				if !strings.Contains(q.Name, *only) {
					continue
				}
				fmt.Fprintf(os.Stderr, "  %s\n", q.Name)
				measure := measure
				if *cache {
					measure = measureCache
				}
				r, err := measure(ctx, env, q, *rounds, *budget)
				if err != nil {
					fatal(fmt.Errorf("%s: %w", q.Name, err))
				}
				r.Database = database
				report.Results = append(report.Results, r)
			}
			env.Close()
		}
	}
	report.Targets = targets(report.Results)
	print(os.Stdout, report)
	if *jsonOut != "" {
		data, _ := json.MarshalIndent(report, "", "  ")
		if err := os.WriteFile(*jsonOut, append(data, '\n'), 0o644); err != nil {
			fatal(err)
		}
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "compare:", err)
	os.Exit(1)
}

// measure runs the four paths of a query — raw SQL, the engine, the Agent
// API's /v1/execute and MCP's execute_query with the same token —
// interleaved, and takes medians.
func measure(ctx context.Context, env *benchmarks.Env, q benchmarks.Query, rounds int, budget time.Duration) (Result, error) {
	p, err := env.Prepare(ctx, q)
	if err != nil {
		return Result{}, err
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	jwt := benchmarks.JWTs(q.Persona)
	m, err := env.OpenMCP(ctx, client, q.Persona)
	if err != nil {
		return Result{}, err
	}
	defer m.Close()
	var rows int
	paths := []func() error{
		func() (err error) { rows, err = env.Raw(ctx, p); return err },
		func() error {
			n, err := env.RawFast(ctx, p)
			if err == nil && n != rows {
				err = fmt.Errorf("the fastest raw path returned %d rows, database/sql %d", n, rows)
			}
			return err
		},
		func() error { _, err := env.EngineRun(ctx, p); return err },
		func() error { _, err := env.HTTP(ctx, client, p, jwt()); return err },
		func() error {
			n, err := m.Execute(ctx, p)
			if err == nil && n != rows {
				err = fmt.Errorf("MCP returned %d rows, raw %d", n, rows)
			}
			return err
		},
	}
	if q.Statement != "" {
		c, err := env.OpenSQL(ctx, q.Persona)
		if err != nil {
			return Result{}, err
		}
		defer c.Close(ctx)
		paths = append(paths, func() error {
			n, err := env.SQL(ctx, c, q)
			if err == nil && n != rows {
				err = fmt.Errorf("SQL returned %d rows, raw %d", n, rows)
			}
			return err
		})
	}
	samples, err := interleave(paths, rounds, budget)
	if err != nil {
		return Result{}, err
	}
	r := Result{Scale: env.Scale, Query: q.Name, Rows: rows, RawMs: ms(median(samples[0])), FastMs: ms(median(samples[1])),
		EngineMs: ms(median(samples[2])), HTTPMs: ms(median(samples[3])), MCPMs: ms(median(samples[4]))}
	r.EngineRatio, r.HTTPRatio, r.MCPRatio = r.EngineMs/r.RawMs, r.HTTPMs/r.RawMs, r.MCPMs/r.HTTPMs
	r.FastRatio = r.EngineMs / r.FastMs
	if len(samples) > 5 {
		r.SQLMs = ms(median(samples[5]))
		r.SQLRatio = r.SQLMs / r.RawMs
	}
	r.PlanUs, r.PlanAllocs = planCost(ctx, env, q)
	return r, nil
}

// interleave warms every path up once (caches, prepared statements,
// connections), then runs each in turn for budget, rounds times: the
// durations of each path's runs.
func interleave(paths []func() error, rounds int, budget time.Duration) ([][]time.Duration, error) {
	for _, run := range paths {
		if err := run(); err != nil {
			return nil, err
		}
	}
	samples := make([][]time.Duration, len(paths))
	for range rounds {
		for i, run := range paths {
			for start := time.Now(); time.Since(start) < budget; {
				t := time.Now()
				if err := run(); err != nil {
					return nil, err
				}
				samples[i] = append(samples[i], time.Since(t))
			}
		}
	}
	return samples, nil
}

// measureCache runs the paths of a query through an engine with the
// result cache: raw SQL; the engine and /v1/execute bypassing the cache
// (as without one); the engine's miss (the cache emptied before each
// run, so that every run computes and keeps the answer); its hit; and
// /v1/execute's hit.
func measureCache(ctx context.Context, env *benchmarks.Env, q benchmarks.Query, rounds int, budget time.Duration) (Result, error) {
	p, err := env.Prepare(ctx, q)
	if err != nil {
		return Result{}, err
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	fresh := benchmarks.JWTs(q.Persona)
	bypass := engine.WithoutCache(ctx)
	var rows int
	check := func(n int, err error) error {
		if err == nil && n != rows {
			err = fmt.Errorf("%d rows, raw %d", n, rows)
		}
		return err
	}
	paths := []func() error{
		func() (err error) { rows, err = env.Raw(ctx, p); return err },
		func() error { return check(env.EngineRun(bypass, p)) },
		func() error { return check(env.HTTPFresh(ctx, client, p, fresh())) },
		func() error { env.Engine.Invalidate(); return check(env.EngineRun(ctx, p)) },
		func() error { return check(env.EngineRun(ctx, p)) },
		func() error { return check(env.HTTP(ctx, client, p, fresh())) },
	}
	samples, err := interleave(paths, rounds, budget)
	if err != nil {
		return Result{}, err
	}
	r := Result{Scale: env.Scale, Query: q.Name, Rows: rows, RawMs: ms(median(samples[0])), EngineMs: ms(median(samples[1])),
		HTTPMs: ms(median(samples[2])), MissMs: ms(median(samples[3])), HitMs: ms(median(samples[4])), HTTPHitMs: ms(median(samples[5]))}
	r.EngineRatio, r.HTTPRatio = r.EngineMs/r.RawMs, r.HTTPMs/r.RawMs
	r.MissRatio, r.HitRatio, r.HTTPHitRatio = r.MissMs/r.RawMs, r.HitMs/r.RawMs, r.HTTPHitMs/r.RawMs
	r.PlanUs, r.PlanAllocs = planCost(ctx, env, q)
	return r, nil
}

// planCost is what turning the request into SQL costs for its user: parse,
// grant (cached, as on every request after the first), validate, plan,
// render; the median over batches, in µs, and the allocations of one.
func planCost(ctx context.Context, env *benchmarks.Env, q benchmarks.Query) (float64, float64) {
	p := env.Principal(q.Persona)
	const n = 2000
	run := func() {
		req, _ := sqlgen.ParseRequest([]byte(q.Request))
		lq, err := env.Engine.Construct(ctx, p, req)
		if err != nil {
			fatal(err)
		}
		plan, err := env.Engine.Plan(ctx, p, lq)
		if err != nil {
			fatal(err)
		}
		plan.SQL()
	}
	run()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	// The median of batches' means, as the target is a median: a batch
	// that a collection or the machine's other work slowed is one of many.
	const batches = 11
	means := make([]time.Duration, batches)
	for k := range means {
		start := time.Now()
		for range n / batches {
			run()
		}
		means[k] = time.Since(start) / (n / batches)
	}
	runtime.ReadMemStats(&after)
	return float64(median(means).Nanoseconds()) / 1000, float64(after.Mallocs-before.Mallocs) / float64(n/batches*batches)
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// targets checks the results against the targets at scale 100.
func targets(results []Result) []string {
	var out []string
	fastest := 0.0
	var maxPlan float64
	for _, r := range results {
		if r.Scale != 100 {
			continue
		}
		if r.Database == "duckdb" && (fastest == 0 || r.RawMs < fastest) {
			fastest = r.RawMs
		}
		maxPlan = max(maxPlan, r.PlanUs)
		verdict := func(ok bool) string {
			if ok {
				return "met"
			}
			return "MISSED"
		}
		switch {
		case r.HitMs > 0:
			out = append(out, fmt.Sprintf("%s, %s: engine/raw %.3f ≤ 1.05 %s", r.Database, r.Query, r.EngineRatio, verdict(r.EngineRatio <= 1.05)))
		case r.FastMs >= 1:
			out = append(out, fmt.Sprintf("%s, %s: engine/fastest raw %.3f ≤ 1.05 %s", r.Database, r.Query, r.FastRatio, verdict(r.FastRatio <= 1.05)))
		default:
			added, httpAdded := (r.EngineMs-r.FastMs)*1000, (r.HTTPMs-r.FastMs)*1000
			out = append(out, fmt.Sprintf("%s, %s: engine adds %.0f µs ≤ 25 %s", r.Database, r.Query, added, verdict(added <= 25)))
			out = append(out, fmt.Sprintf("%s, %s: http adds %.0f µs ≤ 120 %s", r.Database, r.Query, httpAdded, verdict(httpAdded <= 120)))
		}
		limit := 1.10
		if strings.Contains(r.Query, "detail page") {
			limit = 1.15
		}
		if r.RawMs >= 1 {
			out = append(out, fmt.Sprintf("%s, %s: http/raw %.3f ≤ %.2f %s", r.Database, r.Query, r.HTTPRatio, limit, verdict(r.HTTPRatio <= limit)))
		}
		if r.HitMs > 0 {
			out = append(out, fmt.Sprintf("%s, %s: miss/raw %.3f ≤ 1.05 %s", r.Database, r.Query, r.MissRatio, verdict(r.MissRatio <= 1.05)))
			out = append(out, fmt.Sprintf("%s, %s: hit/raw %.3f ≤ 0.10 %s", r.Database, r.Query, r.HitRatio, verdict(r.HitRatio <= 0.10)))
			out = append(out, fmt.Sprintf("%s, %s: http hit/raw %.3f ≤ 0.25 %s", r.Database, r.Query, r.HTTPHitRatio, verdict(r.HTTPHitRatio <= 0.25)))
			continue
		}
		out = append(out, fmt.Sprintf("%s, %s: mcp/http %.3f ≤ 1.10 %s", r.Database, r.Query, r.MCPRatio, verdict(r.MCPRatio <= 1.10)))
		if r.SQLMs > 0 && r.Scale >= 100 {
			out = append(out, fmt.Sprintf("%s, %s: sql/raw %.3f ≤ http/raw %.3f %s", r.Database, r.Query, r.SQLRatio, r.HTTPRatio, verdict(r.SQLRatio <= r.HTTPRatio)))
		}
	}
	if fastest > 0 {
		v := "met"
		if maxPlan > 30 {
			v = "MISSED"
		}
		out = append(out, fmt.Sprintf("planning + grant: at most %.1f µs ≤ 30 µs %s (%.2f%% of the fastest raw DuckDB query, %.3f ms)", maxPlan, v, maxPlan/(fastest*1000)*100, fastest))
	}
	return out
}

func print(w io.Writer, r Report) {
	fmt.Fprintf(w, "%s; medians of %d rounds\n\n", r.Machine, r.Rounds)
	if r.Cache {
		printCache(w, r)
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "database\tscale\tquery\trows\traw ms\tfastest raw ms\tengine ms\thttp ms\tmcp ms\tsql ms\tengine/raw\tengine/fastest\thttp/raw\tmcp/http\tsql/raw\tplan µs\tplan allocs\t")
	for _, x := range r.Results {
		sqlMs, sqlRatio := "—", "—"
		if x.SQLMs > 0 {
			sqlMs, sqlRatio = fmt.Sprintf("%.3f", x.SQLMs), fmt.Sprintf("%.3f", x.SQLRatio)
		}
		fmt.Fprintf(tw, "%s\t%g\t%s\t%d\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t%s\t%.3f\t%.3f\t%.3f\t%.3f\t%s\t%.1f\t%.0f\t\n",
			x.Database, x.Scale, x.Query, x.Rows, x.RawMs, x.FastMs, x.EngineMs, x.HTTPMs, x.MCPMs, sqlMs, x.EngineRatio, x.FastRatio, x.HTTPRatio, x.MCPRatio, sqlRatio, x.PlanUs, x.PlanAllocs)
	}
	tw.Flush()
	fmt.Fprintln(w)
	for _, t := range r.Targets {
		fmt.Fprintln(w, t)
	}
}

// printCache prints a run with the result cache.
func printCache(w io.Writer, r Report) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "database\tscale\tquery\trows\traw ms\tengine ms\thttp ms\tmiss ms\thit ms\thttp hit ms\tengine/raw\thttp/raw\tmiss/raw\thit/raw\thttp hit/raw\t")
	for _, x := range r.Results {
		fmt.Fprintf(tw, "%s\t%g\t%s\t%d\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t\n",
			x.Database, x.Scale, x.Query, x.Rows, x.RawMs, x.EngineMs, x.HTTPMs, x.MissMs, x.HitMs, x.HTTPHitMs,
			x.EngineRatio, x.HTTPRatio, x.MissRatio, x.HitRatio, x.HTTPHitRatio)
	}
	tw.Flush()
	fmt.Fprintln(w)
	for _, t := range r.Targets {
		fmt.Fprintln(w, t)
	}
}

func machine() string {
	cpu := "unknown CPU"
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if name, ok := strings.CutPrefix(line, "model name"); ok {
				cpu = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(name), ":"))
				break
			}
		}
	}
	return fmt.Sprintf("%s, %d cores, %s/%s, %s", cpu, runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version())
}
