// Package engine is agentlayer's library API: an embedded semantic query
// engine over DuckDB that answers the operations of the Agent API — search,
// table and metric detail, field values, construct and execute — always on
// behalf of one user.
//
// Create an Engine with New and release it with Close. An Engine is safe for
// concurrent use by any number of goroutines.
package engine

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/agentlayer/agentlayer/internal/lru"
	"github.com/agentlayer/agentlayer/internal/querytoken"
	"github.com/agentlayer/agentlayer/internal/search"
	"github.com/agentlayer/agentlayer/permissions"
	"github.com/agentlayer/agentlayer/semantic"
	"github.com/agentlayer/agentlayer/sqlgen"
)

// The defaults of an Engine, named so that the CLI's flags and the docs
// use the same numbers.
const (
	DefaultQueryTimeout      = 30 * time.Second
	DefaultQueueTimeout      = time.Second
	DefaultMaxRows           = sqlgen.DefaultMaxRows
	DefaultMaxAggregatedRows = sqlgen.DefaultMaxAggregatedRows
	// DefaultFieldValues is how many values a table or metric detail lists
	// per field when asked for field values.
	DefaultFieldValues = 30
	// The caches of one model and policy set, by entries.
	tokenCacheSize = 1024
	valueCacheSize = 1000
)

// Options configure an Engine. The zero value is not enough: a model is
// required. Every other field's zero value means the default its comment
// gives.
type Options struct {
	// ModelFile is the path of the semantic model. When ModelYAML is set,
	// ModelFile only names it in messages and anchors its relative paths.
	ModelFile string
	// ModelYAML is the semantic model itself; nil means read ModelFile.
	ModelYAML []byte

	// PolicyFile is the path of the policy file. When PolicyYAML is set,
	// PolicyFile only names it in messages. With neither, no user sees
	// anything, unless Unrestricted is set.
	PolicyFile string
	// PolicyYAML is the policy file itself; nil means read PolicyFile.
	PolicyYAML []byte
	// Unrestricted lets every user see every table, column and row, with no
	// policy file: for data that are not sensitive.
	Unrestricted bool

	// Database is the path of a DuckDB database file; "" means a new
	// in-memory database.
	Database string
	// ReadOnly opens Database read-only, so that several processes can
	// share it.
	ReadOnly bool
	// Threads caps DuckDB's worker threads; 0 means one per core.
	Threads int
	// MemoryLimit caps DuckDB's memory, as DuckDB writes it ("4GB"); ""
	// means DefaultMemoryShare of the machine's (or the container's)
	// memory, which leaves the rest to the Go heap.
	MemoryLimit string
	// DataDir is where DuckDB spills what does not fit in memory; "" means
	// a new temporary directory, removed by Close.
	DataDir string
	// MaxTempSize caps what DuckDB may spill, as DuckDB writes it ("10GB");
	// "" means DuckDB's default (90% of the free disk).
	MaxTempSize string
	// AllowedDirectories are directories DuckDB may read files from once
	// the engine is running, besides those of the model's Parquet and CSV
	// sources: for {sql: …} sources that read files themselves, and for
	// models reloaded later with sources elsewhere. After the model loads,
	// DuckDB can reach no other file, install or load no extension, and
	// change no setting.
	AllowedDirectories []string

	// Setup runs once, after the database opens and before the model is
	// checked against it: load data, attach files, create views.
	Setup func(ctx context.Context, db *sql.DB) error

	// Offline opens no database: the model is checked on its own (every
	// field declares its type), and the engine can construct, plan and
	// explain queries but not run them. For tools: validate, explain.
	Offline bool

	// TimeZone is the report time zone (an IANA name): buckets, date
	// filters and timestamps in results use it. "" means UTC. On a host
	// without zoneinfo, import _ "time/tzdata" in your main package.
	TimeZone string
	// WeekStart is the first day of week buckets; the zero value is Sunday,
	// as in Metabase.
	WeekStart time.Weekday
	// MaxRows caps the rows of a query without aggregation; 0 means
	// DefaultMaxRows (2,000).
	MaxRows int
	// MaxAggregatedRows caps the rows of an aggregated query; 0 means
	// DefaultMaxAggregatedRows (10,000).
	MaxAggregatedRows int

	// Embedder embeds texts for semantic search; nil means semantic queries
	// are matched by words, like term queries.
	Embedder Embedder

	// TokenKey signs query and continuation tokens (HMAC-SHA256, at least 16
	// bytes); nil means a random key for this process, so that tokens do not
	// outlive it. PreviousTokenKeys still verify, for key rotation.
	TokenKey          []byte
	PreviousTokenKeys [][]byte

	// QueryTimeout ends a query that runs longer; 0 means
	// DefaultQueryTimeout (30 s).
	QueryTimeout time.Duration
	// MaxConcurrentQueries bounds the queries running at once; 0 means one
	// per core. A query waits at most QueueTimeout (0 means DefaultQueueTimeout, 1 s) for its
	// turn, then fails with ErrOverloaded.
	MaxConcurrentQueries int
	QueueTimeout         time.Duration

	// Logger receives SQL and durations at debug level; nil discards.
	Logger *slog.Logger
}

