// Package httpapi is what the two HTTP adapters over the engine — the
// Agent API (agentapi) and MCP (mcp) — share so that they authenticate
// alike and word errors alike: the API error with its status and JSON
// body, the one mapping from engine errors to it, and the authentication
// of a request by session or Bearer JWT.
package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"path"
	"strconv"
	"strings"

	"github.com/agentlayer/agentlayer/auth"
	"github.com/agentlayer/agentlayer/engine"
)

// Error is an error with its HTTP status and JSON body.
type Error struct {
	Status     int      `json:"-"`
	Code       string   `json:"error"`
	Message    string   `json:"message"`
	Path       string   `json:"path,omitempty"`
	Candidates []string `json:"candidates,omitempty"`
	Reason     string   `json:"reason,omitempty"`
	RetryAfter int      `json:"-"` // seconds, for 503
	// Challenge is the WWW-Authenticate header's value, if any (RFC 6750:
	// a 401's resource metadata, a 403's insufficient scope).
	Challenge string `json:"-"`
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// The fixed errors of the Agent API (docs/api.md).
var (
	ErrMissingAuth = &Error{Status: http.StatusUnauthorized, Code: "missing_authorization",
		Message: "Authentication required. Use X-Metabase-Session header or Authorization: Bearer <jwt>."}
	ErrAuthFormat = &Error{Status: http.StatusUnauthorized, Code: "invalid_authorization_format",
		Message: "Authorization header must use Bearer scheme: Authorization: Bearer <jwt>"}
	ErrInvalidJWT = &Error{Status: http.StatusUnauthorized, Code: "invalid_jwt",
		Message: "Invalid or expired JWT token."}
	ErrJWTNotConfigured = &Error{Status: http.StatusUnauthorized, Code: "jwt_not_configured",
		Message: "JWT authentication is not configured. Set the JWT shared secret in admin settings."}
	ErrScope = &Error{Status: http.StatusForbidden, Code: "unsupported_scope",
		Message: "Insufficient scope for this operation."}
	ErrNotFound   = &Error{Status: http.StatusNotFound, Code: engine.KindNotFound.Code(), Message: engine.MessageNotFound}
	ErrInternal   = &Error{Status: http.StatusInternalServerError, Code: "internal_error", Message: "Something went wrong."}
	ErrOverloaded = &Error{Status: http.StatusServiceUnavailable, Code: "overloaded",
		Message: "Too many queries are running. Retry shortly.", RetryAfter: 1}
	ErrTimeout     = &Error{Status: http.StatusGatewayTimeout, Code: "timeout", Message: "The query took too long."}
	ErrUnavailable = &Error{Status: http.StatusServiceUnavailable, Code: "unavailable",
		Message: "The database cannot be reached. Retry shortly.", RetryAfter: 1}
)

// ScopeError is ErrScope for an operation that needs scope, with the
// challenge that lets an OAuth client ask for it (RFC 6750 §3.1), as
// Metabase's MCP answers.
func ScopeError(scope, resourceMetadata string) *Error {
	e := *ErrScope
	e.Challenge = Challenge(`error="insufficient_scope"`, "scope", scope, "resource_metadata", resourceMetadata)
	return &e
}

// Challenge writes a Bearer challenge from its leading parameter and
// name, value pairs; pairs with an empty value are left out.
func Challenge(first string, pairs ...string) string {
	var b strings.Builder
	b.WriteString("Bearer")
	sep := " "
	if first != "" {
		b.WriteString(sep + first)
		sep = ", "
	}
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] == "" {
			continue
		}
		b.WriteString(sep + pairs[i] + "=" + strconv.Quote(pairs[i+1]))
		sep = ", "
	}
	return b.String()
}

// kindStatus is the HTTP status of each kind of request error.
var kindStatus = map[engine.ErrorKind]int{
	engine.KindInvalid:        http.StatusBadRequest,
	engine.KindInvalidFieldID: http.StatusBadRequest,
	engine.KindPrefixMismatch: http.StatusBadRequest,
	engine.KindNotFound:       http.StatusNotFound,
	engine.KindForbidden:      http.StatusForbidden,
}

