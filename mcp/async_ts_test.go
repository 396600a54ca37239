package mcp_test

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/agentlayer/agentlayer/engine"
	"github.com/agentlayer/agentlayer/mcp"
)

// TestAsync_typeScriptClient: the official TypeScript SDK's client, with a
// request timeout below the query's time, asks slowModel's count: its
// query call answers in time with a handle, get_result answers running,
// then the count (checked against the count worked out here), once.
// scripts/test installs the client (npm ci in testdata/tsclient); in CI a
// missing Node or client is a failure.
func TestAsync_typeScriptClient(t *testing.T) {
	node, dir := nodeScripts(t, filepath.Join("@modelcontextprotocol", "sdk"))
	st := newStack(t, engine.Options{ModelFile: "slow.yaml", ModelYAML: slowModel, Unrestricted: true, QueryTimeout: time.Minute},
		mcp.Options{AnswerWithin: 200 * time.Millisecond, AsyncTimeout: time.Minute})
	const timeout = 1000 // ms: the client's own request timeout
	args := `{"table_id": 1, "aggregations": [{"function": "count"}]}`
	start := time.Now()
	cmd := exec.Command(node, "client.mjs", st.srv.URL+"/api/agent/mcp", token(t, "a@example.com", nil), strconv.Itoa(timeout), args)
	cmd.Dir = dir
	kv := map[string]string{}
	out, err := cmd.CombinedOutput()
	elapsed := time.Since(start)
	for _, line := range strings.Split(string(out), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			kv[k] = v
		}
	}
	if err != nil {
		t.Fatalf("the client: %v\n%s", err, out)
	}
	// The premise: the query takes longer than the client waits for a call.
	if elapsed < timeout*time.Millisecond {
		t.Fatalf("the query took %v, less than the client's %d ms: slowModel no longer tests a query that outlives a call", elapsed, timeout)
	}
	if kv["first_status"] != "running" || kv["first_text_names_get_result"] != "true" {
		t.Errorf("the query call: %s", out)
	}
	if n, _ := strconv.Atoi(kv["running_polls"]); n < 1 {
		t.Errorf("get_result never answered running: %s", out)
	}
	if want := fmt.Sprintf("[[%d]]", slowCount()); kv["status"] != "completed" || kv["is_error"] != "false" || kv["rows"] != want {
		t.Errorf("the answer: status %s rows %s, want completed %s\n%s", kv["status"], kv["rows"], want, out)
	}
	if kv["again_is_error"] != "true" {
		t.Errorf("a handle answered twice: %s", out)
	}
}

// slowCount is slowModel's row count, worked out without the database:
// pairs a, b below 20,000 with 7a + b divisible by 13 (the hash term
// always holds, a hash modulo 3 is never 7).
func slowCount() int {
	n := 0
	for a := range 20000 {
		r := (13 - 7*a%13) % 13 // b ≡ -7a (mod 13)
		n += (20000 - r + 12) / 13
	}
	return n
}
