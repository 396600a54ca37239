package main

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/agentlayer/agentlayer/internal/enginemodel"
	"github.com/agentlayer/agentlayer/pgwire"
	"github.com/agentlayer/agentlayer/semantic"

	_ "github.com/jackc/pgx/v5/stdlib" // postgres:// --db and --state

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/agentlayer/agentlayer/agentapi"
	"github.com/agentlayer/agentlayer/auth"
	"github.com/agentlayer/agentlayer/console"
	"github.com/agentlayer/agentlayer/engine"
	"github.com/agentlayer/agentlayer/fixtures"
	"github.com/agentlayer/agentlayer/internal/httpapi"
	"github.com/agentlayer/agentlayer/internal/yamldoc"
	"github.com/agentlayer/agentlayer/mcp"
)

const serveHelp = `
Serves the Agent API under /api/agent (and the /auth/sso session exchange),
and MCP at /api/agent/mcp (Streamable HTTP, authenticated as the Agent API),
over a semantic model, with embedded DuckDB executing the queries; /healthz
and /readyz answer without credentials, and Prometheus metrics are served
on --metrics-addr only.

With no --model, serves a built-in sample dataset, generated in memory at
start at --scale: --sample shop (the default, a shop shaped like Metabase's
Sample Database) or --sample saas (a software business whose policy follows
chains of relationships: event → user → account → partner).

With --db postgres://…, queries run on that PostgreSQL server instead of
DuckDB, with the same model, policies and answers; the sample must have been
loaded there first (agentlayer fixtures load [--sample saas] --db postgres://…). The DuckDB
flags (--threads, --memory-limit, --data-dir, --max-temp-size, --allow-dir)
do not apply; --max-connections bounds the connections.

Answers are kept in a result cache (--cache-ttl, --cache-mib) shared by the
users whose access to what a question reads is the same; a reload empties it.

Signals: SIGHUP reloads the model, the policy and the user directory (as
--watch does when a file changes); a broken file keeps the previous set
serving and logs every problem. SIGUSR1 empties the result cache: send it
after writing to the database. SIGTERM and SIGINT stop accepting, let open
requests finish for --shutdown-timeout, then cancel them and exit 0.`

// DefaultShutdownTimeout is how long open requests may take to finish on
// SIGTERM.
const DefaultShutdownTimeout = 10 * time.Second

var (
	secretEnv   = envVar{"AGENTLAYER_JWT_SECRET", "the JWT shared secret (HS256, at least 32 bytes); --jwt-secret-file takes precedence"}
	tokenKeyEnv = envVar{"AGENTLAYER_TOKEN_KEY", "the key that signs query tokens (at least 16 bytes); --token-key-file takes precedence"}
)

// serveFlags are serve's settings, as parsed.
type serveFlags struct {
	modelFlags
	identityFlags
	addr, memory, dataDir, maxTemp, secretFile, usersFile     string
	sqlAddr, sqlTLSCert, sqlTLSKey                            string
	sqlMaxRows                                                int
	mcpAnswerWithin, asyncQueryTimeout                        time.Duration
	stateFile, emailClaim, groupsClaim, logLevel, metricsAddr string
	tokenKeyFile, auditLog, maskKeyFile                       string
	readOnly, requireKnown, watch, console                    bool
	threads, maxQueries, maxRows, maxAggRows, maxConns        int
	sessionTTL, leeway, queryTimeout, shutdownTimeout         time.Duration
	mcpResultBytes, maxSlotsPerUser, maxAnswersPerUser        int
	cacheTTL                                                  time.Duration
	cacheMiB, bufferMiB, bufferDiskMiB                        int64
	mappings                                                  kv
	previousKeys, allowDirs                                   list
}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f, err := parseServeFlags(args, stdout)
	if err != nil {
		return err
	}
	return f.run(ctx, stderr)
}

