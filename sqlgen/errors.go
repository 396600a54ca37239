package sqlgen

import (
	"errors"
	"fmt"
)

// ErrorKind classifies a request error; the HTTP adapter maps each kind to
// a status and an error code.
type ErrorKind int

// The kinds of request error.
const (
	// KindInvalid: the request is malformed or does not fit the model (400).
	KindInvalid ErrorKind = iota
	// KindInvalidFieldID: a field id is not t<n>-<n> or c<n>-<n> (400).
	KindInvalidFieldID
	// KindPrefixMismatch: a field id of another table or metric (400).
	KindPrefixMismatch
	// KindNotFound: a table, metric, field, segment or measure that does not
	// exist for the caller (404).
	KindNotFound
	// KindForbidden: every part is visible, but no single grant covers them
	// together (403).
	KindForbidden
)

// Error is a request error an agent can act on: what is wrong, where in the
// request, and the valid alternatives where they help.
type Error struct {
	Kind       ErrorKind
	Message    string
	Path       string   // e.g. filters[2].value
	Candidates []string // valid alternatives
}

func (e *Error) Error() string { return e.Message }

// ErrForbidden is returned by Access.RowFilter when no grant covers every
// field a query reads of a table.
var ErrForbidden = errors.New("you don't have permissions to do that")

func invalid(path, format string, args ...any) *Error {
	return &Error{Kind: KindInvalid, Path: path, Message: fmt.Sprintf(format, args...)}
}

func notFound(path, format string, args ...any) *Error {
	return &Error{Kind: KindNotFound, Path: path, Message: fmt.Sprintf(format, args...)}
}

// forbidden is the error for a table or metric that exists but that the
// caller may not see, worded as Metabase does.
func forbidden(path string) *Error {
	return &Error{Kind: KindForbidden, Path: path, Message: "You don't have permissions to do that."}
}

func (e *Error) with(candidates ...string) *Error {
	e.Candidates = candidates
	return e
}
