package permissions_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/agentlayer/agentlayer/permissions"
)

// TestGrant_restriction says how rows are limited in words, and in words
// only when the rule reads what the user sees.
func TestGrant_restriction(t *testing.T) {
	m, ps := samplePolicies(t)
	orders, people := m.TableByName("ORDERS"), m.TableByName("PEOPLE")
	sales := ps.For(persona([]string{"sales"}, map[string]any{"state": "TX"}))
	tests := []struct {
		name  string
		g     *permissions.Grant
		table string
		want  string // "" for no restriction
	}{
		{"sales' people", sales, "PEOPLE", `Rows of PEOPLE are limited to PEOPLE.STATE = "TX".`},
		{"sales' orders, through their customer", sales, "ORDERS", `Rows of ORDERS are limited to ORDERS.USER_ID → PEOPLE where PEOPLE.STATE = "TX".`},
		{"sales' products: every row", sales, "PRODUCTS", ""},
		{"an admin", ps.For(persona([]string{"admin"}, nil)), "ORDERS", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, ok := tt.g.Restriction(m.TableByName(tt.table), nil)
			if !ok {
				r.Text = ""
			}
			if r.Text != tt.want {
				t.Errorf("got %q, want %q", r.Text, tt.want)
			}
		})
	}
	if r, _ := sales.Restriction(orders, nil); !slices.Equal(r.Policies, []string{"sales"}) || r.Rows == "" {
		t.Errorf("structure %+v", r)
	}

	// A rule that reads a field the user may not see is named, not shown;
	// a restriction adds its own policy.
	ps2, err := permissions.Compile("p.yaml", []byte(`version: 1
policies:
  - name: regional
    tables:
      PEOPLE:
        hide: [STATE, EMAIL]
        rows: row.STATE == user.attributes.state && row.EMAIL != ""
      ORDERS:
        rows: row.TOTAL > 10.0
restrict:
  - name: recent
    tables:
      ORDERS:
        rows: row.CREATED_AT >= timestamp("2024-01-01T00:00:00Z")
`), m, permissions.Options{})
	if err != nil {
		t.Fatal(err)
	}
	g := ps2.For(persona(nil, map[string]any{"state": "TX"}))
	r, ok := g.Restriction(people, nil)
	if !ok || r.Rows != "" || r.Text != "Rows of PEOPLE are limited by policy regional." {
		t.Errorf("hidden rule: %+v", r)
	}
	for _, leak := range []string{"STATE", "EMAIL", "TX"} {
		if strings.Contains(r.Text, leak) {
			t.Errorf("the restriction names %s: %q", leak, r.Text)
		}
	}
	r, ok = g.Restriction(orders, nil)
	want := `Rows of ORDERS are limited to ORDERS.TOTAL IS NOT NaN AND ORDERS.TOTAL > 10 AND ORDERS.CREATED_AT >= "2024-01-01T00:00:00Z".`
	if !ok || r.Text != want || !slices.Equal(r.Policies, []string{"regional", "recent"}) {
		t.Errorf("got %+v\nwant %s", r, want)
	}
}
