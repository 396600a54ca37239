package engine

import (
	"errors"
	"fmt"

	"github.com/agentlayer/agentlayer/sqlgen"
)

// Error is a request error an agent can act on: what is wrong, where in the
// request, and the valid alternatives. Its Kind says which of the Agent
// API's errors it is; every operation of the engine returns one for a bad
// request, or for what does not exist or the caller may not see.
type Error = sqlgen.Error

// ErrorKind classifies an Error; Code names it in the Agent API.
type ErrorKind = sqlgen.ErrorKind

// The kinds of Error.
const (
	KindInvalid        ErrorKind = sqlgen.KindInvalid
	KindInvalidFieldID ErrorKind = sqlgen.KindInvalidFieldID
	KindPrefixMismatch ErrorKind = sqlgen.KindPrefixMismatch
	KindNotFound       ErrorKind = sqlgen.KindNotFound
	KindForbidden      ErrorKind = sqlgen.KindForbidden
)

// The sentinels to test an Error's kind with errors.Is.
var (
	// ErrNotFound: no table, metric, field, segment or measure of that id
	// exists for the caller. One the caller may not see is not found. A
	// field that does not exist or is hidden is an *Error of
	// KindInvalidFieldID (invalid_field_id, as Metabase answers), which
	// matches ErrNotFound too.
	ErrNotFound *Error = sqlgen.ErrNotFound
	// ErrForbidden: the table or metric exists, but the caller may not see
	// it.
	ErrForbidden *Error = sqlgen.ErrForbidden
)

// ErrOverloaded is returned when a query waited QueueTimeout for one of the
// MaxConcurrentQueries slots and none came free.
var ErrOverloaded = errors.New("too many queries are running; retry shortly")

// ErrOffline is returned by what would run SQL on an Offline engine.
var ErrOffline = errors.New("engine: offline: there is no database to run queries on")

// ErrTimeout ends a query that ran longer than QueryTimeout.
var ErrTimeout = errors.New("the query took too long")

// ErrUnavailable is returned, wrapping the database's error, when a query
// could not start because the database cannot be reached: a PostgreSQL
// server down, restarting or refusing connections. Retry later.
var ErrUnavailable = errors.New("the database is unavailable")

// QueryError is a query that failed while running in the database. Err is
// the database's error, for logs: it may name tables and columns of the
// model and, on PostgreSQL, quote a value. Class names the kind of
// failure in a few words ("conversion", "out of range", "connection
// lost"), safe to show to the user, as Error's text is not.
type QueryError struct {
	Err   error
	Class string
}

func (e *QueryError) Error() string { return fmt.Sprintf("query failed: %v", e.Err) }

func (e *QueryError) Unwrap() error { return e.Err }

func noTable(id int) *Error {
	return sqlgen.NotFound("", "No table found with table_id %d", id)
}

func noMetric() *Error { return sqlgen.NotFound("", sqlgen.MessageNotFound) }
