// Package mcp serves agentlayer over the Model Context Protocol, in the
// same process as the Agent API and with the same users, policies, limits
// and answers: each tool calls the engine operation its HTTP endpoint
// calls.
//
//	New        an http.Handler for Streamable HTTP (serve mounts it at
//	           /api/agent/mcp), authenticated as the Agent API is
//	Serve      one user's server over any MCP transport, as agentlayer mcp
//	           runs it on stdio for a desktop client
//
// Protocol framing is the official Go SDK's
// (github.com/modelcontextprotocol/go-sdk); this package only defines the
// tools, resources and prompts, and who they act for.
package mcp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	sdkauth "github.com/modelcontextprotocol/go-sdk/auth"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/agentlayer/agentlayer/auth"
	"github.com/agentlayer/agentlayer/engine"
	"github.com/agentlayer/agentlayer/internal/httpapi"
	"github.com/agentlayer/agentlayer/internal/jsontree"
)

// DefaultMaxResultBytes is the byte budget of one tool result: past it,
// rows are cut at a row boundary, the result says so, and a cursor
// continues.
const DefaultMaxResultBytes = 64 << 10

// Options configure the MCP server. The zero value means every default.
type Options struct {
	// Verifier verifies JWTs; nil means JWT authentication is not
	// configured (sessions still work).
	Verifier *auth.Verifier
	// Sessions are the sessions exchanged at /auth/sso; nil means an
	// in-memory store of its own. Share the Agent API's.
	Sessions *auth.Sessions
	// Logger receives the SDK's and the tools' logs; nil discards.
	Logger *slog.Logger
	// MaxResultBytes is the byte budget of one tool result;
	// 0 means DefaultMaxResultBytes.
	MaxResultBytes int
	// Recheck, for Serve, is asked before each call and read who the
	// server still acts for (a session's user, which may have ended or
	// been deactivated since); an error refuses the call. Nil: the user
	// Serve was given, always.
	Recheck func(ctx context.Context) (*auth.Principal, error)
	// AnswerWithin is how long query and execute_query wait for an answer
	// before they answer with a handle while the query goes on (MCP
	// clients cut a call off at about a minute); 0 means
	// DefaultAnswerWithin, a negative value always waits. AsyncTimeout
	// bounds a query that goes on (0: DefaultAsyncTimeout); get_result
	// fetches its answer.
	AnswerWithin, AsyncTimeout time.Duration

	// OAuth makes the server an OAuth 2.1 protected resource (the MCP
	// authorization spec); nil means none.
	OAuth *OAuthOptions

	jobs *jobs // the queries running past their call, shared by every server of New
}

func (o Options) withDefaults() Options {
	if o.AnswerWithin == 0 {
		o.AnswerWithin = DefaultAnswerWithin
	}
	if o.AsyncTimeout <= 0 {
		o.AsyncTimeout = DefaultAsyncTimeout
	}
	if o.jobs == nil {
		o.jobs = newJobs()
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Sessions == nil {
		o.Sessions = auth.NewSessions(auth.SessionOptions{})
	}
	if o.MaxResultBytes <= 0 {
		o.MaxResultBytes = DefaultMaxResultBytes
	}
	return o
}

// principalKey carries the authenticated principal in a request's
// context, from the authentication middleware to the SDK's token check.
type principalKey struct{}

// New returns the Streamable HTTP handler of the MCP server over e. Every
// request is authenticated as the Agent API authenticates it — a session
// (X-Metabase-Session) or a Bearer JWT, with the same 401 bodies — and
// acts for the user its own credential names. The server is stateless:
// it keeps no MCP session between requests (it issues no Mcp-Session-Id),
// so that no client can make it hold one, and nothing a request does
// depends on who sent another. Every tool is listed; a call the
// credential's scopes do not cover answers HTTP 403 with an
// insufficient_scope challenge naming the scope it needs, so that an
// OAuth client can ask for more (step-up).
func New(e *engine.Engine, opts Options) http.Handler {
	opts = opts.withDefaults()
	srv := newServer(e, opts, nil)
	streamable := sdk.NewStreamableHTTPHandler(func(*http.Request) *sdk.Server { return srv }, &sdk.StreamableHTTPOptions{
		Logger:                       opts.Logger,
		Stateless:                    true,
		PropagateRequestCancellation: true,
		JSONResponse:                 true,
		MaxRequestBodyBytes:          maxBody,
	})
	// The tools read who they act for from the SDK's TokenInfo, which
	// only its bearer middleware can put in a request's context: the
	// principal found by our own authentication is handed to it through
	// the request.
	bind := sdkauth.RequireBearerToken(func(ctx context.Context, _ string, r *http.Request) (*sdkauth.TokenInfo, error) {
		p, _ := r.Context().Value(principalKey{}).(*auth.Principal)
		if p == nil {
			return nil, sdkauth.ErrInvalidToken
		}
		return &sdkauth.TokenInfo{UserID: strings.ToLower(p.Email), Expiration: time.Now().Add(time.Hour),
			Extra: map[string]any{"principal": p}}, nil
	}, nil)(streamable)
	authn := &httpapi.Authenticator{Verifier: opts.Verifier, Sessions: opts.Sessions, Log: opts.Logger}
	var metadataURL string
	if o := opts.OAuth; o != nil {
		authn.Endpoint = auth.Endpoint{Audiences: []string{o.Resource}, ProviderOnly: o.Only}
		metadataURL = o.MetadataURL()
	}
	scopesOf := map[string][]string{}
	for _, def := range (&tools{opts: opts}).definitions() {
		scopesOf[def.tool.Name] = def.scopes
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := authn.Authenticate(r)
		if err != nil {
			ae := httpapi.Map(r.Context(), opts.Logger, err)
			if ae.Status == http.StatusUnauthorized && metadataURL != "" {
				// RFC 9728 §5.1: where a client learns how to get a token.
				c := *ae
				first := ""
				if errors.Is(err, httpapi.ErrInvalidJWT) {
					first = `error="invalid_token"`
				}
				c.Challenge = httpapi.Challenge(first, "resource_metadata", metadataURL)
				ae = &c
			}
			httpapi.Write(w, ae)
			return
		}
		for _, name := range calledTools(r) {
			if scopes, known := scopesOf[name]; known && !slices.ContainsFunc(scopes, p.Allows) {
				httpapi.Write(w, httpapi.ScopeError(scopes[0], metadataURL))
				return
			}
		}
		ctx := context.WithValue(r.Context(), principalKey{}, p)
		if httpapi.Fresh(r) {
			ctx = engine.WithoutCache(ctx) // a fresh answer, as asked
		}
		r = r.WithContext(ctx)
		// The SDK's check reads a bearer token: hand it one, whatever the
		// credential was; the principal found above is what it binds.
		r.Header = r.Header.Clone()
		r.Header.Set("Authorization", "Bearer authenticated")
		bind.ServeHTTP(w, r)
	})
}