// Engine answers semantic queries over an embedded DuckDB database.
type Engine struct {
	db           *sql.DB
	dialect      sqlgen.Dialect
	allowed      []string // the directories DuckDB may read, with a trailing separator
	tempDir      string   // removed by Close, when the engine made it
	zone         *time.Location
	planOpts     sqlgen.Options
	log          *slog.Logger
	embedder     Embedder
	keys         querytoken.Keys
	slots        chan struct{} // one per query allowed to run
	queued       atomic.Int64  // queries waiting for a slot
	overloaded   atomic.Int64  // queries refused for want of a slot
	reloads      atomic.Int64  // successful reloads
	reloadFails  atomic.Int64  // refused reloads
	queryTimeout time.Duration
	queueTimeout time.Duration
	stmts        *stmtCache

	// cur is the model and policies being served, swapped whole by
	// Reload; every operation reads it once and works on that set.
	cur      atomic.Pointer[state]
	reloadMu sync.Mutex // one reload at a time
	status   atomic.Pointer[ReloadStatus]
}

// state is one loaded model and policy set with all that is derived from
// them. It is immutable once built; its caches are its own, so a reload
// flushes them.
type state struct {
	model    *semantic.Model
	catalog  *sqlgen.Catalog
	policies *permissions.Policies // nil: everything or nothing, per unrestricted
	// unrestricted lets every user see everything, with no policy file.
	unrestricted        bool
	everything, nothing *permissions.Grant
	search              *search.Index
	version             Version
	tokens              *lru.Cache[string, openedToken]
	valueCache          *lru.Cache[string, []any]
	statsCache          *lru.Cache[string, Statistics]
}

// Version identifies the model and policy set an engine serves.
type Version struct {
	// Model and Policy are the first 12 hex digits of the SHA-256 of each
	// file as read; Policy is "" without a policy file.
	Model, Policy string
	// Generation counts the sets loaded: 1 for New's, then one more per
	// successful Reload.
	Generation int
	// Loaded is when the set was loaded.
	Loaded time.Time
}

// ReloadStatus is the outcome of the last Reload.
type ReloadStatus struct {
	At time.Time
	// Err is why the reload failed, nil if it succeeded; the previous set
	// kept serving.
	Err error
}

