package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/agentlayer/agentlayer/auth"
	"github.com/agentlayer/agentlayer/internal/testsupport/testkit"
)

// builtBinary is agentlayer, built once for the tests that run it as a
// process (the full tier's).
func builtBinary(t testing.TB) string {
	t.Helper()
	testkit.FullTier(t, "the agentlayer binary, built")
	bin, err := binary()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

var binary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "agentlayer-bin")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "agentlayer")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		return "", &buildError{err, string(out)}
	}
	return bin, nil
})

type buildError struct {
	err error
	out string
}

func (e *buildError) Error() string { return e.err.Error() + "\n" + e.out }

// stdioSession runs agentlayer mcp with args (and env) and connects the
// SDK's client to its stdin and stdout.
func stdioSession(t *testing.T, env []string, args ...string) *sdk.ClientSession {
	t.Helper()
	cmd := exec.Command(builtBinary(t), append([]string{"mcp"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	c := sdk.NewClient(&sdk.Implementation{Name: "test", Version: "1"}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cs, err := c.Connect(ctx, &sdk.CommandTransport{Command: cmd}, nil)
	if err != nil {
		t.Fatalf("connect: %v\n%s", err, stderr.String())
	}
	t.Cleanup(func() { cs.Close() })
	return cs
}

// TestMCP_stdio: the built binary serves MCP on stdio for one user of the
// sample's directory, or for the user of a session from the shared
// session state; the policy holds there as over HTTP.
func TestMCP_stdio(t *testing.T) {
	ctx := context.Background()
	count := func(cs *sdk.ClientSession) string {
		t.Helper()
		res, err := cs.CallTool(ctx, &sdk.CallToolParams{Name: "query", Arguments: map[string]any{
			"table_id": 2, "aggregations": []any{map[string]any{"function": "count"}}, "group_by": []any{map[string]any{"field_id": "STATE"}}}})
		if err != nil {
			t.Fatal(err)
		}
		return res.Content[0].(*sdk.TextContent).Text
	}
	cs := stdioSession(t, nil, "--as-email", "sales.tx@example.com", "--scale", "0.05")
	tools, err := cs.ListTools(ctx, nil)
	if err != nil || len(tools.Tools) != 9 {
		t.Fatalf("tools: %v %v", tools, err)
	}
	if text := count(cs); !strings.HasPrefix(text, "1 rows") || !strings.Contains(text, "TX,") {
		t.Errorf("a Texan sales user's people by state over stdio:\n%s", text)
	}

	// A session made by a serve process sharing --state.
	state := filepath.Join(t.TempDir(), "sessions")
	store, err := auth.OpenFileStore(state, 0, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	sessions := auth.NewSessions(auth.SessionOptions{Store: store})
	tok, _, err := sessions.Create(ctx, &auth.Principal{Email: "admin@example.com", Groups: []string{"admin"}})
	if err != nil {
		t.Fatal(err)
	}
	store.Close()
	admin := stdioSession(t, []string{"AGENTLAYER_SESSION=" + tok}, "--state", state, "--scale", "0.05")
	if text := count(admin); strings.Contains(text, "\n1 rows") || !strings.Contains(text, "CA,") {
		t.Errorf("an admin's people by state over stdio:\n%s", text)
	}

	// A session's user deactivated in the directory while the client is
	// connected: the next call is refused.
	users := filepath.Join(t.TempDir(), "users.yaml")
	os.WriteFile(users, []byte("users:\n  - {email: admin@example.com, groups: [admin]}\n"), 0o644)
	live := stdioSession(t, []string{"AGENTLAYER_SESSION=" + tok}, "--state", state, "--scale", "0.05", "--users", users)
	if text := count(live); !strings.Contains(text, "CA,") {
		t.Fatalf("before deactivation:\n%s", text)
	}
	os.WriteFile(users, []byte("users:\n  - {email: admin@example.com, groups: [admin], active: false}\n"), 0o644)
	if _, err := live.CallTool(ctx, &sdk.CallToolParams{Name: "query", Arguments: map[string]any{"table_id": 2, "aggregations": []any{map[string]any{"function": "count"}}}}); err == nil {
		t.Error("a deactivated user's session still answers over stdio")
	}

	// Neither or both ways of naming the user: a usage error.
	if code, _, errOut := runCmd(t, "mcp", "--scale", "0.05"); code != 2 || !strings.Contains(errOut, "--as-email or $AGENTLAYER_SESSION") {
		t.Errorf("mcp with no user: exit %d %s", code, errOut)
	}
	if code, _, errOut := runCmd(t, "mcp", "--as-email", "stranger@example.com", "--scale", "0.05"); code != 1 || !strings.Contains(errOut, "not a user of the directory") {
		t.Errorf("mcp as a stranger: exit %d %s", code, errOut)
	}
}
