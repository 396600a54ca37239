package agentapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/agentlayer/agentlayer/auth"
	"github.com/agentlayer/agentlayer/engine"
)

// apiError is an error with its HTTP status and JSON body.
type apiError struct {
	status     int
	Code       string   `json:"error"`
	Message    string   `json:"message"`
	Path       string   `json:"path,omitempty"`
	Candidates []string `json:"candidates,omitempty"`
	Reason     string   `json:"reason,omitempty"`
	retryAfter int      // seconds, for 503
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

// The fixed errors of the Agent API (docs/api.md).
var (
	errMissingAuth = &apiError{status: http.StatusUnauthorized, Code: "missing_authorization",
		Message: "Authentication required. Use X-Metabase-Session header or Authorization: Bearer <jwt>."}
	errAuthFormat = &apiError{status: http.StatusUnauthorized, Code: "invalid_authorization_format",
		Message: "Authorization header must use Bearer scheme: Authorization: Bearer <jwt>"}
	errInvalidJWT = &apiError{status: http.StatusUnauthorized, Code: "invalid_jwt",
		Message: "Invalid or expired JWT token."}
	errJWTNotConfigured = &apiError{status: http.StatusUnauthorized, Code: "jwt_not_configured",
		Message: "JWT authentication is not configured. Set the JWT shared secret in admin settings."}
	errScope = &apiError{status: http.StatusForbidden, Code: "unsupported_scope",
		Message: "Insufficient scope for this operation."}
	errNotFound = &apiError{status: http.StatusNotFound, Code: engine.KindNotFound.Code(), Message: engine.MessageNotFound}
	errInternal = &apiError{status: http.StatusInternalServerError, Code: "internal_error", Message: "Something went wrong."}
	errMethod   = &apiError{status: http.StatusMethodNotAllowed, Code: "method_not_allowed", Message: "Method not allowed."}
	errTooLarge = &apiError{status: http.StatusRequestEntityTooLarge, Code: "request_too_large",
		Message: fmt.Sprintf("The request body is larger than %d bytes.", MaxBodyBytes)}
	errOverloaded = &apiError{status: http.StatusServiceUnavailable, Code: "overloaded",
		Message: "Too many queries are running. Retry shortly.", retryAfter: 1}
	errTimeout     = &apiError{status: http.StatusGatewayTimeout, Code: "timeout", Message: "The query took too long."}
	errUnavailable = &apiError{status: http.StatusServiceUnavailable, Code: "unavailable",
		Message: "The database cannot be reached. Retry shortly.", retryAfter: 1}
)

// kindStatus is the HTTP status of each kind of request error.
var kindStatus = map[engine.ErrorKind]int{
	engine.KindInvalid:        http.StatusBadRequest,
	engine.KindInvalidFieldID: http.StatusBadRequest,
	engine.KindPrefixMismatch: http.StatusBadRequest,
	engine.KindNotFound:       http.StatusNotFound,
	engine.KindForbidden:      http.StatusForbidden,
}

// mapError turns an error into its API error: the one place where errors
// meet status codes. An error it does not know is logged and answered as
// an internal error that says nothing of it.
func (h *handler) mapError(r *http.Request, err error) *apiError {
	var ae *apiError
	var se *engine.Error
	var bad *engine.BadTokenError
	var qe *engine.QueryError
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.As(err, &se):
		return &apiError{status: kindStatus[se.Kind], Code: se.Kind.Code(), Message: se.Message, Path: se.Path, Candidates: se.Candidates, Reason: se.Reason}
	case errors.As(err, &bad):
		return &apiError{status: http.StatusBadRequest, Code: engine.KindInvalid.Code(), Message: bad.Error(), Path: "query"}
	case errors.Is(err, engine.ErrOverloaded):
		return errOverloaded
	case errors.Is(err, engine.ErrUnavailable):
		h.log.ErrorContext(r.Context(), "database unavailable", "err", err.Error())
		return errUnavailable
	case errors.As(err, new(*auth.StoreError)):
		h.log.ErrorContext(r.Context(), "session store unavailable", "err", err.Error())
		return errUnavailable
	case errors.Is(err, engine.ErrTimeout), errors.Is(err, context.DeadlineExceeded):
		return errTimeout
	case errors.As(err, &qe):
		h.log.ErrorContext(r.Context(), "query failed", "err", qe.Err.Error())
		return &apiError{status: http.StatusInternalServerError, Code: "query_failed", Message: failedMessage(qe)}
	}
	h.log.ErrorContext(r.Context(), "request failed", "err", err.Error())
	return errInternal
}

// failedMessage tells a client that its query failed, and the kind of
// error, but not the database's detail, which could quote a value of a
// column the client may not see; the detail goes to the log.
func failedMessage(qe *engine.QueryError) string {
	class := qe.Class
	if class == "" {
		class = "error"
	}
	return "The query failed while running (" + class + "); the server log has the details."
}

func badRequest(format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, Code: "invalid_request", Message: fmt.Sprintf(format, args...)}
}

// badRequestAt is badRequest about the request's part at path.
func badRequestAt(path, format string, args ...any) *apiError {
	e := badRequest(format, args...)
	e.Path = path
	return e
}

// writeError writes an API error as the JSON body of its status.
func writeError(w http.ResponseWriter, ae *apiError) {
	if ae.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(ae.retryAfter))
	}
	writeJSON(w, ae.status, ae)
}

// fail answers a request with its error; a client that went away gets
// nothing, and its request is logged as canceled.
func (h *handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		info(r.Context()).outcome = "canceled"
		return
	}
	writeError(w, h.mapError(r, err))
}

// jsonProblem describes an error decoding data without echoing it.
func jsonProblem(data []byte, err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case len(bytes.TrimSpace(data)) == 0:
		return "the body is empty"
	case errors.As(err, &syn):
		return fmt.Sprintf("invalid JSON at byte %d", syn.Offset)
	case errors.As(err, &typ):
		if typ.Field != "" {
			return fmt.Sprintf("%s must be %s, not %s", typ.Field, jsonKind(typ.Type.Kind().String()), typ.Value)
		}
		return fmt.Sprintf("expected %s, not %s", jsonKind(typ.Type.Kind().String()), typ.Value)
	}
	return "invalid JSON"
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "int", "int64", "float64":
		return "a number"
	case "bool":
		return "true or false"
	case "slice":
		return "a list"
	case "struct", "map", "ptr":
		return "an object"
	}
	return goKind
}

// jsonKindOf names the JSON type of a decoded value.
func jsonKindOf(v any) string {
	switch v.(type) {
	case []any:
		return "a list"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return "a number"
}
