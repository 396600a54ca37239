package engine

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/agentlayer/agentlayer/semantic"
	"github.com/agentlayer/agentlayer/sqlgen/sqlast"
)

// duckBackend is embedded DuckDB: a file or an in-memory database in this
// process, confined once the model is loaded.
type duckBackend struct {
	db      *sql.DB
	opts    Options
	allowed []string // the directories DuckDB may read, with a trailing separator
	tempDir string   // removed by close, when the engine made it
}

// DefaultMemoryShare is the share of the machine's memory (or its
// container's limit, if lower) DuckDB may use when Options.MemoryLimit is
// not set. DuckDB's own default, 80%, leaves too little to the Go heap of
// the process it is embedded in.
const DefaultMemoryShare = 0.6

// openDuckDB opens DuckDB with the options' settings. Settings every
// connection needs are the database's defaults (SET GLOBAL), so that a
// connection opened after the configuration is locked has them too.
func openDuckDB(ctx context.Context, opts Options) (*sql.DB, backend, error) {
	q := url.Values{}
	if opts.Threads > 0 {
		q.Set("threads", strconv.Itoa(opts.Threads))
	}
	if opts.ReadOnly {
		q.Set("access_mode", "READ_ONLY")
	}
	dsn := opts.Database
	if len(q) > 0 {
		dsn += "?" + q.Encode()
	}
	var connector driver.Connector = opts.DuckDB
	if opts.DuckDB != nil {
		// The embedder's: the engine's handle must not close it.
		connector = borrowed{opts.DuckDB}
	} else {
		c, err := duckdb.NewConnector(dsn, nil)
		if err != nil {
			return nil, nil, fmt.Errorf("engine: open database: %w", err)
		}
		connector = c
	}
	db := sql.OpenDB(connector)
	// Queries never depend on the session's zone (sqlgen converts
	// explicitly), but casts and rendering of TIMESTAMPTZ do: pin it.
	if _, err := db.ExecContext(ctx, "SET GLOBAL TimeZone = 'UTC'"); err != nil {
		db.Close()
		return nil, nil, fmt.Errorf("engine: open database: %w", err)
	}
	return db, &duckBackend{db: db, opts: opts}, nil
}

// borrowed is a connector the engine does not own: without Close, so that
// closing the engine's handle leaves it open.
type borrowed struct{ c driver.Connector }

func (b borrowed) Connect(ctx context.Context) (driver.Conn, error) { return b.c.Connect(ctx) }
func (b borrowed) Driver() driver.Driver                            { return b.c.Driver() }

// setupDB is the engine's own handle: an in-memory database exists only
// there.
func (b *duckBackend) setupDB(context.Context) (*sql.DB, func(), error) {
	return b.db, func() {}, nil
}

// lockDown confines DuckDB, once the model is loaded: it may read files
// only in the directories of the model's sources and AllowedDirectories,
// spill only to DataDir, install and load no extension, and no setting can
// change afterwards (lock_configuration), on any connection, new or
// pooled. The engine only ever sends SELECT statements it generated; this
// is what stands behind that if a statement ever held something else.
func (b *duckBackend) lockDown(ctx context.Context, m *semantic.Model) error {
	b.allowed = allowedDirectories(m, b.opts.AllowedDirectories)
	dir := b.opts.DataDir
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "agentlayer-duckdb-"); err != nil {
			return fmt.Errorf("engine: data directory: %w", err)
		}
		b.tempDir = dir
	}
	memory := b.opts.MemoryLimit
	if memory == "" {
		memory = defaultMemoryLimit()
	}
	dirs := make([]string, len(b.allowed))
	for i, d := range b.allowed {
		dirs[i] = quoteString(d)
	}
	settings := []string{
		"SET temp_directory = " + quoteString(dir),
		"SET allowed_directories = [" + strings.Join(dirs, ", ") + "]",
		"SET enable_external_access = false",
		"SET autoinstall_known_extensions = false",
		"SET autoload_known_extensions = false",
		"SET allow_community_extensions = false",
	}
	if memory != "" {
		settings = append(settings, "SET memory_limit = "+quoteString(memory))
	}
	if b.opts.MaxTempSize != "" {
		settings = append(settings, "SET max_temp_directory_size = "+quoteString(b.opts.MaxTempSize))
	}
	settings = append(settings, "SET lock_configuration = true")
	for _, s := range settings {
		if _, err := b.db.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("engine: lock DuckDB down: %s: %w", s, err)
		}
	}
	return nil
}

