package agentapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/agentlayer/agentlayer/engine"
	"github.com/agentlayer/agentlayer/internal/httpapi"
)

// apiError is an error with its HTTP status and JSON body, shared with the
// MCP adapter.
type apiError = httpapi.Error

// The fixed errors of the Agent API (docs/api.md).
var (
	errMissingAuth      = httpapi.ErrMissingAuth
	errAuthFormat       = httpapi.ErrAuthFormat
	errInvalidJWT       = httpapi.ErrInvalidJWT
	errJWTNotConfigured = httpapi.ErrJWTNotConfigured
	errNotFound         = httpapi.ErrNotFound
	errInternal         = httpapi.ErrInternal
	errOverloaded       = httpapi.ErrOverloaded
	errMethod           = &apiError{Status: http.StatusMethodNotAllowed, Code: "method_not_allowed", Message: "Method not allowed."}
	errTooLarge         = &apiError{Status: http.StatusRequestEntityTooLarge, Code: "request_too_large",
		Message: fmt.Sprintf("The request body is larger than %d bytes.", MaxBodyBytes)}
)

// mapError turns an error into its API error (httpapi.Map).
func (h *handler) mapError(r *http.Request, err error) *apiError {
	return httpapi.Map(r.Context(), h.log, err)
}

func badRequest(format string, args ...any) *apiError {
	return &apiError{Status: http.StatusBadRequest, Code: "invalid_request", Message: fmt.Sprintf(format, args...)}
}

// badRequestAt is badRequest about the request's part at path.
func badRequestAt(path, format string, args ...any) *apiError {
	e := badRequest(format, args...)
	e.Path = path
	return e
}

// writeError writes an API error as the JSON body of its status.
func writeError(w http.ResponseWriter, ae *apiError) { httpapi.Write(w, ae) }

// fail answers a request with its error; a client that went away gets
// nothing, and its request is logged as canceled.
func (h *handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		info(r.Context()).outcome = "canceled"
		return
	}
	switch {
	case errors.Is(err, engine.ErrOverloaded):
		info(r.Context()).outcome = "overloaded" // the limits at work, not a bug
	case errors.Is(err, engine.ErrUnavailable):
		info(r.Context()).outcome = "unavailable"
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