// maxBody is the largest request body MCP reads.
const maxBody = 1 << 20

// calledTools reads the names of the tools a POSTed JSON-RPC request (or
// batch) calls, leaving the body for the SDK to read again. A body that is
// not JSON, or too large, calls none here: the SDK answers it as it does
// (and each tool's handler checks its scopes again).
func calledTools(r *http.Request) []string {
	if r.Method != http.MethodPost || r.Body == nil {
		return nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), r.Body))
	if err != nil || len(body) > maxBody {
		return nil
	}
	// Keys are matched exactly, as the SDK matches them (encoding/json's
	// structs would take "Name" for "name"); a key twice is the SDK's to
	// refuse, and a batch's calls are each checked.
	if jsontree.Check(body, 0) != nil {
		return nil
	}
	var batch []json.RawMessage
	if json.Unmarshal(body, &batch) != nil {
		batch = []json.RawMessage{body}
	}
	var names []string
	for _, m := range batch {
		if name, ok := toolOf(m); ok {
			names = append(names, name)
		}
	}
	return names
}

// toolOf reads the tool a JSON-RPC request calls, its keys matched
// exactly.
func toolOf(msg []byte) (string, bool) {
	var m map[string]json.RawMessage
	if json.Unmarshal(msg, &m) != nil {
		return "", false
	}
	var method string
	if json.Unmarshal(m["method"], &method) != nil || method != "tools/call" {
		return "", false
	}
	var params map[string]json.RawMessage
	var name string
	if json.Unmarshal(m["params"], &params) != nil || json.Unmarshal(params["name"], &name) != nil {
		return "", false
	}
	return name, true
}

// Serve runs the MCP server for one user over a transport until the
// client disconnects or ctx ends: agentlayer mcp serves a desktop client
// on stdio this way (sdk.StdioTransport).
func Serve(ctx context.Context, e *engine.Engine, p *auth.Principal, t sdk.Transport, opts Options) error {
	opts = opts.withDefaults()
	return newServer(e, opts, p).Run(ctx, t)
}

// newServer builds a server listing every tool (a call checks its
// scopes). fixed is the user every call acts for on a transport without
// authentication (stdio); nil means each call's authenticated user.
func newServer(e *engine.Engine, opts Options, fixed *auth.Principal) *sdk.Server {
	srv := sdk.NewServer(&sdk.Implementation{Name: "agentlayer", Title: "agentlayer semantic layer", Version: "1"},
		&sdk.ServerOptions{Instructions: instructions, Logger: opts.Logger})
	t := &tools{e: e, opts: opts, fixed: fixed}
	for _, def := range t.definitions() {
		srv.AddTool(def.tool, t.handler(def))
	}
	addResources(srv, t)
	addPrompts(srv)
	return srv
}

// principal is who a request acts for: the fixed user on stdio (as
// Options.Recheck finds them still), else the user its credential
// authenticated.
func (t *tools) principal(ctx context.Context, extra *sdk.RequestExtra) *auth.Principal {
	if t.fixed != nil {
		if t.opts.Recheck != nil {
			p, err := t.opts.Recheck(ctx)
			if err != nil {
				t.opts.Logger.WarnContext(ctx, "the stdio user no longer may act", "err", err.Error())
				return nil
			}
			return p
		}
		return t.fixed
	}
	if extra == nil || extra.TokenInfo == nil {
		return nil
	}
	p, _ := extra.TokenInfo.Extra["principal"].(*auth.Principal)
	return p
}
