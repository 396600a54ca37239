package benchmarks

import (
	"context"
	"net/http"
	"strings"
	"testing"
)

// BenchmarkMCP runs each query's token through MCP's execute_query over
// loopback at scale 1, beside the same token through /v1/execute: what
// MCP's framing, its two views of the rows (structured, and a CSV text
// block) and the SDK cost over the Agent API.
func BenchmarkMCP(b *testing.B) {
	e := env(b, 1)
	ctx := context.Background()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	for _, q := range Queries {
		p, err := e.Prepare(ctx, q)
		if err != nil {
			b.Fatal(err)
		}
		m, err := e.OpenMCP(ctx, client, q.Persona)
		if err != nil {
			b.Fatal(err)
		}
		name := strings.ReplaceAll(q.Name, " ", "_")
		b.Run(name+"/mcp", func(b *testing.B) {
			loop(b, func() error { _, err := m.Execute(ctx, p); return err })
		})
		b.Run(name+"/http", func(b *testing.B) { benchHTTP(b, e, client, p) })
		m.Close()
	}
}
