// Package agentapi serves a Metabase-compatible Agent API over an engine:
// an http.Handler for /api/agent, the /auth/sso session exchange and
// DELETE /api/session, which a service can mount in its own mux.
//
// The contract is docs/api.md: every endpoint, ping included, authenticates with
// a JWT (Authorization: Bearer) or a session (X-Metabase-Session); errors are
// JSON {"error", "message"} with Metabase's wording.
package agentapi

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/agentlayer/agentlayer/auth"
	"github.com/agentlayer/agentlayer/engine"
	"github.com/agentlayer/agentlayer/internal/httpapi"
	"github.com/agentlayer/agentlayer/internal/jsontree"
)

// Options configure the handler. The zero value means every default: no JWT
// secret (every JWT gets jwt_not_configured) and sessions in memory.
type Options struct {
	// Verifier verifies JWTs; nil means JWT authentication is not
	// configured.
	Verifier *auth.Verifier
	// Sessions keeps the sessions exchanged at /auth/sso; nil means an
	// in-memory store with the default lifetime.
	Sessions *auth.Sessions
	// Logger receives one line per request; nil discards.
	Logger *slog.Logger
	// Metrics registers the handler's metrics and the engine's with a
	// Prometheus registry (serve it on a listener of its own); nil means
	// none.
	Metrics prometheus.Registerer
}

// MaxBodyBytes bounds a request body; a larger one gets 413.
const MaxBodyBytes = 1 << 20

type handler struct {
	e        *engine.Engine
	verifier *auth.Verifier
	sessions *auth.Sessions
	log      *slog.Logger
	mux      *http.ServeMux
	methods  map[string][]string // path → the methods it answers
	authed   map[string]bool     // paths that authenticate
	metrics  *metrics
	ids      *requestIDs
	authn    *httpapi.Authenticator
	async    *asyncQueries
}

// New returns the Agent API handler over e.
func New(e *engine.Engine, opts Options) http.Handler {
	h := &handler{e: e, verifier: opts.Verifier, sessions: opts.Sessions, log: opts.Logger, mux: http.NewServeMux(),
		methods: map[string][]string{}, authed: map[string]bool{}, ids: newRequestIDs(), async: newAsyncQueries()}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.sessions == nil {
		h.sessions = auth.NewSessions(auth.SessionOptions{})
	}
	h.metrics = newMetrics(opts.Metrics, e)
	h.authn = &httpapi.Authenticator{Verifier: h.verifier, Sessions: h.sessions, Log: h.log, JWTRefused: h.metrics.jwtFailure}
	h.handle("GET /healthz", h.healthz)
	h.handle("GET /readyz", h.readyz)
	h.handle("POST /auth/sso", h.sso)
	h.handle("POST /auth/sso/to_session", h.sso)
	h.handle("GET /auth/sso", h.sso)
	h.handle("DELETE /api/session", h.logout)
	h.route("GET /api/user/current", "", h.currentUser)
	h.handle("GET /api/agent/openapi.json", h.openapi)
	h.route("GET /api/agent/v1/ping", "", h.ping)
	h.route("GET /api/agent/v1/context", "", h.context)
	h.route("GET /api/agent/v1/schema", auth.ScopeTableRead, h.schema)
	h.route("GET /api/agent/v1/table/{id}", auth.ScopeTableRead, h.table)
	h.route("GET /api/agent/v1/table/{id}/field/{field_id}/values", auth.ScopeTableRead, h.fieldValues(false))
	h.route("GET /api/agent/v1/metric/{id}", auth.ScopeMetricRead, h.metric)
	h.route("GET /api/agent/v1/metric/{id}/field/{field_id}/values", auth.ScopeMetricRead, h.fieldValues(true))
	h.route("POST /api/agent/v1/search", auth.ScopeSearch, h.search)
	h.route("POST /api/agent/v1/construct-query", auth.ScopeQueryConstruct, h.construct)
	h.route("POST /api/agent/v1/execute", auth.ScopeQueryExecute, h.execute)
	h.route("POST /api/agent/v1/query", auth.ScopeQuery, h.queryMaybeAsync)
	h.route("GET /api/agent/v1/query/{handle}", auth.ScopeQuery, h.queryResult)
	h.route("/api/agent/", "", func(http.ResponseWriter, *http.Request, *auth.Principal) error { return errNotFound })
	// Every error is JSON: a known path with another method is 405 (with
	// Allow), anything else 404. Authentication comes first, as on the
	// path's own methods: without credentials, 401.
	for path, methods := range h.methods {
		allow := strings.Join(methods, ", ")
		authed := h.authed[path]
		h.mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			if authed {
				if _, err := h.authenticate(r); err != nil {
					h.fail(w, r, err)
					return
				}
			}
			w.Header().Set("Allow", allow)
			writeError(w, errMethod)
		})
	}
	h.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { writeError(w, errNotFound) })
	return h
}

