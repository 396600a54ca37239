package engine

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/agentlayer/agentlayer/semantic"
	"github.com/agentlayer/agentlayer/sqlgen/sqlast"
)

// pgMinVersion is the oldest PostgreSQL the engine runs on
// (server_version_num): the one it is tested on.
const pgMinVersion = 150000

// pgBackend is a PostgreSQL server reached through pgx's database/sql
// driver, over the extended protocol: every request value is a bound
// parameter, and pgx prepares each statement text once per connection.
type pgBackend struct {
	db       *sql.DB
	check    *sql.DB         // read-only sessions without the query timeout, for the model's checks
	cfg      *pgx.ConnConfig // without the read-only and timeout settings
	maxConns int
	where    string // user@host:port/database, for messages; never the password
}

// openPostgres connects to the server a postgres:// URL names. Every
// session the engine serves from is read-only, runs in UTC (sqlgen
// converts zones itself) with standard-conforming strings and is bounded
// by the query timeout on the server's side too (a second after the
// engine's own, which cancels first): all set when the connection starts,
// by no statement of ours, over whatever the URL says. A cancelled query
// is cancelled on the server, not only abandoned.
func openPostgres(ctx context.Context, opts Options) (*sql.DB, backend, error) {
	cfg, err := pgx.ParseConfig(opts.Database)
	if err != nil {
		return nil, nil, fmt.Errorf("engine: PostgreSQL URL: %w", err)
	}
	b := &pgBackend{cfg: cfg, maxConns: opts.MaxConnections,
		where: fmt.Sprintf("%s@%s:%d/%s", cfg.User, cfg.Host, cfg.Port, cfg.Database)}
	if b.maxConns <= 0 {
		// Every query slot has a connection, and a few are left over.
		b.maxConns = max(DefaultMaxConnections, querySlots(opts)+2)
	}
	timeout := opts.QueryTimeout
	if timeout <= 0 {
		timeout = DefaultQueryTimeout
	}
	pin(cfg.RuntimeParams, "TimeZone", "UTC")
	pin(cfg.RuntimeParams, "standard_conforming_strings", "on")
	if cfg.RuntimeParams["application_name"] == "" {
		cfg.RuntimeParams["application_name"] = "agentlayer"
	}
	cfg.BuildContextWatcherHandler = func(c *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.CancelRequestContextWatcherHandler{Conn: c, DeadlineDelay: 2 * time.Second}
	}
	// The checks of a model (a key's repeats counted over a whole table)
	// may take longer than a query may: they get read-only sessions of
	// their own, without the timeout.
	checking := cfg.Copy()
	pin(checking.RuntimeParams, "default_transaction_read_only", "on")
	serving := checking.Copy()
	pin(serving.RuntimeParams, "statement_timeout", strconv.FormatInt((timeout+time.Second).Milliseconds(), 10))
	db := stdlib.OpenDB(*serving)
	b.db = db
	db.SetMaxOpenConns(b.maxConns)
	db.SetMaxIdleConns(b.maxConns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	b.check = stdlib.OpenDB(*checking)
	b.check.SetMaxOpenConns(2)
	var version int
	if err := db.QueryRowContext(ctx, "SELECT current_setting('server_version_num')::int").Scan(&version); err != nil {
		b.close()
		db.Close()
		return nil, nil, fmt.Errorf("engine: connect to PostgreSQL %s: %w", b.where, err)
	}
	if version < pgMinVersion {
		b.close()
		db.Close()
		return nil, nil, fmt.Errorf("engine: PostgreSQL %s is version %d.%d; agentlayer needs %d or later", b.where, version/10000, version%10000, pgMinVersion/10000)
	}
	return db, b, nil
}

// pin sets a session setting, replacing the URL's spelling of it in any
// case: PostgreSQL's names are case-insensitive, and two spellings would
// reach the server in no set order.
func pin(params map[string]string, name, value string) {
	for k := range params {
		if strings.EqualFold(k, name) {
			delete(params, k)
		}
	}
	params[name] = value
}

// DefaultMaxConnections bounds the connections to PostgreSQL when
// Options.MaxConnections is not set, unless more queries may run at once
// (then it is their number and two).
const DefaultMaxConnections = 16

// setupDB is a connection pool that may write, for Setup alone: the
// engine's own sessions are read-only.
func (b *pgBackend) setupDB(context.Context) (*sql.DB, func(), error) {
	db := stdlib.OpenDB(*b.cfg)
	return db, func() { db.Close() }, nil
}

// lockDown checks that the engine's sessions are read-only. PostgreSQL's
// own grants are the real boundary: connect as a role that may only read
// the model's tables.
func (b *pgBackend) lockDown(ctx context.Context, _ *semantic.Model) error {
	var readOnly string
	if err := b.db.QueryRowContext(ctx, "SHOW default_transaction_read_only").Scan(&readOnly); err != nil {
		return fmt.Errorf("engine: PostgreSQL %s: %w", b.where, err)
	}
	if readOnly != "on" {
		return fmt.Errorf("engine: PostgreSQL %s: sessions are not read-only (default_transaction_read_only is %s)", b.where, readOnly)
	}
	return nil
}

func (b *pgBackend) unreadable(t *semantic.Table, err error) string {
	return fmt.Sprintf("table %s: source %s cannot be read on PostgreSQL %s (%s)", t.Name, t.Source, b.where, firstLine(err))
}

func (b *pgBackend) checkDB() *sql.DB { return b.check }

func (b *pgBackend) close() {
	if b.check != nil {
		b.check.Close()
	}
}

// pgClasses name the classes of SQLSTATE a query can fail with.
var pgClasses = map[string]string{
	"08": "connection lost", "22": "data exception", "23": "integrity constraint", "25": "invalid transaction state",
	"40": "transaction rollback", "42": "syntax or access", "53": "insufficient resources", "54": "program limit exceeded",
	"57": "operator intervention", "58": "system error", "XX": "internal error",
}

// classify reads PostgreSQL's SQLSTATE. The server is unreachable when the
// connection could not be made or was lost, when the server is shutting
// down, starting or in recovery (57P01–57P03), or has no connection left
// (53300).
func (*pgBackend) classify(err error) (bool, string) {
	// First: a connection refused wraps the server's error (too many
	// clients, authentication, no such database), which is not the query's.
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return true, "connection lost"
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		code := pe.Code + "  "
		unreachable := strings.HasPrefix(code, "08") || slices.Contains([]string{"57P01", "57P02", "57P03", "53300"}, pe.Code)
		class, ok := pgClasses[code[:2]]
		if !ok {
			class = "error"
		}
		return unreachable, class
	}
	var ne net.Error
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || errors.Is(err, driver.ErrBadConn) ||
		errors.Is(err, net.ErrClosed) || errors.As(err, &ne) || strings.Contains(err.Error(), "conn closed") {
		return true, "connection lost"
	}
	return false, "error"
}