// Map turns an error into its API error: the one place where errors meet
// status codes. An error it does not know is logged and answered as an
// internal error that says nothing of it.
func Map(ctx context.Context, log *slog.Logger, err error) *Error {
	var ae *Error
	var se *engine.Error
	var bad *engine.BadTokenError
	var qe *engine.QueryError
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.As(err, &se):
		return &Error{Status: kindStatus[se.Kind], Code: se.Kind.Code(), Message: se.Message, Path: se.Path, Candidates: se.Candidates, Reason: se.Reason}
	case errors.As(err, &bad):
		return &Error{Status: http.StatusBadRequest, Code: engine.KindInvalid.Code(), Message: bad.Error(), Path: "query"}
	case errors.Is(err, engine.ErrOverloaded):
		return ErrOverloaded
	case errors.Is(err, engine.ErrUnavailable):
		log.ErrorContext(ctx, "database unavailable", "err", err.Error())
		return ErrUnavailable
	case errors.As(err, new(*auth.StoreError)):
		log.ErrorContext(ctx, "session store unavailable", "err", err.Error())
		return ErrUnavailable
	case errors.Is(err, engine.ErrTimeout), errors.Is(err, context.DeadlineExceeded):
		return ErrTimeout
	case errors.As(err, &qe):
		log.ErrorContext(ctx, "query failed", "err", qe.Err.Error())
		return &Error{Status: http.StatusInternalServerError, Code: "query_failed", Message: FailedMessage(qe)}
	}
	log.ErrorContext(ctx, "request failed", "err", err.Error())
	return ErrInternal
}

// Failure names what ended a query that had started — as the request's
// outcome and the message its client reads — in the one wording every
// adapter uses: canceled (the client left: no message), timeout, or
// failed, its database error logged, never shown.
func Failure(ctx context.Context, log *slog.Logger, err error) (outcome, msg string) {
	var qe *engine.QueryError
	switch {
	case errors.Is(err, context.Canceled):
		return "canceled", ""
	case errors.Is(err, engine.ErrTimeout):
		return "timeout", "The query took longer than the time allowed."
	case errors.As(err, &qe):
		log.ErrorContext(ctx, "query failed", "err", qe.Err.Error())
		return "failed", FailedMessage(qe)
	}
	log.ErrorContext(ctx, "query failed", "err", err.Error())
	return "failed", "The query failed while running."
}

// FailedMessage tells a client that its query failed, and the kind of
// error, but not the database's detail, which could quote a value of a
// column the client may not see; the detail goes to the log.
func FailedMessage(qe *engine.QueryError) string {
	class := qe.Class
	if class == "" {
		class = "error"
	}
	return "The query failed while running (" + class + "); the server log has the details."
}

// Write writes an API error as the JSON body of its status.
func Write(w http.ResponseWriter, e *Error) {
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(e.RetryAfter))
	}
	if e.Challenge != "" {
		w.Header().Set("WWW-Authenticate", e.Challenge)
	}
	WriteJSON(w, e.Status, e)
}

// WriteJSON writes v as the JSON body of status, HTML characters as they
// are.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

// SessionHeader carries a session token.
const SessionHeader = "X-Metabase-Session"

// Authenticator finds who a request acts for.
type Authenticator struct {
	// Verifier verifies JWTs; nil means JWT authentication is not
	// configured.
	Verifier *auth.Verifier
	Sessions *auth.Sessions
	Log      *slog.Logger
	// JWTRefused, if set, is told why each JWT was refused (for metrics).
	JWTRefused func(err error)
	// Endpoint says which tokens the endpoint accepts: a provider token's
	// audiences, and whether only the provider's tokens are (then no
	// session is either).
	Endpoint auth.Endpoint
}

