package mcp_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/agentlayer/agentlayer/agentapi"
	"github.com/agentlayer/agentlayer/auth"
	"github.com/agentlayer/agentlayer/engine"
	"github.com/agentlayer/agentlayer/fixtures"
	"github.com/agentlayer/agentlayer/internal/testsupport/testkit"
	"github.com/agentlayer/agentlayer/mcp"
)

var testSecret = []byte("mcp-test-secret-of-at-least-32-bytes!!")

// stack is the Agent API and MCP over one engine, sharing the verifier
// and sessions, on a real listener, as serve mounts them.
type stack struct {
	srv      *httptest.Server
	e        *engine.Engine
	sessions *auth.Sessions
}

func newStack(t testing.TB, opts engine.Options, mopts mcp.Options) *stack {
	t.Helper()
	e, err := engine.New(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	var dir *auth.Directory
	if opts.ModelFile == fixtures.ModelFile {
		if dir, err = auth.ParseDirectory(fixtures.UsersFile, fixtures.Users()); err != nil {
			t.Fatal(err)
		}
	}
	v, err := auth.NewVerifier(auth.VerifierOptions{Secret: testSecret, Directory: dir})
	if err != nil {
		t.Fatal(err)
	}
	sessions := auth.NewSessions(auth.SessionOptions{})
	mopts.Verifier, mopts.Sessions = v, sessions
	mux := http.NewServeMux()
	mux.Handle("/api/agent/mcp", mcp.New(e, mopts))
	mux.Handle("/", agentapi.New(e, agentapi.Options{Verifier: v, Sessions: sessions}))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &stack{srv: srv, e: e, sessions: sessions}
}

var sample = sync.OnceValues(func() (*stack, error) {
	var st *stack
	var err error
	func() {
		defer func() {
			if v := recover(); v != nil {
				err = fmt.Errorf("%v", v)
			}
		}()
		st = newStack(&onceT{}, engine.Options{ModelFile: fixtures.ModelFile, ModelYAML: fixtures.Model(),
			PolicyFile: fixtures.PolicyFile, PolicyYAML: fixtures.Policy(), Setup: fixtures.Setup(0.2)}, mcp.Options{MaxResultBytes: 1 << 30})
	}()
	return st, err
})

// onceT is a testing.TB for the shared stack, which lives as long as the
// test binary.
type onceT struct{ testing.TB }

func (*onceT) Helper()                   {}
func (*onceT) Cleanup(func())            {}
func (*onceT) Fatal(args ...any)         { panic(fmt.Sprint(args...)) }
func (*onceT) Fatalf(f string, a ...any) { panic(fmt.Sprintf(f, a...)) }

func sampleStack(t *testing.T) *stack {
	t.Helper()
	st, err := sample()
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// token mints a JWT for email with extra claims.
func token(t testing.TB, email string, extra jwt.MapClaims) string {
	t.Helper()
	c := jwt.MapClaims{"email": email, "iat": time.Now().Unix()}
	for k, v := range extra {
		c[k] = v
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(testSecret)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// connect opens an MCP session with the SDK's client over HTTP, sending
// hdr with every request.
func (st *stack) connect(t testing.TB, hdr http.Header) *sdk.ClientSession {
	t.Helper()
	c := sdk.NewClient(&sdk.Implementation{Name: "test", Version: "1"}, nil)
	tr := &sdk.StreamableClientTransport{Endpoint: st.srv.URL + "/api/agent/mcp",
		HTTPClient: &http.Client{Transport: testkit.WithHeaders(hdr, nil)}, MaxRetries: -1}
	cs, err := c.Connect(context.Background(), tr, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cs.Close() })
	return cs
}

func bearer(tok string) http.Header { return http.Header{"Authorization": {"Bearer " + tok}} }

// call calls a tool and returns its structured content as JSON.
func call(t testing.TB, cs *sdk.ClientSession, name string, args any) (*sdk.CallToolResult, map[string]any) {
	t.Helper()
	res, err := cs.CallTool(context.Background(), &sdk.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var out map[string]any
	data, _ := json.Marshal(res.StructuredContent)
	json.Unmarshal(data, &out)
	return res, out
}

// post calls the Agent API and decodes its JSON answer.
func (st *stack) post(t testing.TB, method, path, tok string, body string) (int, map[string]any) {
	t.Helper()
	status, _, data := st.send(t, method, path, tok, body)
	var out map[string]any
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatalf("%s %s: %d %s", method, path, status, data)
	}
	return status, out
}

// send calls the Agent API with tok and the headers given as name, value
// pairs: the status, headers and body of its answer.
func (st *stack) send(t testing.TB, method, path, tok, body string, header ...string) (int, http.Header, []byte) {
	t.Helper()
	h := testkit.Bearer(tok)
	for i := 0; i+1 < len(header); i += 2 {
		h[header[i]] = header[i+1]
	}
	status, answer, data := testkit.Call(t, method, st.srv.URL+path, body, h)
	return status, answer, []byte(data)
}

var personas = []string{"admin@example.com", "analyst@example.com", "sales.tx@example.com", "product@example.com", "nobody@example.com"}

// requestCorpus is every construct request of sqlgen's golden cases over
// the sample model.
func requestCorpus(t *testing.T) map[string]string {
	t.Helper()
	dirs, _ := filepath.Glob("../sqlgen/testdata/plan/*")
	out := map[string]string{}
	for _, dir := range dirs {
		if _, err := os.Stat(filepath.Join(dir, "options.json")); err == nil {
			continue // another model, or a pinned clock
		}
		data, err := os.ReadFile(filepath.Join(dir, "request.json"))
		if err != nil {
			continue
		}
		out[filepath.Base(dir)] = string(data)
	}
	if len(out) < 100 {
		t.Fatalf("only %d requests", len(out))
	}
	return out
}

// TestPersonaMatrix_sameAsHTTP: as every persona of the sample policy,
// every request of the golden corpus gets through MCP's query tool the
// same columns, rows (in order) and errors as through /v1/query; and
// get_table, get_metric, get_field_values and search the same answers as
// their endpoints.
func TestPersonaMatrix_sameAsHTTP(t *testing.T) {
	t.Parallel()
	st := sampleStack(t)
	corpus := requestCorpus(t)
	names := make([]string, 0, len(corpus))
	for n := range corpus {
		names = append(names, n)
	}
	slices.Sort(names)
	compared, errorsSeen := 0, 0
	for _, email := range personas {
		tok := token(t, email, nil)
		cs := st.connect(t, bearer(tok))
		for _, name := range names {
			body := corpus[name]
			status, want := st.post(t, "POST", "/api/agent/v1/query", tok, body)
			var args map[string]any
			if json.Unmarshal([]byte(body), &args) != nil {
				continue // not an object: MCP arguments always are
			}
			res, got := call(t, cs, "query", args)
			if status >= 400 {
				errorsSeen++
				if notGranted(want) {
					// MCP answers a table or metric the caller may not see
					// as one that does not exist (TestHiddenAsAbsent).
					if got["error"] != "not_found" {
						t.Errorf("%s, %s: HTTP %v, MCP %v", email, name, want, got)
					}
					continue
				}
				if !res.IsError || got["error"] != want["error"] || got["message"] != want["message"] || fmt.Sprint(got["candidates"]) != fmt.Sprint(want["candidates"]) {
					t.Errorf("%s, %s: HTTP %d %v\nMCP %v", email, name, status, want, got)
				}
				continue
			}
			wd, gd := want["data"].(map[string]any), got["data"].(map[string]any)
			// Over MCP a limit is the total, over /v1/query the page: the
			// first pages hold the same rows, and more follow alike only
			// without a limit.
			_, limited := args["limit"]
			if !reflect.DeepEqual(wd["rows"], gd["rows"]) || !reflect.DeepEqual(wd["cols"], gd["cols"]) ||
				!limited && want["continuation_token"] != nil != (got["cursor"] != nil) || !reflect.DeepEqual(want["restrictions"], got["restrictions"]) {
				t.Errorf("%s, %s: HTTP and MCP differ\nHTTP %v\nMCP  %v", email, name, want, got)
			}
			compared++
		}
		// The detail tools answer as their endpoints.
		for _, c := range []struct {
			tool, path string
			args       map[string]any
		}{
			{"get_table", "/api/agent/v1/table/1", map[string]any{"table_id": 1}},
			{"get_table", "/api/agent/v1/table/2?with-segments=true", map[string]any{"table_id": 2, "with_segments": true}},
			{"get_metric", "/api/agent/v1/metric/1", map[string]any{"metric_id": 1}},
			{"get_field_values", "/api/agent/v1/table/2/field/STATE/values", map[string]any{"table_id": 2, "field_id": "STATE"}},
			{"search", "/api/agent/v1/search", map[string]any{"term_queries": []string{"revenue", "customers"}}},
		} {
			method, body := "GET", ""
			if c.tool == "search" {
				method, body = "POST", `{"term_queries":["revenue","customers"]}`
			}
			status, want := st.post(t, method, c.path, tok, body)
			res, got := call(t, cs, c.tool, c.args)
			switch {
			case status >= 400 && notGranted(want):
				if !res.IsError || got["error"] != "not_found" {
					t.Errorf("%s, %s: HTTP %d %v, MCP %v", email, c.tool, status, want, got)
				}
			case status >= 400:
				if !res.IsError || got["error"] != want["error"] {
					t.Errorf("%s, %s: HTTP %d %v, MCP %v", email, c.tool, status, want, got)
				}
			case c.tool == "get_field_values":
				if !reflect.DeepEqual(want["values"], got["values"]) || !reflect.DeepEqual(want["value_counts"], got["value_counts"]) ||
					!reflect.DeepEqual(want["statistics"], got["statistics"]) {
					t.Errorf("%s, %s: HTTP %v\nMCP %v", email, c.tool, want, got)
				}
			case !reflect.DeepEqual(want, got):
				t.Errorf("%s, %s: HTTP %v\nMCP %v", email, c.tool, want, got)
			}
		}
	}
	t.Logf("%d answers and %d errors compared", compared, errorsSeen)
	if compared < 250 || errorsSeen == 0 {
		t.Errorf("compared %d answers and %d errors: too few", compared, errorsSeen)
	}
}

// TestTools_stepUp: every tool is listed whatever the credential's scopes;
// a call they do not cover answers HTTP 403 with an insufficient_scope
// challenge naming the scope it needs (RFC 6750), and the Agent API's
// unsupported_scope body, so that a client can ask for more; an unknown
// tool stays the protocol error it was.
func TestTools_stepUp(t *testing.T) {
	st := sampleStack(t)
	want := "[construct_query execute_query get_field_values get_metric get_result get_schema get_table query search]"
	narrowTok := token(t, "analyst@example.com", jwt.MapClaims{"scope": "agent:search agent:table:read"})
	for _, tok := range []string{token(t, "analyst@example.com", nil), narrowTok} {
		lt, err := st.connect(t, bearer(tok)).ListTools(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, tl := range lt.Tools {
			names = append(names, tl.Name)
			// execute_query and get_result answer as query does, whose
			// output schema says it once.
			if (tl.OutputSchema == nil && tl.Name != "execute_query" && tl.Name != "get_result") || tl.Description == "" {
				t.Errorf("tool %s has no output schema or description", tl.Name)
			}
		}
		slices.Sort(names)
		if fmt.Sprint(names) != want {
			t.Errorf("tools %v", names)
		}
	}
	narrow := st.connect(t, bearer(narrowTok))
	if _, err := narrow.CallTool(context.Background(), &sdk.CallToolParams{Name: "search", Arguments: map[string]any{"term_queries": []string{"orders"}}}); err != nil {
		t.Errorf("a tool in scope: %v", err)
	}
	for tool, scope := range map[string]string{"query": "agent:query", "execute_query": "agent:query:execute", "get_metric": "agent:metric:read"} {
		body := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"` + tool + `","arguments":{}}}`
		resp, data := send(t, http.MethodPost, st.srv.URL+"/api/agent/mcp", narrowTok, body)
		challenge := resp.Header.Get("WWW-Authenticate")
		if resp.StatusCode != http.StatusForbidden || challenge != `Bearer error="insufficient_scope", scope="`+scope+`"` ||
			!strings.Contains(string(data), `"error":"unsupported_scope"`) {
			t.Errorf("%s out of scope: %d %q %s", tool, resp.StatusCode, challenge, data)
		}
	}
	// A call hidden from a reader that matches keys loosely, or in a
	// batch, is seen too.
	for _, body := range []string{
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"execute_query","Name":"search"}}`,
		`[{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"search","arguments":{}}},{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"query","arguments":{}}}]`,
	} {
		if resp, data := send(t, http.MethodPost, st.srv.URL+"/api/agent/mcp", narrowTok, body); resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s: %d %s; want 403", body, resp.StatusCode, data)
		}
	}
	_, err := narrow.CallTool(context.Background(), &sdk.CallToolParams{Name: "no_such_tool", Arguments: map[string]any{}})
	var je *jsonrpc.Error
	if !errors.As(err, &je) || je.Code != jsonrpc.CodeInvalidParams || !strings.Contains(je.Message, `unknown tool "no_such_tool"`) {
		t.Errorf("an unknown tool: %v", err)
	}
	// The Agent API adds the same challenge to its unsupported_scope.
	resp, _ := send(t, http.MethodPost, st.srv.URL+"/api/agent/v1/construct-query", narrowTok, `{}`)
	if resp.StatusCode != http.StatusForbidden || resp.Header.Get("WWW-Authenticate") != `Bearer error="insufficient_scope", scope="agent:query:construct"` {
		t.Errorf("the Agent API out of scope: %d %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
}

// TestTools_errors: bad arguments and tables the caller may not see (answered as absent) are tool errors
// worded as the Agent API words them, with their path and candidates.
func TestTools_errors(t *testing.T) {
	st := sampleStack(t)
	cs := st.connect(t, bearer(token(t, "sales.tx@example.com", nil)))
	for _, c := range []struct {
		tool string
		args map[string]any
		want map[string]any
	}{
		{"query", map[string]any{"table_id": 1, "filter": []any{}}, map[string]any{"error": "invalid_request", "path": "filter"}},
		{"query", map[string]any{"table_id": 1, "fields": []any{map[string]any{"field_id": "EMAIL"}}}, map[string]any{"error": "invalid_field_id"}},
		{"query", map[string]any{"table_id": 4, "aggregations": []any{map[string]any{"function": "count"}}}, map[string]any{"error": "not_found", "path": "table_id", "message": "No table found with table_id 4"}},
		{"get_table", map[string]any{"table_id": 4}, map[string]any{"error": "not_found", "message": "No table found with table_id 4"}},
		{"get_table", map[string]any{"tabel_id": 1}, map[string]any{"error": "invalid_request", "path": "tabel_id"}},
		{"get_field_values", map[string]any{"table_id": 2, "field_id": "t2-3"}, map[string]any{"error": "not_found"}},
		{"get_field_values", map[string]any{"table_id": 2, "field_id": "PASSWORD"}, map[string]any{"error": "invalid_field_id"}},
		{"execute_query", map[string]any{"query": "not-a-token"}, map[string]any{"error": "invalid_request", "path": "query"}},
		{"query", map[string]any{"table_id": 1, "columns": []string{"NOPE"}}, map[string]any{"error": "invalid_request", "path": "columns"}},
	} {
		res, got := call(t, cs, c.tool, c.args)
		if !res.IsError {
			t.Errorf("%s %v: not an error: %v", c.tool, c.args, got)
			continue
		}
		for k, v := range c.want {
			if got[k] != v {
				t.Errorf("%s %v: %s = %v, want %v (%v)", c.tool, c.args, k, got[k], v, got)
			}
		}
		text := res.Content[0].(*sdk.TextContent).Text
		if !strings.Contains(text, fmt.Sprint(got["message"])) {
			t.Errorf("%s: the text block does not carry the message: %s", c.tool, text)
		}
	}
	// A hidden column is named in no error.
	_, got := call(t, cs, "query", map[string]any{"table_id": 2, "fields": []any{map[string]any{"field_id": "EMAI"}}})
	if strings.Contains(fmt.Sprint(got), "EMAIL") {
		t.Errorf("an error names a hidden column: %v", got)
	}
}

// TestAuthentication: MCP answers without credentials, with an expired or
// foreign JWT, exactly as the Agent API does; a session from /auth/sso
// works; the server keeps no MCP session: each request acts for its own
// credential, however many clients initialize.
func TestAuthentication(t *testing.T) {
	st := sampleStack(t)
	initBody := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`
	post := func(path string, hdr http.Header) (int, string) {
		req, _ := http.NewRequest("POST", st.srv.URL+path, strings.NewReader(initBody))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		for k, v := range hdr {
			req.Header[k] = v
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(data)
	}
	expired := token(t, "admin@example.com", jwt.MapClaims{"iat": time.Now().Add(-time.Hour).Unix()})
	for _, hdr := range []http.Header{nil, bearer(expired), {"Authorization": {"Basic x"}}, bearer("garbage")} {
		s1, b1 := post("/api/agent/mcp", hdr)
		s2, b2 := post("/api/agent/v1/ping", hdr)
		if s1 != 401 || s1 != s2 || b1 != b2 {
			t.Errorf("headers %v: MCP %d %s, Agent API %d %s", hdr, s1, b1, s2, b2)
		}
	}
	// A session exchanged at /auth/sso, as a long-lived credential.
	status, sso := st.post(t, "POST", "/auth/sso", "", `{"jwt":"`+token(t, "sales.tx@example.com", nil)+`"}`)
	if status != 200 {
		t.Fatalf("sso: %d %v", status, sso)
	}
	cs := st.connect(t, http.Header{"X-Metabase-Session": {sso["id"].(string)}})
	if _, got := call(t, cs, "get_table", map[string]any{"table_id": 2}); got["name"] != "PEOPLE" {
		t.Errorf("with a session: %v", got)
	}
	// No MCP session is kept: none is issued, and a made-up one is not
	// consulted; a request acts for its own credential's user.
	if id := cs.ID(); id != "" {
		t.Errorf("the server issued an MCP session %q", id)
	}
	for i := range 50 {
		if s, _ := post("/api/agent/mcp", bearer(token(t, fmt.Sprintf("u%d@example.com", i), nil))); s != 200 {
			t.Fatalf("initialize %d: %d", i, s)
		}
	}
	status, _, data := testkit.Call(t, "POST", st.srv.URL+"/api/agent/mcp", `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"get_table","arguments":{"table_id":2}}}`,
		map[string]string{"Authorization": "Bearer " + token(t, "nobody@example.com", nil), "Mcp-Session-Id": "made-up",
			"Content-Type": "application/json", "Accept": "application/json, text/event-stream", "Mcp-Protocol-Version": "2025-06-18"})
	if status != 200 || !strings.Contains(data, `"isError":true`) || strings.Contains(data, "PEOPLE") {
		t.Errorf("nobody, with a made-up session: %d %s", status, data)
	}
}

// TestBudget_cutAndCursor: a result past its budget is cut at a row
// boundary, says so, and its cursor continues where it stopped: the pages
// put together are the whole answer.
func TestBudget_cutAndCursor(t *testing.T) {
	st := newStack(t, engine.Options{ModelFile: fixtures.ModelFile, ModelYAML: fixtures.Model(),
		PolicyFile: fixtures.PolicyFile, PolicyYAML: fixtures.Policy(), Setup: fixtures.Setup(0.05)}, mcp.Options{MaxResultBytes: 8 << 10})
	tok := token(t, "admin@example.com", nil)
	req := map[string]any{"table_id": 2, "fields": []any{map[string]any{"field_id": "ID"}, map[string]any{"field_id": "NAME"}, map[string]any{"field_id": "CITY"}}, "limit": 2000}
	_, whole := st.post(t, "POST", "/api/agent/v1/query", tok, mustJSON(req))
	want := whole["data"].(map[string]any)["rows"].([]any)
	cs := st.connect(t, bearer(tok))
	var got []any
	res, out := call(t, cs, "query", req)
	pages := 0
	for {
		pages++
		size, _ := json.Marshal(res)
		if len(size) > 8<<10+2048 {
			t.Errorf("page %d is %d bytes, past the 8 KiB budget", pages, len(size))
		}
		got = append(got, out["data"].(map[string]any)["rows"].([]any)...)
		cursor, _ := out["cursor"].(string)
		if cursor == "" {
			break
		}
		if out["truncated"] != true || !strings.Contains(fmt.Sprint(out["note"]), "budget") {
			t.Errorf("a cut page does not say so: %v %v", out["truncated"], out["note"])
		}
		res, out = call(t, cs, "query", map[string]any{"cursor": cursor})
	}
	if pages < 2 || !reflect.DeepEqual(got, want) {
		t.Errorf("%d pages, %d rows; want %d rows, the same", pages, len(got), len(want))
	}
	// page_size and columns shape it smaller still; format json gives the
	// rows as JSON in the text block.
	res, out = call(t, cs, "query", map[string]any{"table_id": 2, "limit": 50, "page_size": 5, "columns": []string{"NAME"}, "format": "json"})
	rows := out["data"].(map[string]any)["rows"].([]any)
	text := res.Content[0].(*sdk.TextContent).Text
	if len(rows) != 5 || len(rows[0].([]any)) != 1 || out["cursor"] == nil || !strings.Contains(text, `["`) {
		t.Errorf("page_size 5, columns [NAME]: %v\n%s", out, text)
	}
	// Over MCP limit is the total (row_limit an alias of it): one page of
	// five, and no cursor.
	for _, args := range []map[string]any{{"table_id": 2, "limit": 5}, {"table_id": 2, "row_limit": 5}} {
		_, out = call(t, cs, "query", args)
		if rows := out["data"].(map[string]any)["rows"].([]any); len(rows) != 5 || out["cursor"] != nil {
			t.Errorf("%v: %d rows, cursor %v", args, len(rows), out["cursor"])
		}
	}
	if res, _ := call(t, cs, "query", map[string]any{"table_id": 2, "limit": 5, "row_limit": 6}); !res.IsError {
		t.Error("limit 5 and row_limit 6 at once were taken")
	}
	// Field values are cut too, and say so.
	_, fv := call(t, cs, "get_field_values", map[string]any{"table_id": 2, "field_id": "EMAIL", "limit": 5000})
	if fv["truncated"] != true || len(mustJSON(fv)) > 8<<10 {
		t.Errorf("field values past the budget: truncated %v, %d bytes", fv["truncated"], len(mustJSON(fv)))
	}
}

func mustJSON(v any) string {
	data, _ := json.Marshal(v)
	return string(data)
}

// TestResourcesAndPrompts: the model resource and the table and metric
// templates show a user only what they may see; the prompts exist.
func TestResourcesAndPrompts(t *testing.T) {
	st := sampleStack(t)
	ctx := context.Background()
	cs := st.connect(t, bearer(token(t, "sales.tx@example.com", nil)))
	r, err := cs.ReadResource(ctx, &sdk.ReadResourceParams{URI: "agentlayer://model"})
	if err != nil {
		t.Fatal(err)
	}
	model := r.Contents[0].Text
	if !strings.Contains(model, "table 2 PEOPLE") || strings.Contains(model, "REVIEWS") || strings.Contains(model, "EMAIL") || strings.Contains(model, "PASSWORD") {
		t.Errorf("the model resource of a sales user:\n%s", model)
	}
	_, schema := call(t, cs, "get_schema", map[string]any{})
	if schema["schema"] != model {
		t.Error("get_schema and agentlayer://model differ")
	}
	r, err = cs.ReadResource(ctx, &sdk.ReadResourceParams{URI: "agentlayer://table/2"})
	if err != nil || !strings.Contains(r.Contents[0].Text, `"name":"PEOPLE"`) || strings.Contains(r.Contents[0].Text, "PASSWORD") {
		t.Errorf("table 2: %v %v", r, err)
	}
	if _, err := cs.ReadResource(ctx, &sdk.ReadResourceParams{URI: "agentlayer://table/4"}); err == nil || !strings.Contains(err.Error(), "No table found with table_id 4") {
		t.Errorf("a hidden table as a resource: %v", err)
	}
	if r, err = cs.ReadResource(ctx, &sdk.ReadResourceParams{URI: "agentlayer://metric/1"}); err != nil || !strings.Contains(r.Contents[0].Text, `"name":"Revenue"`) {
		t.Errorf("metric 1: %v %v", r, err)
	}
	lp, err := cs.ListPrompts(ctx, nil)
	if err != nil || len(lp.Prompts) != 2 {
		t.Fatalf("prompts: %v %v", lp, err)
	}
	p, err := cs.GetPrompt(ctx, &sdk.GetPromptParams{Name: "answer_question", Arguments: map[string]string{"question": "Which state buys most?"}})
	if err != nil || !strings.Contains(p.Messages[0].Content.(*sdk.TextContent).Text, "Which state buys most?") {
		t.Errorf("answer_question: %v %v", p, err)
	}
	if cs.InitializeResult().Instructions == "" {
		t.Error("no server instructions")
	}
}

// TestCancel_clientGoesAway: a client that gives up on a call mid-query
// cancels the database query: its slot is free again at once.
func TestCancel_clientGoesAway(t *testing.T) {
	st := newStack(t, engine.Options{ModelFile: "slow.yaml", Unrestricted: true, ModelYAML: []byte(`version: 1
tables:
  - id: 1
    name: HUGE
    source: {sql: 'SELECT range AS ID FROM range(1000000000000)'}
    fields:
      - {name: ID, semantic_type: type/PK}
`)}, mcp.Options{})
	cs := st.connect(t, bearer(token(t, "anyone@example.com", nil)))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := cs.CallTool(ctx, &sdk.CallToolParams{Name: "query", Arguments: map[string]any{"table_id": 1, "aggregations": []any{map[string]any{"function": "sum", "field_id": "ID"}}}})
		done <- err
	}()
	for deadline := time.Now().Add(10 * time.Second); st.e.Stats().Running == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the query never started")
		}
	}
	cancel()
	if err := <-done; err == nil {
		t.Error("the cancelled call returned no error")
	}
	for deadline := time.Now().Add(10 * time.Second); st.e.Stats().Running != 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the query still holds its slot after the client went away")
		}
	}
}

