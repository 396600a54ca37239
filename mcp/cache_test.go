package mcp_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/agentlayer/agentlayer/agentapi"
	"github.com/agentlayer/agentlayer/engine"
	"github.com/agentlayer/agentlayer/fixtures"
	"github.com/agentlayer/agentlayer/internal/testsupport/testkit"
	"github.com/agentlayer/agentlayer/mcp"
)

// sampleWithCache is the sample stack with the result cache as given;
// every such stack holds the same data and hashes masked values alike.
func sampleWithCache(t *testing.T, c engine.CacheOptions) *stack {
	return newStack(t, engine.Options{ModelFile: fixtures.ModelFile, ModelYAML: fixtures.Model(),
		PolicyFile: fixtures.PolicyFile, PolicyYAML: fixtures.Policy(), Setup: fixtures.Setup(0.2),
		MaskKey: []byte("the mask key both stacks share"), Cache: c}, mcp.Options{MaxResultBytes: 1 << 30})
}

// probe is one request of the matrix, as one persona: an Agent API call,
// or an MCP tool call.
type probe struct {
	email        string
	method, path string
	body         string
	tool         string // an MCP tool instead
	args         map[string]any
	construct    string // a construct request to execute (POST /v1/execute with its token)
}

func (p probe) String() string {
	switch {
	case p.tool != "":
		return fmt.Sprintf("%s: mcp %s %v", p.email, p.tool, p.args)
	case p.construct != "":
		return fmt.Sprintf("%s: execute %s", p.email, p.construct)
	}
	return fmt.Sprintf("%s: %s %s %s", p.email, p.method, p.path, p.body)
}

// cacheProbes is the persona matrix: every persona of the sample policy,
// every request of the golden corpus through /v1/query and MCP's query
// tool, some through construct and execute, and the detail endpoints.
func cacheProbes(t *testing.T) []probe {
	corpus := requestCorpus(t)
	names := make([]string, 0, len(corpus))
	for n := range corpus {
		names = append(names, n)
	}
	slices.Sort(names)
	var out []probe
	for _, email := range append(slices.Clone(personas), "support@example.com", "benchmark@example.com") {
		for i, name := range names {
			if i%testkit.Size(1, 4) != 0 {
				continue // the fast tier asks a quarter of the corpus
			}
			body := corpus[name]
			out = append(out, probe{email: email, method: "POST", path: "/api/agent/v1/query", body: body})
			var args map[string]any
			if json.Unmarshal([]byte(body), &args) == nil {
				out = append(out, probe{email: email, tool: "query", args: args})
			}
			if i%5 == 0 {
				out = append(out, probe{email: email, construct: body})
			}
		}
		for _, path := range []string{"/api/agent/v1/table/1?with-field-values=true", "/api/agent/v1/table/2?with-field-values=true",
			"/api/agent/v1/table/3", "/api/agent/v1/metric/1", "/api/agent/v1/table/2/field/STATE/values",
			"/api/agent/v1/table/2/field/CITY/values", "/api/agent/v1/table/1/field/t1-5/values", "/api/agent/v1/table/4/field/REVIEWER/values"} {
			out = append(out, probe{email: email, method: "GET", path: path})
		}
		for _, body := range []string{`{"term_queries":["revenue","customers"]}`, `{"term_queries":["orders"],"semantic_queries":["who buys"]}`, `{}`} {
			out = append(out, probe{email: email, method: "POST", path: "/api/agent/v1/search", body: body})
		}
		out = append(out, probe{email: email, tool: "get_field_values", args: map[string]any{"table_id": 2, "field_id": "STATE"}},
			probe{email: email, tool: "search", args: map[string]any{"term_queries": []string{"revenue"}}})
	}
	return out
}

// answer is a response with what must differ between runs normalised: the
// running time, tokens (signed by each engine's own key) and the cache's
// own header.
type response struct {
	status int
	body   any
	cache  string
}

func (st *stack) ask(t *testing.T, p probe, sessions map[string]*sdk.ClientSession) response {
	t.Helper()
	tok := token(t, p.email, nil)
	if p.tool != "" {
		cs := sessions[p.email]
		if cs == nil {
			cs = st.connect(t, bearer(tok))
			sessions[p.email] = cs
		}
		res, got := call(t, cs, p.tool, p.args)
		cache, _ := res.Meta["agentlayer/cache"].(string)
		status := 200
		if res.IsError {
			status = 400
		}
		return response{status: status, body: normalise(got), cache: cache}
	}
	method, path, body := p.method, p.path, p.body
	if p.construct != "" {
		status, out := st.post(t, "POST", "/api/agent/v1/construct", tok, p.construct)
		if status != 200 {
			return response{status: status, body: normalise(out)}
		}
		method, path, body = "POST", "/api/agent/v1/execute", fmt.Sprintf(`{"query":%q}`, out["query"])
	}
	status, header, data := st.send(t, method, path, tok, body)
	var out any
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatalf("%s: %d %s", p, status, data)
	}
	return response{status: status, body: normalise(out), cache: header.Get(agentapi.CacheHeader)}
}

