package engine_test

import (
	"context"
	"database/sql"
	"sync"
	"testing"

	"github.com/agentlayer/agentlayer/engine"
)

// databases maps each engine the tests opened with newEngine to its
// database handle, captured in Setup: the tests compare the engine's
// answers with SQL written by hand on the same data, which the engine's
// API (rightly) cannot run.
var databases sync.Map

// newEngine is engine.New, keeping the database handle for dbOf.
func newEngine(ctx context.Context, opts engine.Options) (*engine.Engine, error) {
	var db *sql.DB
	setup := opts.Setup
	opts.Setup = func(ctx context.Context, d *sql.DB) error {
		db = d
		if setup != nil {
			return setup(ctx, d)
		}
		return nil
	}
	e, err := engine.New(ctx, opts)
	if err == nil {
		databases.Store(e, db)
	}
	return e, err
}

// dbOf is the database of an engine opened with newEngine.
func dbOf(t testing.TB, e *engine.Engine) *sql.DB {
	t.Helper()
	db, ok := databases.Load(e)
	if !ok {
		t.Fatal("an engine not opened with newEngine")
	}
	return db.(*sql.DB)
}
