package benchmarks

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/agentlayer/agentlayer/engine"
)

// BenchmarkCache runs the ten agent queries through an engine with the
// result cache: a miss (the cache emptied before each run, so that each
// computes and keeps the answer), a hit in process, and a hit over HTTP.
// Compare with BenchmarkQuery's raw runs of the same queries.
func BenchmarkCache(b *testing.B) {
	ctx := context.Background()
	for _, scale := range scales(b) {
		e, err := NewCachedEnv(ctx, scale, engine.CacheOptions{TTL: time.Hour})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(e.Close)
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
		for _, q := range Queries {
			p, err := e.Prepare(ctx, q)
			if err != nil {
				b.Fatalf("%s: %v", q.Name, err)
			}
			name := fmt.Sprintf("scale=%g/%s", scale, strings.ReplaceAll(q.Name, " ", "_"))
			b.Run(name+"/miss", func(b *testing.B) {
				loop(b, func() error {
					e.Engine.Invalidate()
					_, err := e.EngineRun(ctx, p)
					return err
				})
			})
			b.Run(name+"/hit", func(b *testing.B) {
				loop(b, func() error { _, err := e.EngineRun(ctx, p); return err })
			})
			b.Run(name+"/http_hit", func(b *testing.B) { benchHTTP(b, e, client, p) })
		}
	}
}
