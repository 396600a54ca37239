package mcp_test

import (
	"strings"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/agentlayer/agentlayer/engine"
	"github.com/agentlayer/agentlayer/mcp"
)

// slowModel is a table whose source makes the database count 400 million
// rows: a query of it takes seconds.
var slowModel = []byte(`version: 1
tables:
  - id: 1
    name: SLOW
    source: {sql: 'SELECT a.range AS ID FROM range(20000) a, range(20000) b WHERE (a.range * 7 + b.range) % 13 = 0 AND hash(a.range + b.range) % 3 <> 7'}
    fields:
      - {name: ID, type: BIGINT}
`)

// TestAsync_queryOutlivesItsCall: a query not answered within
// AnswerWithin answers with a handle and goes on; get_result answers
// "running" until its answer is ready, then the answer; a handle is the
// caller's alone; cancel stops a query.
func TestAsync_queryOutlivesItsCall(t *testing.T) {
	st := newStack(t, engine.Options{ModelFile: "slow.yaml", ModelYAML: slowModel, Unrestricted: true, QueryTimeout: time.Minute},
		mcp.Options{AnswerWithin: 50 * time.Millisecond, AsyncTimeout: time.Minute})
	cs := st.connect(t, bearer(token(t, "a@example.com", nil)))
	args := map[string]any{"table_id": 1, "aggregations": []any{map[string]any{"function": "count"}}}
	res, out := call(t, cs, "query", args)
	handle, _ := out["handle"].(string)
	if out["status"] != "running" || handle == "" || !strings.Contains(res.Content[0].(*sdk.TextContent).Text, "get_result") {
		t.Fatalf("a slow query: %v", out)
	}
	// Another user's call does not find it.
	other := st.connect(t, bearer(token(t, "b@example.com", nil)))
	if r, o := call(t, other, "get_result", map[string]any{"handle": handle}); !r.IsError || o["error"] != "not_found" {
		t.Errorf("another user's get_result: %v", o)
	}
	deadline := time.Now().Add(45 * time.Second)
	for {
		r, o := call(t, cs, "get_result", map[string]any{"handle": handle})
		if o["status"] == "running" && time.Now().Before(deadline) {
			time.Sleep(100 * time.Millisecond)
			continue
		}
		rows, _ := o["data"].(map[string]any)["rows"].([]any)
		if r.IsError || o["status"] != "completed" || len(rows) != 1 || rows[0].([]any)[0].(float64) <= 0 {
			t.Fatalf("the answer: %v", o)
		}
		break
	}
	// Fetched once: the handle is then gone.
	if r, _ := call(t, cs, "get_result", map[string]any{"handle": handle}); !r.IsError {
		t.Error("a handle answered twice")
	}
	// Cancelled: stopped, and gone.
	_, out = call(t, cs, "query", args)
	handle, _ = out["handle"].(string)
	if _, o := call(t, cs, "get_result", map[string]any{"handle": handle, "cancel": true}); o["status"] != "canceled" {
		t.Errorf("cancel: %v", o)
	}
	if r, _ := call(t, cs, "get_result", map[string]any{"handle": handle}); !r.IsError {
		t.Error("a cancelled query's handle answered")
	}
}
