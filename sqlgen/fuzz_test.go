package sqlgen_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/agentlayer/agentlayer/sqlgen"
)

// FuzzPlan feeds arbitrary JSON to request parsing, validation and
// planning. Whatever the input: no panic, and no request value in the SQL
// text — the text is made of the model's identifiers, keywords, this
// package's constants and placeholders, and it does not change when only
// the request's values do. The seed corpus (every golden request) runs in
// the normal test command; go test -fuzz=FuzzPlan ./sqlgen explores.
func FuzzPlan(f *testing.F) {
	dirs, _ := filepath.Glob("testdata/plan/*")
	for _, dir := range dirs {
		if data, err := os.ReadFile(filepath.Join(dir, "request.json")); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(`{"table_id":1,"filters":[{"field_id":"t1-24","operation":"equals","value":"x' OR 1=1 --"}]}`))
	f.Add([]byte(`{"table_id":1,"filters":[{"field_id":"t1-16","operation":"string-contains","values":["\"; DROP TABLE ORDERS; --", "%_\\"]}],"limit":123456}`))
	f.Add([]byte(`{"table_id":1,"filters":[{"field_id":"t1-5","operation":"equals","value":1e308}]}`))
	c := catalog(f, "")
	idents := map[string]bool{}
	for _, t := range c.Model.Tables {
		idents[t.Name] = true
		for _, fl := range t.Fields {
			idents[fl.Column] = true
			idents[fl.Name] = true
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, ok := fuzzPlan(c, data)
		if !ok {
			return
		}
		sqlText, args := p.SQL()
		checkTokens(t, sqlText, args, idents, p)
		// The same request with other values renders the same text.
		if mutated, ok := mutateValues(data); ok {
			if q, ok := fuzzPlan(c, mutated); ok {
				if other, _ := q.SQL(); other != sqlText {
					t.Fatalf("the SQL text depends on request values:\n%s\n---\n%s", sqlText, other)
				}
			}
		}
	})
}

func fuzzPlan(c *sqlgen.Catalog, data []byte) (*sqlgen.Plan, bool) {
	req, err := sqlgen.ParseRequest(data)
	if err != nil {
		return nil, false
	}
	q, err := sqlgen.Compile(c, sqlgen.FullAccess{}, req)
	if err != nil {
		return nil, false
	}
	p, err := q.Plan(c, sqlgen.FullAccess{}, sqlgen.Options{})
	if err != nil {
		return nil, false
	}
	return p, true
}

var sqlToken = regexp.MustCompile(`"(?:[^"]|"")*"|'(?:[^']|'')*'|\$\d+|\d+(?:\.\d+)?|[A-Za-z_][A-Za-z_0-9]*|\S`)

var constants = []string{"'minute'", "'hour'", "'day'", "'week'", "'month'", "'quarter'", "'year'", "'UTC'"}

func checkTokens(t *testing.T, sqlText string, args []any, idents map[string]bool, p *sqlgen.Plan) {
	t.Helper()
	outputs := map[string]bool{}
	for _, o := range p.Outputs {
		outputs[o.Name] = true
	}
	alias := regexp.MustCompile(`^([tsur]\d+|lo|hi|p)$`) // table aliases, and the columns of bound lists
	for _, tok := range sqlToken.FindAllString(sqlText, -1) {
		switch {
		case strings.HasPrefix(tok, `"`):
			name := strings.ReplaceAll(tok[1:len(tok)-1], `""`, `"`)
			if !idents[name] && !outputs[name] && !alias.MatchString(name) {
				t.Fatalf("identifier %s is not the model's:\n%s", tok, sqlText)
			}
		case strings.HasPrefix(tok, "'"):
			if !slices.Contains(constants, tok) {
				t.Fatalf("literal %s is not one of this package's:\n%s", tok, sqlText)
			}
		case strings.HasPrefix(tok, "$"):
			n, _ := strconv.Atoi(tok[1:])
			if n < 1 || n > len(args) {
				t.Fatalf("placeholder %s with %d args", tok, len(args))
			}
		case tok[0] >= '0' && tok[0] <= '9':
			if n, err := strconv.Atoi(tok); err != nil || n > len(p.Outputs)+7 {
				t.Fatalf("number %s in the SQL text:\n%s", tok, sqlText)
			}
		}
	}
}

// mutateValues changes every filter value that is a plain string or number
// and the limit, keeping their types.
func mutateValues(data []byte) ([]byte, bool) {
	var req map[string]any
	if json.Unmarshal(data, &req) != nil {
		return nil, false
	}
	changed := false
	mutate := func(v any) any {
		switch x := v.(type) {
		case string:
			if _, err := strconv.Atoi(x[:min(len(x), 4)]); err == nil {
				return x // a date: keep it valid
			}
			changed = true
			return x + "~mutated"
		case float64:
			changed = true
			return x + 1
		}
		return v
	}
	filters, _ := req["filters"].([]any)
	for _, f := range filters {
		m, ok := f.(map[string]any)
		if !ok {
			continue
		}
		if v, ok := m["value"]; ok {
			m["value"] = mutate(v)
		}
		if vs, ok := m["values"].([]any); ok {
			for i := range vs {
				vs[i] = mutate(vs[i])
			}
		}
	}
	if l, ok := req["limit"].(float64); ok && l > 1 {
		req["limit"], changed = l-1, true
	}
	out, err := json.Marshal(req)
	return out, err == nil && changed
}
