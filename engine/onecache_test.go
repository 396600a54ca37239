package engine_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/agentlayer/agentlayer/engine"
)

// TestOneCache: field values and statistics are answers like any other.
// With the result cache off, a write shows at once; with it on, it shows
// once Invalidate names the table, not before — there is no second cache
// that keeps them until a reload.
func TestOneCache_fieldValuesAndStatisticsFollowWrites(t *testing.T) {
	for _, cached := range []bool{false, true} {
		t.Run(fmt.Sprintf("cache=%v", cached), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			connector, err := duckdb.NewConnector("", nil)
			if err != nil {
				t.Fatal(err)
			}
			db := sql.OpenDB(connector)
			t.Cleanup(func() { db.Close() })
			if err := exampleData(ctx, db); err != nil {
				t.Fatal(err)
			}
			opts := engine.Options{ModelYAML: exampleModel, PolicyYAML: examplePolicy, DuckDB: connector}
			if cached {
				opts.Cache = engine.CacheOptions{TTL: time.Hour}
			}
			e, err := engine.New(ctx, opts)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { e.Close() })
			region := engine.FieldRef{TableID: 1, FieldID: "t1-2"}
			look := func() (values string, distinct int64) {
				t.Helper()
				fv, err := e.FieldValues(ctx, finance, region, 10)
				if err != nil {
					t.Fatal(err)
				}
				return fmt.Sprint(fv.Values), fv.Statistics.DistinctCount
			}
			if v, n := look(); v != "[APAC EMEA]" || n != 2 {
				t.Fatalf("before: %s, %d distinct", v, n)
			}
			if _, err := db.ExecContext(ctx, `INSERT INTO ACCOUNTS VALUES (4, 'Umbrella', 'AMER')`); err != nil {
				t.Fatal(err)
			}
			if cached {
				if v, n := look(); v != "[APAC EMEA]" || n != 2 {
					t.Fatalf("cached, before Invalidate: %s, %d distinct", v, n)
				}
				if err := e.Invalidate("ACCOUNTS"); err != nil {
					t.Fatal(err)
				}
			}
			if v, n := look(); v != "[AMER APAC EMEA]" || n != 3 {
				t.Fatalf("after the write: %s, %d distinct", v, n)
			}
		})
	}
}
