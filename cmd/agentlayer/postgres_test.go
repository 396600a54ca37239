package main

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agentlayer/agentlayer/internal/testsupport/pgtest"
	"github.com/agentlayer/agentlayer/internal/testsupport/testkit"
)

// TestPostgres_commands runs what the README tells a PostgreSQL user to
// run: fixtures load, validate and explain against the server, then serve
// the sample from it; and what goes wrong when the sample is missing or a
// DuckDB flag is given.
func TestPostgres_commands(t *testing.T) {
	url := pgtest.NewDatabase(t)
	if code, _, errOut := runCmd(t, "serve", "--db", url, "--addr", "127.0.0.1:0"); code != 1 ||
		!strings.Contains(errOut, "load them first with agentlayer fixtures load --db URL") {
		t.Errorf("serve before the load: exit %d\n%s", code, errOut)
	}
	if code, _, errOut := runCmd(t, "serve", "--db", url, "--threads", "2"); code != 2 || !strings.Contains(errOut, "--threads does not apply: --db is a PostgreSQL server") {
		t.Errorf("serve --threads: exit %d\n%s", code, errOut)
	}
	code, out, errOut := runCmd(t, "fixtures", "load", "--db", url, "--scale", "0.1")
	if code != 0 || !strings.Contains(out, "loaded PRODUCTS 200, PEOPLE 250, ORDERS 1876, REVIEWS 111 rows") {
		t.Fatalf("fixtures load: exit %d %q\n%s", code, out, errOut)
	}
	if code, out, errOut := runCmd(t, "validate", "--db", url, "../../fixtures/sample/model.yaml", "../../fixtures/sample/policy.yaml"); code != 0 || !strings.Contains(out, "policy.yaml: ok") {
		t.Errorf("validate --db: exit %d %q\n%s", code, out, errOut)
	}
	file := filepath.Join(t.TempDir(), "request.json")
	os.WriteFile(file, []byte(`{"table_id":2,"aggregations":[{"function":"count"}],"group_by":[{"field_id":"t2-7"}]}`), 0o644)
	code, out, errOut = runCmd(t, "explain", "--db", url, "--request", file)
	if code != 0 || !strings.Contains(out, `ORDER BY ("t0"."STATE" COLLATE "C") ASC NULLS LAST`) {
		t.Errorf("explain --db: exit %d\n%s%s", code, out, errOut)
	}

	// serve --db URL answers as serve does on DuckDB at the same scale.
	counts := map[string]int{}
	for _, db := range []string{"", url} {
		args := []string{"serve", "--addr", "127.0.0.1:0"}
		if db == "" {
			args = append(args, "--scale", "0.1")
		} else {
			args = append(args, "--db", db)
		}
		counts[db] = ordersAsSales(t, args)
	}
	if counts[""] == 0 || counts[url] != counts[""] {
		t.Errorf("the sales persona's orders: %d on PostgreSQL, %d on DuckDB", counts[url], counts[""])
	}
}

// ordersAsSales starts serve with args, and counts the orders the sample's
// sales user sees through the Agent API.
func ordersAsSales(t *testing.T, args []string) int {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	secret := filepath.Join(t.TempDir(), "secret")
	os.WriteFile(secret, []byte("0123456789abcdef0123456789abcdef"), 0o600)
	var stderr testkit.SyncBuffer
	done := make(chan int)
	go func() { done <- run(ctx, append(args, "--jwt-secret-file", secret), io.Discard, &stderr) }()
	defer func() {
		cancel()
		<-done
	}()
	base := servedURL(t, &stderr)
	_, tok, _ := runCmd(t, "token", "--jwt-secret-file", secret, "--email", "sales.tx@example.com")
	ask := func(path, body string) map[string]any {
		_, _, answer := testkit.Call(t, "POST", base+path, body, testkit.Bearer(strings.TrimSpace(tok)))
		var out map[string]any
		json.Unmarshal([]byte(answer), &out)
		return out
	}
	q := ask("/v1/construct-query", `{"table_id":1,"aggregations":[{"function":"count"}]}`)
	r := ask("/v1/execute", `{"query":"`+q["query"].(string)+`"}`)
	rows, _ := r["data"].(map[string]any)["rows"].([]any)
	if len(rows) != 1 {
		t.Fatalf("serve %v: %v", args, r)
	}
	return int(rows[0].([]any)[0].(float64))
}
