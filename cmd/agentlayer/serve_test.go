package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/agentlayer/agentlayer/auth"
	"github.com/agentlayer/agentlayer/fixtures"
	"github.com/agentlayer/agentlayer/internal/testsupport/testkit"
)

const testSecret = "agentlayer-serve-test-secret-0123456789"

// startServe runs serve with args in this process until the returned stop
// is called (or the test ends), and waits for its listeners. stderr holds
// its log.
type served struct {
	base, metrics string
	stderr        *testkit.SyncBuffer
	done          chan int
}

// servedURL waits for serve, logging to stderr, to say where it serves.
func servedURL(t *testing.T, stderr *testkit.SyncBuffer) string {
	t.Helper()
	urlRE := regexp.MustCompile(`url=(\S+)`)
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := urlRE.FindStringSubmatch(stderr.String()); m != nil {
			return m[1]
		}
	}
	t.Fatalf("serve did not start:\n%s", stderr.String())
	return ""
}

func startServe(t *testing.T, ctx context.Context, args ...string) *served {
	t.Helper()
	t.Setenv("AGENTLAYER_JWT_SECRET", testSecret)
	s := &served{stderr: &testkit.SyncBuffer{}, done: make(chan int, 1)}
	go func() {
		s.done <- run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...), io.Discard, s.stderr)
	}()
	apiRE := regexp.MustCompile(`msg="serving the Agent API" url=(\S+)/api/agent`)
	metricsRE := regexp.MustCompile(`msg="serving metrics" url=(\S+)`)
	wantMetrics := strings.Contains(strings.Join(args, " "), "--metrics-addr")
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		out := s.stderr.String()
		if m := apiRE.FindStringSubmatch(out); m != nil {
			s.base = m[1]
		}
		if m := metricsRE.FindStringSubmatch(out); m != nil {
			s.metrics = m[1]
		}
		if s.base != "" && (!wantMetrics || s.metrics != "") {
			return s
		}
		select {
		case code := <-s.done:
			t.Fatalf("serve exited %d:\n%s", code, out)
		default:
		}
	}
	t.Fatalf("serve did not start:\n%s", s.stderr.String())
	return nil
}

func get(t *testing.T, url string, header map[string]string) (int, string) {
	t.Helper()
	status, _, body := testkit.Call(t, "GET", url, "", header)
	return status, body
}

func bearer(t *testing.T, email string) map[string]string {
	tok, err := auth.Sign([]byte(testSecret), auth.Claims{Email: email})
	if err != nil {
		t.Fatal(err)
	}
	return map[string]string{"Authorization": "Bearer " + tok}
}

// TestServe_reload: SIGHUP reloads the policy and the user directory; a
// broken policy keeps the previous set serving and logs its problems with
// file:line:col; /readyz and /metrics (on its own listener only) report
// both reloads.
func TestServe_reload(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir := t.TempDir()
	policy := filepath.Join(dir, "policy.yaml")
	users := filepath.Join(dir, "users.yaml")
	os.WriteFile(policy, fixtures.Policy(), 0o644)
	os.WriteFile(users, fixtures.Users(), 0o644)
	s := startServe(t, ctx, "--scale", "0.05", "--policy", policy, "--users", users, "--metrics-addr", "127.0.0.1:0")
	sales := bearer(t, "sales.tx@example.com")
	states := func() string {
		t.Helper()
		code, body := get(t, s.base+"/api/agent/v1/table/2/field/t2-7/values", sales)
		if code != 200 {
			t.Fatalf("values: %d %s", code, body)
		}
		var v struct{ Values []string }
		json.Unmarshal([]byte(body), &v)
		return strings.Join(v.Values, ",")
	}
	if got := states(); got != "TX" {
		t.Fatalf("before the reload, sales sees %s", got)
	}
	// The directory moves the user to California.
	os.WriteFile(users, []byte(strings.Replace(string(fixtures.Users()), "state: TX", "state: CA", 1)), 0o644)
	syscall.Kill(syscall.Getpid(), syscall.SIGHUP)
	waitFor(t, func() bool { return states() == "CA" }, "the new directory")

	// A broken policy: the previous set keeps serving.
	os.WriteFile(policy, []byte(strings.Replace(string(fixtures.Policy()), "row.STATE ==", "row.STAET ==", 1)), 0o644)
	syscall.Kill(syscall.Getpid(), syscall.SIGHUP)
	waitFor(t, func() bool { return strings.Contains(s.stderr.String(), "reload refused") }, "the refusal")
	if got := states(); got != "CA" {
		t.Errorf("after a broken reload, sales sees %s", got)
	}
	if !regexp.MustCompile(`at=\S+policy\.yaml:\d+:\d+ problem="table PEOPLE has no field STAET \(did you mean STATE\?\)"`).MatchString(s.stderr.String()) {
		t.Errorf("the refusal does not say where:\n%s", s.stderr.String())
	}
	code, body := get(t, strings.TrimSuffix(s.base, "/")+"/readyz", nil)
	if code != 200 || !strings.Contains(body, `"generation":2`) || !strings.Contains(body, `"ok":false`) {
		t.Errorf("readyz: %d %s", code, body)
	}
	if code, _ := get(t, s.base+"/metrics", nil); code != 404 {
		t.Errorf("/metrics on the public listener: %d", code)
	}
	code, body = get(t, s.metrics, nil)
	for _, want := range []string{"agentlayer_reloads_total 1", "agentlayer_reload_failures_total 1", "agentlayer_model_generation 2",
		`agentlayer_http_requests_total{endpoint="GET /api/agent/v1/table/{id}/field/{field_id}/values",outcome="ok",status="200"}`,
		"process_resident_memory_bytes", "go_goroutines"} {
		if code != 200 || !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	cancel()
	if code := <-s.done; code != 0 {
		t.Errorf("serve exited %d", code)
	}
}

// TestServe_watch: with --watch, a change of the policy file reloads it.
func TestServe_watch(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	policy := filepath.Join(t.TempDir(), "policy.yaml")
	os.WriteFile(policy, fixtures.Policy(), 0o644)
	s := startServe(t, ctx, "--scale", "0.05", "--policy", policy, "--watch")
	product := bearer(t, "product@example.com")
	if code, _ := get(t, s.base+"/api/agent/v1/table/4", product); code != 200 {
		t.Fatalf("product sees REVIEWS: %d", code)
	}
	os.WriteFile(policy, []byte(strings.Replace(string(fixtures.Policy()), "      REVIEWS:\n        hide: [REVIEWER]\n", "", 1)), 0o644)
	waitFor(t, func() bool { code, _ := get(t, s.base+"/api/agent/v1/table/4", product); return code == 403 }, "the watched change")
}

func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("waited in vain for %s", what)
		}
	}
}

