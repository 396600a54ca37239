package main

import (
	"context"
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
	"github.com/agentlayer/agentlayer/engine"
	"github.com/agentlayer/agentlayer/fixtures"
)

const serveHelp = `
Serves the Agent API under /api/agent (and the /auth/sso session exchange)
over a semantic model, with embedded DuckDB executing the queries.

With no --model, serves the built-in sample dataset (a shop shaped like
Metabase's Sample Database), generated in memory at start at --scale.`

var secretEnv = envVar{"AGENTLAYER_JWT_SECRET", "the JWT shared secret (HS256, at least 32 bytes); --jwt-secret-file takes precedence"}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("serve", "agentlayer serve [flags]", serveHelp, []envVar{secretEnv}, stdout)
	addr := fs.String("addr", "127.0.0.1:3000", "`address` to listen on")
	model := fs.String("model", "", "semantic model `file` (default: the built-in sample dataset)")
	scale := fs.Float64("scale", 1, "scale factor of the built-in sample dataset (1 ≈ 19k orders, 100 ≈ 1.9M)")
	dbFile := fs.String("db", "", "DuckDB database `file` the model's tables live in (default: a new in-memory database)")
	readOnly := fs.Bool("read-only", false, "open --db read-only")
	threads := fs.Int("threads", 0, "DuckDB worker threads (default: one per core)")
	memory := fs.String("memory-limit", "", "DuckDB memory limit, e.g. 4GB (default: 80% of RAM)")
	secretFile := fs.String("jwt-secret-file", "", "`file` holding the JWT shared secret (default: $AGENTLAYER_JWT_SECRET)")
	logLevel := fs.String("log-level", "info", "log `level`: debug, info, warn or error")
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
		ModelFile:   *model,
		Database:    *dbFile,
		ReadOnly:    *readOnly,
		Threads:     *threads,
		MemoryLimit: *memory,
		Logger:      log,
	}
	if *model == "" {
		opts.ModelFile, opts.ModelYAML = fixtures.ModelFile, fixtures.Model()
		opts.Setup = fixtures.Setup(*scale)
	} else if explicit["scale"] {
		fmt.Fprintln(stderr, "serve: --scale applies to the built-in sample dataset only")
		return 2
	}
	if _, err := readSecret(*secretFile); err != nil {
		fmt.Fprintf(stderr, "serve: %v\n", err)
		return 1
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
		Handler:           agentapi.New(e, agentapi.Options{Logger: log}),
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

// readSecret reads the JWT secret from a file, else from the environment;
// "" when neither holds one.
func readSecret(file string) (string, error) {
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("read JWT secret: %w", err)
		}
		return strings.TrimRight(string(b), "\r\n"), nil
	}
	return os.Getenv(secretEnv.name), nil
}

func newLogger(level string, w io.Writer) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l})), nil
}