// normalise drops what differs between two runs of the same answer: its
// running time, and the tokens each engine signs with its own key (only
// whether there is one is kept).
func normalise(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, v := range x {
			switch k {
			case "running_time", "request_id":
			case "continuation_token", "cursor", "query":
				_, isString := v.(string)
				out[k] = isString
			default:
				out[k] = normalise(v)
			}
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, v := range x {
			out[i] = normalise(v)
		}
		return out
	}
	return v
}

// rolling reports whether a probe asks for a rolling period ("the last 7
// days", to now): it counts from the current second, so asked in another
// second it is another question.
func rolling(p probe) bool {
	text := p.body + p.construct + fmt.Sprint(p.args)
	if strings.Contains(text, "today") {
		return false // counted from the start of today: one entry all day
	}
	return !strings.Contains(text, "complete") && (strings.Contains(text, "last") || strings.Contains(text, "next") ||
		strings.Contains(text, "since") || strings.Contains(text, "before"))
}

// TestCache_personaMatrixSameOnAndOff: every response of the persona
// matrix (HTTP and MCP) is the same with the result cache on, asked twice
// over in shuffled order, as with it off: status, columns and rows
// exactly. The second pass is answered from the cache.
func TestCache_personaMatrixSameOnAndOff(t *testing.T) {
	t.Parallel()
	off, on := sampleWithCache(t, engine.CacheOptions{}), sampleWithCache(t, engine.CacheOptions{TTL: time.Hour})
	probes := cacheProbes(t)
	offSessions, onSessions := map[string]*sdk.ClientSession{}, map[string]*sdk.ClientSession{}
	want := make([]response, len(probes))
	for i, p := range probes {
		want[i] = off.ask(t, p, offSessions)
		if want[i].cache != "" {
			t.Fatalf("%s: the cache is off, and the answer says %q", p, want[i].cache)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	seen, failures := map[string]int{}, 0
	for pass := range 2 {
		order := rng.Perm(len(probes))
		for _, i := range order {
			p := probes[i]
			got := on.ask(t, p, onSessions)
			if got.status != want[i].status || !reflect.DeepEqual(got.body, want[i].body) {
				if failures++; failures <= 3 {
					g, _ := json.Marshal(got.body)
					w, _ := json.Marshal(want[i].body)
					t.Errorf("pass %d, %s: with the cache %d %.2000s\nwithout %d %.2000s", pass+1, p, got.status, g, want[i].status, w)
				}
			}
			if pass == 1 && got.cache == engine.CacheMiss && !rolling(p) {
				t.Errorf("%s: asked again, and missed the cache", p)
			}
			seen[fmt.Sprint("pass ", pass+1, " ", got.cache)]++
		}
	}
	t.Logf("%d probes × 2 passes; answers by pass and cache header: %v", len(probes), seen)
	if failures > 0 {
		t.Errorf("%d answers differ", failures)
	}
	if len(probes) < testkit.Size(1000, 250) || seen["pass 2 hit"] < testkit.Size(900, 200) || seen["pass 1 miss"] == 0 {
		t.Errorf("too few probes (%d), or hits in the second pass (%d)", len(probes), seen["pass 2 hit"])
	}
}

// TestCache_headers: X-Agentlayer-Cache says miss, then hit; a client
// that sends Cache-Control: no-cache gets a fresh answer, without the
// header.
func TestCache_headers(t *testing.T) {
	st := sampleWithCache(t, engine.CacheOptions{TTL: time.Hour})
	tok := token(t, "analyst@example.com", nil)
	ask := func(cc string) string {
		status, header, _ := st.send(t, "POST", "/api/agent/v1/query", tok, `{"table_id":3,"limit":2}`, "Cache-Control", cc)
		if status != http.StatusAccepted {
			t.Fatalf("status %d", status)
		}
		return header.Get(agentapi.CacheHeader)
	}
	for _, step := range []struct{ cacheControl, want string }{{"", "miss"}, {"", "hit"}, {"no-cache", ""}, {"No-Cache", ""},
		{"max-age=0, NO-STORE", ""}, {"", "hit"}} {
		if got := ask(step.cacheControl); got != step.want {
			t.Errorf("Cache-Control %q: %s %q, want %q", step.cacheControl, agentapi.CacheHeader, got, step.want)
		}
	}
	// MCP honours the HTTP request's Cache-Control as well. (Its limit is
	// the total, /v1/query's the page: the two read other rows, so their
	// answers are two entries.)
	args := map[string]any{"table_id": 3, "limit": 2}
	for _, step := range []struct{ cacheControl, want string }{{"", "miss"}, {"", "hit"}, {"No-Cache", ""}} {
		hdr := bearer(tok)
		if step.cacheControl != "" {
			hdr.Set("Cache-Control", step.cacheControl)
		}
		res, _ := call(t, st.connect(t, hdr), "query", args)
		if got, _ := res.Meta["agentlayer/cache"].(string); got != step.want {
			t.Errorf("MCP with Cache-Control %q: %q, want %q", step.cacheControl, got, step.want)
		}
	}
}
