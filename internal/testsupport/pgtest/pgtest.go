// Package pgtest gives tests PostgreSQL databases of their own on the
// server the machine runs: $AGENTLAYER_TEST_POSTGRES, by default
// postgres://postgres@127.0.0.1:5432/test. Where that server cannot be
// reached the tests that need it are skipped, saying why — except in CI
// (CI set), where a missing PostgreSQL is a failure. Only tests import it.
package pgtest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib" // the pgx driver of database/sql

	"github.com/agentlayer/agentlayer/internal/testsupport/pgcluster"
	"github.com/agentlayer/agentlayer/internal/testsupport/testkit"
)

// DefaultURL is the server tests use when AGENTLAYER_TEST_POSTGRES is not
// set: the one the development machine and CI run.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/test"

// reach is the outcome of the first attempt to reach the server.
var reach = sync.OnceValues(func() (string, error) {
	base := os.Getenv("AGENTLAYER_TEST_POSTGRES")
	if base == "" {
		base = DefaultURL
	}
	db, err := sql.Open("pgx", base)
	if err != nil {
		return base, err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		return base, err
	}
	dropStale(ctx, db)
	return base, nil
})

// owned matches the databases the tests make, with the process that made
// them: agentlayer_t<pid>_… (NewDatabase) and agentlayer_s<pid>_… (a
// sample).
var owned = regexp.MustCompile(`^agentlayer_[ts](\d+)_`)

// dropStale drops the databases of test processes that have ended without
// dropping them (killed, or a sample, which lives as long as its process).
func dropStale(ctx context.Context, db *sql.DB) {
	rows, err := db.QueryContext(ctx, "SELECT datname FROM pg_database WHERE datname LIKE 'agentlayer%'")
	if err != nil {
		return
	}
	var stale []string
	for rows.Next() {
		var name string
		rows.Scan(&name)
		if m := owned.FindStringSubmatch(name); m != nil {
			if pid, err := strconv.Atoi(m[1]); err == nil && !alive(pid) {
				stale = append(stale, name)
			}
		}
	}
	rows.Close()
	for _, name := range stale {
		db.ExecContext(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
	}
}

// alive reports whether process pid runs on this machine.
func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// URL is the server's URL, for a test that needs PostgreSQL: it skips the
// test (fails it in CI) when the server cannot be reached.
func URL(t testing.TB) string {
	t.Helper()
	testkit.FullTier(t, "PostgreSQL")
	base, err := reach()
	if err != nil {
		Unavailable(t, fmt.Sprintf("PostgreSQL is not reachable at %s (%v); set AGENTLAYER_TEST_POSTGRES to a server's URL", redact(base), err))
	}
	return base
}

// Open opens url with pgx's database/sql driver, closed when the test ends.
func Open(t testing.TB, url string) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

var seq atomic.Int64

// NewDatabase creates an empty database for the test on the server, drops
// it when the test ends, and returns its URL.
func NewDatabase(t testing.TB) string {
	t.Helper()
	base := URL(t)
	name := fmt.Sprintf("agentlayer_t%d_%s_%d", os.Getpid(), Package(), seq.Add(1))
	u, err := Create(base, name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { drop(base, name) })
	return u
}

// Create makes database name on the server (dropping one of that name
// first) and returns its URL.
func Create(base, name string) (string, error) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	ident := pgx.Identifier{name}.Sanitize()
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+ident+" WITH (FORCE)"); err != nil {
		return "", err
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+ident); err != nil {
		return "", err
	}
	u, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	u.Path = "/" + name
	return u.String(), nil
}

func drop(base, name string) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		return
	}
	defer conn.Close(ctx)
	conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
}

// Package names the package under test, from its test binary's name.
func Package() string {
	name := strings.TrimSuffix(filepath.Base(os.Args[0]), ".test")
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		return '_'
	}, strings.ToLower(name))
}

func redact(u string) string {
	if p, err := url.Parse(u); err == nil {
		return p.Redacted()
	}
	return "(an unreadable URL)"
}

// StartServer initialises and starts a server of the test's own
// (pgcluster), stopped and removed when the test ends. Like URL, it skips
// the test where PostgreSQL's programs are missing, and fails it in CI.
func StartServer(t testing.TB) *pgcluster.Server {
	t.Helper()
	testkit.FullTier(t, "a PostgreSQL server of the test's own")
	s, err := pgcluster.NewServer("")
	if err != nil {
		Unavailable(t, fmt.Sprintf("cannot start a PostgreSQL server of the test's own: %v", err))
	}
	t.Cleanup(s.Remove)
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	return s
}

// Unavailable skips the test for want of PostgreSQL, or fails it in CI.
func Unavailable(t testing.TB, msg string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatal(msg + " — in CI PostgreSQL is required")
	}
	t.Skip(msg)
}
