package engine_test

import (
	"context"
	"testing"
	"time"

	"github.com/agentlayer/agentlayer/auth"
	"github.com/agentlayer/agentlayer/engine"
)

// TestCache_guardInKey: two requests that read the same rows but name
// different sets (a year, and the last complete year from the latest
// value) ask different guards of the aggregate rules; an answer the cache
// kept for one is never served for the other, whose guard refuses it.
func TestCache_guardInKey(t *testing.T) {
	ctx := context.Background()
	cached := openCached(t, engine.CacheOptions{TTL: time.Hour})
	plain := openCached(t, engine.CacheOptions{})
	u := &auth.Principal{Email: "u7@example.com", Groups: []string{"benchmark"}, Attributes: map[string]any{"state": "NY"}}
	year := `{"table_id":1,"filters":[{"field_id":"CREATED_AT","operation":"equals","value":"2024","bucket":"year"}],"aggregations":[{"function":"count"}]}`
	relative := `{"table_id":1,"filters":[{"field_id":"CREATED_AT","operation":"last","value":1,"unit":"year","complete":true,"anchor":"latest"}],"aggregations":[{"function":"count"}]}`
	for _, q := range []string{year, relative, year, relative} {
		if got, want := askCached(ctx, cached, u, q), askCached(ctx, plain, u, q); !got.same(want) {
			t.Errorf("%s: with the cache %+v, without %+v", q, got, want)
		}
	}
}
