package sqlast

import (
	"strconv"
	"strings"

	"github.com/agentlayer/agentlayer/semantic"
)

// DuckDB renders SQL for DuckDB.
type DuckDB struct{}

var _ Dialect = DuckDB{}

// Name implements Dialect.
func (DuckDB) Name() string { return "duckdb" }

// QuoteIdent implements Dialect: "name", with embedded quotes doubled.
func (DuckDB) QuoteIdent(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// quoteString renders a string literal of the model (a file path), never a
// request value: those are always bound.
func quoteString(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// Source implements Dialect.
func (d DuckDB) Source(src semantic.Source) string {
	switch src.Kind {
	case semantic.SourceSQL:
		return "(" + src.Text + ")"
	case semantic.SourceParquet:
		return "read_parquet(" + quoteString(src.Text) + ")"
	case semantic.SourceCSV:
		return "read_csv(" + quoteString(src.Text) + ")"
	}
	return qualified(d, src.Text)
}

// Placeholder implements Dialect: $1, $2, …
func (DuckDB) Placeholder(n int) string { return "$" + strconv.Itoa(n) }

func (DuckDB) typeName(t Type) string {
	return [...]string{"BIGINT", "DOUBLE", "VARCHAR", "BOOLEAN", "DATE", "TIMESTAMP", "TIMESTAMPTZ", "HUGEINT"}[t]
}

func (DuckDB) interval(w *writer, i Interval) {
	w.str("INTERVAL " + strconv.Itoa(i.N) + " " + strings.ToUpper(i.Unit))
}

func (DuckDB) bytewiseOrder() bool { return false }

func (DuckDB) aggregate(w *writer, a Agg) { writeAgg(w, a) }

// duckFns are DuckDB's functions for the operations that are one call.
var duckFns = map[FnOp]string{
	FnRegexp: "regexp_matches", FnIsNaN: "isnan", FnFinite: "isfinite", FnJSONValid: "json_valid", FnContains: "contains",
	FnStartsWith: "starts_with", FnEndsWith: "ends_with", FnMicros: "to_microseconds",
}

// duckParts are DuckDB's functions extracting each part.
var duckParts = map[string]string{"day-of-week": "isodow", "day-of-month": "dayofmonth", "day-of-year": "dayofyear", "week-of-year": "week",
	"month-of-year": "month", "quarter-of-year": "quarter", "hour-of-day": "hour", "minute-of-hour": "minute", "second-of-minute": "second", "year": "year"}

func (DuckDB) fn(w *writer, f Fn) {
	call := func(name string, args ...Expr) { Call{Name: name, Args: args}.write(w) }
	switch f.Op {
	case FnTrunc:
		call("date_trunc", Constant(f.Arg), f.Args[0])
	case FnExtract:
		call(duckParts[f.Arg], f.Args[0])
	case FnLocal:
		call("timezone", Constant(f.Arg), Call{Name: "timezone", Args: []Expr{Constant("UTC"), f.Args[0]}})
	case FnLocalTZ:
		call("timezone", Constant(f.Arg), f.Args[0])
	case FnChecked:
		op := f.Arg
		if op == "/" {
			op = "//"
		}
		call("try", Bin{Op: op, L: f.Args[0], R: f.Args[1]})
	case FnRegexp:
		if len(f.Args) == 1 {
			call("regexp_matches", f.Args[0], Constant(f.Arg))
			return
		}
		call("regexp_matches", f.Args...)
	case FnRegexpFull:
		call("regexp_full_match", f.Args[0], Constant(f.Arg))
	case FnQuantile:
		call("quantile_cont", f.Args[0], lit(f.Arg))
	case FnBytewise:
		f.Args[0].write(w)
	case FnHMAC:
		unhex := func(x Expr) Expr { return Call{Name: "unhex", Args: []Expr{x}} }
		inner := Call{Name: "sha256", Args: []Expr{Bin{Op: "||", L: unhex(f.Args[1]), R: Call{Name: "encode", Args: []Expr{f.Args[0]}}}}}
		call("sha256", Bin{Op: "||", L: unhex(f.Args[2]), R: unhex(inner)})
	case FnRound:
		typ := TypeDouble
		if f.Kind.IsInteger() {
			typ = TypeBigInt
		}
		Cast{X: Call{Name: "round", Args: []Expr{Cast{X: f.Args[0], Type: TypeDouble}, lit(f.Arg)}}, Type: typ}.write(w)
	default:
		call(duckFns[f.Op], f.Args...)
	}
}
