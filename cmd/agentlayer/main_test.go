package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/agentlayer/agentlayer/auth"
	"github.com/agentlayer/agentlayer/internal/testsupport/testkit"
)

func runCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestValidate(t *testing.T) {
	code, out, errOut := runCmd(t, "validate", "../../fixtures/sample/model.yaml")
	if code != 0 {
		t.Fatalf("validate sample: exit %d\n%s", code, errOut)
	}
	if !strings.Contains(out, "ok") {
		t.Errorf("validate sample printed %q", out)
	}
	code, _, errOut = runCmd(t, "validate", "../../semantic/testdata/invalid/many-problems/model.yaml")
	if code != 1 {
		t.Fatalf("validate broken model: exit %d, want 1", code)
	}
	// Every problem, each with file:line:col.
	lines := regexp.MustCompile(`(?m)^\S+model\.yaml:\d+:\d+: `).FindAllString(errOut, -1)
	if len(lines) != 6 {
		t.Errorf("validate printed %d problems, want 6:\n%s", len(lines), errOut)
	}
}

func TestFixturesExport(t *testing.T) {
	dir := t.TempDir()
	code, out, errOut := runCmd(t, "fixtures", "export", "--scale", "1", "--out", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "PRODUCTS 200, PEOPLE 2500, ORDERS 18760, REVIEWS 1112") {
		t.Errorf("output %q", out)
	}
	for _, f := range []string{"PRODUCTS.parquet", "PEOPLE.parquet", "ORDERS.parquet", "REVIEWS.parquet", "model.yaml"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	if code, _, errOut := runCmd(t, "validate", filepath.Join(dir, "model.yaml")); code != 0 {
		t.Errorf("exported model does not validate: %s", errOut)
	}
}

func TestHelp(t *testing.T) {
	for _, c := range commands() {
		code, out, _ := runCmd(t, c.name, "--help")
		if code != 0 || !strings.Contains(out, "Usage: agentlayer "+c.name) {
			t.Errorf("%s --help: exit %d, output %q", c.name, code, out)
		}
	}
	if _, out, _ := runCmd(t, "serve", "--help"); !strings.Contains(out, "AGENTLAYER_JWT_SECRET") {
		t.Errorf("serve --help does not document AGENTLAYER_JWT_SECRET")
	}
	if code, _, _ := runCmd(t, "nonsense"); code != 2 {
		t.Errorf("unknown command: exit %d, want 2", code)
	}
}

// TestServe runs the README's first command on a free port and pings it.
func TestServe(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	t.Setenv("AGENTLAYER_JWT_SECRET", "")
	var stderr testkit.SyncBuffer
	done := make(chan int)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--scale", "0.05"}, io.Discard, &stderr)
	}()
	base := servedURL(t, &stderr)
	// Without a configured secret, serve makes one and prints the command
	// that mints tokens for it.
	m := regexp.MustCompile(`token --jwt-secret-file (\S+) --email (\S+)`).FindStringSubmatch(stderr.String())
	if m == nil {
		t.Fatalf("serve did not print a token command:\n%s", stderr.String())
	}
	code, tok, errOut := runCmd(t, "token", "--jwt-secret-file", m[1], "--email", m[2])
	if code != 0 {
		t.Fatalf("token: %s", errOut)
	}
	for _, tt := range []struct {
		auth   string
		status int
		body   string
	}{
		{"", 401, "missing_authorization"},
		{"Bearer " + strings.TrimSpace(tok), 200, "pong"},
	} {
		var h map[string]string
		if tt.auth != "" {
			h = map[string]string{"Authorization": tt.auth}
		}
		status, _, body := testkit.Call(t, "GET", base+"/v1/ping", "", h)
		if status != tt.status || !strings.Contains(body, tt.body) {
			t.Errorf("ping: %d %s, want %d %s", status, body, tt.status, tt.body)
		}
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("serve exited %d:\n%s", code, stderr.String())
	}
}

func TestToken(t *testing.T) {
	secret := "0123456789abcdef0123456789abcdef"
	file := filepath.Join(t.TempDir(), "secret")
	os.WriteFile(file, []byte(secret+"\n"), 0o600)
	code, out, errOut := runCmd(t, "token", "--jwt-secret-file", file, "--email", "A@example.com", "--group", "sales", "--group", "crm", "--attr", "state=TX", "--scope", "agent:*")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	v, err := auth.NewVerifier(auth.VerifierOptions{Secret: []byte(secret)})
	if err != nil {
		t.Fatal(err)
	}
	p, err := v.Verify(strings.TrimSpace(out))
	if err != nil {
		t.Fatal(err)
	}
	if p.Email != "a@example.com" || strings.Join(p.Groups, ",") != "crm,sales" || p.Attributes["state"] != "TX" || !p.Allows("agent:search") {
		t.Errorf("principal = %+v", p)
	}
	t.Setenv("AGENTLAYER_JWT_SECRET", "")
	if code, _, errOut := runCmd(t, "token", "--email", "a@example.com"); code != 1 || !strings.Contains(errOut, "no JWT secret") {
		t.Errorf("without secret: exit %d, %s", code, errOut)
	}
}

func TestExplain(t *testing.T) {
	file := filepath.Join(t.TempDir(), "request.json")
	os.WriteFile(file, []byte(`{"table_id":1,"filters":[{"field_id":"t1-16","operation":"equals","value":"TX"}],"aggregations":[{"function":"count"}]}`), 0o644)
	code, out, errOut := runCmd(t, "explain", "--request", file)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"table 1 ORDERS", `LEFT JOIN "PEOPLE" AS "t1"`, `WHERE "t1"."STATE" = $1`, `-- $1 = "TX"`} {
		if !strings.Contains(out, want) {
			t.Errorf("explain output lacks %q:\n%s", want, out)
		}
	}
	os.WriteFile(file, []byte(`{"table_id":1,"filters":[{"field_id":"t1-5","operation":"equals","value":"x"}]}`), 0o644)
	code, _, errOut = runCmd(t, "explain", "--request", file)
	if code != 1 || !strings.Contains(errOut, "filters[0].value: filters[0].value must be a number for field t1-5 (TOTAL)") {
		t.Errorf("bad request: exit %d, %s", code, errOut)
	}
}
