package engine_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/agentlayer/agentlayer/auth"
	"github.com/agentlayer/agentlayer/engine"
	"github.com/agentlayer/agentlayer/fixtures"
	"github.com/agentlayer/agentlayer/internal/testsupport/testkit"
)

// bufferEngine serves the sample with opts (its policy, unless opts gives
// one), one query slot, and no cache.
func bufferEngine(t *testing.T, opts engine.Options) *engine.Engine {
	t.Helper()
	opts.ModelFile, opts.ModelYAML = fixtures.ModelFile, fixtures.Model()
	opts.PolicyFile = fixtures.PolicyFile
	if opts.PolicyYAML == nil {
		opts.PolicyYAML = fixtures.Policy()
	}
	opts.Setup = fixtures.Setup(1)
	if opts.MaxConcurrentQueries == 0 {
		opts.MaxConcurrentQueries = 1
	}
	e, err := newEngine(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// TestRows_slowReaderHoldsNoSlot: with one query slot, a reader that
// reads one row of a wide answer and stops holds no slot: another user's
// query runs at once, and the slow reader still gets every row.
func TestRows_slowReaderHoldsNoSlot(t *testing.T) {
	e := bufferEngine(t, engine.Options{QueueTimeout: 50 * time.Millisecond})
	ctx := context.Background()
	analyst := &auth.Principal{Email: "analyst@example.com", Groups: []string{"analyst"}}
	slow, err := e.Query(ctx, analyst, mustRequest(t, `{"table_id":1,"limit":2000}`))
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	if !slow.Next() {
		t.Fatal(slow.Err())
	}
	for i := range 5 {
		rows, err := e.Query(ctx, admin, mustRequest(t, fmt.Sprintf(`{"table_id":3,"limit":%d}`, 10+i)))
		if err != nil {
			t.Fatalf("a query beside a slow reader: %v", err)
		}
		for rows.Next() {
		}
		rows.Close()
	}
	n := 1
	for slow.Next() {
		n++
	}
	if slow.Err() != nil || n != 2000 {
		t.Errorf("the slow reader read %d rows: %v", n, slow.Err())
	}
}

// TestRows_spilledAnswersReadAlike: past the buffers' memory, rows go to a
// temporary file and read back as they were, by value and as JSON.
func TestRows_spilledAnswersReadAlike(t *testing.T) {
	small := bufferEngine(t, engine.Options{BufferMemory: 1})
	big := sampleEngine(t)
	ctx := context.Background()
	req := `{"table_id":1,"fields":[{"field_id":"ID"},{"field_id":"CREATED_AT"},{"field_id":"TOTAL"},{"field_id":"USER.STATE"},{"field_id":"DISCOUNT"}],"limit":2000}`
	read := func(e *engine.Engine, values bool) []string {
		rows, err := e.Query(ctx, admin, mustRequest(t, req))
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			if values {
				out = append(out, fmt.Sprint(rows.Row()))
			} else {
				out = append(out, string(rows.AppendJSON(nil)))
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	for _, values := range []bool{false, true} {
		got, want := read(small, values), read(big, values)
		if len(got) != 2000 || len(want) != 2000 {
			t.Fatalf("%d and %d rows", len(got), len(want))
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("row %d: %s, want %s", i, got[i], want[i])
			}
		}
	}
}

// TestRows_answersPerUser: a user with as many answers open as allowed
// gets ErrOverloaded for one more; others do not; closing one frees it.
func TestRows_answersPerUser(t *testing.T) {
	e := bufferEngine(t, engine.Options{MaxAnswersPerUser: 2, MaxConcurrentQueries: 2})
	ctx := context.Background()
	other := &auth.Principal{Email: "analyst@example.com", Groups: []string{"analyst"}}
	open := func(p *auth.Principal) (*engine.Rows, error) {
		return e.Query(ctx, p, mustRequest(t, `{"table_id":3,"limit":3}`))
	}
	a, err := open(admin)
	if err != nil {
		t.Fatal(err)
	}
	b, err := open(admin)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := open(admin); !errors.Is(err, engine.ErrOverloaded) || !errors.Is(err, engine.ErrTooManyAnswers) {
		t.Errorf("a third answer: %v, want ErrTooManyAnswers", err)
	}
	c, err := open(other)
	if err != nil {
		t.Errorf("another user: %v", err)
	} else {
		c.Close()
	}
	a.Close()
	d, err := open(admin)
	if err != nil {
		t.Errorf("after closing one: %v", err)
	} else {
		d.Close()
	}
	b.Close()
}

// TestAudit_failedAtPrepare: a query that fails before its first row (its
// table dropped under the engine, so that the database refuses it at
// prepare) has its audit record, failed.
func TestAudit_failedAtPrepare(t *testing.T) {
	var audit testkit.SyncBuffer
	ctx := context.Background()
	e, err := newEngine(ctx, engine.Options{ModelFile: "m.yaml", Unrestricted: true, AuditLog: &audit,
		ModelYAML: []byte("version: 1\ntables:\n  - {id: 1, name: T, fields: [{name: ID, type: BIGINT, semantic_type: type/PK}]}\n"),
		Setup: func(ctx context.Context, db *sql.DB) error {
			_, err := db.ExecContext(ctx, `CREATE TABLE "T" ("ID" BIGINT)`)
			return err
		}})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if _, err := dbOf(t, e).ExecContext(ctx, `DROP TABLE "T"`); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Query(ctx, admin, mustRequest(t, `{"table_id":1,"aggregations":[{"function":"count"}]}`)); err == nil {
		t.Fatal("a query of a dropped table answered")
	}
	var rec engine.AuditRecord
	if err := json.Unmarshal([]byte(audit.String()), &rec); err != nil || rec.Outcome != "failed" || rec.User != "admin@example.com" || len(rec.Tables) != 1 {
		t.Errorf("record %q (%v)", audit.String(), err)
	}
}

// TestNew_embedderConnector: a service that opens a DuckDB file itself
// hands the engine its connector; both use the one file, the service's
// writes show after Invalidate, and its own connections live under the
// lock-down (no SET, no file outside the allowed directories).
func TestNew_embedderConnector(t *testing.T) {
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "shop.duckdb")
	connector, err := duckdb.NewConnector(file, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer connector.Close()
	own := sql.OpenDB(connector)
	defer own.Close()
	if _, err := own.ExecContext(ctx, `CREATE TABLE "T" ("ID" BIGINT PRIMARY KEY); INSERT INTO "T" VALUES (1), (2)`); err != nil {
		t.Fatal(err)
	}
	if _, err := engine.New(ctx, engine.Options{ModelFile: "m.yaml", ModelYAML: []byte("version: 1\n"), DuckDB: connector, Database: file}); err == nil {
		t.Error("DuckDB with Database: no error")
	}
	e, err := engine.New(ctx, engine.Options{ModelFile: "m.yaml", Unrestricted: true, DuckDB: connector,
		ModelYAML: []byte("version: 1\ntables:\n  - {id: 1, name: T, fields: [{name: ID, semantic_type: type/PK}]}\n")})
	if err != nil {
		t.Fatal(err)
	}
	count := func() string {
		a := answerOf(ctx, e, admin, []byte(`{"table_id":1,"aggregations":[{"function":"count"}]}`))
		if a.err != "" {
			t.Fatal(a.err)
		}
		return a.rows[0][0]
	}
	if n := count(); n != "2" {
		t.Errorf("count %s, want 2", n)
	}
	if _, err := own.ExecContext(ctx, `INSERT INTO "T" VALUES (3)`); err != nil {
		t.Errorf("the service's write: %v", err)
	}
	e.Invalidate("T")
	if n := count(); n != "3" {
		t.Errorf("after the service's write: %s, want 3", n)
	}
	for _, stmt := range []string{"SET threads = 1", "SELECT * FROM read_csv('/etc/passwd')"} {
		if _, err := own.ExecContext(ctx, stmt); err == nil {
			t.Errorf("the service's own %q ran under the lock-down", stmt)
		}
	}
	e.Close()
	if _, err := own.ExecContext(ctx, `SELECT 1`); err != nil {
		t.Errorf("closing the engine closed the service's connector: %v", err)
	}
}
