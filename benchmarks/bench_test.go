package benchmarks

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/agentlayer/agentlayer/auth"
	"github.com/agentlayer/agentlayer/fixtures"
	"github.com/agentlayer/agentlayer/permissions"
	"github.com/agentlayer/agentlayer/semantic"
)

var scalesFlag = flag.String("scales", "1,100", "comma-separated scales of the sample dataset to benchmark")

// postgresFlag also runs BenchmarkQuery on PostgreSQL (its sample tables
// are replaced).
var postgresFlag = flag.String("postgres", "", "also benchmark the queries on the PostgreSQL database at this `URL`")

var envs sync.Map // scale → *Env

func env(b *testing.B, scale float64) *Env {
	b.Helper()
	if e, ok := envs.Load(scale); ok {
		return e.(*Env)
	}
	e, err := NewEnv(context.Background(), scale)
	if err != nil {
		b.Fatal(err)
	}
	envs.Store(scale, e)
	return e
}

func scales(b *testing.B) []float64 {
	var out []float64
	for _, s := range strings.Split(*scalesFlag, ",") {
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			b.Fatalf("-scales: %v", err)
		}
		out = append(out, f)
	}
	return out
}

// BenchmarkJWT verifies a token of a directory user.
func BenchmarkJWT(b *testing.B) {
	dir, _ := auth.ParseDirectory(fixtures.UsersFile, fixtures.Users())
	v, _ := auth.NewVerifier(auth.VerifierOptions{Secret: Secret, Directory: dir})
	tok := JWT("sales.tx@example.com")
	loop(b, func() error { _, err := v.Verify(tok); return err })
}

// BenchmarkGrant computes a user's grant of the sample policy: cold (a user
// unlike any before: every rule is bound) and cached.
func BenchmarkGrant(b *testing.B) {
	m, err := semantic.Parse(fixtures.ModelFile, fixtures.Model(), semantic.Options{})
	if err != nil {
		b.Fatal(err)
	}
	ps, err := permissions.Compile(fixtures.PolicyFile, fixtures.Policy(), m, permissions.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("cold", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			i++
			ps.For(&auth.Principal{Email: "s@x", Groups: []string{"sales"}, Attributes: map[string]any{"state": strconv.Itoa(i)}})
		}
	})
	b.Run("cached", func(b *testing.B) {
		p := &auth.Principal{Email: "s@x", Groups: []string{"sales"}, Attributes: map[string]any{"state": "TX"}}
		b.ReportAllocs()
		for b.Loop() {
			ps.For(p)
		}
	})
}

// BenchmarkQuery runs the ten agent queries four ways at each scale: the
// plan's SQL raw through database/sql, by the database's fastest raw path
// (Arrow, pgx; every value converted), through the engine, and over
// loopback HTTP.
func BenchmarkQuery(b *testing.B) {
	ctx := context.Background()
	type target struct {
		name string
		env  func(scale float64) *Env
	}
	targets := []target{{"duckdb", func(scale float64) *Env { return env(b, scale) }}}
	if *postgresFlag != "" {
		targets = append(targets, target{"postgres", func(scale float64) *Env {
			e, err := NewPostgresEnv(ctx, scale, *postgresFlag)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { e.Close() })
			return e
		}})
	}
	for _, tg := range targets {
		b.Run(tg.name, func(b *testing.B) { benchQueries(b, tg.env) })
	}
}

func benchQueries(b *testing.B, envOf func(scale float64) *Env) {
	ctx := context.Background()
	for _, scale := range scales(b) {
		e := envOf(scale)
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
		for _, q := range Queries {
			p, err := e.Prepare(ctx, q)
			if err != nil {
				b.Fatalf("%s: %v", q.Name, err)
			}
			name := fmt.Sprintf("scale=%g/%s", scale, strings.ReplaceAll(q.Name, " ", "_"))
			b.Run(name+"/raw", func(b *testing.B) {
				loop(b, func() error { _, err := e.Raw(ctx, p); return err })
			})
			b.Run(name+"/fastest", func(b *testing.B) {
				loop(b, func() error { _, err := e.RawFast(ctx, p); return err })
			})
			b.Run(name+"/engine", func(b *testing.B) {
				loop(b, func() error { _, err := e.EngineRun(ctx, p); return err })
			})
			b.Run(name+"/http", func(b *testing.B) { benchHTTP(b, e, client, p) })
		}
	}
}

// benchHTTP runs a prepared query over HTTP, as its persona.
func benchHTTP(b *testing.B, e *Env, client *http.Client, p *Prepared) {
	jwt := JWTs(p.Persona)
	loop(b, func() error { _, err := e.HTTP(context.Background(), client, p, jwt()); return err })
}

// loop runs op as a benchmark's body, its allocations reported; an error
// ends the benchmark.
func loop(b *testing.B, op func() error) {
	b.Helper()
	b.ReportAllocs()
	for b.Loop() {
		if err := op(); err != nil {
			b.Fatal(err)
		}
	}
}
