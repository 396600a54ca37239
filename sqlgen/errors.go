package sqlgen

import "fmt"

// ErrorKind classifies a request error. Each kind has one error code of
// the Agent API (Code); the HTTP adapter maps kinds to statuses.
type ErrorKind int

// The kinds of request error.
const (
	// KindInvalid: the request is malformed or does not fit the model
	// (400 invalid_request).
	KindInvalid ErrorKind = iota
	// KindInvalidFieldID: a field id is not t<n>-<n> or c<n>-<n> (400
	// invalid_field_id).
	KindInvalidFieldID
	// KindPrefixMismatch: a field id of another table or metric (400
	// field_prefix_mismatch).
	KindPrefixMismatch
	// KindNotFound: a table, metric, field, segment or measure that does not
	// exist for the caller (404 not_found). One the caller may not see is
	// not found, exactly like one that does not exist.
	KindNotFound
	// KindForbidden: a table or metric the caller may not see, or parts of
	// a table no single grant covers together (403 forbidden).
	KindForbidden
)

// Code is the kind's error code in the Agent API.
func (k ErrorKind) Code() string {
	switch k {
	case KindInvalidFieldID:
		return "invalid_field_id"
	case KindPrefixMismatch:
		return "field_prefix_mismatch"
	case KindNotFound:
		return "not_found"
	case KindForbidden:
		return "forbidden"
	}
	return "invalid_request"
}

// The messages of the kinds that need no detail, in Metabase's words.
const (
	MessageForbidden = "You don't have permissions to do that."
	MessageNotFound  = "Not found."
)

// Error is a request error an agent can act on: what is wrong, where in the
// request, and the valid alternatives where they help. It is the one error
// type of requests in agentlayer: the engine's errors of what a caller may
// not see or that does not exist are Errors too.
type Error struct {
	Kind       ErrorKind
	Message    string
	Path       string   // e.g. filters[2].value
	Candidates []string // valid alternatives
	// Reason says in words an agent can pass on why a forbidden request is
	// refused; it names only what the caller may see.
	Reason string
	// Rule names the access rule that refused a forbidden request
	// (RuleAggregate), for the audit log; "" otherwise.
	Rule     string
	sentinel bool
}

// RuleAggregate is the Rule of a request refused by the aggregate rules
// (sqlgen/aggregate.go), when planned or after counting rows (a filter's
// set under the minimum group size).
const RuleAggregate = "aggregate-only"

// Error is the message, and, for a refusal, its reason: what a log or an
// embedder printing the error needs ("You don't have permissions to do
// that. No policy grants you this table…").
func (e *Error) Error() string {
	if e.Reason != "" {
		return e.Message + " " + e.Reason
	}
	return e.Message
}

// Is reports whether target is the sentinel of e's kind, so that
// errors.Is(err, ErrNotFound) holds for every not-found error. A field id
// or name that names no field the caller may see (KindInvalidFieldID, as
// Metabase answers it) is not found too.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	if !ok || !t.sentinel {
		return false
	}
	return t.Kind == e.Kind || (t.Kind == KindNotFound && e.Kind == KindInvalidFieldID)
}

// The sentinels of the kinds a caller tests for.
var (
	// ErrNotFound matches every error of KindNotFound.
	ErrNotFound = &Error{Kind: KindNotFound, Message: MessageNotFound, sentinel: true}
	// ErrForbidden matches every error of KindForbidden; Access.RowFilter
	// returns it when no grant covers the fields a query reads together.
	ErrForbidden = &Error{Kind: KindForbidden, Message: MessageForbidden, sentinel: true}
)

func invalid(path, format string, args ...any) *Error {
	return &Error{Kind: KindInvalid, Path: path, Message: fmt.Sprintf(format, args...)}
}

// NotFound is an error of KindNotFound at path, with its message.
func NotFound(path, format string, args ...any) *Error {
	return &Error{Kind: KindNotFound, Path: path, Message: fmt.Sprintf(format, args...)}
}

