package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/agentlayer/agentlayer/agentapi"
	"github.com/agentlayer/agentlayer/auth"
	"github.com/agentlayer/agentlayer/engine"
	"github.com/agentlayer/agentlayer/fixtures"
)

const serveHelp = `
Serves the Agent API under /api/agent (and the /auth/sso session exchange)
over a semantic model, with embedded DuckDB executing the queries.

With no --model, serves the built-in sample dataset (a shop shaped like
Metabase's Sample Database), generated in memory at start at --scale.`

var (
	secretEnv   = envVar{"AGENTLAYER_JWT_SECRET", "the JWT shared secret (HS256, at least 32 bytes); --jwt-secret-file takes precedence"}
	tokenKeyEnv = envVar{"AGENTLAYER_TOKEN_KEY", "the key that signs query tokens (at least 16 bytes); --token-key-file takes precedence"}
)

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("serve", "agentlayer serve [flags]", serveHelp, []envVar{secretEnv, tokenKeyEnv}, stdout)
	addr := fs.String("addr", "127.0.0.1:3000", "`address` to listen on")
	model := fs.String("model", "", "semantic model `file` (default: the built-in sample dataset)")
	policy := fs.String("policy", "", "policy `file`: who sees which tables, columns and rows (default: the sample's policy when serving the sample; with a model and no policy, no user sees anything)")
	scale := fs.Float64("scale", 1, "scale factor of the built-in sample dataset (1 ≈ 19k orders, 100 ≈ 1.9M)")
	dbFile := fs.String("db", "", "DuckDB database `file` the model's tables live in (default: a new in-memory database)")
	readOnly := fs.Bool("read-only", false, "open --db read-only")
	threads := fs.Int("threads", 0, "DuckDB worker threads (default: one per core)")
	memory := fs.String("memory-limit", "", "DuckDB memory limit, e.g. 4GB (default: 60% of the machine's or container's memory, leaving the rest to Go)")
	dataDir := fs.String("data-dir", "", "`directory` where DuckDB spills what does not fit in memory (default: a new temporary directory)")
	maxTemp := fs.String("max-temp-size", "", "cap on what DuckDB may spill, e.g. 20GB (default: 90% of the free disk)")
	var allowDirs list
	fs.Var(&allowDirs, "allow-dir", "a `directory` DuckDB may read files from, besides those of the model's sources (repeatable)")
	secretFile := fs.String("jwt-secret-file", "", "`file` holding the JWT shared secret (default: $AGENTLAYER_JWT_SECRET; none: a random one for this process)")
	usersFile := fs.String("users", "", "user directory `file` (default: the sample's users when serving the sample)")
	requireKnown := fs.Bool("require-known-users", false, "refuse tokens of users not in the directory")
	stateFile := fs.String("state", "", "`file` keeping sessions across restarts (default: sessions in memory)")
	sessionTTL := fs.Duration("session-ttl", auth.DefaultSessionTTL, "how long a session lasts")
	emailClaim := fs.String("jwt-email-claim", auth.DefaultEmailClaim, "JWT claim holding the user's email")
	groupsClaim := fs.String("jwt-groups-claim", auth.DefaultGroupsClaim, "JWT claim holding the user's groups")
	leeway := fs.Duration("jwt-leeway", auth.DefaultLeeway, "clock skew allowed on a JWT's iat, exp and nbf")
	var mappings kv
	fs.Var(&mappings, "group-mapping", "map a JWT group to one of ours, `jwt=ours` (repeatable)")
	logLevel := fs.String("log-level", "info", "log `level`: debug, info, warn or error")
	zone := fs.String("time-zone", "", "report time `zone` for buckets, date filters and timestamps (default UTC)")
	weekStart := fs.String("week-start", "sunday", "first `day` of week buckets")
	queryTimeout := fs.Duration("query-timeout", 30*time.Second, "end a query that runs longer")
	maxQueries := fs.Int("max-concurrent-queries", 0, "queries running at once; more wait briefly, then get 503 (default: one per core)")
	maxRows := fs.Int("max-rows", 2000, "row cap of a query without aggregation")
	maxAggRows := fs.Int("max-aggregated-rows", 10000, "row cap of an aggregated query")
	tokenKeyFile := fs.String("token-key-file", "", "`file` holding the key that signs query tokens (default: $AGENTLAYER_TOKEN_KEY; none: a random key, so tokens end with the process)")
	var previousKeys list
	fs.Var(&previousKeys, "previous-token-key-file", "`file` holding a former token key that still verifies, for rotation (repeatable)")
	if code := parse(fs, args); code >= 0 {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "serve: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	log, err := newLogger(*logLevel, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "serve: %v\n", err)
		return 2
	}
	explicit := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { explicit[f.Name] = true })
	opts := engine.Options{
		ModelFile:            *model,
		Database:             *dbFile,
		ReadOnly:             *readOnly,
		Threads:              *threads,
		MemoryLimit:          *memory,
		DataDir:              *dataDir,
		MaxTempSize:          *maxTemp,
		AllowedDirectories:   allowDirs,
		TimeZone:             *zone,
		QueryTimeout:         *queryTimeout,
		MaxConcurrentQueries: *maxQueries,
		MaxRows:              *maxRows,
		MaxAggregatedRows:    *maxAggRows,
		Logger:               log,
	}
	if opts.WeekStart, err = weekday(*weekStart); err != nil {
		fmt.Fprintf(stderr, "serve: --week-start: %v\n", err)
		return 2
	}
	if key, err := readKey(*tokenKeyFile, tokenKeyEnv.name); err != nil {
		fmt.Fprintf(stderr, "serve: %v\n", err)
		return 1
	} else if key != "" {
		opts.TokenKey = []byte(key)
	}
	for _, f := range previousKeys {
		key, err := readKey(f, "")
		if err != nil {
			fmt.Fprintf(stderr, "serve: %v\n", err)
			return 1
		}
		opts.PreviousTokenKeys = append(opts.PreviousTokenKeys, []byte(key))
	}
	opts.PolicyFile = *policy
	if *model == "" {
		opts.ModelFile, opts.ModelYAML = fixtures.ModelFile, fixtures.Model()
		opts.Setup = fixtures.Setup(*scale)
		if *policy == "" {
			opts.PolicyFile, opts.PolicyYAML = fixtures.PolicyFile, fixtures.Policy()
		}
	} else if explicit["scale"] {
		fmt.Fprintln(stderr, "serve: --scale applies to the built-in sample dataset only")
		return 2
	}
	vopts := auth.VerifierOptions{EmailClaim: *emailClaim, GroupsClaim: *groupsClaim, RequireKnownUsers: *requireKnown, Leeway: *leeway}
	if *leeway == 0 {
		vopts.Leeway = -1 // none, rather than the default
	}
	for _, m := range mappings {
		from, to, _ := strings.Cut(m, "=")
		if vopts.GroupMappings == nil {
			vopts.GroupMappings = map[string][]string{}
		}
		vopts.GroupMappings[from] = append(vopts.GroupMappings[from], to)
	}
	switch {
	case *usersFile != "":
		vopts.Directory, err = auth.LoadDirectory(*usersFile)
	case *model == "":
		vopts.Directory, err = auth.ParseDirectory(fixtures.UsersFile, fixtures.Users())
	}
	if err != nil {
		fmt.Fprintf(stderr, "serve: %v\n", err)
		return 1
	}
	secret, err := readKey(*secretFile, secretEnv.name)
	if err != nil {
		fmt.Fprintf(stderr, "serve: %v\n", err)
		return 1
	}
	if secret == "" {
		secret, *secretFile, err = randomSecret()
		if err != nil {
			fmt.Fprintf(stderr, "serve: %v\n", err)
			return 1
		}
		defer os.Remove(*secretFile)
		log.Warn("no JWT secret configured: generated a random one for this process; set " + secretEnv.name + " to keep one")
		fmt.Fprintf(stderr, "\nMint a token for this server with:\n\n  %s token --jwt-secret-file %s --email analyst@example.com\n\n", selfCommand(), *secretFile)
	}
	vopts.Secret = []byte(secret)
	verifier, err := auth.NewVerifier(vopts)
	if err != nil {
		fmt.Fprintf(stderr, "serve: %v\n", err)
		return 1
	}
	sopts := auth.SessionOptions{TTL: *sessionTTL}
	if *stateFile != "" {
		store, err := auth.OpenFileStore(*stateFile, 0, time.Now())
		if err != nil {
			fmt.Fprintf(stderr, "serve: %v\n", err)
			return 1
		}
		defer store.Close()
		if r := store.LoadReport(); len(r.Damaged) > 0 {
			log.Warn("session state: damaged records dropped; each loses one change", "file", *stateFile, "lines", r.Damaged, "sessions", r.Sessions)
		}
		sopts.Store = store
	}
	start := time.Now()
	e, err := engine.New(ctx, opts)
	if err != nil {
		fmt.Fprintf(stderr, "serve: %v\n", err)
		return 1
	}
	defer e.Close()
	log.Info("model loaded", "model", opts.ModelFile, "tables", len(e.Model().Tables), "duration", time.Since(start).Round(time.Millisecond))

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(stderr, "serve: %v\n", err)
		return 1
	}
	srv := &http.Server{
		Handler: agentapi.New(e, agentapi.Options{
			Verifier: verifier,
			Sessions: auth.NewSessions(sopts),
			Logger:   log,
		}),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      5 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
	log.Info("serving the Agent API", "url", "http://"+ln.Addr().String()+"/api/agent")
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		fmt.Fprintf(stderr, "serve: %v\n", err)
		return 1
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintf(stderr, "serve: %v\n", err)
		return 1
	}
	return 0
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
