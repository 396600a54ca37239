package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/agentlayer/agentlayer/auth"
	"github.com/agentlayer/agentlayer/mcp"
)

const mcpHelp = `
Serves MCP on stdin and stdout for a desktop client (Claude Desktop,
Cursor's command servers), acting for one user, over the same model,
policy and database flags as serve. The user is either

  --as-email EMAIL      a user of the --users directory (the sample's users
                        when serving a sample): the local machine is trusted,
                        as for any stdio server; or
  $AGENTLAYER_SESSION   a session token from POST /auth/sso of a serve
                        process sharing --state with this one (a JWT's
                        180 s would expire inside the client).

Logs go to stderr; stdout carries only the protocol.`

func mcpCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return mcpServe(ctx, args, os.Stdin, stdout, stderr)
}

// mcpServe runs the stdio server over in and out.
func mcpServe(ctx context.Context, args []string, in io.Reader, out, stderr io.Writer) error {
	f := &serveFlags{}
	fs := newFlags("mcp", "agentlayer mcp --as-email EMAIL [flags]", mcpHelp, []envVar{{name: "AGENTLAYER_SESSION", doc: "a session token to act as, instead of --as-email"}}, out)
	f.modelFlags.register(fs, true)
	asEmail := fs.String("as-email", "", "act for this user of the --users directory")
	fs.StringVar(&f.usersFile, "users", "", "user directory `file` (default: the sample's users when serving a sample)")
	fs.StringVar(&f.stateFile, "state", "", "the session store of the serve process that issued $AGENTLAYER_SESSION: a `file` or postgres:// URL")
	fs.StringVar(&f.logLevel, "log-level", "warn", "log `level` on stderr")
	fs.IntVar(&f.mcpResultBytes, "mcp-result-bytes", mcp.DefaultMaxResultBytes, "byte budget of one tool result")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	if err := f.modelFlags.check(explicitFlags(fs)); err != nil {
		return err
	}
	session := os.Getenv("AGENTLAYER_SESSION")
	if (*asEmail == "") == (session == "") {
		return usagef("give --as-email or $AGENTLAYER_SESSION, one of them")
	}
	log, err := newLogger(f.logLevel, stderr)
	if err != nil {
		return usagef("%v", err)
	}
	sessions, closeStore, err := f.sessions(ctx, log)
	if err != nil {
		return err
	}
	defer closeStore()
	p, err := f.actAs(ctx, *asEmail, session, sessions)
	if err != nil {
		return err
	}
	e, err := f.openEngine(ctx, log)
	if err != nil {
		return err
	}
	defer e.Close()
	log.Info("serving MCP on stdio", "user", p.Email)
	mopts := mcp.Options{Logger: log, MaxResultBytes: f.mcpResultBytes}
	if session != "" {
		// A session can end (expiry, logout) or its user be deactivated
		// while the client stays connected: ask again before each call.
		mopts.Recheck = func(ctx context.Context) (*auth.Principal, error) { return f.sessionUser(ctx, session, sessions) }
	}
	err = mcp.Serve(ctx, e, p, &sdk.IOTransport{Reader: io.NopCloser(in), Writer: nopWriteCloser{out}}, mopts)
	if errors.Is(err, context.Canceled) || errors.Is(err, io.EOF) {
		return nil
	}
	return err
}

// actAs finds the user the stdio server acts for: one of the directory,
// or a session's.
func (f *serveFlags) actAs(ctx context.Context, email, session string, sessions *auth.Sessions) (*auth.Principal, error) {
	if session != "" {
		return f.sessionUser(ctx, session, sessions)
	}
	dir, err := f.directory()
	if err != nil {
		return nil, err
	}
	if dir == nil {
		return nil, usagef("--as-email needs --users, the directory the user is in")
	}
	u, ok := dir.Lookup(email)
	if !ok {
		return nil, fmt.Errorf("--as-email: %s is not a user of the directory", email)
	}
	if !u.Active {
		return nil, fmt.Errorf("--as-email: %s is deactivated", email)
	}
	return &auth.Principal{Email: u.Email, FirstName: u.FirstName, LastName: u.LastName, Groups: u.Groups, Attributes: u.Attributes}, nil
}

// sessionUser is the user of a live session whose user is not
// deactivated in the directory, as the Agent API admits a session.
func (f *serveFlags) sessionUser(ctx context.Context, session string, sessions *auth.Sessions) (*auth.Principal, error) {
	p, err := sessions.Lookup(ctx, session)
	if err != nil {
		return nil, fmt.Errorf("$AGENTLAYER_SESSION: no live session with that token in this --state (%v); exchange a JWT at /auth/sso of a serve process sharing --state", err)
	}
	dir, err := f.directory()
	if err != nil {
		return nil, err
	}
	if dir != nil {
		if u, ok := dir.Lookup(p.Email); ok && !u.Active {
			return nil, fmt.Errorf("$AGENTLAYER_SESSION: %s is deactivated", p.Email)
		}
	}
	return p, nil
}

type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }
