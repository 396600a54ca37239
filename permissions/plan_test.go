package permissions_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agentlayer/agentlayer/auth"
	"github.com/agentlayer/agentlayer/fixtures"
	"github.com/agentlayer/agentlayer/internal/testsupport/golden"
	"github.com/agentlayer/agentlayer/permissions"
	"github.com/agentlayer/agentlayer/semantic"
	"github.com/agentlayer/agentlayer/sqlgen"
	"github.com/agentlayer/agentlayer/sqlgen/sqlast"
)

// TestPlan_golden plans, for each case under testdata/plan, a request as a
// principal under a policy (the sample's unless the case has its own
// policy.yaml) over the sample model, and compares the policies that
// apply and the plan — its row filters and SQL — with want.sql, or the
// error with want.err (testdata/README).
func TestPlan_golden(t *testing.T) {
	m := sampleModel(t)
	golden.Run(t, "testdata/plan/*", 12, []string{"want.sql", "want.err"}, func(t *testing.T, dir string) (string, string) {
		var p auth.Principal
		readJSON(t, filepath.Join(dir, "principal.json"), &p)
		out, err := planCase(t, m, dir, &p, sqlast.DuckDB{})
		if err != nil {
			golden.Absent(t, dir, "want.postgres.sql")
			var se *sqlgen.Error
			if !errors.As(err, &se) {
				t.Fatalf("error of type %T: %v", err, err)
			}
			out += fmt.Sprintf("%s\npath: %s\n%s\n", se.Kind.Code(), se.Path, se.Message)
			if se.Reason != "" {
				out += "reason: " + se.Reason + "\n"
			}
			return out, "want.err"
		}
		// The same rules rendered for PostgreSQL, beside it.
		pg, err := planCase(t, m, dir, &p, sqlast.Postgres{})
		if err != nil {
			t.Fatal(err)
		}
		golden.Compare(t, dir, "want.postgres.sql", pg)
		return out, "want.sql"
	})
}

// planCase compiles the case's policy for dialect d and plans its request
// as p: the policies that apply, then the plan or the request's error.
func planCase(t *testing.T, m *semantic.Model, dir string, p *auth.Principal, d sqlast.Dialect) (string, error) {
	c, err := sqlgen.NewCatalog(m, d)
	if err != nil {
		t.Fatal(err)
	}
	policyFile, policy := fixtures.PolicyFile, fixtures.Policy()
	if data, err := os.ReadFile(filepath.Join(dir, "policy.yaml")); err == nil {
		policyFile, policy = filepath.Join(dir, "policy.yaml"), data
	}
	ps, err := permissions.Compile(policyFile, policy, m, permissions.Options{Dialect: d})
	if err != nil {
		t.Fatal(err)
	}
	g := ps.For(p)
	head := fmt.Sprintf("as %s: policies %s\n", p.Email, strings.Join(g.Applied, ", "))
	data, err := os.ReadFile(filepath.Join(dir, "request.json"))
	if err != nil {
		t.Fatal(err)
	}
	plan, err := planFor(c, g, data, d, permissions.Activation(p))
	if err != nil {
		return head, err
	}
	return head + plan.String(), nil
}

func planFor(c *sqlgen.Catalog, g *permissions.Grant, data []byte, d sqlast.Dialect, caller map[string]any) (*sqlgen.Plan, error) {
	req, err := sqlgen.ParseRequest(data)
	if err != nil {
		return nil, err
	}
	q, err := sqlgen.Compile(c, g, req)
	if err != nil {
		return nil, err
	}
	return q.Plan(c, g, sqlgen.Options{Dialect: d, Caller: caller})
}

// readJSON reads a principal as a token's claims would give it: whole
// numbers as int64.
func readJSON(t *testing.T, file string, p *auth.Principal) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var raw struct {
		Email      string
		Groups     []string
		Attributes map[string]json.RawMessage
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	*p = auth.Principal{Email: raw.Email, Groups: raw.Groups, Attributes: map[string]any{}}
	for k, v := range raw.Attributes {
		p.Attributes[k] = auth.ParseAttribute(string(v))
	}
}