func (b *duckBackend) unreadable(t *semantic.Table, err error) string {
	return fmt.Sprintf("table %s: source %s cannot be read once DuckDB is locked down (%s); DuckDB may read files only in %s: allow its directory (Options.AllowedDirectories, serve --allow-dir)",
		t.Name, t.Source, firstLine(err), strings.Join(b.allowed, ", "))
}

// classify reads the class of a DuckDB error from its message: "Conversion
// Error: …" is a "conversion error". DuckDB runs in this process: it is
// never unreachable.
func (*duckBackend) classify(err error) (bool, string) {
	msg := err.Error()
	i := strings.Index(msg, " Error: ")
	if i < 0 {
		return false, "error"
	}
	kind := msg[:i]
	if j := strings.LastIndexAny(kind, ":\n"); j >= 0 {
		kind = kind[j+1:]
	}
	return false, strings.ToLower(strings.TrimSpace(kind)) + " error"
}

func (b *duckBackend) checkDB() *sql.DB { return b.db }

func (b *duckBackend) close() {
	if b.tempDir != "" {
		os.RemoveAll(b.tempDir)
	}
}

// allowedDirectories lists the directories of a model's file sources and
// the extra ones, absolute, cleaned and ending in a separator, without
// repeats.
func allowedDirectories(m *semantic.Model, extra []string) []string {
	var out []string
	add := func(dir string) {
		if abs, err := filepath.Abs(dir); err == nil {
			dir = abs
		}
		dir = filepath.Clean(dir)
		if !strings.HasSuffix(dir, string(filepath.Separator)) {
			dir += string(filepath.Separator)
		}
		if !slices.Contains(out, dir) {
			out = append(out, dir)
		}
	}
	for _, d := range extra {
		add(d)
	}
	for _, t := range m.Tables {
		if t.Source.Kind == semantic.SourceParquet || t.Source.Kind == semantic.SourceCSV {
			add(sourceDir(t.Source.Text))
		}
	}
	return out
}

// sourceDir is the directory a file source reads: the part of its path
// before the first glob character.
func sourceDir(path string) string {
	if i := strings.IndexAny(path, "*?[{"); i >= 0 {
		path = path[:i]
		if j := strings.LastIndexByte(path, filepath.Separator); j >= 0 {
			return path[:j+1]
		}
		return "."
	}
	return filepath.Dir(path)
}

// describe lists the columns of a table source. Once DuckDB is locked
// down, a file source outside the allowed directories is refused with what
// to do.
func (b *duckBackend) describe(ctx context.Context, src semantic.Source) ([]semantic.SourceColumn, error) {
	if b.allowed != nil && (src.Kind == semantic.SourceParquet || src.Kind == semantic.SourceCSV) && !b.mayRead(src.Text) {
		return nil, fmt.Errorf("%s is outside the directories DuckDB may read (%s); restart agentlayer to allow a new one", src.Text, strings.Join(b.allowed, ", "))
	}
	return describeDuckDB(ctx, b.db, src)
}

// describeDuckDB lists the columns of a table source as DuckDB reads it.
func describeDuckDB(ctx context.Context, db *sql.DB, src semantic.Source) ([]semantic.SourceColumn, error) {
	rows, err := db.QueryContext(ctx, "SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM "+sqlast.DuckDB{}.Source(src)+")")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var cols []semantic.SourceColumn
	for rows.Next() {
		var c semantic.SourceColumn
		if err := rows.Scan(&c.Name, &c.Type); err != nil {
			return nil, err
		}
		cols = append(cols, c)
	}
	return cols, rows.Err()
}

// mayRead reports whether a file source lies in an allowed directory.
func (b *duckBackend) mayRead(path string) bool {
	dir := sourceDir(path)
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	dir = filepath.Clean(dir) + string(filepath.Separator)
	for _, a := range b.allowed {
		if strings.HasPrefix(dir, a) {
			return true
		}
	}
	return false
}