// Forbidden is the error for a table or metric that exists but that the
// caller may not see, at path, worded as Metabase does, with the reason in
// words.
func Forbidden(path, reason string) *Error {
	return &Error{Kind: KindForbidden, Path: path, Message: MessageForbidden, Reason: reason}
}

// The reasons of forbidden errors.
const (
	ReasonTable  = "No policy grants you this table. Ask whoever manages access to the data if you need it."
	ReasonMetric = "No policy grants you this metric: its table, or a field it reads. Ask whoever manages access to the data if you need it."
	// ReasonTogether: each field is visible, but no one policy grants them
	// all together.
	ReasonTogether = "No single policy grants you all the fields this query reads together. Ask for fewer fields at once."
	// ReasonAggregateOnly: the table is granted for aggregates only.
	ReasonAggregateOnly = "Your access to this table is for aggregates only: ask for counts, sums or averages, grouped by fields that do not identify anyone."
	// ReasonAggregateFunctions: under aggregate-only access, functions
	// that return one row's value are refused.
	ReasonAggregateFunctions = "Your access to these rows is for aggregates only, over groups of a minimum size: count, count-distinct, sum and avg are allowed, without a filter of their own; min and max would return one row's value."
	// ReasonAggregateIdentifying: under aggregate-only access, grouping or
	// filtering by an identifying field is refused.
	ReasonAggregateIdentifying = "Your access to these rows is for aggregates only: a query cannot group or filter them by a field that identifies a row or a person (a key, a name, an email, an address, a birth date)."
	// ReasonAggregateSumIdentifying: under aggregate-only access, a sum or
	// an average of an identifying field is refused.
	ReasonAggregateSumIdentifying = "Your access to these rows is for aggregates only: a sum or an average of a field that identifies a row or a person (a key, a name, an email, an address, a birth date) could tell its values; count-distinct of it is allowed."
	// ReasonAggregateTime (with the grant's time granularity, twice):
	// under aggregate-only access, dates and timestamps are grouped and
	// compared in whole units.
	ReasonAggregateTime = "Your access to these rows is for aggregates only, to the %s: dates and timestamps are grouped and compared in whole %ss (a bound or a bucket inside one would tell rows apart)."
	// ReasonAggregateCutBucket (with the bucket, twice): a range on a field
	// grouped by a bucket must not cut a bucket.
	ReasonAggregateCutBucket = "Your access to these rows is for aggregates only: a range on a field grouped by %s must start and end on %s boundaries, so that no group holds only part of its period."
	// ReasonAggregateMeasure: a floating-point or decimal field without
	// bins is aggregated, never filtered.
	ReasonAggregateTree = "Your access to these rows is for aggregates only: filters are ANDed there, each a set of at least the minimum group size; and, or and not are not allowed."

	ReasonAggregateMeasure = "Your access to these rows is for aggregates only: a floating-point or decimal field (an amount) can be summed or averaged, not filtered, unless the model declares bins for it."
	// ReasonAggregateBins: a binned field is compared only with its edges.
	ReasonAggregateBins = "Your access to these rows is for aggregates only: this field is compared only with the edges of its bins (the model's bins), by greater-than-or-equal and less-than."
	// ReasonAggregateTextRange: text is compared only for equality.
	ReasonAggregateTextRange = "Your access to these rows is for aggregates only: text is compared only by equals and not-equals."
	// ReasonAggregatePattern: text patterns select sets no rule bounds.
	ReasonAggregatePattern = "Your access to these rows is for aggregates only: text is compared by equals and not-equals, not by patterns."
	// ReasonAggregateSmallSet (with the minimum group size): a value or a
	// bound of a filter selects a set of rows under the minimum.
	ReasonAggregateSmallSet = "Your access to these rows is for aggregates only, over at least %d rows: a value or a bound of this filter selects fewer rows than that (but some), which would tell them apart. Ask about a wider set."
)

func (e *Error) with(candidates ...string) *Error {
	e.Candidates = candidates
	return e
}