// Authenticate finds the request's principal: a live session first, then
// a Bearer JWT. Its errors are the 401s of the Agent API, or a store error.
func (a *Authenticator) Authenticate(r *http.Request) (*auth.Principal, error) {
	if tok := r.Header.Get(SessionHeader); tok != "" && !a.Endpoint.ProviderOnly {
		p, err := a.Sessions.Lookup(r.Context(), tok)
		if err == nil && a.Verifier != nil && a.Verifier.Deactivated(p.Email) {
			// Deactivated since: the user's sessions end, for good.
			if err := a.Sessions.EndUser(r.Context(), p.Email); err != nil {
				a.Log.Error("cannot end a deactivated user's sessions", "err", err)
			}
			err = auth.ErrNoSession
		}
		if err == nil {
			return p, nil
		}
		if !errors.Is(err, auth.ErrNoSession) {
			a.Log.Error("session lookup failed", "err", err)
			return nil, err
		}
	}
	authz := r.Header.Get("Authorization")
	if authz == "" {
		return nil, ErrMissingAuth
	}
	scheme, token, found := strings.Cut(authz, " ")
	token = strings.TrimSpace(token)
	if !found || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return nil, ErrAuthFormat
	}
	return a.VerifyJWT(r.Context(), token)
}

// VerifyJWT checks a JWT; the reason of a failure goes to the debug log
// only.
func (a *Authenticator) VerifyJWT(ctx context.Context, token string) (*auth.Principal, error) {
	if a.Verifier == nil {
		return nil, ErrJWTNotConfigured
	}
	p, err := a.Verifier.VerifyAt(token, a.Endpoint)
	if err != nil {
		if a.Log != nil {
			a.Log.DebugContext(ctx, "JWT refused", "reason", err.Error())
		}
		if a.JWTRefused != nil {
			a.JWTRefused(err)
		}
		return nil, ErrInvalidJWT
	}
	return p, nil
}

// Fresh reports whether a request asks for a fresh answer, not one from a
// cache: a Cache-Control of no-cache or no-store, its directives matched
// without regard to case (RFC 9111, 5.2).
func Fresh(r *http.Request) bool {
	for _, v := range r.Header.Values("Cache-Control") {
		for _, d := range strings.Split(v, ",") {
			name, _, _ := strings.Cut(strings.TrimSpace(d), "=")
			if strings.EqualFold(name, "no-cache") || strings.EqualFold(name, "no-store") {
				return true
			}
		}
	}
	return false
}

// Canonical answers a request whose path is not canonical ("//",
// "/./", "/../" in it) with a JSON 404 naming the canonical path, where
// net/http's ServeMux would redirect with an HTML body; other requests go
// to next.
func Canonical(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if NotCanonical(w, r) {
			return
		}
		next.ServeHTTP(w, r)
	})
}

// NotCanonical answers a request whose path is not canonical with a JSON
// 404, and reports whether it did.
func NotCanonical(w http.ResponseWriter, r *http.Request) bool {
	p := r.URL.Path
	if p == "" || p[0] != '/' {
		return false
	}
	clean := path.Clean(p)
	if strings.HasSuffix(p, "/") && clean != "/" {
		clean += "/"
	}
	if clean == p {
		return false
	}
	Write(w, &Error{Status: http.StatusNotFound, Code: "not_found", Message: "no endpoint at " + p + ": paths are canonical (" + clean + ")"})
	return true
}

// Password authenticates a SQL client: its password is a session token
// from /auth/sso (what BI tools keep for days) or a JWT, verified as on
// HTTP; the user name must be the principal's email.
func (a *Authenticator) Password(ctx context.Context, user, password string) (*auth.Principal, error) {
	var p *auth.Principal
	var err error
	if a.Sessions != nil && !strings.Contains(password, ".") {
		p, err = a.Sessions.Lookup(ctx, password)
		if err == nil && a.Verifier != nil && a.Verifier.Deactivated(p.Email) {
			err = auth.ErrNoSession
		}
	} else {
		p, err = a.VerifyJWT(ctx, password)
	}
	if err != nil {
		return nil, err
	}
	if !strings.EqualFold(p.Email, user) {
		return nil, ErrInvalidJWT
	}
	return p, nil
}

// Recheck says whether a SQL client's user may still act: not
// deactivated, and its session, if it gave one, not ended.
func (a *Authenticator) Recheck(ctx context.Context, p *auth.Principal, password string) error {
	if a.Verifier != nil && a.Verifier.Deactivated(p.Email) {
		return auth.ErrNoSession
	}
	if a.Sessions != nil && !strings.Contains(password, ".") {
		_, err := a.Sessions.Lookup(ctx, password)
		return err
	}
	return nil
}