// New opens the database, runs Setup, loads the model and checks every
// table source and field against the database, then locks DuckDB down. On
// failure nothing stays open. A model error is a *semantic.Error listing
// every problem.
func New(ctx context.Context, opts Options) (*Engine, error) {
	if opts.ModelFile == "" && opts.ModelYAML == nil {
		return nil, errors.New("engine: no model: set Options.ModelFile or Options.ModelYAML")
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	zone := time.UTC
	var err error
	if opts.TimeZone != "" {
		if zone, err = time.LoadLocation(opts.TimeZone); err != nil {
			return nil, fmt.Errorf("engine: time zone %q: %w", opts.TimeZone, err)
		}
	}
	keys, err := querytoken.NewKeys(opts.TokenKey, opts.PreviousTokenKeys)
	if err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	var db *sql.DB
	if !opts.Offline {
		if db, err = open(ctx, opts); err != nil {
			return nil, err
		}
	}
	e := &Engine{db: db, keys: keys, dialect: sqlgen.DuckDB{}, log: log, zone: zone, embedder: opts.Embedder,
		queryTimeout: opts.QueryTimeout, queueTimeout: opts.QueueTimeout,
		stmts: newStmtCache(db, defaultStatements, defaultStatementBytes)}
	if e.queryTimeout <= 0 {
		e.queryTimeout = DefaultQueryTimeout
	}
	if e.queueTimeout <= 0 {
		e.queueTimeout = DefaultQueueTimeout
	}
	slots := opts.MaxConcurrentQueries
	if slots <= 0 {
		slots = runtime.NumCPU()
	}
	e.slots = make(chan struct{}, slots)
	e.planOpts = sqlgen.Options{Dialect: e.dialect, TimeZone: zone, WeekStart: opts.WeekStart,
		MaxRows: opts.MaxRows, MaxAggregatedRows: opts.MaxAggregatedRows}
	if err := e.init(ctx, opts); err != nil {
		e.Close()
		return nil, err
	}
	return e, nil
}

func (e *Engine) init(ctx context.Context, opts Options) error {
	if opts.Offline {
		s, err := e.load(ctx, opts, 1)
		if err != nil {
			return err
		}
		e.cur.Store(s)
		return nil
	}
	if opts.Setup != nil {
		if err := opts.Setup(ctx, e.db); err != nil {
			return fmt.Errorf("engine: setup: %w", err)
		}
	}
	s, err := e.load(ctx, opts, 1)
	if err != nil {
		return err
	}
	if err := e.lockDown(ctx, opts, s.model); err != nil {
		return err
	}
	if err := e.check(ctx, s.model); err != nil {
		return err
	}
	e.cur.Store(s)
	return nil
}

// load reads, parses and checks a model and policy set against the
// database, and derives all a state holds, without serving it.
func (e *Engine) load(ctx context.Context, opts Options, generation int) (*state, error) {
	modelYAML := opts.ModelYAML
	if modelYAML == nil {
		var err error
		if modelYAML, err = os.ReadFile(opts.ModelFile); err != nil {
			return nil, fmt.Errorf("read model: %w", err)
		}
	}
	var lopts semantic.Options
	if e.db != nil {
		lopts.Describe = func(src semantic.Source) ([]semantic.Column, error) { return e.describe(ctx, src) }
	}
	m, err := semantic.Parse(opts.ModelFile, modelYAML, lopts)
	if err != nil {
		return nil, err
	}
	s := &state{model: m, unrestricted: opts.Unrestricted,
		everything: permissions.Everything(m), nothing: permissions.Nothing(),
		tokens: lru.New[string, openedToken](tokenCacheSize), valueCache: lru.New[string, []any](valueCacheSize), statsCache: lru.New[string, Statistics](valueCacheSize),
		version: Version{Model: digest(modelYAML), Generation: generation, Loaded: time.Now()}}
	if s.catalog, err = sqlgen.NewCatalog(m, e.dialect); err != nil {
		return nil, err
	}
	policyYAML := opts.PolicyYAML
	if policyYAML == nil && opts.PolicyFile != "" {
		if policyYAML, err = os.ReadFile(opts.PolicyFile); err != nil {
			return nil, fmt.Errorf("read policy: %w", err)
		}
	}
	switch {
	case policyYAML != nil:
		if s.policies, err = permissions.Compile(opts.PolicyFile, policyYAML, m, permissions.Options{Logger: e.log, Dialect: e.dialect}); err != nil {
			return nil, err
		}
		s.version.Policy = digest(policyYAML)
	case !opts.Unrestricted:
		e.log.Warn("no policy file: no user sees anything (set Options.PolicyFile, or Unrestricted)")
	}
	if s.search, err = search.New(ctx, m, e.embedder); err != nil {
		return nil, fmt.Errorf("engine: search index: %w", err)
	}
	return s, nil
}

func digest(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:6])
}

// check verifies, under the lockdown, that every table source can be read
// and every referenced key is unique.
func (e *Engine) check(ctx context.Context, m *semantic.Model) error {
	if err := e.checkSources(ctx, m); err != nil {
		return err
	}
	return e.checkKeys(ctx, m)
}

