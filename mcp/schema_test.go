package mcp_test

import (
	"context"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestInputSchemas_agreeWithOpenAPI: every tool's arguments are the
// matching endpoint's body and query parameters, in snake_case, property
// by property and, for lists and objects of a construct request, their
// properties too; the tool's own extras are listed here, so none appears
// by accident.
func TestInputSchemas_agreeWithOpenAPI(t *testing.T) {
	data, err := os.ReadFile("../internal/openapi/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	schemas := dig(doc, "components", "schemas").(map[string]any)
	resolve := func(s any) map[string]any {
		m, _ := s.(map[string]any)
		for m != nil && m["$ref"] != nil {
			m, _ = schemas[strings.TrimPrefix(m["$ref"].(string), "#/components/schemas/")].(map[string]any)
		}
		return m
	}
	params := func(path, method string) []string {
		var out []string
		for _, p := range dig(doc, "paths", path, method, "parameters").([]any) {
			pm := p.(map[string]any)
			if pm["in"] == "query" {
				out = append(out, strings.ReplaceAll(pm["name"].(string), "-", "_"))
			}
		}
		return out
	}
	props := func(s map[string]any) []string {
		var out []string
		for k := range s["properties"].(map[string]any) {
			out = append(out, k)
		}
		return out
	}
	construct := props(resolve(schemas["ConstructRequest"]))
	budget := []string{"row_limit", "columns", "format"}
	want := map[string][]string{
		"construct_query":  append(without(construct, "page_size"), params("/api/agent/v1/construct-query", "post")...),
		"query":            append(append(construct, "cursor"), budget...), // cursor is the body's continuation_token
		"execute_query":    append(append(props(resolve(schemas["QueryToken"]))[:0:0], "query", "cursor"), budget...),
		"search":           append(props(resolve(schemas["SearchRequest"])), "limit"),
		"get_table":        append(params("/api/agent/v1/table/{id}", "get"), "table_id"),
		"get_metric":       append(params("/api/agent/v1/metric/{id}", "get"), "metric_id"),
		"get_field_values": append(params("/api/agent/v1/table/{id}/field/{field_id}/values", "get"), "table_id", "metric_id", "field_id"),
		"get_schema":       without(params("/api/agent/v1/schema", "get"), "format"), // the compact view only
		"get_result":       {"handle", "cancel"},                                     // MCP's own: a query that outlived its call
	}
	st := sampleStack(t)
	cs := st.connect(t, bearer(token(t, "admin@example.com", nil)))
	lt, err := cs.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tl := range lt.Tools {
		var in map[string]any
		raw, _ := json.Marshal(tl.InputSchema)
		json.Unmarshal(raw, &in)
		got := keys(in["properties"])
		w, ok := want[tl.Name]
		if !ok {
			t.Errorf("tool %s has no endpoint to agree with", tl.Name)
			continue
		}
		slices.Sort(w)
		if strings.Join(got, " ") != strings.Join(w, " ") {
			t.Errorf("%s: arguments %v, endpoint %v", tl.Name, got, w)
		}
		if tl.Name == "query" { // execute_query and get_result answer alike, without a schema of their own
			var out map[string]any
			raw, _ := json.Marshal(tl.OutputSchema)
			json.Unmarshal(raw, &out)
			if got := strings.Join(keys(out["properties"]), " "); got != "cursor data elapsed_ms error handle has_more note restrictions row_count status truncated" {
				t.Errorf("%s: output properties %s", tl.Name, got)
			}
		}
		if tl.Name != "query" && tl.Name != "construct_query" {
			continue
		}
		// The parts of a construct request, one level down.
		for _, part := range []string{"filters", "fields", "aggregations", "group_by", "order_by"} {
			mcpItems := dig(in, "properties", part, "items")
			oapiItems := resolve(dig(resolve(schemas["ConstructRequest"]), "properties", part, "items"))
			if g, w := keys(dig(mcpItems, "properties")), keys(oapiItems["properties"]); strings.Join(g, " ") != strings.Join(w, " ") {
				t.Errorf("%s.%s: properties %v, OpenAPI %v", tl.Name, part, g, w)
			}
		}
	}
}

func dig(v any, path ...string) any {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

func keys(v any) []string {
	m, _ := v.(map[string]any)
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func without(list []string, drop ...string) []string {
	var out []string
	for _, x := range list {
		if !slices.Contains(drop, x) {
			out = append(out, x)
		}
	}
	return out
}

// TestToolsList_saysTheEnums: the request tools' schemas carry the OpenAPI
// document's enums and descriptions (one definition renders both), and
// tools/list stays under 32 KB.
func TestToolsList_saysTheEnums(t *testing.T) {
	st := sampleStack(t)
	cs := st.connect(t, bearer(token(t, "admin@example.com", nil)))
	lt, err := cs.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(lt)
	t.Logf("tools/list: %d bytes", len(raw))
	if len(raw) > 32<<10 {
		t.Errorf("tools/list is %d bytes, over 32 KB", len(raw))
	}
	for _, tl := range lt.Tools {
		if tl.Name != "query" && tl.Name != "construct_query" {
			continue
		}
		var in map[string]any
		data, _ := json.Marshal(tl.InputSchema)
		json.Unmarshal(data, &in)
		for _, path := range [][]string{
			{"properties", "filters", "items", "properties", "operation", "enum"},
			{"properties", "filters", "items", "properties", "unit", "enum"},
			{"properties", "filters", "items", "properties", "anchor", "enum"},
			{"properties", "aggregations", "items", "properties", "function", "enum"},
			{"properties", "group_by", "items", "properties", "field_granularity", "enum"},
			{"properties", "order_by", "items", "properties", "direction", "enum"},
		} {
			if enum, _ := dig(in, path...).([]any); len(enum) == 0 {
				t.Errorf("%s: no enum at %s", tl.Name, strings.Join(path, "."))
			}
		}
		if d, _ := dig(in, "properties", "filters", "items", "properties", "complete", "description").(string); d == "" {
			t.Errorf("%s: filters[].complete has no description", tl.Name)
		}
		if strings.Contains(string(data), "$ref") {
			t.Errorf("%s: the schema has a $ref", tl.Name)
		}
	}
}
