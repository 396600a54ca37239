// Package engine is agentlayer's library API: an embedded semantic query
// engine over DuckDB (embedded, the default) or PostgreSQL that answers the
// operations of the Agent API — search, table and metric detail, field
// values, construct and execute — always on behalf of one user.
//
// Create an Engine with New and release it with Close. An Engine is safe for
// concurrent use by any number of goroutines.
//
// An embedder imports engine and auth, and nothing else of this module:
// every type engine's API names is its own, auth's, the standard
// library's, or one of the aliases it declares as part of its API
// (Request, Error, Column, Kind, …), whose packages need not be imported.
package engine

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/agentlayer/agentlayer/engine/internal/querytoken"
	"github.com/agentlayer/agentlayer/engine/internal/rcache"
	"github.com/agentlayer/agentlayer/engine/internal/search"
	"github.com/agentlayer/agentlayer/internal/enginemodel"
	"github.com/agentlayer/agentlayer/internal/lru"
	"github.com/agentlayer/agentlayer/permissions"
	"github.com/agentlayer/agentlayer/semantic"
	"github.com/agentlayer/agentlayer/sqlgen"
	"github.com/agentlayer/agentlayer/sqlgen/sqlast"
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
	// minMaskKey is the shortest MaskKey, as long as the shortest token
	// key.
	minMaskKey = 16
	// The caches of one model and policy set, by entries.
	tokenCacheSize = 1024
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
	// IDsYAML is the model's id lock (model.ids.yaml, written by
	// agentlayer ids update), which keeps field ids stable across model
	// edits. When ModelYAML is nil it is read from beside ModelFile, if
	// there; else pass it with ModelYAML. Without one, field ids are
	// positions and a warning is logged. A lock that does not number every
	// field is stale, and New refuses the model.
	IDsYAML []byte

	// PolicyFile is the path of the policy file. When PolicyYAML is set,
	// PolicyFile only names it in messages. With neither, no user sees
	// anything, unless Unrestricted is set.
	PolicyFile string
	// PolicyYAML is the policy file itself; nil means read PolicyFile.
	PolicyYAML []byte
	// Unrestricted lets every user see every table, column and row, with no
	// policy file: for data that are not sensitive.
	Unrestricted bool

	// Database is the path of a DuckDB database file, or the URL of a
	// PostgreSQL server (postgres://user@host:port/database?sslmode=…);
	// "" means a new in-memory DuckDB database. On PostgreSQL the model's
	// sources are tables and SELECTs, and the DuckDB options below
	// (Threads, MemoryLimit, DataDir, MaxTempSize, AllowedDirectories)
	// must be unset: docs/postgres.md.
	Database string
	// MaxConnections bounds the connections to PostgreSQL; 0 means
	// DefaultMaxConnections, or the queries that may run at once and two if
	// that is more. Fewer than those queries is an error. DuckDB runs in
	// the process and has none.
	MaxConnections int
	// ReadOnly opens a DuckDB file read-only, so that several processes
	// can share it. (The engine's PostgreSQL sessions are always
	// read-only.)
	ReadOnly bool
	// DuckDB, if set, is the embedder's own DuckDB connector
	// (duckdb.NewConnector), for a service that opens the database file
	// itself: the engine opens its connections from it, since DuckDB takes
	// one configuration per database file in a process. Database,
	// ReadOnly and Threads are then the connector's, and must be unset.
	// The engine does not close it. DuckDB's lock-down is the database
	// instance's: once the model loads, the embedder's own connections
	// live under it too — no file outside the allowed directories, no
	// SET, no ATTACH, no extension — while writes to its tables work (call
	// Invalidate after them), and its TimeZone setting is UTC.
	DuckDB *duckdb.Connector
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

	// MaskKey keys the hash mask of policies (an HMAC-SHA256): the same
	// key gives the same hashes (so grouping and joining by a hashed
	// column still work), so share it between the processes of a
	// deployment; a new key changes every hash. At least 16 bytes; empty
	// means a random key for this engine.
	MaskKey []byte

	// AuditLog, if set, receives one JSON line per query that read data
	// (AuditRecord): its time, user, endpoint (WithEndpoint), tables,
	// policies, plan fingerprint, rows, duration and outcome; never a
	// value of the data, SQL or a credential.
	AuditLog io.Writer

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
	// Now is the clock that relative date filters ("the last 6 months")
	// count from, and the result cache's time to live; nil means the
	// system clock. Tests pin it.
	Now func() time.Time
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
	// per core. A query waits at most QueueTimeout (0 means
	// DefaultQueueTimeout, 1 s) for its turn, then fails with
	// ErrOverloaded. A query holds its slot while the database works on
	// it, not while its caller reads the answer.
	MaxConcurrentQueries int
	QueueTimeout         time.Duration
	// MaxSlotsPerUser bounds the slots one user holds while others wait
	// (the user is the Principal's email); 0 means all but one, at least
	// one. Waiters are served across users in turn.
	MaxSlotsPerUser int
	// MaxAnswersPerUser bounds the answers one user has open (started and
	// not yet closed) at once; 0 means DefaultAnswersPerUser (16). Past it
	// a query fails with ErrTooManyAnswers, an ErrOverloaded.
	MaxAnswersPerUser int
	// BufferMemory bounds the memory of the rows of the answers being
	// read, in all; past it their rows go to temporary files (in DataDir,
	// or the system's temporary directory) of at most BufferDisk in all,
	// past which an answer fails with ErrOverloaded. 0 means
	// DefaultBufferMemory (256 MiB) and DefaultBufferDisk (4 GiB).
	BufferMemory, BufferDisk int64

	// Cache configures the result cache; the zero value turns it off.
	// serve turns it on (DefaultCacheTTL, DefaultCacheBytes).
	Cache CacheOptions

	// Logger receives SQL and durations at debug level (every statement
	// sent to the database, as "statement"); nil discards.
	Logger *slog.Logger
}

