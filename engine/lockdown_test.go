package engine

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agentlayer/agentlayer/auth"
	"github.com/agentlayer/agentlayer/sqlgen"
)

// TestLockDown runs, on every pooled connection after the engine loaded
// (those opened before the lockdown and one opened after), statements that
// would reach outside the model: each is refused. The engine's own
// queries, a Parquet source in its allowed directory included, still run,
// and a fresh connection still has the settings every connection needs.
func TestLockDown(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	outside := t.TempDir()
	var setupDB *sql.DB
	setup := func(ctx context.Context, db *sql.DB) error {
		setupDB = db
		for _, s := range []string{
			"COPY (SELECT range AS ID, 'n' || range AS NAME FROM range(5)) TO '" + filepath.Join(data, "things.parquet") + "' (FORMAT parquet)",
			"COPY (SELECT 1 AS X) TO '" + filepath.Join(outside, "secret.csv") + "'",
		} {
			if _, err := db.ExecContext(ctx, s); err != nil {
				return err
			}
		}
		return nil
	}
	model := []byte(`version: 1
tables:
  - id: 1
    name: THINGS
    source: {parquet: ` + filepath.Join(data, "things.parquet") + `}
    fields:
      - {name: ID, semantic_type: type/PK}
      - {name: NAME}
`)
	e, err := New(ctx, Options{ModelFile: "things.yaml", ModelYAML: model, Unrestricted: true, Setup: setup})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if setupDB != e.db {
		t.Fatal("Setup did not get the engine's handle")
	}
	secret := filepath.Join(outside, "secret.csv")
	probes := []string{
		"SELECT * FROM read_csv('" + secret + "')",
		"SELECT * FROM read_csv('/etc/passwd')",
		"SELECT * FROM read_text('/etc/hostname')",
		"SELECT * FROM read_blob('" + secret + "')",
		"SELECT * FROM read_parquet('" + filepath.Join(outside, "*.parquet") + "')",
		"SELECT * FROM read_csv('" + filepath.Join(data, "..", filepath.Base(outside), "secret.csv") + "')",
		"SELECT * FROM glob('/etc/*')",
		"COPY (SELECT 1) TO '" + filepath.Join(outside, "out.csv") + "'",
		"EXPORT DATABASE '" + filepath.Join(outside, "export") + "'",
		"ATTACH '" + filepath.Join(outside, "other.duckdb") + "'",
		"INSTALL httpfs",
		"LOAD httpfs",
		"SET threads = 1",
		"RESET threads",
		"PRAGMA threads = 1",
		"SET memory_limit = '100GB'",
		"PRAGMA memory_limit = '100GB'",
		"SET TimeZone = 'America/New_York'",
		"SET enable_external_access = true",
		"SET allowed_directories = ['/']",
		"SET lock_configuration = false",
		"SET GLOBAL lock_configuration = false",
		"RESET lock_configuration",
		"SET autoload_known_extensions = true",
		"SET temp_directory = '/tmp'",
	}
	open := e.db.Stats().OpenConnections
	var conns []*sql.Conn
	for i := 0; i < open+1; i++ {
		c, err := e.db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		conns = append(conns, c)
	}
	for i, c := range conns {
		for _, p := range probes {
			rows, err := c.QueryContext(ctx, p)
			if err == nil {
				rows.Close()
				t.Errorf("connection %d: %s was allowed", i, p)
			}
		}
		var zone string
		if err := c.QueryRowContext(ctx, "SELECT current_setting('TimeZone')").Scan(&zone); err != nil || zone != "UTC" {
			t.Errorf("connection %d: TimeZone %q, %v", i, zone, err)
		}
	}
	if _, err := os.Stat(filepath.Join(outside, "out.csv")); err == nil {
		t.Error("COPY wrote outside the allowed directories")
	}
	// The engine's own queries run, on the Parquet source.
	req, _ := sqlgen.ParseRequest([]byte(`{"table_id":1,"aggregations":[{"function":"count"}]}`))
	rows, err := e.Query(ctx, &auth.Principal{Email: "a@example.com"}, req)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	if !rows.Next() || rows.Row()[0] != int64(5) {
		t.Errorf("count over the Parquet source: %v %v", rows.Row(), rows.Err())
	}
}

// TestLockDown_sqlSourceOutside: a source that reads a file outside the
// allowed directories by itself fails at start, with its position and what
// to do, rather than at a user's query.
func TestLockDown_sqlSourceOutside(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.csv")
	os.WriteFile(path, []byte("ID\n1\n2\n"), 0o644)
	model := `version: 1
tables:
  - id: 1
    name: X
    source: {sql: "SELECT * FROM read_csv('` + path + `')"}
    fields:
      - {name: ID, type: BIGINT, semantic_type: type/PK}
`
	_, err := New(context.Background(), Options{ModelFile: "x.yaml", ModelYAML: []byte(model), Unrestricted: true})
	if err == nil || !strings.Contains(err.Error(), "x.yaml:5:") || !strings.Contains(err.Error(), "AllowedDirectories") {
		t.Fatalf("got %v", err)
	}
	e, err := New(context.Background(), Options{ModelFile: "x.yaml", ModelYAML: []byte(model), Unrestricted: true, AllowedDirectories: []string{dir}})
	if err != nil {
		t.Fatal(err)
	}
	e.Close()
}