// Reload reads the model and policy of opts again (ModelFile or ModelYAML,
// PolicyFile or PolicyYAML, Unrestricted; every other option is fixed at
// New), checks them against the database beside the set being served, and
// swaps them in at once. Setup does not run again, and the new model may
// read files only where the first could (New's AllowedDirectories and the
// directories of its sources): widening that takes a restart. On any
// problem the current set keeps serving and the error says why, with
// file:line:col. Queries already running finish on the set they started
// with; query tokens survive a reload that keeps the names they use; the
// caches of the old set go with it.
func (e *Engine) Reload(ctx context.Context, opts Options) error {
	e.reloadMu.Lock()
	defer e.reloadMu.Unlock()
	if opts.ModelFile == "" && opts.ModelYAML == nil {
		return errors.New("engine: no model: set Options.ModelFile or Options.ModelYAML")
	}
	err := e.reload(ctx, opts)
	e.status.Store(&ReloadStatus{At: time.Now(), Err: err})
	if err != nil {
		e.reloadFails.Add(1)
	} else {
		e.reloads.Add(1)
	}
	return err
}

func (e *Engine) reload(ctx context.Context, opts Options) error {
	s, err := e.load(ctx, opts, e.cur.Load().version.Generation+1)
	if err != nil {
		return err
	}
	if e.db != nil {
		if err := e.check(ctx, s.model); err != nil {
			return err
		}
	}
	e.cur.Store(s)
	e.stmts.clear()
	e.log.Info("reloaded", "model", opts.ModelFile, "model_version", s.version.Model, "policy_version", s.version.Policy, "generation", s.version.Generation)
	return nil
}

// Version reports the model and policy set being served.
func (e *Engine) Version() Version { return e.cur.Load().version }

// LastReload reports the outcome of the last Reload; false if there was
// none.
func (e *Engine) LastReload() (ReloadStatus, bool) {
	if s := e.status.Load(); s != nil {
		return *s, true
	}
	return ReloadStatus{}, false
}

// Ping checks that the database answers.
func (e *Engine) Ping(ctx context.Context) error {
	if e.db == nil {
		return ErrOffline
	}
	return e.db.PingContext(ctx)
}

// checkKeys verifies that every key a foreign key references is unique, so
// that a join along it can never multiply the rows of the base table.
func (e *Engine) checkKeys(ctx context.Context, m *semantic.Model) error {
	seen := map[*semantic.Field]bool{}
	var problems []semantic.Problem
	for _, t := range m.Tables {
		for _, fk := range t.ForeignKeys() {
			pk := fk.References
			if seen[pk] {
				continue
			}
			seen[pk] = true
			q := fmt.Sprintf("SELECT count(%[1]s) - count(DISTINCT %[1]s) FROM %[2]s", e.dialect.QuoteIdent(pk.Column), e.dialect.Source(pk.Table.Source))
			var dup int64
			if err := e.db.QueryRowContext(ctx, q).Scan(&dup); err != nil {
				return fmt.Errorf("engine: check key %s: %w", pk, err)
			}
			if dup > 0 {
				problems = append(problems, semantic.Problem{Pos: pk.Pos, Msg: fmt.Sprintf(
					"field %s is referenced as a key (type/PK) but %d of its values repeat: a join along it would multiply rows", pk, dup)})
			}
		}
	}
	return semantic.NewError(problems)
}

// open opens DuckDB with the options' settings. Settings every connection
// needs are the database's defaults (SET GLOBAL), so that a connection
// opened after the configuration is locked has them too.
func open(ctx context.Context, opts Options) (*sql.DB, error) {
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
	connector, err := duckdb.NewConnector(dsn, nil)
	if err != nil {
		return nil, fmt.Errorf("engine: open database: %w", err)
	}
	db := sql.OpenDB(connector)
	// Queries never depend on the session's zone (sqlgen converts
	// explicitly), but casts and rendering of TIMESTAMPTZ do: pin it.
	if _, err := db.ExecContext(ctx, "SET GLOBAL TimeZone = 'UTC'"); err != nil {
		db.Close()
		return nil, fmt.Errorf("engine: open database: %w", err)
	}
	return db, nil
}

