package agentapi

import (
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// recorded are the responses the tests receive, validated against the
// OpenAPI description when they end (TestMain).
var recorded struct {
	sync.Mutex
	list []recordedResponse
}

type recordedResponse struct {
	method, rawURL string
	status         int
	body           string
}

func record(method, rawURL string, status int, body string) {
	recorded.Lock()
	defer recorded.Unlock()
	recorded.list = append(recorded.list, recordedResponse{method, rawURL, status, body})
}

// validateRecorded checks every recorded response against the document;
// it returns the problems.
func validateRecorded() []string {
	var doc map[string]any
	if err := json.Unmarshal(OpenAPI(), &doc); err != nil {
		return []string{"openapi.json: " + err.Error()}
	}
	v := &validator{doc: doc}
	recorded.Lock()
	defer recorded.Unlock()
	var problems []string
	checked := map[string]int{}
	for _, r := range recorded.list {
		u, err := url.Parse(r.rawURL)
		if err != nil {
			continue
		}
		op, tmpl := v.operation(r.method, u.Path)
		if op == nil && (strings.HasPrefix(u.Path, "/api/agent/test/") || r.status == 404 || r.status == 401 || r.status == 405) {
			continue // routes the tests add, and paths that do not exist
		}
		if op == nil {
			problems = append(problems, fmt.Sprintf("%s %s: not in the OpenAPI document", r.method, u.Path))
			continue
		}
		resp, ok := v.response(op, r.status)
		if !ok {
			problems = append(problems, fmt.Sprintf("%s %s: status %d is not documented", r.method, tmpl, r.status))
			continue
		}
		checked[r.method+" "+tmpl]++
		schema := v.schemaOf(resp)
		if schema == nil {
			continue
		}
		var body any
		if err := json.Unmarshal([]byte(r.body), &body); err != nil {
			if content, _ := resp["content"].(map[string]any); content["text/plain"] != nil {
				continue // a text answer of an operation that also answers JSON
			}
			problems = append(problems, fmt.Sprintf("%s %s %d: body is not JSON: %.200s", r.method, tmpl, r.status, r.body))
			continue
		}
		for _, p := range v.check(schema, body, "$") {
			problems = append(problems, fmt.Sprintf("%s %s %d: %s", r.method, tmpl, r.status, p))
		}
	}
	// Every operation of the document was exercised.
	for path, item := range doc["paths"].(map[string]any) {
		for method := range item.(map[string]any) {
			if checked[strings.ToUpper(method)+" "+path] == 0 {
				problems = append(problems, fmt.Sprintf("%s %s: no test received a response of it", strings.ToUpper(method), path))
			}
		}
	}
	sort.Strings(problems)
	return slices.Compact(problems)
}

type validator struct{ doc map[string]any }

// quotedParam is a path parameter after regexp.QuoteMeta: \{id\}.
var quotedParam = regexp.MustCompile(`\\\{[^}]*\\\}`)

// operation finds the operation of a method and path, and its template.
func (v *validator) operation(method, path string) (map[string]any, string) {
	for tmpl, item := range v.doc["paths"].(map[string]any) {
		re := "^" + quotedParam.ReplaceAllString(regexp.QuoteMeta(tmpl), `[^/]+`) + "$"
		if !regexp.MustCompile(re).MatchString(path) {
			continue
		}
		if op, ok := item.(map[string]any)[strings.ToLower(method)].(map[string]any); ok {
			return op, tmpl
		}
	}
	return nil, ""
}

func (v *validator) response(op map[string]any, status int) (map[string]any, bool) {
	r, ok := op["responses"].(map[string]any)[strconv.Itoa(status)].(map[string]any)
	if !ok {
		return nil, false
	}
	return v.resolve(r), true
}

func (v *validator) schemaOf(resp map[string]any) map[string]any {
	content, _ := resp["content"].(map[string]any)
	js, _ := content["application/json"].(map[string]any)
	s, _ := js["schema"].(map[string]any)
	if s == nil {
		return nil
	}
	return v.resolve(s)
}

// resolve follows a $ref.
func (v *validator) resolve(m map[string]any) map[string]any {
	for {
		ref, ok := m["$ref"].(string)
		if !ok {
			return m
		}
		var cur any = v.doc
		for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
			cur = cur.(map[string]any)[part]
		}
		m = cur.(map[string]any)
	}
}

func typeOf(x any) string {
	switch n := x.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case float64:
		if n == math.Trunc(n) {
			return "integer"
		}
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "unknown"
}

// check validates x against the subset of JSON Schema the document uses.
func (v *validator) check(s map[string]any, x any, at string) []string {
	s = v.resolve(s)
	var out []string
	if alts, ok := s["oneOf"].([]any); ok {
		matched := 0
		for _, a := range alts {
			if len(v.check(a.(map[string]any), x, at)) == 0 {
				matched++
			}
		}
		if matched != 1 {
			out = append(out, fmt.Sprintf("%s matches %d of oneOf", at, matched))
		}
		return out
	}
	if t, ok := s["type"]; ok {
		var types []string
		switch tt := t.(type) {
		case string:
			types = []string{tt}
		case []any:
			for _, e := range tt {
				types = append(types, e.(string))
			}
		}
		got := typeOf(x)
		if !slices.Contains(types, got) && !(got == "integer" && slices.Contains(types, "number")) {
			return append(out, fmt.Sprintf("%s is %s, want %v", at, got, types))
		}
	}
	if c, ok := s["const"]; ok && x != c {
		out = append(out, fmt.Sprintf("%s is %v, want %v", at, x, c))
	}
	if enum, ok := s["enum"].([]any); ok && !slices.Contains(enum, x) {
		out = append(out, fmt.Sprintf("%s is %v, not one of %v", at, x, enum))
	}
	switch val := x.(type) {
	case map[string]any:
		props, _ := s["properties"].(map[string]any)
		for _, req := range asStrings(s["required"]) {
			if _, ok := val[req]; !ok {
				out = append(out, fmt.Sprintf("%s lacks %q", at, req))
			}
		}
		for k, item := range val {
			ps, ok := props[k].(map[string]any)
			if !ok {
				if s["additionalProperties"] == false {
					out = append(out, fmt.Sprintf("%s has undocumented %q", at, k))
				}
				continue
			}
			out = append(out, v.check(ps, item, at+"."+k)...)
		}
	case []any:
		if items, ok := s["items"].(map[string]any); ok {
			for i, item := range val {
				out = append(out, v.check(items, item, fmt.Sprintf("%s[%d]", at, i))...)
				if len(out) > 5 {
					break
				}
			}
		}
	}
	return out
}

