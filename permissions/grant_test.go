package permissions_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/agentlayer/agentlayer/auth"
	"github.com/agentlayer/agentlayer/fixtures"
	"github.com/agentlayer/agentlayer/permissions"
	"github.com/agentlayer/agentlayer/semantic"
	"github.com/agentlayer/agentlayer/sqlgen"
	"github.com/agentlayer/agentlayer/sqlgen/sqlast"
)

func samplePolicies(t *testing.T) (*semantic.Model, *permissions.Policies) {
	t.Helper()
	m := sampleModel(t)
	ps, err := permissions.Compile(fixtures.PolicyFile, fixtures.Policy(), m, permissions.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return m, ps
}

func persona(groups []string, attrs map[string]any) *auth.Principal {
	return &auth.Principal{Email: "someone@example.com", Groups: groups, Attributes: attrs}
}

// visibleColumns lists, per visible table, its visible fields.
func visibleColumns(m *semantic.Model, g *permissions.Grant) string {
	var b strings.Builder
	for _, t := range m.Tables {
		if !g.Table(t) {
			continue
		}
		var hidden []string
		for _, f := range t.Fields {
			if !g.Field(f) {
				hidden = append(hidden, f.Name)
			}
		}
		b.WriteString(t.Name)
		if len(hidden) > 0 {
			b.WriteString(" -" + strings.Join(hidden, ","))
		}
		b.WriteString("; ")
	}
	return b.String()
}

func TestGrant_personas(t *testing.T) {
	m, ps := samplePolicies(t)
	tx := map[string]any{"state": "TX"}
	tests := []struct {
		name      string
		p         *auth.Principal
		applied   string
		visible   string
		peopleRow string // the row filter of PEOPLE for a query of NAME
	}{
		{"admin", persona([]string{"admin"}, nil), "admins", "ORDERS; PEOPLE; PRODUCTS; REVIEWS; ", "all"},
		{"analyst", persona([]string{"analyst"}, nil), "analysts", "ORDERS; PEOPLE -ADDRESS,EMAIL,PASSWORD,BIRTH_DATE; PRODUCTS; REVIEWS; ", "all"},
		{"sales", persona([]string{"sales"}, tx), "sales", "ORDERS; PEOPLE -EMAIL,PASSWORD; PRODUCTS; ", `"t"."STATE" = $1 [TX]`},
		{"sales without state", persona([]string{"sales"}, nil), "sales", "ORDERS; PEOPLE -EMAIL,PASSWORD; PRODUCTS; ", "FALSE []"},
		{"product", persona([]string{"product"}, nil), "product", "PRODUCTS; REVIEWS -REVIEWER; ", "forbidden"},
		{"nobody", persona(nil, nil), "", "", "forbidden"},
		{"sales and product", persona([]string{"product", "sales"}, tx), "sales,product", "ORDERS; PEOPLE -EMAIL,PASSWORD; PRODUCTS; REVIEWS -REVIEWER; ", `"t"."STATE" = $1 [TX]`},
		{"analyst and sales", persona([]string{"analyst", "sales"}, tx), "analysts,sales", "ORDERS; PEOPLE -EMAIL,PASSWORD; PRODUCTS; REVIEWS; ", "all"},
	}
	people := m.TableByName("PEOPLE")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := ps.For(tt.p)
			if got := strings.Join(g.Applied, ","); got != tt.applied {
				t.Errorf("applied %q, want %q", got, tt.applied)
			}
			if got := visibleColumns(m, g); got != tt.visible {
				t.Errorf("visible:\n got %s\nwant %s", got, tt.visible)
			}
			if got := rowFilter(g, people, "NAME"); got != tt.peopleRow {
				t.Errorf("PEOPLE rows: got %s, want %s", got, tt.peopleRow)
			}
		})
	}
}

func rowFilter(g *permissions.Grant, t *semantic.Table, fields ...string) string {
	var fs []*semantic.Field
	for _, name := range fields {
		fs = append(fs, t.Field(name))
	}
	f, err := g.RowFilter(t, fs)
	switch {
	case errors.Is(err, sqlgen.ErrForbidden):
		return "forbidden"
	case err != nil:
		return err.Error()
	case f == nil:
		return "all"
	}
	sql, args := sqlast.Render(sqlast.DuckDB{}, f, t, "t")
	return sql + " " + fmt.Sprint(args)
}

// TestGrant_columnsTogether: a query of PEOPLE.ADDRESS by an analyst who is
// also in sales reads only the rows of the policy that grants ADDRESS.
func TestGrant_columnsTogether(t *testing.T) {
	m, ps := samplePolicies(t)
	g := ps.For(persona([]string{"analyst", "sales"}, map[string]any{"state": "TX"}))
	people := m.TableByName("PEOPLE")
	for _, tt := range []struct {
		fields []string
		want   string
	}{
		{[]string{"NAME"}, "all"},
		{[]string{"NAME", "ADDRESS"}, `"t"."STATE" = $1 [TX]`},
		{[]string{"EMAIL"}, "forbidden"},
		{nil, "all"},
	} {
		if got := rowFilter(g, people, tt.fields...); got != tt.want {
			t.Errorf("%v: got %s, want %s", tt.fields, got, tt.want)
		}
	}
}

