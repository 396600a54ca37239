package mcp_test

import (
	"strings"
	"testing"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
)

// TestText_saysWhatTheStructureSays: a model that reads only a result's
// text finds the columns' display names, a field's statistics (to four
// significant digits), what search matched, and what a blank group of a
// related field is.
func TestText_saysWhatTheStructureSays(t *testing.T) {
	st := sampleStack(t)
	cs := st.connect(t, bearer(token(t, "analyst@example.com", nil)))
	for _, c := range []struct {
		tool string
		args any
		want []string
	}{
		{"query", map[string]any{"table_id": 1, "aggregations": []any{map[string]any{"function": "count"},
			map[string]any{"function": "count", "filter": map[string]any{"segment_id": 2}}}},
			[]string{"columns: count = Count; count_2 = Count, where Discounted orders"}},
		{"get_field_values", map[string]any{"table_id": 1, "field_id": "TOTAL", "limit": 3},
			[]string{"statistics (numbers to 4 significant digits): distinct_count ", " max 10490", " avg 143.6"}},
		{"search", map[string]any{"term_queries": []string{"discount"}}, []string{"(matched: field DISCOUNT)"}},
		// 17 orders whose product does not exist make a blank group.
		{"query", map[string]any{"table_id": 1, "aggregations": []any{map[string]any{"function": "count"}},
			"group_by": []any{map[string]any{"field_id": "PRODUCT.CATEGORY"}}},
			[]string{"An empty PRODUCT.CATEGORY is a row with no PRODUCT (none, or none you may see) or an empty CATEGORY."}},
	} {
		res, _ := call(t, cs, c.tool, c.args)
		text := res.Content[0].(*sdk.TextContent).Text
		for _, w := range c.want {
			if !strings.Contains(text, w) {
				t.Errorf("%s: the text lacks %q:\n%s", c.tool, w, text)
			}
		}
	}
}

// TestTies: an ordered answer cut by its limit says when the row after
// its last ties with it: the vendor with the highest average rating is a
// tie at 4.45; an answer without a tie says nothing.
func TestTies(t *testing.T) {
	st := sampleStack(t)
	cs := st.connect(t, bearer(token(t, "analyst@example.com", nil)))
	vendor := map[string]any{"table_id": 3, "aggregations": []any{map[string]any{"function": "avg", "field_id": "RATING", "sort_order": "desc"}},
		"group_by": []any{map[string]any{"field_id": "VENDOR"}}, "limit": 1}
	quantity := map[string]any{"table_id": 1, "fields": []any{map[string]any{"field_id": "ID"}, map[string]any{"field_id": "QUANTITY"}},
		"order_by": []any{map[string]any{"field": map[string]any{"field_id": "QUANTITY"}, "direction": "desc"}}, "limit": 2}
	for _, c := range []struct {
		args map[string]any
		tie  bool
	}{{vendor, true}, {quantity, false}} {
		res, _ := call(t, cs, "query", c.args)
		text := res.Content[0].(*sdk.TextContent).Text
		if strings.Contains(text, "ties with at least 1 more row") != c.tie || c.tie && !strings.Contains(text, "at 4.45") {
			t.Errorf("%v:\n%s", c.args, text)
		}
	}
}