// handle registers an unauthenticated endpoint. Its error, if it returns
// one, is the answer.
func (h *handler) handle(pattern string, fn func(http.ResponseWriter, *http.Request) error) {
	if method, path, ok := strings.Cut(pattern, " "); ok {
		h.methods[path] = append(h.methods[path], method)
	}
	h.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		if err := fn(w, r); err != nil {
			h.fail(w, r, err)
		}
	})
}

// ServeHTTP logs one line per request around the mux, with its outcome,
// and turns a panic into a 500 that says nothing of its cause.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &recorder{ResponseWriter: w, status: http.StatusOK}
	rid := h.ids.next()
	rec.Header().Set("X-Request-Id", rid)
	info := &requestInfo{}
	r = r.WithContext(withInfo(r.Context(), info))
	r.Body = http.MaxBytesReader(rec, r.Body, MaxBodyBytes)
	if httpapi.NotCanonical(rec, r) {
		h.logRequest(r, rec, info, rid, start)
		return
	}
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			h.log.ErrorContext(r.Context(), "panic serving request", "id", rid, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			info.outcome = "panic"
			if !rec.wrote {
				writeError(rec, errInternal)
			}
		}
		h.logRequest(r, rec, info, rid, start)
	}()
	h.mux.ServeHTTP(rec, r)
}

// logRequest writes the request's one log line. A client that left before
// anything was written is logged as status 499 (client closed request),
// never as the 200 nobody received.
func (h *handler) logRequest(r *http.Request, rec *recorder, info *requestInfo, rid string, start time.Time) {
	status, outcome := rec.status, info.outcome
	if !rec.wrote && r.Context().Err() != nil {
		status, outcome = statusClientClosed, "canceled"
	}
	if outcome == "" {
		outcome = "ok"
		switch {
		case status >= 500:
			outcome = "error"
		case status >= 400:
			outcome = "refused"
		}
	}
	level := slog.LevelInfo
	if outcome == "error" || outcome == "panic" {
		level = slog.LevelError
	}
	if h.log.Enabled(r.Context(), level) {
		attrs := []any{"id", rid, "method", r.Method, "path", r.URL.Path, "status", status, "outcome", outcome,
			"duration", time.Since(start).Round(time.Microsecond)}
		if info.email != "" {
			attrs = append(attrs, "user", info.email)
		}
		if info.counted {
			attrs = append(attrs, "rows", info.rows)
		}
		h.log.Log(r.Context(), level, "request", attrs...)
	}
	h.metrics.observe(r, status, outcome, info, time.Since(start))
}

// statusClientClosed is what the log says of a request whose client left
// before the first byte of the answer (nginx's 499).
const statusClientClosed = 499

// requestIDs number a handler's requests: a random prefix (the clock's
// nanoseconds if the system has no randomness to give) and a counter,
// unique across handlers and processes, and cheap.
type requestIDs struct {
	prefix string
	n      atomic.Uint64
}

func newRequestIDs() *requestIDs {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		binary.BigEndian.PutUint32(b[:], uint32(time.Now().UnixNano()))
	}
	return &requestIDs{prefix: hex.EncodeToString(b[:])}
}

func (r *requestIDs) next() string { return r.prefix + strconv.FormatUint(r.n.Add(1), 16) }

// route registers an authenticated endpoint that requires scope ("" for
// none beyond authentication).
func (h *handler) route(pattern, scope string, fn func(http.ResponseWriter, *http.Request, *auth.Principal) error) {
	if _, path, ok := strings.Cut(pattern, " "); ok {
		h.authed[path] = true
	}
	h.handle(pattern, func(w http.ResponseWriter, r *http.Request) error {
		p, err := h.authenticate(r)
		if err != nil {
			return err
		}
		info(r.Context()).email = p.Email
		if scope != "" && !p.Allows(scope) {
			return httpapi.ScopeError(scope, "")
		}
		ctx := engine.WithEndpoint(r.Context(), pattern)
		if httpapi.Fresh(r) {
			ctx = engine.WithoutCache(ctx) // a fresh answer, as asked
		}
		return fn(w, r.WithContext(ctx), p)
	})
}

// ping checks the credential, and says how many tables the caller can
// see: an agent that sees none learns it here, not from a 403 later.
func (h *handler) ping(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	tables, metrics, err := h.e.Visible(p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, pongBody{Message: "pong", Tables: tables, Metrics: metrics})
	return nil
}

