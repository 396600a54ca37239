package permissions

import (
	"fmt"
	"testing"

	"github.com/agentlayer/agentlayer/fixtures"
	"github.com/agentlayer/agentlayer/semantic"
)

// TestRequiredGroup: only a group the condition cannot be true without
// indexes a policy; any other condition is evaluated for every user.
func TestRequiredGroup(t *testing.T) {
	m, err := semantic.Parse(fixtures.ModelFile, fixtures.Model(), semantic.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ when, group string }{
		{`"sales" in user.groups`, "sales"},
		{`"a" in user.groups && user.attributes.x == 1`, "a"},
		{`user.attributes.x == 1 && ("b" in user.groups && true)`, "b"},
		{`"a" in user.groups || "b" in user.groups`, ""},
		{`!("a" in user.groups)`, ""},
		{`user.groups.exists(g, g == "a")`, ""},
		{`user.email in ["a", "b"]`, ""},
		{`"a" in user.attributes.teams`, ""},
		{`("a" in user.groups) == false`, ""},
	} {
		src := fmt.Sprintf("version: 1\npolicies:\n  - name: p\n    when: '%s'\n    tables: \"*\"\n", tt.when)
		ps, err := Compile("p.yaml", []byte(src), m, Options{})
		if err != nil {
			t.Fatalf("%s: %v", tt.when, err)
		}
		if got := ps.policies.all[0].group; got != tt.group {
			t.Errorf("%s: group %q, want %q", tt.when, got, tt.group)
		}
	}
}