func asStrings(x any) []string {
	l, _ := x.([]any)
	out := make([]string, 0, len(l))
	for _, e := range l {
		out = append(out, e.(string))
	}
	return out
}

// TestOpenAPI_document: the document is served, as JSON, to anyone: an
// agent reads the contract before it holds a credential.
func TestOpenAPI_document(t *testing.T) {
	eachDatabase(t, func(t *testing.T, s *e2e) {
		got := call(t, "GET", s.srv.URL+"/api/agent/openapi.json", personaNamed("nobody").header(t), "")
		var doc map[string]any
		if got.status != 200 || json.Unmarshal([]byte(got.body), &doc) != nil || doc["openapi"] != "3.1.0" {
			t.Fatalf("%d %.200s", got.status, got.body)
		}
		if again := call(t, "GET", s.srv.URL+"/api/agent/openapi.json", nil, ""); again.status != 200 || again.body != got.body {
			t.Errorf("unauthenticated: %d", again.status)
		}
	})
}

// TestOpenAPI_validator: the validator refuses what it should.
func TestOpenAPI_validator(t *testing.T) {
	var doc map[string]any
	json.Unmarshal(OpenAPI(), &doc)
	v := &validator{doc: doc}
	errSchema := v.resolve(map[string]any{"$ref": "#/components/schemas/Error"})
	for body, bad := range map[string]bool{
		`{"error":"forbidden","message":"x"}`:                false,
		`{"error":"forbidden"}`:                              true,
		`{"error":"nope","message":"x"}`:                     true,
		`{"error":"forbidden","message":"x","extra":1}`:      true,
		`{"error":"forbidden","message":"x","path":"a.b"}`:   false,
		`{"error":"forbidden","message":"x","candidates":1}`: true,
	} {
		var x any
		json.Unmarshal([]byte(body), &x)
		if got := len(v.check(errSchema, x, "$")) > 0; got != bad {
			t.Errorf("%s: refused %v, want %v", body, got, bad)
		}
	}
}

// TestOpenAPI_wellFormed: no key left without a value by YAML's flow
// syntax (a comma in an unquoted description starts a new key), every
// property typed, and every example valid against its schema.
func TestOpenAPI_wellFormed(t *testing.T) {
	var doc map[string]any
	if err := json.Unmarshal(OpenAPI(), &doc); err != nil {
		t.Fatal(err)
	}
	v := &validator{doc: doc}
	var walk func(x any, at string)
	walk = func(x any, at string) {
		switch x := x.(type) {
		case map[string]any:
			for k, c := range x {
				if k == "example" || k == "examples" {
					continue
				}
				if c == nil {
					t.Errorf("%s.%s has no value: a stray key?", at, k)
				}
				if k == "properties" {
					for name, p := range c.(map[string]any) {
						ps, _ := p.(map[string]any)
						if ps["type"] == nil && ps["$ref"] == nil && ps["oneOf"] == nil && ps["enum"] == nil && ps["const"] == nil {
							t.Errorf("%s.properties.%s has no type", at, name)
						}
					}
				}
				walk(c, at+"."+k)
			}
		case []any:
			for i, c := range x {
				walk(c, fmt.Sprintf("%s[%d]", at, i))
			}
		}
	}
	walk(doc, "$")
	examples := 0
	var check func(x any, at string)
	check = func(x any, at string) {
		m, ok := x.(map[string]any)
		if !ok {
			if l, ok := x.([]any); ok {
				for i, c := range l {
					check(c, fmt.Sprintf("%s[%d]", at, i))
				}
			}
			return
		}
		if ex, ok := m["example"]; ok {
			if s, ok := m["schema"].(map[string]any); ok {
				examples++
				for _, p := range v.check(s, ex, at+".example") {
					t.Error(p)
				}
			} else if m["type"] != nil || m["properties"] != nil {
				examples++
				for _, p := range v.check(m, ex, at+".example") {
					t.Error(p)
				}
			}
		}
		for k, c := range m {
			if k != "example" {
				check(c, at+"."+k)
			}
		}
	}
	check(doc, "$")
	// Every operation's success answer has an example.
	for path, item := range doc["paths"].(map[string]any) {
		for method, op := range item.(map[string]any) {
			if !strings.HasPrefix(path, "/api/agent/v1/") {
				continue
			}
			for status, r := range op.(map[string]any)["responses"].(map[string]any) {
				if status[0] != '2' {
					continue
				}
				content, _ := v.resolve(r.(map[string]any))["content"].(map[string]any)
				found := false
				for _, c := range content {
					if c.(map[string]any)["example"] != nil {
						found = true
					}
				}
				if !found {
					t.Errorf("%s %s %s has no example", method, path, status)
				}
			}
		}
	}
	if examples < 12 {
		t.Errorf("only %d examples checked", examples)
	}
}
