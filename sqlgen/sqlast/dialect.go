package sqlast

import (
	"strings"

	"github.com/agentlayer/agentlayer/semantic"
)

// Dialect is what rendering needs to know about a database's SQL: how it
// quotes, where a table's rows come from, how it marks parameters, and how
// it spells every operation that differs between engines (Fn, Type,
// Interval, the ordering of text). Its implementations are this package's:
// DuckDB and Postgres.
type Dialect interface {
	// Name is the database engine's name as the Agent API reports it.
	Name() string
	// QuoteIdent quotes an identifier that comes from the model.
	QuoteIdent(name string) string
	// Source renders a table source as a FROM item, without alias.
	Source(src semantic.Source) string
	// Placeholder is the marker of the n-th bound parameter, from 1.
	Placeholder(n int) string

	// fn writes an operation whose spelling differs between engines.
	fn(w *writer, f Fn)
	// typeName names a type in a cast.
	typeName(t Type) string
	// interval writes a fixed interval.
	interval(w *writer, i Interval)
	// bytewiseOrder reports whether text must be told to compare and sort
	// byte by byte (DuckDB does by default; PostgreSQL follows the
	// database's collation).
	bytewiseOrder() bool
	// aggregate writes an aggregate call.
	aggregate(w *writer, a Agg)
}

// Type is a SQL type of a cast or of a list parameter.
type Type int

// The types.
const (
	TypeBigInt Type = iota
	TypeDouble
	TypeText
	TypeBoolean
	TypeDate
	TypeTimestamp
	TypeTimestampTZ
	TypeNumeric // exact, unbounded: for checked arithmetic
)

// FnOp is an operation whose spelling differs between engines.
type FnOp int

// The operations of Fn. Args are their operands; Arg is a constant of the
// operation (a unit, a part, a zone, an operator, a pattern or a
// fraction), chosen by this package or the configuration, never by a
// request.
const (
	// FnTrunc truncates Args[0], a wall-clock timestamp (a date if Kind is
	// a date), to the unit Arg: minute … year.
	FnTrunc FnOp = iota
	// FnExtract extracts the part Arg of Args[0], as an integer: day-of-week
	// (1 = Monday), day-of-month, day-of-year, week-of-year (ISO),
	// month-of-year, quarter-of-year, hour-of-day, minute-of-hour,
	// second-of-minute (whole seconds) or year.
	FnExtract
	// FnLocal is Args[0], a TIMESTAMP of UTC wall-clock time, as wall-clock
	// time in the zone Arg.
	FnLocal
	// FnLocalTZ is Args[0], a TIMESTAMPTZ, as wall-clock time in zone Arg.
	FnLocalTZ
	// FnChecked is Args[0] Arg Args[1] (Arg one of + - * / %) on 64-bit
	// integers: NULL on overflow or division by zero, as CEL's error, never
	// a failed query. Division truncates toward zero.
	FnChecked
	// FnRegexp is true when Args[0] matches the regular expression Args[1]
	// (a parameter) somewhere; without Args[1], the expression Arg written
	// by this package.
	FnRegexp
	// FnRegexpFull is true when Args[0] matches the regular expression Arg
	// whole.
	FnRegexpFull
	// FnIsNaN is true when Args[0] is NaN.
	FnIsNaN
	// FnFinite is true when the double Args[0] is neither NaN nor infinite.
	FnFinite
	// FnQuantile is the continuous quantile Arg ("0.25") of Args[0]: an
	// aggregate.
	FnQuantile
	// FnJSONValid is true when the text Args[0] is a JSON document.
	FnJSONValid
	// FnContains, FnStartsWith and FnEndsWith are true when the text
	// Args[0] contains, starts or ends with Args[1], case sensitively.
	FnContains
	FnStartsWith
	FnEndsWith
	// FnMicros is an interval of Args[0] microseconds.
	FnMicros
	// FnBytewise is the text Args[0], compared and sorted byte by byte.
	FnBytewise
	// FnHMAC is the HMAC-SHA256 of the text Args[0] (its UTF-8 bytes),
	// as 64 lower-case hex digits, from its key's inner and outer pads
	// (Args[1], Args[2]: hex text): sha256(opad ‖ sha256(ipad ‖ value)).
	FnHMAC
	// FnRound is the number Args[0] rounded to Arg decimal places (tens,
	// hundreds… for a negative Arg), of the same kind (Kind).
	FnRound
)

// qualified quotes a table name that may be qualified: schema.table or
// catalog.schema.table.
func qualified(d Dialect, name string) string {
	parts := strings.Split(name, ".")
	for i, p := range parts {
		parts[i] = d.QuoteIdent(p)
	}
	return strings.Join(parts, ".")
}