const restrictPolicy = `version: 1
policies:
  - name: everyone
    tables:
      ORDERS:
        columns: 'column.semantic_type != "type/Discount"'
      PEOPLE:
        rows: row.STATE in user.attributes.states
  - name: broken
    when: user.attributes.level > 3
    tables: [PRODUCTS]
restrict:
  - name: contractors
    when: '"contractor" in user.groups'
    tables:
      ORDERS:
        rows: row.CREATED_AT >= timestamp("2024-01-01T00:00:00Z")
        hide: [TAX]
`

func TestGrant_restrictAndConditions(t *testing.T) {
	m := sampleModel(t)
	ps, err := permissions.Compile("p.yaml", []byte(restrictPolicy), m, permissions.Options{})
	if err != nil {
		t.Fatal(err)
	}
	orders, people, products := m.TableByName("ORDERS"), m.TableByName("PEOPLE"), m.TableByName("PRODUCTS")
	plain := ps.For(persona(nil, map[string]any{"states": []any{"TX", "OK"}, "level": "high"}))
	if plain.Field(orders.Field("DISCOUNT")) || !plain.Field(orders.Field("TAX")) {
		t.Error("a column condition should hide DISCOUNT only")
	}
	if plain.Table(products) {
		t.Error("a when that fails (a string compared with a number) must not apply")
	}
	if got := rowFilter(plain, people, "NAME"); got != `"t"."STATE" = ANY(CAST($1 AS VARCHAR[])) [[TX OK]]` {
		t.Errorf("PEOPLE rows: %s", got)
	}
	contractor := ps.For(persona([]string{"contractor"}, nil))
	if contractor.Field(orders.Field("TAX")) {
		t.Error("restrict should hide TAX")
	}
	if got := rowFilter(contractor, orders, "ID"); !strings.HasPrefix(got, `"t"."CREATED_AT" >= $1`) {
		t.Errorf("restricted ORDERS rows: %s", got)
	}
	if got := rowFilter(contractor, orders, "TAX"); got != "forbidden" {
		t.Errorf("a hidden column is forbidden, got %s", got)
	}
	if got := rowFilter(contractor, people, "NAME"); got != "FALSE []" {
		t.Errorf("a missing attribute matches no row, got %s", got)
	}
	if !slices.Equal(contractor.Applied, []string{"everyone", "contractors"}) {
		t.Errorf("applied %v", contractor.Applied)
	}
}

// TestFor_cache: users alike (same groups, same state) share one grant;
// what the policies do not read (the email) does not split the cache.
func TestFor_cache(t *testing.T) {
	_, ps := samplePolicies(t)
	a := ps.For(&auth.Principal{Email: "a@x", Groups: []string{"sales"}, Attributes: map[string]any{"state": "TX", "shoe": 42}})
	b := ps.For(&auth.Principal{Email: "b@x", Groups: []string{"sales"}, Attributes: map[string]any{"state": "TX"}})
	c := ps.For(&auth.Principal{Email: "c@x", Groups: []string{"sales"}, Attributes: map[string]any{"state": "CA"}})
	if a != b {
		t.Error("two sales users of TX do not share a grant")
	}
	if a == c {
		t.Error("users of TX and CA share a grant")
	}
}

// TestGrant_restrictFailsClosed: a restriction whose condition cannot be
// evaluated for a user (the claim it reads is missing, or has another type)
// applies to that user.
func TestGrant_restrictFailsClosed(t *testing.T) {
	m := sampleModel(t)
	ps, err := permissions.Compile("p.yaml", []byte(`version: 1
policies:
  - name: staff
    tables: {PEOPLE: "*"}
restrict:
  - name: pii-only-for-hr
    when: 'user.attributes.department != "HR"'
    tables:
      PEOPLE: {hide: [EMAIL, PASSWORD]}
`), m, permissions.Options{})
	if err != nil {
		t.Fatal(err)
	}
	email := m.TableByName("PEOPLE").Field("EMAIL")
	for _, tt := range []struct {
		name  string
		attrs map[string]any
		sees  bool
	}{
		{"HR", map[string]any{"department": "HR"}, true},
		{"Sales", map[string]any{"department": "Sales"}, false},
		{"no department claim", nil, false},
		{"department of another type", map[string]any{"department": int64(7)}, false},
	} {
		if got := ps.For(persona(nil, tt.attrs)).Field(email); got != tt.sees {
			t.Errorf("%s: sees EMAIL = %v, want %v", tt.name, got, tt.sees)
		}
	}
}

