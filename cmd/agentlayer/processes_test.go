package main

import (
	"bufio"
	"encoding/json"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/agentlayer/agentlayer/auth"
	"github.com/agentlayer/agentlayer/internal/testsupport/pgsample"
	"github.com/agentlayer/agentlayer/internal/testsupport/pgtest"
	"github.com/agentlayer/agentlayer/internal/testsupport/testkit"
)

// process is agentlayer serve running as a process of its own.
type process struct {
	cmd  *exec.Cmd
	base string // …/api/agent
	root string // the server's root, for /auth/sso and /api/session
}

// startProcess runs the binary's serve with args and waits for its
// listener; it is stopped with SIGTERM when the test ends.
func startProcess(t *testing.T, bin string, args ...string) *process {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
	cmd.Env = append(os.Environ(), "AGENTLAYER_JWT_SECRET="+testSecret)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	})
	lines := bufio.NewScanner(stderr)
	re := regexp.MustCompile(`msg="serving the Agent API" url=(\S+)`)
	var log strings.Builder
	for lines.Scan() {
		log.WriteString(lines.Text() + "\n")
		if m := re.FindStringSubmatch(lines.Text()); m != nil {
			go io.Copy(io.Discard, stderr)
			return &process{cmd: cmd, base: m[1], root: strings.TrimSuffix(m[1], "/api/agent")}
		}
	}
	t.Fatalf("serve %v did not start:\n%s", args, log.String())
	return nil
}

func request(t *testing.T, method, url string, header map[string]string, body string) (int, map[string]any) {
	t.Helper()
	h := map[string]string{"Content-Type": "application/json"}
	maps.Copy(h, header)
	status, _, answer := testkit.Call(t, method, url, body, h)
	var out map[string]any
	json.Unmarshal([]byte(answer), &out)
	return status, out
}

// TestTwoProcesses_oneService runs two serve processes with the same token
// key and the same --state on PostgreSQL, over the same sample: a session
// made on one works on the other, a query and a continuation token minted
// on one execute on the other, and DELETE /api/session on one ends the
// session on both.
func TestTwoProcesses_oneService(t *testing.T) {
	bin := builtBinary(t)
	data, state := pgsample.Sample(t), pgtest.NewDatabase(t)
	dir := t.TempDir()
	key := filepath.Join(dir, "token-key")
	os.WriteFile(key, []byte("a token key shared by both processes"), 0o600)
	a := startProcess(t, bin, "--db", data, "--state", state, "--token-key-file", key)
	b := startProcess(t, bin, "--db", data, "--state", state, "--token-key-file", key)

	jwt, err := auth.Sign([]byte(testSecret), auth.Claims{Email: "sales.tx@example.com", IssuedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	code, sso := request(t, "POST", a.root+"/auth/sso", nil, `{"jwt":"`+jwt+`"}`)
	session, _ := sso["id"].(string)
	if code != 200 || session == "" {
		t.Fatalf("sso on A: %d %v", code, sso)
	}
	onB := map[string]string{"X-Metabase-Session": session}
	code, q := request(t, "POST", b.base+"/v1/construct-query", onB, `{"table_id":2,"fields":[{"field_id":"t2-0"}],"limit":5}`)
	if code != 200 {
		t.Fatalf("A's session on B: %d %v", code, q)
	}
	onA := map[string]string{"X-Metabase-Session": session}
	code, rows := request(t, "POST", a.base+"/v1/execute", onA, `{"query":"`+q["query"].(string)+`"}`)
	if code != 202 || rows["status"] != "completed" || rows["row_count"] != 5.0 {
		t.Fatalf("B's query token on A: %d %v", code, rows)
	}
	code, page := request(t, "POST", b.base+"/v1/query", onB, `{"table_id":2,"fields":[{"field_id":"t2-0"}]}`)
	next, _ := page["continuation_token"].(string)
	if code != 202 || next == "" {
		t.Fatalf("a first page on B: %d %v", code, page["status"])
	}
	code, page = request(t, "POST", a.base+"/v1/query", onA, `{"continuation_token":"`+next+`"}`)
	if code != 202 || page["status"] != "completed" {
		t.Fatalf("B's continuation on A: %d %v", code, page)
	}
	if code, _ := request(t, "DELETE", b.root+"/api/session", onB, ""); code != 204 {
		t.Fatalf("logout on B: %d", code)
	}
	for name, p := range map[string]*process{"A": a, "B": b} {
		if code, _ := request(t, "GET", p.base+"/v1/ping", onA, ""); code != 401 {
			t.Errorf("the ended session on %s: %d, want 401", name, code)
		}
	}
}
