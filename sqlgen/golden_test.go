package sqlgen_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/agentlayer/agentlayer/internal/testsupport/golden"
	"github.com/agentlayer/agentlayer/semantic"
	"github.com/agentlayer/agentlayer/sqlgen"
	"github.com/agentlayer/agentlayer/sqlgen/sqlast"
)

// caseOptions is a golden case's options.json.
type caseOptions struct {
	Model     string `json:"model"` // a file under testdata/models, or saas; default the shop sample
	TimeZone  string `json:"time_zone"`
	WeekStart string `json:"week_start"`
	// Now pins the clock of relative filters (RFC 3339), and Latest is
	// every field's latest value for those counted from it; "" for none.
	Now    string `json:"now"`
	Latest string `json:"latest"`
}

var catalogs = map[string]*sqlgen.Catalog{}

func catalog(t testing.TB, model string) *sqlgen.Catalog {
	t.Helper()
	path := "../fixtures/sample/model.yaml"
	switch model {
	case "":
	case "saas": // the second sample
		path = "../fixtures/saas/model.yaml"
	default:
		path = filepath.Join("testdata/models", model+".yaml")
	}
	if c, ok := catalogs[path]; ok {
		return c
	}
	m, err := semantic.Load(path, semantic.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := sqlgen.NewCatalog(m, nil)
	if err != nil {
		t.Fatal(err)
	}
	catalogs[path] = c
	return c
}

// plan compiles and plans a request with full access, as a golden case's
// files say.
func plan(t *testing.T, dir string, d sqlast.Dialect) (*sqlgen.Plan, error) {
	t.Helper()
	var opts caseOptions
	if data, err := os.ReadFile(filepath.Join(dir, "options.json")); err == nil {
		if err := json.Unmarshal(data, &opts); err != nil {
			t.Fatal(err)
		}
	}
	popts := sqlgen.Options{Dialect: d}
	if opts.TimeZone != "" {
		loc, err := time.LoadLocation(opts.TimeZone)
		if err != nil {
			t.Fatal(err)
		}
		popts.TimeZone = loc
	}
	if opts.WeekStart == "monday" {
		popts.WeekStart = time.Monday
	}
	// The clock is pinned in every case, so that a case never depends on
	// the day it runs.
	now := time.Date(2025, 7, 16, 15, 30, 0, 0, time.UTC)
	if opts.Now != "" {
		var err error
		if now, err = time.Parse(time.RFC3339, opts.Now); err != nil {
			t.Fatal(err)
		}
	}
	popts.Now = func() time.Time { return now }
	popts.Latest = func(sqlgen.QueryField) (time.Time, bool, error) {
		if opts.Latest == "" {
			return time.Time{}, false, nil
		}
		l, err := time.Parse(time.RFC3339, opts.Latest)
		return l, err == nil, err
	}
	c := catalog(t, opts.Model)
	data, err := os.ReadFile(filepath.Join(dir, "request.json"))
	if err != nil {
		t.Fatal(err)
	}
	req, err := sqlgen.ParseRequest(data)
	if err != nil {
		return nil, err
	}
	q, err := sqlgen.Compile(c, sqlgen.FullAccess{}, req)
	if err != nil {
		return nil, err
	}
	return q.Plan(c, sqlgen.FullAccess{}, popts)
}

func errorText(err error) string {
	var e *sqlgen.Error
	if !errors.As(err, &e) {
		return "unexpected error type: " + err.Error() + "\n"
	}
	s := fmt.Sprintf("%s\npath: %s\n%s\n", e.Kind.Code(), e.Path, e.Message)
	if len(e.Candidates) > 0 {
		s += "candidates: " + strings.Join(e.Candidates, ", ") + "\n"
	}
	return s
}

// TestPlan_golden plans every request under testdata/plan and compares the
// printed plan with want.sql, or the error with want.err (testdata/README).
func TestPlan_golden(t *testing.T) {
	golden.Run(t, "testdata/plan/*", 70, []string{"want.sql", "want.err"}, func(t *testing.T, dir string) (string, string) {
		p, err := plan(t, dir, sqlast.DuckDB{})
		if err != nil {
			golden.Absent(t, dir, "want.postgres.sql")
			return errorText(err), "want.err"
		}
		// The same plan rendered for PostgreSQL, beside it.
		pg, err := plan(t, dir, sqlast.Postgres{})
		if err != nil {
			t.Fatal(err)
		}
		golden.Compare(t, dir, "want.postgres.sql", pg.String())
		return p.String(), "want.sql"
	})
}