// TestFor_cacheKeys: the grant cache never hands one user's grant to a user
// the policies tell apart, whatever the spelling of what they read.
func TestFor_cacheKeys(t *testing.T) {
	m := sampleModel(t)
	for _, tt := range []struct {
		name   string
		when   string
		boss   *auth.Principal
		intern *auth.Principal
	}{
		{"leading dot", `.user.email == "boss@x"`,
			&auth.Principal{Email: "boss@x"}, &auth.Principal{Email: "intern@x"}},
		{"int and double", `user.attributes.level + 0 == 5`,
			persona(nil, map[string]any{"level": int64(5)}), persona(nil, map[string]any{"level": 5.0})},
		{"index", `user.attributes["level"] == "boss"`,
			persona(nil, map[string]any{"level": "boss"}), persona(nil, map[string]any{"level": "intern"})},
		{"in a comprehension", `user.groups.exists(g, g == user.attributes.boss)`,
			persona([]string{"a"}, map[string]any{"boss": "a"}), persona([]string{"a"}, map[string]any{"boss": "b"})},
		{"strings that embed separators", `user.attributes.a + user.attributes.b == "xy"`,
			persona(nil, map[string]any{"a": "x", "b": "y"}), persona(nil, map[string]any{"a": "x\"=", "b": "y"})},
	} {
		t.Run(tt.name, func(t *testing.T) {
			src := fmt.Sprintf("version: 1\npolicies:\n  - name: boss\n    when: '%s'\n    tables: \"*\"\n", tt.when)
			for _, order := range [][2]*auth.Principal{{tt.boss, tt.intern}, {tt.intern, tt.boss}} {
				ps, err := permissions.Compile("p.yaml", []byte(src), m, permissions.Options{})
				if err != nil {
					t.Fatal(err)
				}
				for _, p := range order {
					wantAll := p == tt.boss
					if got := ps.For(p).Table(m.TableByName("ORDERS")); got != wantAll {
						t.Errorf("%s %v: sees ORDERS = %v, want %v", p.Email, p.Attributes, got, wantAll)
					}
				}
			}
		})
	}
}

// TestGrant_groupIndexedRestrict: a restriction indexed by its group still
// fails closed for the group's members, and never applies to others.
func TestGrant_groupIndexedRestrict(t *testing.T) {
	m := sampleModel(t)
	ps, err := permissions.Compile("p.yaml", []byte(`version: 1
policies:
  - name: staff
    tables: {ORDERS: "*"}
restrict:
  - name: junior-contractors
    when: '"contractor" in user.groups && user.attributes.level < 3'
    tables:
      ORDERS: {hide: [TAX]}
`), m, permissions.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tax := m.TableByName("ORDERS").Field("TAX")
	for _, tt := range []struct {
		name   string
		groups []string
		attrs  map[string]any
		sees   bool
	}{
		{"junior contractor", []string{"contractor"}, map[string]any{"level": int64(1)}, false},
		{"senior contractor", []string{"contractor"}, map[string]any{"level": int64(5)}, true},
		{"contractor without a level", []string{"contractor"}, nil, false},
		{"employee without a level", []string{"staff"}, nil, true},
		{"no groups", nil, map[string]any{"level": int64(1)}, true},
	} {
		if got := ps.For(persona(tt.groups, tt.attrs)).Field(tax); got != tt.sees {
			t.Errorf("%s: sees TAX = %v, want %v", tt.name, got, tt.sees)
		}
	}
}

// TestGrant_costLimit: a condition whose evaluation with a user's values
// would cost more than semantic.CELMaxEvalCost stops there and fails
// closed: the policy grants nothing, the restriction applies.
func TestGrant_costLimit(t *testing.T) {
	m := sampleModel(t)
	ps, err := permissions.Compile("cost.yaml", []byte(`version: 1
policies:
  - name: quadratic
    when: 'user.attributes.items.all(x, user.attributes.items.all(y, x == y || x != y))'
    tables: {PRODUCTS: "*"}
  - name: everyone
    tables: {ORDERS: "*"}
restrict:
  - name: quadratic-restrict
    when: 'user.attributes.items.exists(x, user.attributes.items.exists(y, x == y && x == "never"))'
    tables: {ORDERS: {hide: [TOTAL]}}
`), m, permissions.Options{})
	if err != nil {
		t.Fatal(err)
	}
	small := make([]any, 10)
	big := make([]any, 2000)
	for i := range big {
		big[i] = fmt.Sprint(i)
		if i < len(small) {
			small[i] = fmt.Sprint(i)
		}
	}
	g := ps.For(persona(nil, map[string]any{"items": small}))
	if got := visibleColumns(m, g); got != "ORDERS; PRODUCTS; " {
		t.Errorf("small list: %s", got)
	}
	g = ps.For(persona(nil, map[string]any{"items": big}))
	if got := visibleColumns(m, g); got != "ORDERS -TOTAL; " {
		t.Errorf("list past the cost limit: %s, want the grant refused and the restriction applied", got)
	}
}