func parseServeFlags(args []string, stdout io.Writer) (*serveFlags, error) {
	f := &serveFlags{}
	fs := newFlags("serve", "agentlayer serve [flags]", serveHelp, []envVar{secretEnv, tokenKeyEnv}, stdout)
	fs.StringVar(&f.addr, "addr", "127.0.0.1:3000", "`address` to listen on")
	f.modelFlags.register(fs, true)
	fs.BoolVar(&f.readOnly, "read-only", false, "open --db read-only")
	fs.IntVar(&f.threads, "threads", 0, "DuckDB worker threads (default: one per core)")
	fs.StringVar(&f.memory, "memory-limit", "", "DuckDB memory limit, e.g. 4GB (default: 60% of the machine's or container's memory, leaving the rest to Go)")
	fs.StringVar(&f.dataDir, "data-dir", "", "`directory` where DuckDB spills what does not fit in memory (default: a new temporary directory)")
	fs.StringVar(&f.maxTemp, "max-temp-size", "", "cap on what DuckDB may spill, e.g. 20GB (default: 90% of the free disk)")
	fs.Var(&f.allowDirs, "allow-dir", "a `directory` DuckDB may read files from, besides those of the model's sources (repeatable)")
	fs.IntVar(&f.maxConns, "max-connections", 0, fmt.Sprintf("connections to a PostgreSQL --db at most (default %d)", engine.DefaultMaxConnections))
	fs.StringVar(&f.secretFile, "jwt-secret-file", "", "`file` holding the JWT shared secret (default: $AGENTLAYER_JWT_SECRET; none: a random one for this process)")
	fs.StringVar(&f.usersFile, "users", "", "user directory `file` (default: the sample's users when serving the sample)")
	fs.BoolVar(&f.requireKnown, "require-known-users", false, "refuse tokens of users not in the directory")
	fs.StringVar(&f.stateFile, "state", "", "where sessions live across restarts: a `file`, or a PostgreSQL postgres:// URL that several serve processes share (default: in memory)")
	fs.DurationVar(&f.sessionTTL, "session-ttl", auth.DefaultSessionTTL, "how long a session lasts")
	fs.StringVar(&f.emailClaim, "jwt-email-claim", auth.DefaultEmailClaim, "JWT claim holding the user's email")
	fs.StringVar(&f.groupsClaim, "jwt-groups-claim", auth.DefaultGroupsClaim, "JWT claim holding the user's groups")
	fs.DurationVar(&f.leeway, "jwt-leeway", auth.DefaultLeeway, "clock skew allowed on a JWT's iat, exp and nbf")
	fs.Var(&f.mappings, "group-mapping", "map a JWT group (or a provider's group id) to one of ours, `jwt=ours` (repeatable)")
	f.identityFlags.register(fs)
	fs.StringVar(&f.logLevel, "log-level", "info", "log `level`: debug, info, warn or error")
	fs.DurationVar(&f.queryTimeout, "query-timeout", engine.DefaultQueryTimeout, "end a query that runs longer")
	fs.IntVar(&f.maxQueries, "max-concurrent-queries", 0, "queries running at once; more wait briefly, then get 503 (default: one per core)")
	fs.IntVar(&f.maxSlotsPerUser, "max-slots-per-user", 0, "query slots one user holds while others wait; waiters are served across users in turn (default: all but one, at least 1)")
	fs.IntVar(&f.maxAnswersPerUser, "max-answers-per-user", engine.DefaultAnswersPerUser, "answers one user may have open (started, not yet read) at once; past it 503")
	fs.Int64Var(&f.bufferMiB, "buffer-mib", engine.DefaultBufferMemory>>20, "memory, in MiB, the rows of answers being read may take in all (a slot is freed when the database is done, however slowly the client reads); past it rows go to temporary files")
	fs.Int64Var(&f.bufferDiskMiB, "buffer-disk-mib", engine.DefaultBufferDisk>>20, "temporary file space, in MiB, the rows of answers being read may take in all; past it an answer fails with 503")
	fs.IntVar(&f.maxRows, "max-rows", engine.DefaultMaxRows, "row cap of a query without aggregation")
	fs.IntVar(&f.maxAggRows, "max-aggregated-rows", engine.DefaultMaxAggregatedRows, "row cap of an aggregated query")
	fs.StringVar(&f.tokenKeyFile, "token-key-file", "", "`file` holding the key that signs query tokens (default: $AGENTLAYER_TOKEN_KEY; none: a random key, so tokens end with the process)")
	fs.Var(&f.previousKeys, "previous-token-key-file", "`file` holding a former token key that still verifies, for rotation (repeatable)")
	fs.BoolVar(&f.console, "console", false, "serve the console at /console: what each user sees and why, as tables and charts (with a user picker when --addr is a loopback address, opened with the key in the URL logged)")
	fs.BoolVar(&f.watch, "watch", false, "reload the model, policy and user directory when one of their files changes")
	fs.StringVar(&f.metricsAddr, "metrics-addr", "", "`address` serving Prometheus metrics at /metrics (default: none; never on --addr)")
	fs.StringVar(&f.maskKeyFile, "mask-key-file", "", "`file` holding the key of the hash mask; share it between processes so that hashes agree (default: $AGENTLAYER_MASK_KEY; none: a random key, so hashes change with each start)")
	fs.StringVar(&f.auditLog, "audit-log", "", "write one JSON line per query that reads data (user, endpoint, tables, policies, plan fingerprint, rows, outcome; never a value) to this `file`, or - for stderr")
	fs.IntVar(&f.mcpResultBytes, "mcp-result-bytes", mcp.DefaultMaxResultBytes, "byte budget of one MCP tool result: past it rows are cut, and a cursor continues")
	fs.DurationVar(&f.mcpAnswerWithin, "mcp-answer-within", mcp.DefaultAnswerWithin, "how long an MCP query call waits for its answer before it answers with a handle for get_result while the query goes on (MCP clients cut calls off at about a minute); negative: always wait")
	fs.DurationVar(&f.asyncQueryTimeout, "async-query-timeout", mcp.DefaultAsyncTimeout, "how long an MCP query that outlived its call may go on")
	fs.DurationVar(&f.cacheTTL, "cache-ttl", engine.DefaultCacheTTL, "how long the result cache keeps an answer; data written by others shows after this at most (SIGUSR1 drops every answer now); 0 turns the cache off")
	fs.Int64Var(&f.cacheMiB, "cache-mib", engine.DefaultCacheBytes>>20, "memory the result cache may take, in MiB; the least recently used answers go first")
	fs.StringVar(&f.sqlAddr, "sql-addr", "", "`address` serving SQL over PostgreSQL's wire protocol (psql, JDBC, ODBC, BI tools); user: an email, password: a JWT or a session token (default: off)")
	fs.StringVar(&f.sqlTLSCert, "sql-tls-cert", "", "TLS certificate `file` for --sql-addr (required, with --sql-tls-key, unless --sql-addr is a loopback address)")
	fs.StringVar(&f.sqlTLSKey, "sql-tls-key", "", "TLS key `file` for --sql-addr")
	fs.IntVar(&f.sqlMaxRows, "sql-max-rows", pgwire.DefaultMaxRows, "the most rows a SQL statement answers: past it the answer ends with an error, never short")
	fs.DurationVar(&f.shutdownTimeout, "shutdown-timeout", DefaultShutdownTimeout, "on SIGTERM, how long open requests may take to finish before they are cancelled")
	if err := parse(fs, args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, usagef("unexpected argument %q", fs.Arg(0))
	}
	explicit := explicitFlags(fs)
	if err := f.modelFlags.check(explicit); err != nil {
		return nil, err
	}
	if err := checkDatabaseFlags(engine.IsPostgres(f.dbFile), explicit); err != nil {
		return nil, err
	}
	if err := f.identityFlags.check(explicit); err != nil {
		return nil, err
	}
	if _, err := newLogger(f.logLevel, io.Discard); err != nil {
		return nil, usagef("%v", err)
	}
	return f, nil
}