// TestBudget_everyTool: no tool answers past its budget: a row larger
// than it is refused with what to do, the schema is cut at a table, and a
// search is bounded.
func TestBudget_everyTool(t *testing.T) {
	st := newStack(t, engine.Options{ModelFile: fixtures.ModelFile, ModelYAML: fixtures.Model(),
		PolicyFile: fixtures.PolicyFile, PolicyYAML: fixtures.Policy(), Setup: fixtures.Setup(0.01)}, mcp.Options{MaxResultBytes: 600})
	cs := st.connect(t, bearer(token(t, "admin@example.com", nil)))
	res, got := call(t, cs, "query", map[string]any{"table_id": 2, "limit": 5})
	if !res.IsError || got["path"] != "columns" || !strings.Contains(fmt.Sprint(got["message"]), "larger than a result's budget") {
		t.Errorf("a row past the budget: %v", got)
	}
	res, got = call(t, cs, "get_schema", map[string]any{})
	if text := res.Content[0].(*sdk.TextContent).Text; len(text) > 600 || !strings.Contains(text, "more tables left out") || got["schema"] != text {
		t.Errorf("the schema past the budget: %d bytes\n%s", len(text), text)
	}
	if res, _ := call(t, cs, "search", map[string]any{"term_queries": []string{"orders"}, "limit": 100000}); !res.IsError {
		t.Error("an unbounded search was answered")
	}
}

// notGranted reports an Agent API 403 for a table or metric no policy
// grants, which MCP answers as absent.
func notGranted(body map[string]any) bool {
	return body["error"] == "forbidden" && (body["reason"] == engine.ReasonTable || body["reason"] == engine.ReasonMetric)
}
