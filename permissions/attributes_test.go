package permissions_test

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/agentlayer/agentlayer/auth"
	"github.com/agentlayer/agentlayer/internal/testsupport/testkit"
	"github.com/agentlayer/agentlayer/permissions"
)

// TestCompile_declaredAttributes: with attributes declared, a typo of one
// and a list compared with == are load errors at their line and column,
// with the fix; without a declaration, rules read any attribute as before.
func TestCompile_declaredAttributes(t *testing.T) {
	m := sampleModel(t)
	const head = "version: 1\nattributes:\n  state: string\n  states: list(string)\n  level: int\npolicies:\n  - name: p\n"
	tests := []struct {
		name, body, want string
	}{
		{"a typo in a row rule", "    tables:\n      PEOPLE:\n        rows: row.STATE == user.attributes.stat\n",
			"p.yaml:10:28: user.attributes.stat is not a declared attribute (did you mean state?)"},
		{"a typo in a when", "    when: user.attributes.levl > 3\n    tables: [PRODUCTS]\n",
			"p.yaml:8:11: user.attributes.levl is not a declared attribute (did you mean level?)"},
		{"a typo by index", "    when: user.attributes[\"levle\"] > 3\n    tables: [PRODUCTS]\n",
			"is not a declared attribute (did you mean level?)"},
		{"a list compared with ==", "    tables:\n      PEOPLE:\n        rows: row.STATE == user.attributes.states\n",
			"p.yaml:10:25: user.attributes.states is a list, so == compares the whole list and matches nothing: write row.STATE in user.attributes.states"},
		{"a policy that reads no attribute", "    tables: [PRODUCTS]\n",
			""},
		{"text compared with an int attribute", "    tables:\n      PEOPLE:\n        rows: row.STATE == user.attributes.level\n",
			"p.yaml:10:25: user.attributes.level is declared int, and compared with string: no row can match"},
		{"an int field in a list of text", "    tables:\n      ORDERS:\n        rows: row.QUANTITY in user.attributes.states\n",
			"user.attributes.states is declared list(string), and compared with int: no row can match"},
		{"through relationships", "    tables:\n      ORDERS:\n        rows: row.USER.STATE != user.attributes.level\n",
			"user.attributes.level is declared int, and compared with string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := permissions.Compile("p.yaml", []byte(head+tt.body), m, permissions.Options{})
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v\nwant %s", err, tt.want)
			}
		})
	}
	// An int compared with a double field is valid, and warned of.
	ps0, err := permissions.Compile("p.yaml", []byte(head+"    tables:\n      ORDERS:\n        rows: row.TOTAL > user.attributes.level\n"), m, permissions.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if w := ps0.Warnings(); len(w) != 1 || !strings.Contains(w[0], "p.yaml:10:") || !strings.Contains(w[0], "user.attributes.level is declared int and compared with double") {
		t.Errorf("warnings %q", w)
	}
	// What the declaration allows compiles, and works.
	ps, err := permissions.Compile("p.yaml", []byte(head+"    when: user.attributes.level > 3\n    tables:\n      PEOPLE:\n        rows: row.STATE in user.attributes.states\n"), m, permissions.Options{})
	if err != nil {
		t.Fatal(err)
	}
	g := ps.For(persona(nil, map[string]any{"level": int64(5), "states": []any{"TX"}}))
	if got := rowFilter(g, m.TableByName("PEOPLE"), "STATE"); !strings.Contains(got, "ANY") {
		t.Errorf("rows: %s", got)
	}
	if _, err := permissions.Compile("p.yaml", []byte("version: 1\nattributes:\n  state: text\npolicies:\n  - name: p\n    tables: [PRODUCTS]\n"), m, permissions.Options{}); err == nil || !strings.Contains(err.Error(), `p.yaml:3:10: attribute state: the type must be one of string, int, double, bool, list(string), list(int), list(double), not "text"`) {
		t.Errorf("a bad type: %v", err)
	}
	// Undeclared, any attribute may be read.
	if _, err := permissions.Compile("p.yaml", []byte("version: 1\npolicies:\n  - name: p\n    when: user.attributes.anything == 1\n    tables: [PRODUCTS]\n"), m, permissions.Options{}); err != nil {
		t.Error(err)
	}
}

// TestFor_missingAttribute: a user without a declared attribute a rule
// reads is warned of once per attribute, with the policy, and counted
// once.
func TestFor_missingAttribute(t *testing.T) {
	m := sampleModel(t)
	var log testkit.SyncBuffer
	ps, err := permissions.Compile("p.yaml", []byte("version: 1\nattributes:\n  state: string\n  unused: int\n  level: int\npolicies:\n  - name: regional\n    when: user.attributes.level > 1\n    tables:\n      PEOPLE:\n        rows: row.STATE == user.attributes.state\n"),
		m, permissions.Options{Logger: slog.New(slog.NewTextHandler(&log, nil))})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		ps.For(&auth.Principal{Email: "a@x", Attributes: map[string]any{}})
	}
	ps.For(&auth.Principal{Email: "b@x", Attributes: map[string]any{}})
	ps.For(&auth.Principal{Email: "c@x", Attributes: map[string]any{"state": "TX", "level": int64(2)}})
	if n := ps.MissingAttributes(); n != 2 {
		t.Errorf("counted %d users, want 2", n)
	}
	// A user the policy's when excludes (not a doctor) lacks nothing it
	// would read.
	var log2 testkit.SyncBuffer
	doctors, err := permissions.Compile("p.yaml", []byte("version: 1\nattributes:\n  clinic: string\npolicies:\n  - name: doctors\n    when: '\"doctor\" in user.groups'\n    tables:\n      PEOPLE:\n        rows: row.STATE == user.attributes.clinic\n"),
		m, permissions.Options{Logger: slog.New(slog.NewTextHandler(&log2, nil))})
	if err != nil {
		t.Fatal(err)
	}
	doctors.For(&auth.Principal{Email: "nurse@x", Groups: []string{"nurse"}, Attributes: map[string]any{}})
	doctors.For(&auth.Principal{Email: "doc@x", Groups: []string{"doctor"}, Attributes: map[string]any{}})
	if n := doctors.MissingAttributes(); n != 1 || strings.Contains(log2.String(), "nurse@x") || !strings.Contains(log2.String(), "doc@x") {
		t.Errorf("counted %d, log:\n%s", n, log2.String())
	}
	// a@x and b@x each lack level and state: four lines.
	if got := strings.Count(log.String(), "user lacks a declared attribute"); got != 4 || !strings.Contains(log.String(), "policies=regional") || strings.Contains(log.String(), "unused") {
		t.Errorf("log:\n%s", log.String())
	}
}