func (f *serveFlags) run(ctx context.Context, stderr io.Writer) error {
	log, err := newLogger(f.logLevel, stderr)
	if err != nil {
		return err
	}
	// SIGUSR1 empties the result cache. Caught from the start to the end,
	// so that one sent while loading or shutting down (an ETL hook's) does
	// not kill the process, as its default action would.
	usr1 := make(chan os.Signal, 1)
	signal.Notify(usr1, syscall.SIGUSR1)
	defer signal.Stop(usr1)
	opts, err := f.engineOptions(log)
	if err != nil {
		return err
	}
	verifier, cleanup, err := f.verifier(log, stderr)
	if err != nil {
		return err
	}
	defer cleanup()
	defer verifier.Close()
	sessions, closeStore, err := f.sessions(ctx, log)
	if err != nil {
		return err
	}
	defer closeStore()
	start := time.Now()
	e, err := engine.New(ctx, opts)
	if err != nil {
		var me *engine.ModelError
		if f.sample != nil && engine.IsPostgres(f.dbFile) && errors.As(err, &me) {
			load := "agentlayer fixtures load --db URL"
			if f.sample != fixtures.Shop {
				load = "agentlayer fixtures load --sample " + f.sample.Name + " --db URL"
			}
			return fmt.Errorf("%w\nThe sample tables are not in that database: load them first with %s", err, load)
		}
		return err
	}
	defer e.Close()
	v := e.Version()
	log.Info("model loaded", "model", opts.ModelFile, "tables", len(enginemodel.Of(e).Tables), "model_version", v.Model, "policy_version", v.Policy,
		"duration", time.Since(start).Round(time.Millisecond))

	var reg *prometheus.Registry
	if f.metricsAddr != "" {
		reg = prometheus.NewRegistry()
		reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	keySetMetrics(metricsRegisterer(reg), verifier)
	oauth := f.oauth()
	handler := withMCP(agentapi.New(e, agentapi.Options{Verifier: verifier, Sessions: sessions, Logger: log, Metrics: metricsRegisterer(reg)}),
		mcp.New(e, mcp.Options{Verifier: verifier, Sessions: sessions, Logger: log, MaxResultBytes: f.mcpResultBytes,
			AnswerWithin: f.mcpAnswerWithin, AsyncTimeout: f.asyncQueryTimeout, OAuth: oauth}), oauth)
	consolePath := "" // the console's URL path, with the picker's key: none without --console
	if f.console {
		copts := console.Options{Picker: console.LoopbackOnly(f.addr) && verifier.Directory() != nil, Verifier: verifier, Sessions: sessions, Logger: log}
		consolePath = console.Path
		if copts.Picker {
			// The picker's key, in the URL printed for the author: every
			// local user reaches a loopback listener too.
			copts.PickerKey = console.NewKey()
			consolePath += "#key=" + copts.PickerKey
		}
		handler = withConsole(handler, console.New(copts))
	}
	endInactive(ctx, verifier.Directory(), sessions, log)
	reloads := f.reloadSignals(ctx, log)
	go f.reloadLoop(ctx, reloads, e, opts, verifier, sessions, log)
	go invalidateOnSignal(ctx, usr1, e, log)
	if reg != nil {
		stop, err := serveMetrics(f.metricsAddr, reg, log)
		if err != nil {
			return err
		}
		defer stop()
	}
	if f.sqlAddr != "" {
		stop, err := f.serveSQL(e, &httpapi.Authenticator{Verifier: verifier, Sessions: sessions, Log: log}, log)
		if err != nil {
			return err
		}
		defer stop()
	}
	return f.listen(ctx, handler, consolePath, log)
}

// MCPPath is where serve answers MCP (Streamable HTTP), beside the Agent
// API.
const MCPPath = "/api/agent/mcp"

// withMCP serves MCP at MCPPath and the Agent API everywhere else; with
// OAuth, MCP's resource metadata at its RFC 9728 paths.
func withMCP(api, m http.Handler, oauth *mcp.OAuthOptions) http.Handler {
	mux := http.NewServeMux()
	mux.Handle(MCPPath, m)
	if oauth != nil {
		meta := oauth.MetadataHandler()
		mux.Handle(oauth.MetadataPath(), meta)
		mux.Handle(mcp.MetadataPrefix, meta)
	}
	mux.Handle("/", api)
	return mux
}

// withConsole mounts the console beside the API.
func withConsole(api, c http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle(console.Path, c)
	mux.Handle("/console", c)
	mux.Handle("/", api)
	return mux
}

// metricsRegisterer is reg as a Registerer, nil when there is none (a nil
// *Registry in an interface would not be nil).
func metricsRegisterer(reg *prometheus.Registry) prometheus.Registerer {
	if reg == nil {
		return nil
	}
	return reg
}

// checkDatabaseFlags refuses the flags of the other database.
func checkDatabaseFlags(postgres bool, explicit map[string]bool) error {
	own, other := []string{"threads", "memory-limit", "data-dir", "max-temp-size", "allow-dir"}, "a PostgreSQL server"
	if !postgres {
		own, other = []string{"max-connections"}, "DuckDB, in this process"
	}
	for _, name := range own {
		if explicit[name] {
			return usagef("--%s does not apply: --db is %s", name, other)
		}
	}
	return nil
}

// openEngine opens the engine the flags describe.
func (f *serveFlags) openEngine(ctx context.Context, log *slog.Logger) (*engine.Engine, error) {
	opts, err := f.engineOptions(log)
	if err != nil {
		return nil, err
	}
	return engine.New(ctx, opts)
}

// engineOptions are the engine's options as the flags say.
func (f *serveFlags) engineOptions(log *slog.Logger) (engine.Options, error) {
	opts := f.modelFlags.options()
	opts.ReadOnly, opts.Threads, opts.MemoryLimit = f.readOnly, f.threads, f.memory
	opts.DataDir, opts.MaxTempSize, opts.AllowedDirectories = f.dataDir, f.maxTemp, f.allowDirs
	opts.QueryTimeout, opts.MaxConcurrentQueries = f.queryTimeout, f.maxQueries
	opts.MaxSlotsPerUser, opts.MaxAnswersPerUser = f.maxSlotsPerUser, f.maxAnswersPerUser
	opts.BufferMemory, opts.BufferDisk = f.bufferMiB<<20, f.bufferDiskMiB<<20
	opts.MaxRows, opts.MaxAggregatedRows, opts.Logger = f.maxRows, f.maxAggRows, log
	opts.MaxConnections = f.maxConns
	switch f.auditLog {
	case "":
	case "-":
		opts.AuditLog = os.Stderr
	default:
		file, err := os.OpenFile(f.auditLog, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return opts, fmt.Errorf("--audit-log: %w", err)
		}
		opts.AuditLog = file // open for the life of the process
	}
	if f.sample != nil && !engine.IsPostgres(f.dbFile) {
		opts.Setup = f.sample.Setup(f.scale)
	}
	if f.cacheTTL > 0 && f.cacheMiB < 1 {
		return opts, usagef("--cache-mib must be at least 1, not %d (--cache-ttl 0 turns the cache off)", f.cacheMiB)
	}
	opts.Cache = engine.CacheOptions{TTL: f.cacheTTL, MaxBytes: f.cacheMiB << 20}
	maskKey, err := readKey(f.maskKeyFile, "AGENTLAYER_MASK_KEY")
	if err != nil {
		return opts, err
	}
	if maskKey != "" {
		opts.MaskKey = []byte(maskKey)
	}
	key, err := readKey(f.tokenKeyFile, tokenKeyEnv.name)
	if err != nil {
		return opts, err
	}
	if key != "" {
		opts.TokenKey = []byte(key)
	}
	for _, file := range f.previousKeys {
		key, err := readKey(file, "")
		if err != nil {
			return opts, err
		}
		opts.PreviousTokenKeys = append(opts.PreviousTokenKeys, []byte(key))
	}
	return opts, nil
}

// verifier builds the JWT verifier; without a secret, it makes one for the
// process and prints the command that mints tokens for it. cleanup removes
// what it made.
func (f *serveFlags) verifier(log *slog.Logger, stderr io.Writer) (*auth.Verifier, func(), error) {
	cleanup := func() {}
	vopts := auth.VerifierOptions{EmailClaim: f.emailClaim, GroupsClaim: f.groupsClaim, RequireKnownUsers: f.requireKnown, Leeway: f.leeway}
	if f.leeway == 0 {
		vopts.Leeway = -1 // none, rather than the default
	}
	for _, m := range f.mappings {
		from, to, _ := strings.Cut(m, "=")
		if vopts.GroupMappings == nil {
			vopts.GroupMappings = map[string][]string{}
		}
		vopts.GroupMappings[from] = append(vopts.GroupMappings[from], to)
	}
	var err error
	if vopts.Directory, err = f.directory(); err != nil {
		return nil, cleanup, err
	}
	secret, err := readKey(f.secretFile, secretEnv.name)
	if err != nil {
		return nil, cleanup, err
	}
	vopts.Provider = f.provider(log)
	vopts.Logger = log
	if secret == "" && vopts.Provider != nil {
		// The provider's tokens only: no secret, no HS256.
		log.Info("no JWT secret configured: HS256 tokens are refused; the identity provider's are accepted", "issuer", f.issuer)
		v, err := auth.NewVerifier(vopts)
		return v, cleanup, err
	}
	if secret == "" {
		var file string
		if secret, file, err = randomSecret(); err != nil {
			return nil, cleanup, err
		}
		cleanup = func() { os.Remove(file) }
		log.Warn("no JWT secret configured: generated a random one for this process; set " + secretEnv.name + " to keep one")
		example := fixtures.Shop.ExampleUser
		if f.sample != nil {
			example = f.sample.ExampleUser
		}
		fmt.Fprintf(stderr, "\nMint a token for this server with:\n\n  %s token --jwt-secret-file %s --email %s\n\n", selfCommand(), file, example)
	}
	vopts.Secret = []byte(secret)
	v, err := auth.NewVerifier(vopts)
	return v, cleanup, err
}

// directory reads the user directory: --users, or the sample's when
// serving the sample; nil for none.
func (f *serveFlags) directory() (*auth.Directory, error) {
	switch {
	case f.usersFile != "":
		return auth.LoadDirectory(f.usersFile)
	case f.sample != nil:
		return auth.ParseDirectory(f.sample.UsersFile, f.sample.Users())
	}
	return nil, nil
}

// sessions opens the session store: a PostgreSQL table with a
// postgres:// --state, shared by every process given the same URL; a
// journal file with another --state; else memory. closeStore flushes and
// closes it.
func (f *serveFlags) sessions(ctx context.Context, log *slog.Logger) (*auth.Sessions, func(), error) {
	sopts := auth.SessionOptions{TTL: f.sessionTTL}
	closeStore := func() {}
	if engine.IsPostgres(f.stateFile) {
		db, err := sql.Open("pgx", f.stateFile)
		if err != nil {
			return nil, closeStore, err
		}
		db.SetMaxOpenConns(4)
		store, err := auth.OpenPostgresStore(ctx, db, auth.PostgresStoreOptions{Logger: log})
		if err != nil {
			db.Close()
			return nil, closeStore, fmt.Errorf("--state: %w", err)
		}
		closeStore = func() {
			store.Close()
			db.Close()
		}
		sopts.Store = store
		return auth.NewSessions(sopts), closeStore, nil
	}
	if f.stateFile != "" {
		store, err := auth.OpenFileStore(f.stateFile, 0, time.Now())
		if err != nil {
			return nil, closeStore, err
		}
		if r := store.LoadReport(); len(r.Damaged) > 0 {
			log.Warn("session state: damaged records dropped; each loses one change", "file", f.stateFile, "lines", r.Damaged, "sessions", r.Sessions)
		}
		closeStore = func() {
			if err := store.Close(); err != nil {
				log.Error("session state: flush failed", "err", err.Error())
			}
		}
		sopts.Store = store
	}
	return auth.NewSessions(sopts), closeStore, nil
}

// invalidateOnSignal empties the result cache on each SIGUSR1: send it
// after writing to the database.
func invalidateOnSignal(ctx context.Context, usr1 <-chan os.Signal, e *engine.Engine, log *slog.Logger) {
	for {
		select {
		case <-usr1:
			e.Invalidate()
			log.Info("result cache emptied", "signal", "SIGUSR1")
		case <-ctx.Done():
			return
		}
	}
}

// reloadSignals delivers a value on each SIGHUP, and with --watch on each
// change of the model, policy or user directory file.
func (f *serveFlags) reloadSignals(ctx context.Context, log *slog.Logger) <-chan string {
	out := make(chan string, 1)
	send := func(why string) {
		select {
		case out <- why:
		default: // a reload is already pending
		}
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	go func() {
		defer signal.Stop(hup)
		for {
			select {
			case <-hup:
				send("SIGHUP")
			case <-ctx.Done():
				return
			}
		}
	}()
	if f.watch {
		var files []string
		for _, file := range []string{f.model, f.policy, f.usersFile} {
			if file != "" {
				files = append(files, file)
			}
		}
		go watchFiles(ctx, files, time.Second, send)
		log.Info("watching for changes", "files", files)
	}
	return out
}

// watchFiles polls files every interval and calls changed when one of them
// has a new size or modification time.
func watchFiles(ctx context.Context, files []string, interval time.Duration, changed func(string)) {
	stamp := func() string {
		var b strings.Builder
		for _, file := range files {
			if info, err := os.Stat(file); err == nil {
				fmt.Fprintf(&b, "%s %d %d;", file, info.Size(), info.ModTime().UnixNano())
			}
		}
		return b.String()
	}
	last := stamp()
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if now := stamp(); now != last {
				last = now
				changed("a file changed")
			}
		}
	}
}