// describe lists the columns of a table source from the result description
// of a query that reads no rows, with PostgreSQL's types given DuckDB's
// names (semantic.ParseType reads those). A file source is DuckDB's alone.
func (b *pgBackend) describe(ctx context.Context, src semantic.Source) ([]semantic.SourceColumn, error) {
	if src.Kind == semantic.SourceParquet || src.Kind == semantic.SourceCSV {
		return nil, fmt.Errorf("PostgreSQL reads tables and SELECTs, not files: load %s into a table, or serve it with DuckDB", src.Text)
	}
	rows, err := b.check.QueryContext(ctx, "SELECT * FROM "+sqlast.Postgres{}.Source(src)+" AS src LIMIT 0")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	types, err := rows.ColumnTypes()
	if err != nil {
		return nil, err
	}
	cols := make([]semantic.SourceColumn, len(types))
	for i, ct := range types {
		cols[i] = semantic.SourceColumn{Name: ct.Name(), Type: duckTypeOf(ct)}
	}
	return cols, rows.Err()
}

// duckTypeOf names a PostgreSQL column type as DuckDB would: the mapping
// docs/postgres.md tabulates. A type with no counterpart keeps its own
// name, which the model refuses as unsupported.
func duckTypeOf(ct *sql.ColumnType) string {
	name := ct.DatabaseTypeName()
	switch name {
	case "INT2":
		return "SMALLINT"
	case "INT4":
		return "INTEGER"
	case "INT8":
		return "BIGINT"
	case "FLOAT4":
		return "FLOAT"
	case "FLOAT8":
		return "DOUBLE"
	case "BOOL":
		return "BOOLEAN"
	case "TEXT", "VARCHAR", "BPCHAR", "NAME":
		return "VARCHAR"
	case "NUMERIC":
		// Unconstrained, the type modifier is -1, which pgx reads as a
		// precision past PostgreSQL's maximum of 1,000.
		if p, s, ok := ct.DecimalSize(); ok && p <= 1000 {
			return fmt.Sprintf("DECIMAL(%d,%d)", p, s)
		}
		return "NUMERIC"
	case "DATE", "TIMESTAMP", "TIMESTAMPTZ", "TIME", "UUID":
		return name
	}
	if _, err := strconv.Atoi(name); err == nil {
		return "PostgreSQL type " + name // an OID pgx does not know: a domain, an enum
	}
	return strings.ToLower(name)
}
