// Package pgwire serves the model as SQL over PostgreSQL's wire protocol
// (version 3), so that psql, JDBC, ODBC, psycopg, pgx and BI tools connect
// unchanged: the third adapter, beside the Agent API and MCP. A statement
// is parsed and mapped by sqlfront onto the engine's logical request,
// which the engine plans, authorises, caches, audits and runs as it does
// the same JSON request; catalog queries are answered from the caller's
// own catalogs by an in-memory catalog engine. No text a client sends
// reaches the data database.
package pgwire

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/agentlayer/agentlayer/auth"
	"github.com/agentlayer/agentlayer/engine"
)

// The defaults of Options.
const (
	DefaultMaxRows         = 1_000_000
	DefaultMaxConns        = 256
	DefaultMaxConnsPerUser = 16
	DefaultStartupTimeout  = 10 * time.Second
	// ServerVersion is the PostgreSQL version the server says it is:
	// drivers choose their catalog queries by it.
	ServerVersion = "15.0"
)

// Authenticate finds the user a connection acts for from its startup
// user name and password (a JWT or a session token). Any failure is
// answered with one message, whatever its cause.
type Authenticate func(ctx context.Context, user, password string) (*auth.Principal, error)

// Options configure a Server.
type Options struct {
	Engine       *engine.Engine
	Authenticate Authenticate
	// Recheck, if set, is asked before every statement whether the user
	// may still act (active, session alive); an error ends the connection.
	Recheck func(ctx context.Context, p *auth.Principal, password string) error
	// TLS, if set, lets clients upgrade (sslmode=require).
	TLS *tls.Config
	// RequireTLS refuses connections that do not upgrade, but from
	// loopback addresses.
	RequireTLS bool
	// MaxRows caps a statement's rows (default DefaultMaxRows): a result
	// past it ends with an error at that row.
	MaxRows         int
	MaxConns        int
	MaxConnsPerUser int
	StartupTimeout  time.Duration
	Logger          *slog.Logger
}

// Server serves SQL on listeners.
type Server struct {
	opts    Options
	log     *slog.Logger
	catalog *catalogs

	mu     sync.Mutex
	conns  map[uint32]*conn
	byUser map[string]int
	lns    []net.Listener
	closed bool
	wg     sync.WaitGroup
}

// New makes a server for an engine.
func New(opts Options) *Server {
	if opts.MaxRows <= 0 {
		opts.MaxRows = DefaultMaxRows
	}
	if opts.MaxConns <= 0 {
		opts.MaxConns = DefaultMaxConns
	}
	if opts.MaxConnsPerUser <= 0 {
		opts.MaxConnsPerUser = DefaultMaxConnsPerUser
	}
	if opts.StartupTimeout <= 0 {
		opts.StartupTimeout = DefaultStartupTimeout
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Server{opts: opts, log: opts.Logger, catalog: newCatalogs(), conns: map[uint32]*conn{}, byUser: map[string]int{}}
}

// Serve accepts connections on l until it is closed or the server is.
func (s *Server) Serve(l net.Listener) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return net.ErrClosed
	}
	s.lns = append(s.lns, l)
	s.mu.Unlock()
	for {
		nc, err := l.Accept()
		if err != nil {
			s.mu.Lock()
			closed := s.closed
			s.mu.Unlock()
			if closed {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				time.Sleep(10 * time.Millisecond)
				continue
			}
			return err
		}
		c := s.newConn(nc)
		if c == nil {
			continue
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			c.serve()
		}()
	}
}

// Close stops the listeners and ends every connection.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closed = true
	for _, l := range s.lns {
		l.Close()
	}
	for _, c := range s.conns {
		c.nc.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	s.catalog.close()
	return nil
}

// newConn registers a connection under a key for cancel requests; nil
// when the server holds as many as it may (the connection is then told
// so and closed).
func (s *Server) newConn(nc net.Conn) *conn {
	var key [8]byte
	_, _ = rand.Read(key[:])
	c := &conn{s: s, nc: nc, pid: binary.BigEndian.Uint32(key[:4]) & 0x7fffffff, secret: key[4:]}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.conns) >= s.opts.MaxConns {
		go refuseConn(nc, "53300", "too many connections")
		return nil
	}
	for s.conns[c.pid] != nil || c.pid == 0 {
		c.pid++
	}
	s.conns[c.pid] = c
	return c
}

// addUser counts a connection against its user's bound.
func (s *Server) addUser(email string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.byUser[email] >= s.opts.MaxConnsPerUser {
		return false
	}
	s.byUser[email]++
	return true
}

func (s *Server) remove(c *conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.conns, c.pid)
	if c.p != nil {
		if s.byUser[c.p.Email]--; s.byUser[c.p.Email] <= 0 {
			delete(s.byUser, c.p.Email)
		}
	}
}

// cancel cancels the statement running on the connection a cancel
// request names, if its key matches.
func (s *Server) cancel(pid uint32, secret []byte) {
	s.mu.Lock()
	c := s.conns[pid]
	s.mu.Unlock()
	if c != nil && string(c.secret) == string(secret) {
		c.cancelRunning()
	}
}
