package engine_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agentlayer/agentlayer/auth"
	"github.com/agentlayer/agentlayer/engine"
	"github.com/agentlayer/agentlayer/fixtures"
	"github.com/agentlayer/agentlayer/permissions"
	"github.com/agentlayer/agentlayer/sqlgen"
)

// TestReload: a reload swaps the model and policy whole; Setup does not
// run again; a broken file keeps the current set serving and says where;
// a query compiled before runs on its own set after; a token survives a
// reload that keeps the names it uses, and one that names what is gone is
// refused as such.
func TestReload(t *testing.T) {
	ctx := context.Background()
	setups := 0
	opts := sampleOptions()
	setup := opts.Setup
	opts.Setup = func(ctx context.Context, db *sql.DB) error { setups++; return setup(ctx, db) }
	e, err := newEngine(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	v1 := e.Version()
	analyst := &auth.Principal{Email: "a@example.com", Groups: []string{"analyst"}}
	req, _ := sqlgen.ParseRequest([]byte(`{"table_id":2,"fields":[{"field_id":"t2-4"},{"field_id":"t2-7"}],"limit":3}`))
	before, err := e.Construct(ctx, analyst, req)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := e.Token(before)
	if err != nil {
		t.Fatal(err)
	}

	// A broken policy: refused, with its position; nothing changes.
	broken := opts
	broken.PolicyYAML = []byte(strings.Replace(string(fixtures.Policy()), "row.STATE ==", "row.STAET ==", 1))
	err = e.Reload(ctx, broken)
	var perr *permissions.Error
	if !errors.As(err, &perr) || !strings.Contains(err.Error(), "fixtures/sample/policy.yaml:") {
		t.Fatalf("broken reload: %v", err)
	}
	if st, ok := e.LastReload(); !ok || st.Err == nil || e.Version() != v1 {
		t.Errorf("after a refused reload: %+v %+v", st, e.Version())
	}

	// A policy that hides NAME from analysts.
	hidden := opts
	hidden.PolicyYAML = []byte(strings.Replace(string(fixtures.Policy()), "hide: [EMAIL, PASSWORD, ADDRESS, BIRTH_DATE]", "hide: [EMAIL, PASSWORD, ADDRESS, BIRTH_DATE, NAME]", 1))
	if err := e.Reload(ctx, hidden); err != nil {
		t.Fatal(err)
	}
	if setups != 1 {
		t.Errorf("Setup ran %d times", setups)
	}
	if v := e.Version(); v.Generation != 2 || v.Model != v1.Model || v.Policy == v1.Policy {
		t.Errorf("version after the reload: %+v (before %+v)", v, v1)
	}
	// Compiled before: it runs on the set it was compiled against.
	rows, err := e.Execute(ctx, analyst, before)
	if err != nil {
		t.Fatalf("a query compiled before the reload: %v", err)
	}
	n := 0
	for rows.Next() {
		n++
	}
	rows.Close()
	if n != 3 {
		t.Errorf("%d rows", n)
	}
	// Its token, run now, is compiled for the new set: NAME is not found.
	var se *sqlgen.Error
	if _, _, err := e.QueryFromToken(ctx, analyst, tok); !errors.As(err, &se) || se.Kind != sqlgen.KindNotFound {
		t.Errorf("the token under the new set: %v", err)
	}

	// A model without REVIEWS: tokens naming it are refused as gone.
	revTok := func() string {
		r, _ := sqlgen.ParseRequest([]byte(`{"table_id":4,"aggregations":[{"function":"count"}]}`))
		admin := &auth.Principal{Email: "x@example.com", Groups: []string{"admin"}}
		q, err := e.Construct(ctx, admin, r)
		if err != nil {
			t.Fatal(err)
		}
		tok, _ := e.Token(q)
		return tok
	}()
	model := string(fixtures.Model())
	noReviews := opts
	noReviews.ModelYAML = []byte(model[:strings.Index(model, "  - id: 4\n    name: REVIEWS")] + model[strings.Index(model, "metrics:"):])
	noReviews.ModelYAML = []byte(strings.Replace(string(noReviews.ModelYAML), `  - id: 3
    name: Average rating`, `  - id: 3
    name: Average price`, 1))
	noReviews.ModelYAML = []byte(strings.Replace(string(noReviews.ModelYAML), "table: REVIEWS\n    aggregation: {function: avg, field: RATING}", "table: PRODUCTS\n    aggregation: {function: avg, field: PRICE}", 1))
	noReviews.PolicyYAML = []byte(strings.Replace(strings.Replace(string(fixtures.Policy()), "      REVIEWS: \"*\"\n", "", 1), "      REVIEWS:\n        hide: [REVIEWER]\n", "", 1))
	if err := e.Reload(ctx, noReviews); err != nil {
		t.Fatal(err)
	}
	admin := &auth.Principal{Email: "x@example.com", Groups: []string{"admin"}}
	var bad *engine.BadTokenError
	if _, _, err := e.QueryFromToken(ctx, admin, revTok); !errors.As(err, &bad) || !strings.Contains(err.Error(), `table "REVIEWS" no longer exists`) {
		t.Errorf("a token of a table gone: %v", err)
	}
}

// TestReload_newDirectory: a reloaded model may read files only where the
// first could; a source elsewhere is refused with what to do.
func TestReload_newDirectory(t *testing.T) {
	ctx := context.Background()
	first, other := t.TempDir(), t.TempDir()
	var db *sql.DB
	write := func(dir string) string {
		path := filepath.Join(dir, "t.parquet")
		if _, err := db.ExecContext(ctx, "COPY (SELECT 1::BIGINT AS ID) TO '"+path+"' (FORMAT parquet)"); err != nil {
			t.Fatal(err)
		}
		return path
	}
	var paths [2]string
	model := func(path string) []byte {
		return []byte("version: 1\ntables:\n  - id: 1\n    name: T\n    source: {parquet: " + path + "}\n    fields:\n      - {name: ID, semantic_type: type/PK}\n")
	}
	opts := engine.Options{ModelFile: "m.yaml", Unrestricted: true, Setup: func(ctx context.Context, d *sql.DB) error {
		db = d
		paths = [2]string{write(first), write(other)}
		return nil
	}}
	// The model is read after Setup: give it through a file written then.
	file := filepath.Join(t.TempDir(), "m.yaml")
	opts.ModelFile = file
	setup := opts.Setup
	opts.Setup = func(ctx context.Context, d *sql.DB) error {
		if err := setup(ctx, d); err != nil {
			return err
		}
		return os.WriteFile(file, model(paths[0]), 0o644)
	}
	e, err := newEngine(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	moved := engine.Options{ModelFile: file, ModelYAML: model(paths[1]), Unrestricted: true}
	err = e.Reload(ctx, moved)
	if err == nil || !strings.Contains(err.Error(), "outside the directories DuckDB may read") || !strings.Contains(err.Error(), "restart") {
		t.Errorf("a source in a new directory: %v", err)
	}
	same := engine.Options{ModelFile: file, ModelYAML: model(paths[0]), Unrestricted: true}
	if err := e.Reload(ctx, same); err != nil {
		t.Errorf("the same directory: %v", err)
	}
}
