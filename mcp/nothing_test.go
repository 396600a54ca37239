package mcp_test

import (
	"strings"
	"testing"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/agentlayer/agentlayer/engine"
)

// TestNothingGranted: a user whom no policy grants anything is told so,
// in the 403's words, where an empty schema or search would say nothing:
// over MCP (get_schema, search) and the Agent API (/v1/context,
// /v1/search); a user who sees tables is not.
func TestNothingGranted(t *testing.T) {
	st := sampleStack(t)
	for _, c := range []struct {
		email string
		told  bool
	}{{"nobody@example.com", true}, {"sales.tx@example.com", false}} {
		cs := st.connect(t, bearer(token(t, c.email, nil)))
		for _, tool := range []struct {
			name string
			args any
		}{{"get_schema", map[string]any{}}, {"search", map[string]any{"term_queries": []string{"zzzz-nothing"}}}} {
			res, _ := call(t, cs, tool.name, tool.args)
			text := res.Content[0].(*sdk.TextContent).Text
			if strings.Contains(text, engine.NothingGranted) != c.told {
				t.Errorf("%s, %s: told %v, want %v:\n%.500s", c.email, tool.name, !c.told, c.told, text)
			}
		}
		_, ctxBody := st.post(t, "GET", "/api/agent/v1/context", token(t, c.email, nil), "")
		_, search := st.post(t, "POST", "/api/agent/v1/search", token(t, c.email, nil), `{"term_queries":["zzzz-nothing"]}`)
		for what, body := range map[string]map[string]any{"context": ctxBody, "search": search} {
			if (body["note"] == engine.NothingGranted) != c.told {
				t.Errorf("%s, /v1/%s note %v", c.email, what, body["note"])
			}
		}
	}
}
