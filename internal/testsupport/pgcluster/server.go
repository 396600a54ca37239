// Package pgcluster starts PostgreSQL servers of agentlayer's own, with
// initdb and pg_ctl, in temporary directories on free ports of 127.0.0.1:
// for tests that must not touch a shared server, and for the shards of
// package sharded.
package pgcluster

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the pgx driver of database/sql
)

// Server is a PostgreSQL server of agentlayer's own, started with initdb
// and pg_ctl in a directory of its own, reached through a socket there
// only, with trust authentication. As root, it runs as the postgres user.
type Server struct {
	Port    int
	dir     string
	bin     string
	asUser  string // "" runs as this process's user
	logFile string
}

// NewServer initialises a server's data directory (initdb) in a new
// directory under parent ("" for the system's temporary directory),
// without starting it. Remove deletes it.
func NewServer(parent string) (*Server, error) {
	bin, err := BinDir()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(parent, "agentlayer-pg-")
	if err != nil {
		return nil, err
	}
	s := &Server{dir: dir, bin: bin, logFile: filepath.Join(dir, "server.log")}
	if os.Geteuid() == 0 {
		// PostgreSQL refuses to run as root.
		u, err := user.Lookup("postgres")
		if err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("running as root, and there is no postgres user to run the server as: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		s.asUser = "postgres"
	}
	s.Port = 5432 // names the socket in the server's own directory
	if out, err := s.run("initdb", "-D", s.data(), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("initdb: %v\n%s", err, out)
	}
	// No TCP: the server listens only on a socket in its own directory,
	// which only its owner (and root) may enter, so trust authentication
	// admits no other local user.
	conf := fmt.Sprintf("\nport = %d\nlisten_addresses = ''\nunix_socket_directories = '%s'\nunix_socket_permissions = 0700\nfsync = off\nfull_page_writes = off\nsynchronous_commit = off\nshared_buffers = 32MB\nmax_connections = 50\n",
		s.Port, strings.ReplaceAll(s.dir, "'", "''"))
	f, err := os.OpenFile(filepath.Join(s.data(), "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	defer f.Close()
	if _, err := f.WriteString(conf); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return s, nil
}

// BinDir finds PostgreSQL's programs: $AGENTLAYER_PG_BIN, pg_config
// --bindir, or the newest /usr/lib/postgresql/*/bin.
func BinDir() (string, error) {
	if d := os.Getenv("AGENTLAYER_PG_BIN"); d != "" {
		return d, nil
	}
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		d := strings.TrimSpace(string(out))
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	for i := len(dirs) - 1; i >= 0; i-- {
		if _, err := os.Stat(filepath.Join(dirs[i], "initdb")); err == nil {
			return dirs[i], nil
		}
	}
	return "", fmt.Errorf("initdb not found (set AGENTLAYER_PG_BIN to PostgreSQL's bin directory)")
}

func (s *Server) data() string { return filepath.Join(s.dir, "data") }

// URL is the server's URL for database (postgres when ""): its socket.
func (s *Server) URL(database string) string {
	if database == "" {
		database = "postgres"
	}
	return fmt.Sprintf("postgres://postgres@/%s?host=%s&port=%d&sslmode=disable", database, url.QueryEscape(s.dir), s.Port)
}

// Dir is the directory holding the server's data and its socket.
func (s *Server) Dir() string { return s.dir }

// Start starts the server and waits until it accepts connections.
func (s *Server) Start() error {
	if out, err := s.run("pg_ctl", "-D", s.data(), "-l", s.logFile, "-w", "-t", "60", "start"); err != nil {
		log, _ := os.ReadFile(s.logFile)
		return fmt.Errorf("pg_ctl start: %v\n%s\n%s", err, out, log)
	}
	return nil
}

// Stop stops the server: fast mode ends every session at once, as a
// restart by an operator would.
func (s *Server) Stop() error {
	if out, err := s.run("pg_ctl", "-D", s.data(), "-m", "fast", "-w", "-t", "60", "stop"); err != nil {
		return fmt.Errorf("pg_ctl stop: %v\n%s", err, out)
	}
	return nil
}

// Remove stops the server if it runs and deletes its directory.
func (s *Server) Remove() {
	s.run("pg_ctl", "-D", s.data(), "-m", "immediate", "-w", "stop")
	os.RemoveAll(s.dir)
}

// Exec runs statements on database of the server.
func (s *Server) Exec(ctx context.Context, database, statements string) error {
	db, err := sql.Open("pgx", s.URL(database))
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.ExecContext(ctx, statements)
	return err
}

func (s *Server) run(program string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	path := filepath.Join(s.bin, program)
	cmd := exec.CommandContext(ctx, path, args...)
	if s.asUser != "" {
		cmd = exec.CommandContext(ctx, "runuser", append([]string{"-u", s.asUser, "--", path}, args...)...)
	}
	cmd.Dir = s.dir
	return cmd.CombinedOutput()
}