// Engine answers semantic queries over its database, DuckDB or PostgreSQL.
type Engine struct {
	ranges       ranges    // the data ranges of tables, as callers see them
	audit        *auditLog // nil: no audit log
	db           *sql.DB
	be           backend // nil when offline
	encoded      bool    // answers write their own rows (encodedQuery); tests turn it off
	dialect      sqlast.Dialect
	zone         *time.Location
	planOpts     sqlgen.Options
	log          *slog.Logger
	embedder     Embedder
	keys         querytoken.Keys
	slots        *slots       // the queries allowed to run at once
	buffers      *bufferPool  // the answers being read
	overloaded   atomic.Int64 // queries refused for want of a slot
	reloads      atomic.Int64 // successful reloads
	reloadFails  atomic.Int64 // refused reloads
	queryTimeout time.Duration
	queueTimeout time.Duration
	stmts        *stmtCache
	cache        *rcache.Cache // nil: the result cache is off

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
	// visibility is a digest of what a grant sees, for search's cache key.
	visibility *lru.Cache[*permissions.Grant, [32]byte]
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

// querySlots is how many queries may run at once.
func querySlots(opts Options) int {
	if opts.MaxConcurrentQueries > 0 {
		return opts.MaxConcurrentQueries
	}
	return runtime.NumCPU()
}

// checkOptions refuses options that do not apply to the database named.
func checkOptions(opts Options) error {
	if opts.DuckDB != nil && (opts.Database != "" || opts.ReadOnly || opts.Threads != 0) {
		return errors.New("engine: Options.DuckDB is the embedder's connector: Database, ReadOnly and Threads are its own, and must be unset")
	}
	if n := len(opts.MaskKey); n > 0 && n < minMaskKey {
		return fmt.Errorf("engine: Options.MaskKey must be at least %d bytes, not %d: a short key lets hashes be reversed by trying every key", minMaskKey, n)
	}
	if !IsPostgres(opts.Database) {
		if opts.MaxConnections != 0 {
			return errors.New("engine: Options.MaxConnections is for PostgreSQL; DuckDB runs in this process")
		}
		return nil
	}
	var duck []string
	for name, set := range map[string]bool{"Threads": opts.Threads != 0, "MemoryLimit": opts.MemoryLimit != "",
		"DataDir": opts.DataDir != "", "MaxTempSize": opts.MaxTempSize != "", "AllowedDirectories": opts.AllowedDirectories != nil} {
		if set {
			duck = append(duck, "Options."+name)
		}
	}
	slots := querySlots(opts)
	if opts.MaxConnections > 0 && opts.MaxConnections < slots {
		return fmt.Errorf("engine: Options.MaxConnections (%d) is below the queries that may run at once (%d, MaxConcurrentQueries): a query would wait for a connection past its queue time", opts.MaxConnections, slots)
	}
	if len(duck) > 0 {
		slices.Sort(duck)
		return fmt.Errorf("engine: %s configure DuckDB, and Database is a PostgreSQL server: unset them (PostgreSQL's own settings and grants do these jobs there)", strings.Join(duck, ", "))
	}
	return nil
}

// New opens the database, runs Setup, loads the model and checks every
// table source and field against the database, then locks DuckDB down. On
// failure nothing stays open. A model error is a *ModelError listing
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
	if err := checkOptions(opts); err != nil {
		return nil, err
	}
	var db *sql.DB
	var be backend
	if !opts.Offline {
		if db, be, err = openBackend(ctx, opts); err != nil {
			return nil, err
		}
	}
	e := &Engine{db: db, be: be, encoded: true, keys: keys, dialect: dialectOf(opts.Database), log: log, zone: zone, embedder: opts.Embedder,
		queryTimeout: opts.QueryTimeout, queueTimeout: opts.QueueTimeout,
		stmts: newStmtCache(db, defaultStatements, defaultStatementBytes)}
	e.stmts.log = log
	if e.queryTimeout <= 0 {
		e.queryTimeout = DefaultQueryTimeout
	}
	if e.queueTimeout <= 0 {
		e.queueTimeout = DefaultQueueTimeout
	}
	e.slots = newSlots(querySlots(opts), opts.MaxSlotsPerUser)
	e.buffers = newBufferPool(opts.BufferMemory, opts.BufferDisk, opts.MaxAnswersPerUser, opts.DataDir)
	if opts.AuditLog != nil {
		e.audit = &auditLog{w: opts.AuditLog}
	}
	maskKey := opts.MaskKey
	if len(maskKey) == 0 {
		maskKey = make([]byte, 32)
		rand.Read(maskKey)
	}
	e.planOpts = sqlgen.Options{Dialect: e.dialect, TimeZone: zone, WeekStart: opts.WeekStart, Now: opts.Now,
		MaxRows: opts.MaxRows, MaxAggregatedRows: opts.MaxAggregatedRows, MaskKey: hex.EncodeToString(maskKey)}
	if e.planOpts.Now == nil {
		// To the second: a rolling period ("the last 30 minutes") asked
		// again within the second is the same question, with the same key
		// in the result cache.
		e.planOpts.Now = func() time.Time { return time.Now().Truncate(time.Second) }
	}
	if opts.Cache.TTL > 0 {
		size := opts.Cache.MaxBytes
		if size <= 0 {
			size = DefaultCacheBytes
		}
		e.cache = rcache.New(size, opts.Cache.TTL, opts.Now)
	}
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
		db, done, err := e.be.setupDB(ctx)
		if err != nil {
			return fmt.Errorf("engine: setup: %w", err)
		}
		err = opts.Setup(ctx, db)
		done()
		if err != nil {
			return fmt.Errorf("engine: setup: %w", err)
		}
	}
	s, err := e.load(ctx, opts, 1)
	if err != nil {
		return err
	}
	if err := e.be.lockDown(ctx, s.model); err != nil {
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
	if e.be != nil {
		lopts.Describe = func(src semantic.Source) ([]semantic.SourceColumn, error) { return e.be.describe(ctx, src) }
	} else {
		files := &fileDescriber{}
		defer files.close()
		lopts.Describe = func(src semantic.Source) ([]semantic.SourceColumn, error) { return files.describe(ctx, src) }
	}
	var err error
	if lopts.IDs, err = readIDs(opts); err != nil {
		return nil, err
	}
	m, err := semantic.ParsePartial(opts.ModelFile, modelYAML, lopts)
	if err != nil {
		return nil, e.withPolicyProblems(opts, m, err)
	}
	if m.PositionalIDs && generation == 1 {
		e.log.Warn("field ids are positions: adding a field moves the ids after it; run agentlayer ids update to keep them stable", "model", opts.ModelFile)
	}
	s := &state{model: m, unrestricted: opts.Unrestricted,
		everything: permissions.Everything(m), nothing: permissions.Nothing(),
		tokens:     lru.New[string, openedToken](tokenCacheSize),
		visibility: lru.New[*permissions.Grant, [32]byte](tokenCacheSize),
		version:    Version{Model: digest(modelYAML), Generation: generation, Loaded: time.Now()}}
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

// withPolicyProblems adds to a model's problems those of the policy that
// do not depend on its broken tables, checked against the partial model m,
// so that an author sees both in one run.
func (e *Engine) withPolicyProblems(opts Options, m *semantic.Model, modelErr error) error {
	if m == nil {
		return modelErr
	}
	policyYAML := opts.PolicyYAML
	if policyYAML == nil && opts.PolicyFile != "" {
		var err error
		if policyYAML, err = os.ReadFile(opts.PolicyFile); err != nil {
			return modelErr
		}
	}
	if policyYAML == nil {
		return modelErr
	}
	_, err := permissions.Compile(opts.PolicyFile, policyYAML, m, permissions.Options{Dialect: e.dialect})
	if err == nil || errors.Is(err, permissions.ErrPartialModel) {
		return modelErr
	}
	return errors.Join(modelErr, err)
}

// readIDs reads the model's id lock: Options.IDsYAML, or the file beside
// ModelFile when the model is read from there; nil for none.
func readIDs(opts Options) (*semantic.IDLock, error) {
	file := semantic.LockFile(opts.ModelFile)
	switch {
	case opts.IDsYAML != nil:
		return semantic.ParseIDLock(file, opts.IDsYAML)
	case opts.ModelYAML == nil && opts.ModelFile != "":
		return semantic.ReadIDLock(file)
	}
	return nil, nil
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
	if e.cache != nil {
		e.cache.Invalidate() // the answers of the previous set are unreachable: free them
	}
	e.log.Info("reloaded", "model", opts.ModelFile, "model_version", s.version.Model, "policy_version", s.version.Policy, "generation", s.version.Generation)
	return nil
}

// Warnings are what the model and policy being served may mean otherwise
// than they say, though they are valid, each at its file:line:col
// (agentlayer validate prints them).
func (e *Engine) Warnings() []string {
	if ps := e.cur.Load().policies; ps != nil {
		return ps.Warnings()
	}
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
			q := fmt.Sprintf("SELECT count(%[1]s) - count(DISTINCT %[1]s) FROM %[2]s AS src", e.dialect.QuoteIdent(pk.Column), e.dialect.Source(pk.Table.Source))
			var dup int64
			if err := e.be.checkDB().QueryRowContext(ctx, q).Scan(&dup); err != nil {
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

// checkSources reads nothing of every table source but binds it, under
// the lockdown: a source that reads a file outside the allowed directories
// fails here, at start, with its position, rather than at a user's query.
func (e *Engine) checkSources(ctx context.Context, m *semantic.Model) error {
	var problems []semantic.Problem
	for _, t := range m.Tables {
		rows, err := e.be.checkDB().QueryContext(ctx, "SELECT * FROM "+e.dialect.Source(t.Source)+" AS src LIMIT 0")
		if err != nil {
			problems = append(problems, semantic.Problem{Pos: t.Source.Pos, Msg: e.be.unreadable(t, err)})
			continue
		}
		rows.Close()
	}
	return semantic.NewError(problems)
}

// The model an engine serves is its commands' and tests' to read
// (internal/enginemodel), not its embedders'.
func init() {
	enginemodel.Register(func(x any) *semantic.Model { return x.(*Engine).cur.Load().model })
}

// Close releases the database, and the data directory the engine made. It
// must be called once the Engine is no longer used.
func (e *Engine) Close() error {
	var err error
	if e.db != nil {
		err = e.db.Close()
	}
	if e.be != nil {
		e.be.close()
	}
	return err
}

// CheckData checks what the policies assume of the data's shape, and says
// in words what does not hold: an aggregate grant whose minimum group size
// no group along one of its table's relationships can reach (5 doctors per
// clinic, groups of 10: every answer by clinic is empty). agentlayer
// validate --db prints it.
func (e *Engine) CheckData(ctx context.Context) ([]string, error) {
	s := e.cur.Load()
	if e.db == nil || s.policies == nil {
		return nil, nil
	}
	var out []string
	for _, a := range s.policies.AggregateGrants() {
		for _, fk := range a.Table.ForeignKeys() {
			q := fmt.Sprintf("SELECT max(n) FROM (SELECT count(*) AS n FROM %s AS src WHERE %s IS NOT NULL GROUP BY %s) AS g",
				e.dialect.Source(a.Table.Source), e.dialect.QuoteIdent(fk.Column), e.dialect.QuoteIdent(fk.Column))
			var most sql.NullInt64
			if err := e.be.checkDB().QueryRowContext(ctx, q).Scan(&most); err != nil {
				return nil, fmt.Errorf("engine: check %s: %w", fk, err)
			}
			if most.Valid && most.Int64 < int64(a.MinGroup) {
				out = append(out, fmt.Sprintf("%s: policy %s grants aggregates of %s in groups of %d, but at most %d rows of %s share one %s (by %s): every group of %s by a field of %s holds fewer, and is left out; lower min_group_size, or ask by something coarser",
					a.Pos, a.Policy, a.Table.Name, a.MinGroup, most.Int64, a.Table.Name, fk.References.Table.Name, fk.Name, a.Table.Name, fk.References.Table.Name))
			}
		}
	}
	return out, nil
}
