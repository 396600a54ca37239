package permissions_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agentlayer/agentlayer/fixtures"
	"github.com/agentlayer/agentlayer/internal/testsupport/golden"
	"github.com/agentlayer/agentlayer/permissions"
	"github.com/agentlayer/agentlayer/semantic"
	"github.com/agentlayer/agentlayer/sqlgen/sqlast"
)

func sampleModel(t testing.TB) *semantic.Model {
	t.Helper()
	m, err := semantic.Parse(fixtures.ModelFile, fixtures.Model(), semantic.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestCompile_invalid compiles every policy under testdata/invalid against
// the sample model and compares the error with want.err (testdata/README).
func TestCompile_invalid(t *testing.T) {
	m := sampleModel(t)
	golden.Run(t, "testdata/invalid/*", 20, []string{"want.err"}, func(t *testing.T, dir string) (string, string) {
		_, err := permissions.Load(filepath.Join(dir, "policy.yaml"), m, permissions.Options{})
		if err == nil {
			t.Fatal("Load succeeded, want an error")
		}
		var perr *permissions.Error
		if !errors.As(err, &perr) {
			t.Fatalf("error is %T: %v", err, err)
		}
		for _, p := range perr.Problems {
			if p.Pos.Line == 0 || p.Pos.Col == 0 {
				t.Errorf("problem without position: %s", p)
			}
		}
		return err.Error() + "\n", "want.err"
	})
}

func TestCompile_sample(t *testing.T) {
	if _, err := permissions.Compile(fixtures.PolicyFile, fixtures.Policy(), sampleModel(t), permissions.Options{}); err != nil {
		t.Fatal(err)
	}
}

// TestCompile_errorTypes: a policy's problems are a *permissions.Error, a
// model's a *semantic.Error; errors.As tells them apart.
func TestCompile_errorTypes(t *testing.T) {
	_, err := permissions.Compile("p.yaml", []byte("version: 1\npolicies:\n  - {name: x, tables: {NOPE: '*'}}\n"), sampleModel(t), permissions.Options{})
	var pe *permissions.Error
	var se *semantic.Error
	if !errors.As(err, &pe) || errors.As(err, &se) {
		t.Errorf("policy error %T: as permissions %v, as semantic %v", err, errors.As(err, &pe), errors.As(err, &se))
	}
	_, err = semantic.Parse("m.yaml", []byte("version: 2\n"), semantic.Options{})
	if !errors.As(err, &se) || errors.As(err, &pe) {
		t.Errorf("model error %T", err)
	}
	if len(se.Problems) != 1 || se.Problems[0].Pos.Line != 1 {
		t.Errorf("problems %v", se.Problems)
	}
}

// TestCompile_postgresPattern: a pattern PostgreSQL cannot express is
// refused when the policy loads for PostgreSQL, at its position; DuckDB
// runs RE2 itself and takes it.
func TestCompile_postgresPattern(t *testing.T) {
	policy := []byte("version: 1\npolicies:\n  - name: x\n    tables:\n      PEOPLE: {rows: 'row.NAME.matches(\"^a{300}\")'}\n")
	if _, err := permissions.Compile("p.yaml", policy, sampleModel(t), permissions.Options{}); err != nil {
		t.Fatalf("DuckDB: %v", err)
	}
	_, err := permissions.Compile("p.yaml", policy, sampleModel(t), permissions.Options{Dialect: sqlast.Postgres{}})
	if err == nil || !strings.Contains(err.Error(), "p.yaml:5:") || !strings.Contains(err.Error(), "at most 255") {
		t.Fatalf("PostgreSQL: %v", err)
	}
}
