package engine

import (
	"context"
	"database/sql"
	"strings"

	"github.com/agentlayer/agentlayer/semantic"
	"github.com/agentlayer/agentlayer/sqlgen/sqlast"
)

// backend is what differs between the databases an engine runs on: how
// the database opens, how a table source is described, and how the
// database is confined once the model is loaded. Everything else — the
// SQL itself — differs only by the dialect.
type backend interface {
	// setupDB is the handle Setup gets, and what to do once it returns.
	setupDB(ctx context.Context) (*sql.DB, func(), error)
	// describe lists the columns of a table source, with their types as
	// DuckDB names them (semantic.ParseType reads those).
	describe(ctx context.Context, src semantic.Source) ([]semantic.SourceColumn, error)
	// lockDown confines the database, once Setup has run and the model is
	// loaded, to what serving the model needs.
	lockDown(ctx context.Context, m *semantic.Model) error
	// checkDB is the handle the model's checks run on: read-only, without
	// the query timeout.
	checkDB() *sql.DB
	// unreadable explains why table t's source failed to bind (err) after
	// the lockdown, and what to do.
	unreadable(t *semantic.Table, err error) string
	// classify says of a query's error whether the database could not be
	// reached (a query that fails so before it starts is ErrUnavailable),
	// and names its class for the user, in a few words of no data.
	classify(err error) (unreachable bool, class string)
	// close releases what the backend holds besides the database handle.
	close()
}

// IsPostgres reports whether a Database option names a PostgreSQL server
// (a postgres:// or postgresql:// URL) rather than a DuckDB file.
func IsPostgres(database string) bool {
	return strings.HasPrefix(database, "postgres://") || strings.HasPrefix(database, "postgresql://")
}

// dialectOf is the SQL dialect of a Database option.
func dialectOf(database string) sqlast.Dialect {
	if IsPostgres(database) {
		return sqlast.Postgres{}
	}
	return sqlast.DuckDB{}
}

// openBackend opens the database the options name.
func openBackend(ctx context.Context, opts Options) (*sql.DB, backend, error) {
	if IsPostgres(opts.Database) {
		return openPostgres(ctx, opts)
	}
	return openDuckDB(ctx, opts)
}

func quoteString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func firstLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}
