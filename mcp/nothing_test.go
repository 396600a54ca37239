package mcp_test

import (
	"strings"
	"testing"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/agentlayer/agentlayer/auth"
	"github.com/agentlayer/agentlayer/engine"
	"github.com/agentlayer/agentlayer/fixtures"
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

// TestHiddenAsAbsent: over MCP a table or metric the caller may not see
// answers exactly as one that does not exist (the same code, path and
// message, but for the id asked), in every tool that takes one.
func TestHiddenAsAbsent(t *testing.T) {
	st := sampleStack(t)
	cs := st.connect(t, bearer(token(t, "sales.tx@example.com", nil)))
	count := []any{map[string]any{"function": "count"}}
	for _, c := range []struct {
		tool           string
		hidden, absent map[string]any
	}{
		{"get_table", map[string]any{"table_id": 4}, map[string]any{"table_id": 99}},
		{"query", map[string]any{"table_id": 4, "aggregations": count}, map[string]any{"table_id": 99, "aggregations": count}},
		{"construct_query", map[string]any{"table_id": 4, "aggregations": count}, map[string]any{"table_id": 99, "aggregations": count}},
		{"get_metric", map[string]any{"metric_id": 3}, map[string]any{"metric_id": 99}},
		{"query", map[string]any{"metric_id": 3}, map[string]any{"metric_id": 99}},
		{"get_field_values", map[string]any{"table_id": 4, "field_id": "t4-1"}, map[string]any{"table_id": 99, "field_id": "t99-1"}},
	} {
		h, _ := call(t, cs, c.tool, c.hidden)
		a, _ := call(t, cs, c.tool, c.absent)
		ht := strings.NewReplacer(" 4", " N", " 3", " N", "t4-", "tN-").Replace(h.Content[0].(*sdk.TextContent).Text)
		at := strings.NewReplacer(" 99", " N", "t99-", "tN-").Replace(a.Content[0].(*sdk.TextContent).Text)
		if !h.IsError || ht != at {
			t.Errorf("%s: a hidden id answers %q, a made-up one %q", c.tool, ht, at)
		}
	}
}

// TestFieldValues_restrictions: field values and statistics carry the
// caller's restrictions, as answers do, over MCP (text and structure) and
// the Agent API: TX alone reads as Texans' alone.
func TestFieldValues_restrictions(t *testing.T) {
	st := sampleStack(t)
	for email, restricted := range map[string]bool{"sales.tx@example.com": true, "analyst@example.com": false} {
		cs := st.connect(t, bearer(token(t, email, nil)))
		res, out := call(t, cs, "get_field_values", map[string]any{"table_id": 2, "field_id": "STATE"})
		text := res.Content[0].(*sdk.TextContent).Text
		rs, _ := out["restrictions"].([]any)
		if strings.Contains(text, "Rows of PEOPLE are limited") != restricted || (len(rs) > 0) != restricted {
			t.Errorf("%s over MCP: restrictions %v, text:\n%s", email, rs, text)
		}
		_, body := st.post(t, "GET", "/api/agent/v1/table/2/field/STATE/values", token(t, email, nil), "")
		if hrs, _ := body["restrictions"].([]any); (len(hrs) > 0) != restricted {
			t.Errorf("%s over HTTP: restrictions %v", email, body["restrictions"])
		}
	}
}

// TestRelativeNote: a relative filter counted from now over data that
// ended earlier says so in the result's text, naming anchor latest; one
// counted from the latest value does not.
func TestRelativeNote(t *testing.T) {
	st := sampleStack(t)
	end := ""
	sch, err := st.e.Schema(t.Context(), principalOf(t, st, "analyst@example.com"))
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range sch.Tables {
		if it.Name == "ORDERS" && it.DataRange != nil {
			end, _ = it.DataRange.To.(string)
		}
	}
	if end == "" {
		t.Fatal("ORDERS has no data range")
	}
	cs := st.connect(t, bearer(token(t, "analyst@example.com", nil)))
	for anchor, noted := range map[string]bool{"now": true, "latest": false} {
		res, _ := call(t, cs, "query", map[string]any{"table_id": 1, "aggregations": []any{map[string]any{"function": "count"}},
			"filters": []any{map[string]any{"field_id": "CREATED_AT", "operation": "last", "value": 30, "unit": "day", "anchor": anchor}}})
		text := res.Content[0].(*sdk.TextContent).Text
		if strings.Contains(text, "give the filter anchor latest") != noted || noted && !strings.Contains(text, end) {
			t.Errorf("anchor %s: %s", anchor, text)
		}
	}
}

// principalOf is a sample user as a verified token gives them.
func principalOf(t *testing.T, st *stack, email string) *auth.Principal {
	t.Helper()
	dir, err := auth.ParseDirectory(fixtures.UsersFile, fixtures.Users())
	if err != nil {
		t.Fatal(err)
	}
	v, err := auth.NewVerifier(auth.VerifierOptions{Secret: testSecret, Directory: dir})
	if err != nil {
		t.Fatal(err)
	}
	p, err := v.Verify(token(t, email, nil))
	if err != nil {
		t.Fatal(err)
	}
	return p
}
