package mcp_test

import (
	"encoding/json"
	"strings"
	"testing"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
)

// TestAggregateOnly_overMCP: the outside probe's attacks on aggregate-only
// access (A with TOTAL and with USER_ID, B, PEOPLE's sum of ids, C) are
// refused over MCP as over HTTP, with the same reasons; an answer says,
// in its text and its structure, that it counts every order and leaves
// groups under 10 out.
func TestAggregateOnly_overMCP(t *testing.T) {
	st := sampleStack(t)
	cs := st.connect(t, bearer(token(t, "benchmark@example.com", nil)))
	text := func(res *sdk.CallToolResult) string {
		var b strings.Builder
		for _, c := range res.Content {
			if tc, ok := c.(*sdk.TextContent); ok {
				b.WriteString(tc.Text)
			}
		}
		return b.String()
	}
	for name, c := range map[string]struct {
		args   string
		reason string
	}{
		"A, USER_ID": {`{"table_id":1,"aggregations":[{"function":"sum","field_id":"t1-5"},{"function":"sum","field_id":"t1-1"}]}`, "a sum or an average of a field that identifies"},
		"A, TOTAL":   {`{"table_id":1,"aggregations":[{"function":"sum","field_id":"t1-5"}],"filters":[{"field_id":"t1-7","operation":"not-equals","value":"2024-06-29T23:37:33"}]}`, "whole days"},
		"B":          {`{"table_id":1,"aggregations":[{"function":"sum","field_id":"TOTAL"}],"filters":[{"field_id":"USER.CREATED_AT","operation":"not-equals","value":"2023-04-11T09:12:44"}]}`, "whole days"},
		"PEOPLE":     {`{"table_id":2,"aggregations":[{"function":"sum","field_id":"ID"}]}`, "a sum or an average of a field that identifies"},
		"C":          {`{"table_id":1,"aggregations":[{"function":"sum","field_id":"TOTAL"}],"filters":[{"field_id":"CREATED_AT","operation":"less-than-or-equal","value":"2024-06-29T23:37:33"}]}`, "whole days"},
	} {
		var args map[string]any
		json.Unmarshal([]byte(c.args), &args)
		res, _ := call(t, cs, "query", args)
		if !res.IsError || !strings.Contains(text(res), c.reason) {
			t.Errorf("%s: %v %s, want refused: %q", name, res.IsError, text(res), c.reason)
		}
	}
	res, out := call(t, cs, "query", map[string]any{"metric_id": 1})
	const want = "Aggregates of ORDERS count every row. Groups of fewer than 10 ORDERS rows are not shown."
	rs, _ := out["restrictions"].([]any)
	if res.IsError || !strings.Contains(text(res), want) || len(rs) != 1 {
		t.Fatalf("revenue: %s %v", text(res), out["restrictions"])
	}
	r := rs[0].(map[string]any)
	agg, _ := r["aggregate"].(map[string]any)
	if r["text"] != want || agg["min_group_size"] != 10.0 || agg["time_granularity"] != "day" {
		t.Errorf("revenue's restriction %v", r)
	}
}
