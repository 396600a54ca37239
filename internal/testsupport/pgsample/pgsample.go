// Package pgsample gives tests the sample dataset on PostgreSQL: on the
// shared server (Sample), or sharded over servers of the test's own
// (StartSharded). It links the fixtures, DuckDB's driver with them, so
// the packages that must build without it use pgtest alone.
package pgsample

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/agentlayer/agentlayer/fixtures"
	"github.com/agentlayer/agentlayer/internal/testsupport/pgcluster"
	"github.com/agentlayer/agentlayer/internal/testsupport/pgtest"
	"github.com/agentlayer/agentlayer/internal/testsupport/sharded"
	"github.com/agentlayer/agentlayer/internal/testsupport/testkit"
)

// samples are this process's databases of the sample, by server URL.
var samples sync.Map // base URL → func() (string, error)

// Sample is the URL of a database holding the sample dataset at scale 1,
// as agentlayer fixtures load makes it: one per test process, made when it
// first asks, shared by its tests, which must only read; the next test run
// drops it (pgtest drops the databases of ended processes).
func Sample(t testing.TB) string {
	t.Helper()
	base := pgtest.URL(t)
	load, _ := samples.LoadOrStore(base, sync.OnceValues(func() (string, error) {
		u, err := pgtest.Create(base, fmt.Sprintf("agentlayer_s%d_%s", os.Getpid(), pgtest.Package()))
		if err != nil {
			return "", err
		}
		db, err := sql.Open("pgx", u)
		if err != nil {
			return "", err
		}
		defer db.Close()
		return u, fixtures.LoadPostgres(context.Background(), db, 1)
	}))
	u, err := load.(func() (string, error))()
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// StartSharded starts the sample at scale sharded over a coordinator and
// shards of the test's own (package sharded), removed when the test ends;
// skipped, or failed in CI, where PostgreSQL's programs are missing.
func StartSharded(t testing.TB, shards int, scale float64) *sharded.Cluster {
	t.Helper()
	testkit.FullTier(t, "PostgreSQL servers of the test's own")
	if _, err := pgcluster.BinDir(); err != nil {
		pgtest.Unavailable(t, fmt.Sprintf("cannot start PostgreSQL servers of the test's own: %v", err))
	}
	c, err := sharded.Start(context.Background(), "", shards, scale)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Remove)
	return c
}