type pongBody struct {
	Message string `json:"message"`
	Tables  int    `json:"tables"`
	Metrics int    `json:"metrics"`
}

type currentUser struct {
	Email           string         `json:"email"`
	FirstName       string         `json:"first_name"`
	LastName        string         `json:"last_name"`
	CommonName      string         `json:"common_name"`
	Groups          []string       `json:"groups"`
	LoginAttributes map[string]any `json:"login_attributes"`
	Scopes          []string       `json:"scopes"`
}

// currentUser answers GET /api/user/current, as Metabase does: who the
// credential authenticates, with the groups and attributes policies see.
func (h *handler) currentUser(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	u := currentUser{Email: p.Email, FirstName: p.FirstName, LastName: p.LastName,
		CommonName: strings.TrimSpace(p.FirstName + " " + p.LastName), Groups: p.Groups,
		LoginAttributes: p.Attributes, Scopes: p.Scopes}
	if u.Groups == nil {
		u.Groups = []string{}
	}
	if u.LoginAttributes == nil {
		u.LoginAttributes = map[string]any{}
	}
	writeJSON(w, http.StatusOK, u)
	return nil
}

// recorder remembers the status written, and whether anything was.
type recorder struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (r *recorder) WriteHeader(status int) {
	if !r.wrote {
		r.status, r.wrote = status, true
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *recorder) Write(b []byte) (int, error) {
	r.wrote = true
	return r.ResponseWriter.Write(b)
}

func (r *recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func writeJSON(w http.ResponseWriter, status int, v any) { httpapi.WriteJSON(w, status, v) }

// decodeBody decodes a JSON request body into v, mapping an oversized body
// to 413 and anything unreadable to 400.
func decodeBody(r *http.Request, v any) error {
	data, err := readBody(r)
	if err != nil {
		return err
	}
	if err := checkJSON(data); err != nil {
		return err
	}
	// A body that decodes strictly is done in one pass; one that does not
	// is decoded again as below, so that its error is the one the lenient
	// pass finds first.
	strict := json.NewDecoder(bytes.NewReader(data))
	strict.DisallowUnknownFields()
	if strict.Decode(v) == nil && !strict.More() {
		return nil
	}
	if err := json.Unmarshal(data, v); err != nil {
		return badRequest("request body must be a JSON object: %v", jsonProblem(data, err))
	}
	// Again, strictly: a key the endpoint does not take is refused, never
	// ignored.
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if key, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			return badRequestAt(strings.Trim(key, `"`), "unknown key %s in the request body", key)
		}
		return badRequest("request body must be a JSON object: %v", jsonProblem(data, err))
	}
	return nil
}

// checkJSON refuses a body with a key given twice in one object (which
// encoding/json would resolve silently to the last) or nested deeper than
// jsontree.MaxDepth.
func checkJSON(data []byte) error {
	var je *jsontree.Error
	if err := jsontree.Check(data, 0); errors.As(err, &je) {
		return badRequestAt(je.Path, "%s", je.Message)
	}
	return nil // a syntax error is reported by the decoding that follows
}

// healthz answers that the process is up.
func (h *handler) healthz(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

type readiness struct {
	Status        string      `json:"status"` // "ready" or "unavailable"
	ModelVersion  string      `json:"model_version"`
	PolicyVersion string      `json:"policy_version,omitempty"`
	Generation    int         `json:"generation"`
	LoadedAt      time.Time   `json:"loaded_at"`
	LastReload    *lastReload `json:"last_reload,omitempty"`
}

type lastReload struct {
	At time.Time `json:"at"`
	OK bool      `json:"ok"`
}

// readyz answers 200 when a model is loaded and the database answers, 503
// otherwise, with the versions served and the last reload's outcome (its
// error is in the log, not here: this endpoint needs no credentials).
func (h *handler) readyz(w http.ResponseWriter, r *http.Request) error {
	v := h.e.Version()
	body := readiness{Status: "ready", ModelVersion: v.Model, PolicyVersion: v.Policy, Generation: v.Generation, LoadedAt: v.Loaded}
	if st, ok := h.e.LastReload(); ok {
		body.LastReload = &lastReload{At: st.At, OK: st.Err == nil}
	}
	status := http.StatusOK
	if err := h.e.Ping(r.Context()); err != nil {
		h.log.ErrorContext(r.Context(), "readiness: the database does not answer", "err", err.Error())
		body.Status, status = "unavailable", http.StatusServiceUnavailable
	}
	writeJSON(w, status, body)
	return nil
}
