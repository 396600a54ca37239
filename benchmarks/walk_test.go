package benchmarks

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"runtime"
	"testing"

	"github.com/agentlayer/agentlayer/engine"
)

// walkFields are the columns walked: an id, a foreign key, money and a
// timestamp.
const walkFields = `[{"field_id":"t1-0"},{"field_id":"t1-1"},{"field_id":"t1-5"},{"field_id":"t1-7"}]`

// BenchmarkWalk reads the first N orders (10,000 and 100,000 of the
// 187,000 at scale 10, the row cap raised to 200,000) page by page: through
// /v1/query's continuation tokens, and through MCP's query cursor, 2,000
// rows a page. It reports the bytes allocated per row, server and client
// together: flat in N when nothing grows with the rows walked.
func BenchmarkWalk(b *testing.B) {
	ctx := context.Background()
	e, err := NewEnvWith(ctx, 10, func(o *engine.Options) { o.MaxRows = 200_000 })
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	const persona = "analyst@example.com"
	for _, n := range []int{10_000, 100_000} {
		first := fmt.Sprintf(`{"table_id":1,"fields":%s,"order_by":[{"field":{"field_id":"t1-0"}}],"limit":%d,"page_size":2000}`, walkFields, n)
		b.Run(fmt.Sprintf("http/rows=%d", n), func(b *testing.B) {
			walk(b, n, func() (int, error) { return e.walkHTTP(ctx, client, persona, first) })
		})
		b.Run(fmt.Sprintf("mcp/rows=%d", n), func(b *testing.B) {
			m, err := e.OpenMCP(ctx, client, persona)
			if err != nil {
				b.Fatal(err)
			}
			defer m.Close()
			walk(b, n, func() (int, error) { return m.walk(ctx, first) })
		})
	}
}

// walk runs op, which reads n rows, as a benchmark's body, and reports
// the bytes allocated per row read.
func walk(b *testing.B, n int, op func() (int, error)) {
	b.ReportAllocs()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	rounds := 0
	for b.Loop() {
		got, err := op()
		if err != nil {
			b.Fatal(err)
		}
		if got != n {
			b.Fatalf("walked %d rows, want %d", got, n)
		}
		rounds++
	}
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(rounds*n), "B/row")
}

var continuation = regexp.MustCompile(`"continuation_token":"([^"]+)"`)

// walkHTTP reads every page of a /v1/query answer.
func (env *Env) walkHTTP(ctx context.Context, client *http.Client, persona, first string) (int, error) {
	jwt := JWT(persona)
	body, rows := first, 0
	for {
		req, err := http.NewRequestWithContext(ctx, "POST", env.Server.URL+"/api/agent/v1/query", bytes.NewReader([]byte(body)))
		if err != nil {
			return rows, err
		}
		req.Header.Set("Authorization", "Bearer "+jwt)
		resp, err := client.Do(req)
		if err != nil {
			return rows, err
		}
		data, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return rows, err
		}
		if resp.StatusCode != http.StatusAccepted {
			return rows, fmt.Errorf("query: %d %.300s", resp.StatusCode, data)
		}
		rows += rowCount(data)
		m := continuation.FindSubmatch(data)
		if m == nil {
			return rows, nil
		}
		body = `{"continuation_token":"` + string(m[1]) + `"}`
	}
}

var cursor = regexp.MustCompile(`\\?"cursor\\?":\\?"([^"\\]+)\\?"`)

// walk reads every page of an MCP query answer, by its cursor.
func (m *MCPClient) walk(ctx context.Context, first string) (int, error) {
	args, rows := first, 0
	for {
		data, err := m.Call(ctx, "query", args)
		if err != nil {
			return rows, err
		}
		rows += rowCount(data)
		c := cursor.FindAllSubmatch(data, -1)
		if c == nil {
			return rows, nil
		}
		args = `{"cursor":"` + string(c[len(c)-1][1]) + `"}`
	}
}
