package permissions_test

import (
	"testing"

	"github.com/agentlayer/agentlayer/auth"
	"github.com/agentlayer/agentlayer/permissions"
	"github.com/agentlayer/agentlayer/sqlgen/sqlast"
)

// TestMask_severalPolicies: a row shows a column's true value if any
// policy granting the column grants it unmasked there; a restrict
// policy's mask always applies; a hidden column is never masked, since it
// is not there.
func TestMask_severalPolicies(t *testing.T) {
	m := sampleModel(t)
	ps, err := permissions.Compile("p.yaml", []byte(`version: 1
policies:
  - name: support
    when: '"support" in user.groups'
    tables:
      PEOPLE:
        mask:
          EMAIL: email_domain
          CITY: {with: redact, unless: row.STATE == user.attributes.state}
  - name: team
    when: '"team" in user.groups'
    tables:
      PEOPLE:
        rows: row.STATE == user.attributes.state
restrict:
  - name: contractors
    when: '"contractor" in user.groups'
    tables:
      PEOPLE:
        mask: {NAME: redact}
  - name: no-email
    when: '"no-email" in user.groups'
    tables:
      PEOPLE: {hide: [EMAIL]}
`), m, permissions.Options{})
	if err != nil {
		t.Fatal(err)
	}
	people := m.TableByName("PEOPLE")
	field := people.Field
	describe := func(groups []string, f string) string {
		g := ps.For(&auth.Principal{Email: "x@example.com", Groups: groups, Attributes: map[string]any{"state": "TX"}})
		if !g.Field(field(f)) {
			return "hidden"
		}
		mk, ok := g.Mask(field(f))
		if !ok {
			return "true values"
		}
		if mk.Unmasked == nil {
			return mk.Fn.String() + " everywhere"
		}
		sql, args := sqlast.Render(sqlast.DuckDB{}, mk.Unmasked, people, "t0")
		return mk.Fn.String() + " unless " + sql + " " + sqlArgs(args)
	}
	for _, c := range []struct {
		groups []string
		field  string
		want   string
	}{
		{[]string{"support"}, "EMAIL", "email_domain everywhere"},
		{[]string{"support"}, "CITY", `redact unless "t0"."STATE" = $1 [TX]`},
		{[]string{"support"}, "STATE", "true values"},
		{[]string{"team"}, "EMAIL", "true values"}, // only the team's rows, unmasked
		{[]string{"support", "team"}, "EMAIL", `email_domain unless "t0"."STATE" = $1 [TX]`},
		{[]string{"support", "contractor"}, "NAME", "redact everywhere"},
		{[]string{"team", "contractor"}, "NAME", "redact everywhere"},
		{[]string{"support", "no-email"}, "EMAIL", "hidden"},
	} {
		if got := describe(c.groups, c.field); got != c.want {
			t.Errorf("%v, %s: %s, want %s", c.groups, c.field, got, c.want)
		}
	}
}

func sqlArgs(args []any) string {
	out := "["
	for i, a := range args {
		if i > 0 {
			out += " "
		}
		out += a.(string)
	}
	return out + "]"
}
