package engine

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/agentlayer/agentlayer/auth"
	"github.com/agentlayer/agentlayer/fixtures"
	"github.com/agentlayer/agentlayer/sqlgen"
)

func memoryDB(t *testing.T) *sql.DB {
	t.Helper()
	c, err := duckdb.NewConnector("", nil)
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(c)
	t.Cleanup(func() { db.Close() })
	return db
}

// TestStmtCache_bounded: the cache keeps at most its count and its cost,
// evicting the least recently used; evicting a statement a query is
// running on breaks nothing.
func TestStmtCache_bounded(t *testing.T) {
	db := memoryDB(t)
	c := newStmtCache(db, 8, 2000)
	ctx := context.Background()
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				// 40 distinct texts of ~120 bytes and 2 parameters each.
				n := (g*7 + i) % 40
				text := fmt.Sprintf("SELECT %d + $1 + $2 AS x, '%s' AS pad FROM range(3)", n, strings.Repeat("p", 80))
				rows, err := c.query(ctx, text, []any{int64(1), int64(2)})
				if err != nil {
					t.Error(err)
					return
				}
				count := 0
				for rows.Next() {
					count++
				}
				if err := rows.Err(); err != nil || count != 3 {
					t.Errorf("%d rows, %v", count, err)
				}
				rows.Close()
			}
		}()
	}
	wg.Wait()
	n, cost, prepares := c.stats()
	if n > 8 || cost > 2000 {
		t.Errorf("cache holds %d statements of cost %d; bounds 8 and 2000", n, cost)
	}
	if prepares < 40 {
		t.Errorf("%d prepares for 40 texts", prepares)
	}
	c.clear()
	if n, cost, _ := c.stats(); n != 0 || cost != 0 {
		t.Errorf("after clear: %d statements of cost %d", n, cost)
	}
}

// TestQuery_listsShareOneStatement: requests that differ only in how many
// values a filter lists run one prepared statement, however many values
// they give (each distinct count used to prepare a statement of its own,
// tens of MB at 10,000 values). The statements serve the boxed path
// (PostgreSQL, and DuckDB in a build without the duckdb_arrow tag): this
// engine reads its answers so.
func TestQuery_listsShareOneStatement(t *testing.T) {
	e, err := New(context.Background(), Options{
		ModelFile: fixtures.ModelFile, ModelYAML: fixtures.Model(),
		PolicyFile: fixtures.PolicyFile, PolicyYAML: fixtures.Policy(),
		Setup: fixtures.Setup(0.05),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	e.encoded = false
	sales := &auth.Principal{Email: "s@example.com", Groups: []string{"sales"}, Attributes: map[string]any{"state": "TX"}}
	run := func(values []string, op string) {
		t.Helper()
		req := fmt.Sprintf(`{"table_id":1,"filters":[{"field_id":"t1-16","operation":%q,"values":[%s]}],"aggregations":[{"function":"count"}]}`, op, strings.Join(values, ","))
		r, err := sqlgen.ParseRequest([]byte(req))
		if err != nil {
			t.Fatal(err)
		}
		rows, err := e.Query(context.Background(), sales, r)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
	}
	_, _, before := e.stmts.stats()
	var values []string
	for i := 0; i < 300; i++ {
		values = append(values, fmt.Sprintf(`"S%d"`, i))
		if i > 0 && i%30 == 0 {
			run(values, "equals")
			run(values, "not-equals")
			run(values[:min(len(values), 100)], "string-not-contains")
		}
	}
	if _, _, after := e.stmts.stats(); after-before != 3 {
		t.Errorf("%d statements prepared for lists of 10 lengths and 3 operations, want 3", after-before)
	}
}

// TestStmtCache_selectOnly: the engine runs nothing but SELECT statements.
func TestStmtCache_selectOnly(t *testing.T) {
	c := newStmtCache(memoryDB(t), 8, 2000)
	for _, text := range []string{"PRAGMA enable_profiling", "SET VARIABLE x = 1", "CALL enable_logging()", " SELECT 1", "select 1"} {
		if _, err := c.query(context.Background(), text, nil); err != errNotSelect {
			t.Errorf("%s: %v", text, err)
		}
	}
	// A SELECT followed by another statement fails to prepare: a prepared
	// statement is one statement.
	if rows, err := c.query(context.Background(), "SELECT 1; PRAGMA enable_profiling", nil); err == nil {
		rows.Close()
		t.Error("a second statement after a SELECT was run")
	}
	// A semicolon in a string or a quoted name is no second statement.
	rows, err := c.query(context.Background(), `SELECT ';' AS "a;b"`, nil)
	if err != nil {
		t.Fatal(err)
	}
	rows.Close()
}
