package pgwire

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/agentlayer/agentlayer/auth"
	"github.com/agentlayer/agentlayer/engine"
	"github.com/agentlayer/agentlayer/sqlfront"
)

// maxMessage is the largest message a client may send.
const maxMessage = 1 << 20

// conn is one client connection, acting for one user.
type conn struct {
	s      *Server
	nc     net.Conn
	be     *pgproto3.Backend
	pid    uint32
	secret []byte

	p        *auth.Principal
	password string
	settings map[string]string
	zone     *time.Location
	inTx     bool
	cat      *userCatalog
	types    *pgtype.Map // the connection's own: a Map is not safe for concurrent use
	row      []byte      // the buffer of the row being sent
	raw      []any       // the engine's row
	vals     []any       // its values, out their encodings, ends where each starts
	out      [][]byte
	ends     []int

	stmts   map[string]*prepared
	portals map[string]*portal
	cursors map[string]*portal

	mu      sync.Mutex
	running context.CancelFunc
}

func refuseConn(nc net.Conn, code, msg string) {
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(time.Second))
	be := pgproto3.NewBackend(nc, nc)
	be.Send(&pgproto3.ErrorResponse{Severity: "FATAL", SeverityUnlocalized: "FATAL", Code: code, Message: msg})
	_ = be.Flush()
}