// reloadLoop reloads the model, policy and user directory for each value
// of reloads, until ctx ends.
func (f *serveFlags) reloadLoop(ctx context.Context, reloads <-chan string, e *engine.Engine, opts engine.Options, v *auth.Verifier, sessions *auth.Sessions, log *slog.Logger) {
	for {
		select {
		case <-ctx.Done():
			return
		case why := <-reloads:
			log.Info("reloading", "why", why)
			if err := e.Reload(ctx, opts); err != nil {
				logProblems(log, "reload refused: the previous model and policy keep serving", err)
			}
			if dir, err := f.directory(); err != nil {
				logProblems(log, "reload refused: the previous user directory keeps serving", err)
			} else if err := v.SetDirectory(dir); err != nil {
				log.Error("reload refused: the previous user directory keeps serving", "err", err.Error())
			} else {
				endInactive(ctx, dir, sessions, log)
			}
		}
	}
}

// endInactive ends, for good, the sessions of the users the directory
// marks inactive: made active again, they sign in anew.
func endInactive(ctx context.Context, dir *auth.Directory, sessions *auth.Sessions, log *slog.Logger) {
	if dir == nil {
		return
	}
	for _, u := range dir.Users() {
		if !u.Active {
			if err := sessions.EndUser(ctx, u.Email); err != nil {
				log.Error("cannot end an inactive user's sessions", "user", u.Email, "err", err.Error())
			}
		}
	}
}

