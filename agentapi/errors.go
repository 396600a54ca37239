package agentapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/agentlayer/agentlayer/engine"
	"github.com/agentlayer/agentlayer/sqlgen"
)

// apiError is an error with its HTTP status and JSON body.
type apiError struct {
	status     int
	Code       string   `json:"error"`
	Message    string   `json:"message"`
	Path       string   `json:"path,omitempty"`
	Candidates []string `json:"candidates,omitempty"`
	retryAfter int      // seconds, for 503
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

// The fixed errors of API.md.
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
	errForbidden = &apiError{status: http.StatusForbidden, Code: "forbidden",
		Message: "You don't have permissions to do that."}
	errNotFound = &apiError{status: http.StatusNotFound, Code: "not_found", Message: "Not found."}
	errInternal = &apiError{status: http.StatusInternalServerError, Code: "internal_error", Message: "Something went wrong."}
	errMethod   = &apiError{status: http.StatusMethodNotAllowed, Code: "method_not_allowed", Message: "Method not allowed."}
	errTooLarge = &apiError{status: http.StatusRequestEntityTooLarge, Code: "request_too_large",
		Message: fmt.Sprintf("The request body is larger than %d bytes.", MaxBodyBytes)}
)

var errOverloaded = &apiError{status: http.StatusServiceUnavailable, Code: "overloaded",
	Message: "Too many queries are running. Retry shortly.", retryAfter: 1}

// mapError turns an error of the engine into its API error: the one place
// where errors meet status codes. what and id name the table or metric of
// the route, for 404 messages.
func (h *handler) mapError(r *http.Request, err error, what string, id int) error {
	var se *sqlgen.Error
	var bad *engine.ErrBadToken
	var qe *engine.QueryError
	switch {
	case errors.As(err, &se):
		ae := &apiError{Message: se.Message, Path: se.Path, Candidates: se.Candidates}
		switch se.Kind {
		case sqlgen.KindInvalidFieldID:
			ae.status, ae.Code = http.StatusBadRequest, "invalid_field_id"
		case sqlgen.KindPrefixMismatch:
			ae.status, ae.Code = http.StatusBadRequest, "field_prefix_mismatch"
		case sqlgen.KindNotFound:
			ae.status, ae.Code = http.StatusNotFound, "not_found"
		case sqlgen.KindForbidden:
			ae.status, ae.Code = http.StatusForbidden, "forbidden"
		default:
			ae.status, ae.Code = http.StatusBadRequest, "invalid_request"
		}
		return ae
	case errors.Is(err, engine.ErrNotFound):
		if what == "table" {
			return &apiError{status: http.StatusNotFound, Code: "not_found", Message: fmt.Sprintf("No table found with table_id %d", id)}
		}
		return errNotFound
	case errors.Is(err, engine.ErrForbidden):
		return errForbidden
	case errors.As(err, &bad):
		return &apiError{status: http.StatusBadRequest, Code: "invalid_request", Message: bad.Error(), Path: "query"}
	case errors.Is(err, engine.ErrOverloaded):
		return errOverloaded
	case errors.Is(err, engine.ErrTimeout):
		return &apiError{status: http.StatusGatewayTimeout, Code: "timeout", Message: "The query took too long."}
	case errors.As(err, &qe):
		h.log.ErrorContext(r.Context(), "query failed", "err", qe.Err.Error())
		return &apiError{status: http.StatusInternalServerError, Code: "query_failed", Message: failedMessage(qe)}
	}
	h.log.ErrorContext(r.Context(), "request failed", "err", err.Error())
	return err
}

// failedMessage tells a client that its query failed, and the kind of
// error, but not the database's detail, which could quote a value of a
// column the client may not see; the detail goes to the log.
func failedMessage(qe *engine.QueryError) string {
	kind := "error"
	if msg := qe.Err.Error(); strings.Contains(msg, " Error: ") {
		kind = strings.TrimSpace(msg[:strings.Index(msg, " Error: ")]) + " error"
		if i := strings.LastIndexAny(kind, ":\n"); i >= 0 {
			kind = strings.TrimSpace(kind[i+1:])
		}
	}
	return "The query failed while running (" + strings.ToLower(kind) + "); the server log has the details."
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

// writeError writes err as the JSON error body of its status. An error that
// is not an *apiError is an internal error: its text is not shown.
func writeError(w http.ResponseWriter, err error) {
	var ae *apiError
	if !errors.As(err, &ae) {
		switch {
		case errors.Is(err, context.DeadlineExceeded):
			ae = &apiError{status: http.StatusGatewayTimeout, Code: "timeout", Message: "The query took too long."}
		default:
			ae = errInternal
		}
	}
	if ae.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(ae.retryAfter))
	}
	writeJSON(w, ae.status, ae)
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