// TestServe_sigterm sends SIGTERM, as main receives it, while a query
// streams that would run for minutes: serve stops accepting, gives it
// --shutdown-timeout, cancels it, and exits 0.
func TestServe_sigterm(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "model.yaml")
	os.WriteFile(model, []byte(`version: 1
tables:
  - id: 1
    name: HUGE
    source: {sql: "SELECT range AS ID FROM range(1000000000000)"}
    fields:
      - {name: ID, semantic_type: type/PK}
`), 0o644)
	policy := filepath.Join(dir, "policy.yaml")
	os.WriteFile(policy, []byte("version: 1\npolicies:\n  - {name: all, tables: \"*\"}\n"), 0o644)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	s := startServe(t, ctx, "--model", model, "--policy", policy, "--shutdown-timeout", "500ms", "--metrics-addr", "127.0.0.1:0")
	h := bearer(t, "a@example.com")
	req, _ := http.NewRequest("POST", s.base+"/api/agent/v1/query", strings.NewReader(`{"table_id":1,"aggregations":[{"function":"sum","field_id":"t1-0"}]}`))
	req.Header.Set("Authorization", h["Authorization"])
	answered := make(chan string, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			answered <- err.Error()
			return
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		answered <- string(body)
	}()
	waitFor(t, func() bool {
		_, body := get(t, s.metrics, nil)
		return strings.Contains(body, "agentlayer_queries_running 1")
	}, "the query to start")
	start := time.Now()
	syscall.Kill(syscall.Getpid(), syscall.SIGTERM)
	select {
	case code := <-s.done:
		if code != 0 {
			t.Errorf("serve exited %d:\n%s", code, s.stderr.String())
		}
	case <-time.After(60 * time.Second):
		t.Fatal("serve did not exit")
	}
	t.Logf("exited %v after SIGTERM; the client got: %.80s", time.Since(start).Round(time.Millisecond), <-answered)
	if !strings.Contains(s.stderr.String(), "cancelling the requests still open") {
		t.Errorf("the log does not say the open request was cancelled:\n%s", s.stderr.String())
	}
}

// TestServe_console: --console serves the console; on a loopback address
// serve prints its URL with the user picker's key, and the picker answers
// that key only; on 0.0.0.0 there is no picker.
func TestServe_console(t *testing.T) {
	keyRE := regexp.MustCompile(`msg="serving the console" url=\S+#key=([0-9a-f]+)`)
	for _, c := range []struct {
		addr   string
		picker bool
	}{{"127.0.0.1:0", true}, {"0.0.0.0:0", false}} {
		ctx, cancel := context.WithCancel(context.Background())
		s := startServe(t, ctx, "--console", "--addr", c.addr, "--scale", "0.01")
		base := strings.Replace(s.base, "0.0.0.0", "127.0.0.1", 1)
		if code, body := get(t, base+"/console/", nil); code != 200 || !strings.Contains(body, "agentlayer console") {
			t.Errorf("%s: /console/ %d", c.addr, code)
		}
		key := ""
		waitFor(t, func() bool { return strings.Contains(s.stderr.String(), `msg="serving the console"`) }, "the console's log line")
		if m := keyRE.FindStringSubmatch(s.stderr.String()); m != nil {
			key = m[1]
		}
		if (key != "") != c.picker {
			t.Errorf("%s: picker key %q in the log:\n%s", c.addr, key, s.stderr.String())
		}
		code, body := get(t, base+"/console/api/users", map[string]string{"X-Agentlayer-Console": key})
		if want := map[bool]int{true: 200, false: 403}[c.picker]; code != want {
			t.Errorf("%s: the user picker answered %d, want %d: %s", c.addr, code, want, body)
		}
		if code, _ := get(t, base+"/console/api/users", map[string]string{"X-Agentlayer-Console": "not-the-key"}); code != 403 {
			t.Errorf("%s: the picker answered a wrong key with %d", c.addr, code)
		}
		cancel()
		<-s.done
	}
}
