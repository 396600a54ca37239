package agentapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
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
	errTooLarge = &apiError{status: http.StatusRequestEntityTooLarge, Code: "request_too_large",
		Message: fmt.Sprintf("The request body is larger than %d bytes.", MaxBodyBytes)}
)

func badRequest(format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, Code: "invalid_request", Message: fmt.Sprintf(format, args...)}
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
			ae = &apiError{status: http.StatusInternalServerError, Code: "internal_error", Message: "Something went wrong."}
		}
	}
	if ae.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(ae.retryAfter))
	}
	writeJSON(w, ae.status, ae)
}

// jsonProblem describes a JSON decoding error without echoing the input.
func jsonProblem(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("invalid JSON at byte %d", syn.Offset)
	case errors.As(err, &typ):
		if typ.Field != "" {
			return fmt.Sprintf("%s must be %s, not %s", typ.Field, jsonKind(typ.Type.Kind().String()), typ.Value)
		}
		return fmt.Sprintf("expected %s, not %s", jsonKind(typ.Type.Kind().String()), typ.Value)
	case err.Error() == "EOF":
		return "the body is empty"
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
