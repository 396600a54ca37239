package engine

import (
	"github.com/agentlayer/agentlayer/internal/yamldoc"
	"github.com/agentlayer/agentlayer/permissions"
	"github.com/agentlayer/agentlayer/semantic"
	"github.com/agentlayer/agentlayer/sqlgen"
)

// The types of a construct request, as the Agent API's construct-query
// takes it, so that an embedder builds and reads requests with this
// package alone.
type (
	// Request is a construct request: a table request (TableID set) or a
	// metric request (MetricID set).
	Request = sqlgen.Request
	// Filter is a segment, a condition on a field, or a filter of filters
	// (and, or, not).
	Filter = sqlgen.Filter
	// Having is a condition on one of the request's aggregations.
	Having = sqlgen.Having
	// RequestField names a field of a request, optionally bucketed.
	RequestField = sqlgen.RequestField
	// Aggregation is a count, a function over a field, or a measure.
	Aggregation = sqlgen.Aggregation
	// GroupBy groups by a field, optionally at a granularity.
	GroupBy = sqlgen.GroupBy
	// OrderBy sorts by a field, or by an aggregation.
	OrderBy = sqlgen.OrderBy
)

// ParseRequest decodes a construct request from JSON, strictly: an unknown
// key that looks like a typo, a key given twice, a value of the wrong JSON
// type, or a cap exceeded is an *Error naming where.
func ParseRequest(data []byte) (*Request, error) { return sqlgen.ParseRequest(data) }

// DecodeRequest reads a construct request from JSON already decoded into a
// tree (objects as map[string]any, numbers as json.Number): for a caller
// that reads other keys of the same body.
func DecodeRequest(tree any) (*Request, error) { return sqlgen.RequestOf(tree) }

// The request caps, each a 400 that names it.
const (
	MaxFilters       = sqlgen.MaxFilters
	MaxValues        = sqlgen.MaxValues
	MaxPatternValues = sqlgen.MaxPatternValues
	MaxValueBytes    = sqlgen.MaxValueBytes
	MaxFields        = sqlgen.MaxFields
	MaxGroupBy       = sqlgen.MaxGroupBy
	MaxAggregations  = sqlgen.MaxAggregations
	MaxOrderBy       = sqlgen.MaxOrderBy
)

// The problems of the files an engine loads, told apart with errors.As.
type (
	// ModelError lists every problem of a model file, at file:line:col.
	ModelError = semantic.Error
	// PolicyError lists every problem of a policy file, at file:line:col.
	PolicyError = permissions.Error
	// ProblemList is what ModelError and PolicyError hold: their
	// problems, sorted by position (All).
	ProblemList = yamldoc.List
	// Problem is one problem of a file: where, what, and the line's text.
	Problem = yamldoc.Problem
	// Position is a place in a file: its name, line and column (from 1;
	// 0 when unknown).
	Position = yamldoc.Pos
)

// The words of an answer's columns.
type (
	// Kind is the kind of a column's values (integer, text, timestamp, …):
	// its String is the Agent API's type name, Words says it in words.
	Kind = semantic.Kind
	// Bucket is the temporal bucket of a column or filter: a truncation
	// (minute … year) or an extraction (day-of-week … second-of-minute).
	Bucket = sqlgen.Bucket
)

// The reasons of the 403s for a table or metric no policy grants: an
// adapter that answers them as absent (MCP) tells them by these.
const (
	ReasonTable  = sqlgen.ReasonTable
	ReasonMetric = sqlgen.ReasonMetric
)

// MessageNotFound is the message of a not-found error that needs no
// detail, in Metabase's words.
const MessageNotFound = sqlgen.MessageNotFound