// logProblems logs an error; a model, policy or directory error as one
// line per problem, at its file:line:col.
func logProblems(log *slog.Logger, msg string, err error) {
	var ye interface{ All() []yamldoc.Problem }
	if !errors.As(err, &ye) {
		log.Error(msg, "err", err.Error())
		return
	}
	for _, p := range ye.All() {
		log.Error(msg, "at", p.Pos.String(), "problem", p.Msg)
	}
}

// serveMetrics serves Prometheus metrics at addr/metrics; stop shuts the
// listener down.
func serveMetrics(addr string, reg *prometheus.Registry, log *slog.Logger) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--metrics-addr: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	log.Info("serving metrics", "url", "http://"+ln.Addr().String()+"/metrics")
	return func() { srv.Close() }, nil
}

// listen serves handler on --addr until ctx ends, then shuts down: no new
// connection, open requests get --shutdown-timeout to finish, then their
// contexts are cancelled (cancelling their queries) and their connections
// closed. Ending this way is not an error.
func (f *serveFlags) listen(ctx context.Context, handler http.Handler, consolePath string, log *slog.Logger) error {
	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return err
	}
	base, cancelRequests := context.WithCancel(context.Background())
	defer cancelRequests()
	srv := &http.Server{
		Handler:           httpapi.Canonical(handler), // JSON, never the mux's HTML redirect
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      5 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		BaseContext:       func(net.Listener) context.Context { return base },
	}
	log.Info("serving the Agent API", "url", "http://"+ln.Addr().String()+"/api/agent", "mcp", "http://"+ln.Addr().String()+MCPPath,
		"duckdb_arrow", engine.Columnar) // false: built without the tag, answers read through database/sql
	if consolePath != "" {
		log.Info("serving the console", "url", "http://"+ln.Addr().String()+consolePath, "user_picker", strings.Contains(consolePath, "#key="))
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down", "timeout", f.shutdownTimeout)
	shutdown, cancel := context.WithTimeout(context.Background(), f.shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdown); errors.Is(err, context.DeadlineExceeded) {
		log.Warn("shutdown: cancelling the requests still open")
		cancelRequests()
		srv.Close()
	} else if err != nil {
		return err
	}
	return nil
}