// lockDown confines DuckDB, once the model is loaded: it may read files
// only in the directories of the model's sources and AllowedDirectories,
// spill only to DataDir, install and load no extension, and no setting can
// change afterwards (lock_configuration), on any connection, new or
// pooled. The engine only ever sends SELECT statements it generated; this
// is what stands behind that if a statement ever held something else.
func (e *Engine) lockDown(ctx context.Context, opts Options, m *semantic.Model) error {
	e.allowed = allowedDirectories(m, opts.AllowedDirectories)
	dir := opts.DataDir
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "agentlayer-duckdb-"); err != nil {
			return fmt.Errorf("engine: data directory: %w", err)
		}
		e.tempDir = dir
	}
	memory := opts.MemoryLimit
	if memory == "" {
		memory = defaultMemoryLimit()
	}
	dirs := make([]string, len(e.allowed))
	for i, d := range e.allowed {
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
	if opts.MaxTempSize != "" {
		settings = append(settings, "SET max_temp_directory_size = "+quoteString(opts.MaxTempSize))
	}
	settings = append(settings, "SET lock_configuration = true")
	for _, s := range settings {
		if _, err := e.db.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("engine: lock DuckDB down: %s: %w", s, err)
		}
	}
	return nil
}

// DefaultMemoryShare is the share of the machine's memory (or its
// container's limit, if lower) DuckDB may use when Options.MemoryLimit is
// not set. DuckDB's own default, 80%, leaves too little to the Go heap of
// the process it is embedded in.
const DefaultMemoryShare = 0.6

func quoteString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

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

// checkSources reads nothing of every table source but binds it, under
// the lockdown: a source that reads a file outside the allowed directories
// fails here, at start, with its position, rather than at a user's query.
func (e *Engine) checkSources(ctx context.Context, m *semantic.Model) error {
	var problems []semantic.Problem
	for _, t := range m.Tables {
		rows, err := e.db.QueryContext(ctx, "SELECT * FROM "+e.dialect.Source(t.Source)+" LIMIT 0")
		if err != nil {
			problems = append(problems, semantic.Problem{Pos: t.Source.Pos, Msg: fmt.Sprintf(
				"table %s: source %s cannot be read once DuckDB is locked down (%s); DuckDB may read files only in %s: allow its directory (Options.AllowedDirectories, serve --allow-dir)",
				t.Name, t.Source, firstLine(err), strings.Join(e.allowed, ", "))})
			continue
		}
		rows.Close()
	}
	return semantic.NewError(problems)
}

func firstLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}

// describe lists the columns of a table source. Once DuckDB is locked
// down, a file source outside the allowed directories is refused with what
// to do.
func (e *Engine) describe(ctx context.Context, src semantic.Source) ([]semantic.Column, error) {
	if e.allowed != nil && (src.Kind == semantic.SourceParquet || src.Kind == semantic.SourceCSV) && !e.mayRead(src.Text) {
		return nil, fmt.Errorf("%s is outside the directories DuckDB may read (%s); restart agentlayer to allow a new one", src.Text, strings.Join(e.allowed, ", "))
	}
	rows, err := e.db.QueryContext(ctx, "SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM "+e.dialect.Source(src)+")")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var cols []semantic.Column
	for rows.Next() {
		var c semantic.Column
		if err := rows.Scan(&c.Name, &c.Type); err != nil {
			return nil, err
		}
		cols = append(cols, c)
	}
	return cols, rows.Err()
}

// mayRead reports whether a file source lies in an allowed directory.
func (e *Engine) mayRead(path string) bool {
	dir := sourceDir(path)
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	dir = filepath.Clean(dir) + string(filepath.Separator)
	for _, a := range e.allowed {
		if strings.HasPrefix(dir, a) {
			return true
		}
	}
	return false
}

// Model returns the semantic model the engine serves.
func (e *Engine) Model() *semantic.Model { return e.cur.Load().model }

// Close releases the database, and the data directory the engine made. It
// must be called once the Engine is no longer used.
func (e *Engine) Close() error {
	var err error
	if e.db != nil {
		err = e.db.Close()
	}
	if e.tempDir != "" {
		os.RemoveAll(e.tempDir)
	}
	return err
}