func (c *conn) serve() {
	defer func() {
		if r := recover(); r != nil {
			// A fault of ours ends this connection, never the server.
			c.s.log.Error("sql: connection failed", "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
		}
	}()
	defer c.s.remove(c)
	defer c.nc.Close()
	defer c.closeAll()
	c.be = pgproto3.NewBackend(c.nc, c.nc)
	c.be.SetMaxBodyLen(maxMessage)
	_ = c.nc.SetDeadline(time.Now().Add(c.s.opts.StartupTimeout))
	ok, err := c.startup()
	if err != nil || !ok {
		if err != nil {
			c.s.log.Debug("sql: connection ended at startup", "remote", c.nc.RemoteAddr().String(), "err", err)
		}
		return
	}
	_ = c.nc.SetDeadline(time.Time{})
	for {
		msg, err := c.be.Receive()
		if err != nil {
			return
		}
		if done := c.handle(msg); done {
			return
		}
	}
}

// startup reads the startup messages: TLS, a cancel request, or a start
// with a user, then the password.
func (c *conn) startup() (bool, error) {
	tlsDone := false
	for {
		msg, err := c.be.ReceiveStartupMessage()
		if err != nil {
			return false, err
		}
		switch m := msg.(type) {
		case *pgproto3.SSLRequest:
			if c.s.opts.TLS == nil || tlsDone {
				if _, err := c.nc.Write([]byte{'N'}); err != nil {
					return false, err
				}
				continue
			}
			if _, err := c.nc.Write([]byte{'S'}); err != nil {
				return false, err
			}
			tc := tls.Server(c.nc, c.s.opts.TLS)
			if err := tc.Handshake(); err != nil {
				return false, err
			}
			c.nc, tlsDone = tc, true
			c.be = pgproto3.NewBackend(c.nc, c.nc)
			c.be.SetMaxBodyLen(maxMessage)
		case *pgproto3.GSSEncRequest:
			if _, err := c.nc.Write([]byte{'N'}); err != nil {
				return false, err
			}
		case *pgproto3.CancelRequest:
			c.s.cancel(m.ProcessID, m.SecretKey)
			return false, nil
		case *pgproto3.StartupMessage:
			if !tlsDone && c.s.opts.RequireTLS && !loopback(c.nc.RemoteAddr()) {
				return false, c.fatal("28000", "the server takes connections over TLS only (sslmode=require)")
			}
			return c.login(m)
		default:
			return false, fmt.Errorf("unexpected startup message %T", msg)
		}
	}
}

func loopback(a net.Addr) bool {
	if t, ok := a.(*net.TCPAddr); ok {
		return t.IP.IsLoopback()
	}
	_, isUnix := a.(*net.UnixAddr)
	return isUnix
}

func (c *conn) fatal(code, msg string) error {
	c.be.Send(&pgproto3.ErrorResponse{Severity: "FATAL", SeverityUnlocalized: "FATAL", Code: code, Message: msg})
	_ = c.be.Flush()
	return errors.New(msg)
}

// login asks for the password and authenticates: one message for every
// cause of failure.
func (c *conn) login(m *pgproto3.StartupMessage) (bool, error) {
	user := m.Parameters["user"]
	c.be.Send(&pgproto3.AuthenticationCleartextPassword{})
	if err := c.be.Flush(); err != nil {
		return false, err
	}
	if err := c.be.SetAuthType(pgproto3.AuthTypeCleartextPassword); err != nil {
		return false, err
	}
	msg, err := c.be.Receive()
	if err != nil {
		return false, err
	}
	pw, ok := msg.(*pgproto3.PasswordMessage)
	if !ok {
		return false, c.fatal("08P01", "expected a password message")
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.s.opts.StartupTimeout)
	defer cancel()
	p, err := c.s.opts.Authenticate(ctx, user, pw.Password)
	if err != nil || p == nil || !strings.EqualFold(p.Email, user) {
		c.s.log.Debug("sql: authentication failed", "user", user, "err", err)
		return false, c.fatal("28P01", fmt.Sprintf("password authentication failed for user %q", user))
	}
	if !c.s.addUser(p.Email) {
		return false, c.fatal("53300", "too many connections for this user")
	}
	c.p, c.password = p, pw.Password
	c.settings = defaultSettings(m.Parameters)
	c.zone = time.UTC
	c.types = pgtype.NewMap()
	c.stmts, c.portals, c.cursors = map[string]*prepared{}, map[string]*portal{}, map[string]*portal{}
	c.be.Send(&pgproto3.AuthenticationOk{})
	for _, name := range reportedSettings {
		c.be.Send(&pgproto3.ParameterStatus{Name: name, Value: c.settings[strings.ToLower(name)]})
	}
	c.be.Send(&pgproto3.BackendKeyData{ProcessID: c.pid, SecretKey: c.secret})
	c.be.Send(&pgproto3.ReadyForQuery{TxStatus: 'I'})
	return true, c.be.Flush()
}

// handle answers one message; true ends the connection.
func (c *conn) handle(msg pgproto3.FrontendMessage) bool {
	switch m := msg.(type) {
	case *pgproto3.Query:
		c.simpleQuery(m.String)
	case *pgproto3.Parse:
		c.extended(c.parse(m))
	case *pgproto3.Bind:
		c.extended(c.bind(m))
	case *pgproto3.Describe:
		c.extended(c.describe(m))
	case *pgproto3.Execute:
		c.extended(c.execute(m))
	case *pgproto3.Close:
		c.extended(c.closeMsg(m))
	case *pgproto3.Sync:
		c.ready()
	case *pgproto3.Flush:
		_ = c.be.Flush()
	case *pgproto3.Terminate:
		return true
	default:
		c.sendError(&sqlfront.Error{Code: "08P01", Message: fmt.Sprintf("unexpected message %T", msg)})
		c.ready()
	}
	return false
}

// extended answers an error of the extended protocol, and then skips
// every message until Sync, as PostgreSQL does.
func (c *conn) extended(err error) {
	if err == nil {
		return
	}
	c.sendError(err)
	for {
		msg, rerr := c.be.Receive()
		if rerr != nil {
			return
		}
		switch msg.(type) {
		case *pgproto3.Sync:
			c.ready()
			return
		case *pgproto3.Terminate:
			c.nc.Close()
			return
		}
	}
}

func (c *conn) ready() {
	status := byte('I')
	if c.inTx {
		status = 'T'
	}
	c.be.Send(&pgproto3.ReadyForQuery{TxStatus: status})
	_ = c.be.Flush()
}

// simpleQuery answers a Query message: each statement alone, stopping at
// the first error, as PostgreSQL does.
func (c *conn) simpleQuery(text string) {
	defer c.ready()
	stmts, err := sqlfront.Parse(text)
	if err != nil {
		c.sendError(err)
		return
	}
	if len(stmts) == 0 {
		c.be.Send(&pgproto3.EmptyQueryResponse{})
		return
	}
	for _, st := range stmts {
		if err := c.recheck(); err != nil {
			return
		}
		pt, err := c.portalFor(&prepared{parsed: st}, nil, nil)
		if err == nil {
			err = c.run(pt, 0, true)
		}
		if err != nil {
			c.sendError(err)
			return
		}
	}
}

// recheck asks whether the user may still act; if not, the connection
// ends.
func (c *conn) recheck() error {
	if c.s.opts.Recheck == nil {
		return nil
	}
	if err := c.s.opts.Recheck(context.Background(), c.p, c.password); err != nil {
		_ = c.fatal("28P01", "the session has ended")
		c.nc.Close()
		return err
	}
	return nil
}

// statementContext is a statement's context: cancelled by a cancel
// request, and bounded by the session's statement_timeout.
func (c *conn) statementContext() (context.Context, context.CancelFunc) {
	ctx := engine.WithEndpoint(context.Background(), "sql")
	ctx, cancel := context.WithCancel(ctx)
	if d := c.timeout(); d > 0 {
		var cancelT context.CancelFunc
		ctx, cancelT = context.WithTimeout(ctx, d)
		prev := cancel
		cancel = func() { cancelT(); prev() }
	}
	c.mu.Lock()
	c.running = cancel
	c.mu.Unlock()
	return ctx, cancel
}

func (c *conn) cancelRunning() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.running != nil {
		c.running()
	}
}

func (c *conn) closeAll() {
	for _, pt := range c.portals {
		pt.close()
	}
	for _, pt := range c.cursors {
		pt.close()
	}
}

// sendError words an error as an ErrorResponse: the mapping's own, or
// the engine's as the JSON path words it, never the database's text.
func (c *conn) sendError(err error) {
	c.be.Send(errorResponse(err))
}

func (c *conn) notice(msg, detail string) {
	c.be.Send(&pgproto3.NoticeResponse{Severity: "NOTICE", SeverityUnlocalized: "NOTICE", Code: "00000", Message: msg, Detail: detail})
}