// randomSecret makes a secret for this process and writes it to a file
// readable by its owner only, for agentlayer token to read.
func randomSecret() (secret, file string, err error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", "", err
	}
	secret = hex.EncodeToString(b[:])
	f, err := os.CreateTemp("", "agentlayer-secret-*")
	if err != nil {
		return "", "", err
	}
	defer f.Close()
	if _, err := f.WriteString(secret); err != nil {
		return "", "", err
	}
	return secret, f.Name(), nil
}

// selfCommand is how the user ran this program: go run's temporary binary
// is named by its package instead.
func selfCommand() string {
	if strings.Contains(os.Args[0], "go-build") {
		return "go run ./cmd/agentlayer"
	}
	return os.Args[0]
}

// readKey reads a secret from a file, else from the environment variable
// env; "" when neither holds one.
func readKey(file, env string) (string, error) {
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("read secret: %w", err)
		}
		return strings.TrimRight(string(b), "\r\n"), nil
	}
	if env == "" {
		return "", nil
	}
	return os.Getenv(env), nil
}

func newLogger(level string, w io.Writer) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l})), nil
}

// serveSQL serves SQL over PostgreSQL's wire protocol on --sql-addr:
// cleartext passwords travel only over TLS or on a loopback address.
func (f *serveFlags) serveSQL(e *engine.Engine, a *httpapi.Authenticator, log *slog.Logger) (stop func(), err error) {
	if err := sqlNames(enginemodel.Of(e)); err != nil {
		return nil, err
	}
	opts := pgwire.Options{Engine: e, Authenticate: a.Password, Recheck: a.Recheck, MaxRows: f.sqlMaxRows, Logger: log}
	switch {
	case f.sqlTLSCert != "" || f.sqlTLSKey != "":
		cert, err := tls.LoadX509KeyPair(f.sqlTLSCert, f.sqlTLSKey)
		if err != nil {
			return nil, fmt.Errorf("--sql-tls-cert, --sql-tls-key: %w", err)
		}
		opts.TLS, opts.RequireTLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, true
	case !console.LoopbackOnly(f.sqlAddr):
		return nil, fmt.Errorf("--sql-addr %s is not a loopback address: give --sql-tls-cert and --sql-tls-key, so that passwords never travel in clear", f.sqlAddr)
	}
	ln, err := net.Listen("tcp", f.sqlAddr)
	if err != nil {
		return nil, fmt.Errorf("--sql-addr: %w", err)
	}
	srv := pgwire.New(opts)
	go srv.Serve(ln)
	log.Info("serving SQL over the PostgreSQL wire protocol", "addr", ln.Addr().String(), "tls", opts.TLS != nil)
	return func() { srv.Close() }, nil
}

// sqlNames refuses a model whose names SQL cannot tell apart: SQL matches
// names without regard to case, so two tables, or two fields of a table,
// whose names differ only in case would be one.
func sqlNames(m *semantic.Model) error {
	tables := map[string]string{}
	for _, t := range m.Tables {
		if other, ok := tables[strings.ToLower(t.Name)]; ok {
			return fmt.Errorf("--sql-addr: tables %s and %s differ only in case, which SQL does not tell apart: rename one", other, t.Name)
		}
		tables[strings.ToLower(t.Name)] = t.Name
		fields := map[string]string{}
		for _, fd := range t.Fields {
			if other, ok := fields[strings.ToLower(fd.Name)]; ok {
				return fmt.Errorf("--sql-addr: fields %s.%s and %s.%s differ only in case, which SQL does not tell apart: rename one", t.Name, other, t.Name, fd.Name)
			}
			fields[strings.ToLower(fd.Name)] = fd.Name
		}
	}
	return nil
}
