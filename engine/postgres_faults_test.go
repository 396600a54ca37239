package engine_test

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/agentlayer/agentlayer/engine"
	"github.com/agentlayer/agentlayer/internal/testsupport/pgtest"
)

// slowModel reads a table that takes PostgreSQL minutes to count.
var slowModel = []byte(`version: 1
tables:
  - id: 1
    name: SLOW
    source: {sql: 'SELECT g AS "ID", g % 7 AS "X" FROM generate_series(1, 2000000000) AS g'}
    fields:
      - {name: ID, semantic_type: type/PK}
      - {name: X}
`)

// activeQueries counts the engine's queries running on database url's
// server, from pg_stat_activity.
func activeQueries(t *testing.T, server *sql.DB, database string) int {
	t.Helper()
	var n int
	err := server.QueryRow(`SELECT count(*) FROM pg_stat_activity
		WHERE datname = $1 AND application_name = 'agentlayer' AND state = 'active' AND query LIKE '%generate_series%'`, database).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// waitUntil polls cond until it holds or a generous deadline passes: the
// deadline only bounds a test that fails, it measures nothing.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("gave up waiting until %s", what)
}

// TestPostgres_cancelReachesServer: a query whose caller goes away, or
// whose time runs out, stops running on the server too — pg_stat_activity
// shows it running, then not — and the caller gets why.
func TestPostgres_cancelReachesServer(t *testing.T) {
	url := pgtest.NewDatabase(t)
	server := pgtest.Open(t, pgtest.URL(t))
	database := url[strings.LastIndex(url, "/")+1:]
	count := &engine.Request{TableID: 1, Aggregations: []engine.Aggregation{{Function: "count"}}}
	for _, tt := range []struct {
		name    string
		timeout time.Duration
		cancel  bool
		want    error
	}{
		{"the caller goes away", time.Minute, true, context.Canceled},
		{"the query times out", 2 * time.Second, false, engine.ErrTimeout}, // long enough to be seen running on a busy machine
	} {
		t.Run(tt.name, func(t *testing.T) {
			e, err := engine.New(context.Background(), engine.Options{ModelFile: "slow.yaml", ModelYAML: slowModel, Unrestricted: true,
				Database: url, QueryTimeout: tt.timeout})
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			result := make(chan error, 1)
			go func() {
				rows, err := e.Query(ctx, admin, count)
				if err == nil {
					for rows.Next() {
					}
					err = rows.Err()
					rows.Close()
				}
				result <- err
			}()
			waitUntil(t, "the query runs on the server", func() bool { return activeQueries(t, server, database) == 1 })
			if tt.cancel {
				cancel()
			}
			if err := <-result; !errors.Is(err, tt.want) {
				t.Errorf("the caller got %v, want %v", err, tt.want)
			}
			waitUntil(t, "the server stops the query", func() bool { return activeQueries(t, server, database) == 0 })
		})
	}
}

// bigModel reads rows of 20 kB each: a page of them is 40 MB on the wire,
// more than the sockets between client and server buffer.
var bigModel = []byte(`version: 1
tables:
  - id: 1
    name: BIG
    fields:
      - {name: ID, semantic_type: type/PK}
      - {name: PAD}
`)

func bigSetup(ctx context.Context, db *sql.DB) error {
	_, err := db.ExecContext(ctx, `CREATE TABLE "BIG" ("ID" BIGINT PRIMARY KEY, "PAD" TEXT);
		INSERT INTO "BIG" SELECT g, repeat('x', 20000) FROM generate_series(1, 3000) AS g`)
	return err
}

// TestPostgres_failureMidStream: the server's backend dies while rows are
// being read; the reader gets a *QueryError of class "operator
// intervention" or "connection lost", never a short answer that looks
// whole, and the engine's next query runs on a fresh connection.
func TestPostgres_failureMidStream(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewDatabase(t)
	server := pgtest.Open(t, pgtest.URL(t))
	database := url[strings.LastIndex(url, "/")+1:]
	e, err := engine.New(ctx, engine.Options{ModelFile: "big.yaml", ModelYAML: bigModel, Unrestricted: true, Database: url, Setup: bigSetup})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	detail := &engine.Request{TableID: 1, Limit: 2000}
	rows, err := e.Query(ctx, admin, detail)
	if err != nil {
		t.Fatal(err)
	}
	if !rows.Next() {
		t.Fatalf("no first row: %v", rows.Err())
	}
	var killed int
	if err := server.QueryRow(`SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = $1 AND application_name = 'agentlayer' AND state = 'active'`, database).Scan(&killed); err != nil || killed != 1 {
		t.Fatalf("terminated %d backends (%v)", killed, err)
	}
	n := 1
	for rows.Next() {
		n++
	}
	err = rows.Err()
	rows.Close()
	var qe *engine.QueryError
	if !errors.As(err, &qe) || (qe.Class != "operator intervention" && qe.Class != "connection lost") {
		t.Fatalf("after %d rows: error %v (%T), want a *QueryError of a terminated backend", n, err, err)
	}
	if n >= 2000 {
		t.Fatalf("all %d rows arrived before the failure: the test did not fail midway", n)
	}
	again, err := e.Query(ctx, admin, &engine.Request{TableID: 1, Aggregations: []engine.Aggregation{{Function: "count"}}})
	if err != nil {
		t.Fatalf("the next query: %v", err)
	}
	defer again.Close()
	if !again.Next() || again.Row()[0] != int64(3000) {
		t.Errorf("the next query: %v %v", again.Row(), again.Err())
	}
}
