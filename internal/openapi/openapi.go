// Package openapi holds the OpenAPI 3.1 description of the Agent API, the
// one definition of a request's shape: the Agent API serves it
// (/api/agent/openapi.json) and MCP renders its tools' input schemas from
// its request schemas, so that both say the same enums and descriptions.
// A leaf: it imports nothing of the module.
package openapi

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"
)

//go:embed openapi.yaml
var document []byte

var doc = sync.OnceValue(func() map[string]any {
	var d map[string]any
	if err := yaml.Unmarshal(document, &d); err != nil {
		panic(fmt.Sprintf("openapi: openapi.yaml: %v", err)) // a build defect, caught by every test
	}
	return d
})

// JSON is the document as JSON.
var JSON = sync.OnceValue(func() []byte {
	out, err := json.Marshal(doc())
	if err != nil {
		panic(fmt.Sprintf("openapi: openapi.yaml: %v", err))
	}
	return out
})

// Schema is a component schema with every $ref inlined (many MCP clients
// handle $ref poorly), as JSON. A schema met again inside itself (a
// filter's and, or, not) is written once more as a plain object that
// says it has the same shape, rather than without end.
func Schema(name string) ([]byte, error) {
	return schema(name, false)
}

// BriefSchema is Schema with each description cut to its first sentence,
// on one line: what a tool's schema carries to a model, whose whole list
// of tools it reads at each turn.
func BriefSchema(name string) ([]byte, error) {
	return schema(name, true)
}

func schema(name string, brief bool) ([]byte, error) {
	schemas, _ := doc()["components"].(map[string]any)["schemas"].(map[string]any)
	s, ok := schemas[name]
	if !ok {
		return nil, fmt.Errorf("openapi: no schema %q", name)
	}
	in := &inliner{schemas: schemas, open: map[string]bool{name: true}}
	if brief {
		in.seen = map[string]bool{}
	}
	out := in.inline(s)
	if brief {
		shorten(out)
	}
	return json.Marshal(out)
}

// inliner writes $refs out. With seen (brief), a schema is written out
// once, where it is first met — a request's filters before the filter of
// an aggregation — and named the next times.
type inliner struct {
	schemas    map[string]any
	open, seen map[string]bool
}

func (in *inliner) inline(v any) any {
	switch x := v.(type) {
	case map[string]any:
		if ref, ok := x["$ref"].(string); ok {
			name := strings.TrimPrefix(ref, "#/components/schemas/")
			if in.open[name] || in.seen[name] {
				return map[string]any{"type": "object", "description": "a " + strings.ToLower(name) + " of the same shape as the request's other " + strings.ToLower(name) + "s"}
			}
			in.open[name] = true
			defer delete(in.open, name)
			if in.seen != nil {
				in.seen[name] = true
			}
			out := in.inline(in.schemas[name]).(map[string]any)
			if d, ok := x["description"]; ok {
				out = clone(out)
				out["description"] = d
			}
			return out
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		// In a fixed order, filters first: it is where a filter is shown whole.
		slices.SortFunc(keys, func(a, b string) int {
			if (a == "filters") != (b == "filters") {
				if a == "filters" {
					return -1
				}
				return 1
			}
			return strings.Compare(a, b)
		})
		out := make(map[string]any, len(x))
		for _, k := range keys {
			if k == "example" || k == "examples" {
				continue // examples are the document's, not a tool's
			}
			out[k] = in.inline(x[k])
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = in.inline(e)
		}
		return out
	}
	return v
}

// shorten cuts every description to its first sentence, on one line.
func shorten(v any) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if d, ok := e.(string); ok && k == "description" {
				x[k] = firstSentence(d)
				continue
			}
			shorten(e)
		}
	case []any:
		for _, e := range x {
			shorten(e)
		}
	}
}

func firstSentence(d string) string {
	d = strings.Join(strings.Fields(d), " ")
	if i := strings.Index(d, ". "); i > 0 {
		return d[:i+1]
	}
	return d
}

func clone(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
