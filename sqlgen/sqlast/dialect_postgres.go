package sqlast

import (
	"strconv"

	"github.com/agentlayer/agentlayer/semantic"
)

// Postgres renders SQL for PostgreSQL (15 and later), meaning exactly what
// the DuckDB rendering means: text compares and sorts byte by byte
// (COLLATE "C"), integer arithmetic yields NULL on overflow or division by
// zero instead of an error, extractions are integers, a date truncates as
// a date. Values are parameters of the extended protocol, never
// interpolated.
type Postgres struct{}

var _ Dialect = Postgres{}

// Name implements Dialect.
func (Postgres) Name() string { return "postgres" }

// QuoteIdent implements Dialect: "name", with embedded quotes doubled.
func (Postgres) QuoteIdent(name string) string { return DuckDB{}.QuoteIdent(name) }

// Source implements Dialect: a table or a SELECT. Files are DuckDB's:
// a model naming one is refused before it reaches here.
func (d Postgres) Source(src semantic.Source) string {
	if src.Kind == semantic.SourceSQL {
		return "(" + src.Text + ")"
	}
	return qualified(d, src.Text)
}

// Placeholder implements Dialect: $1, $2, …
func (Postgres) Placeholder(n int) string { return "$" + strconv.Itoa(n) }

func (Postgres) typeName(t Type) string {
	return [...]string{"BIGINT", "DOUBLE PRECISION", "TEXT", "BOOLEAN", "DATE", "TIMESTAMP", "TIMESTAMPTZ", "NUMERIC"}[t]
}

func (Postgres) interval(w *writer, i Interval) {
	w.str("CAST(" + quoteString(strconv.Itoa(i.N)+" "+i.Unit) + " AS INTERVAL)")
}

func (Postgres) bytewiseOrder() bool { return true }

// aggregate writes an average or a standard deviation as a double, as
// DuckDB's are (PostgreSQL's of integers are NUMERIC): the exact average,
// then a double; the deviation computed in doubles, as DuckDB does.
func (Postgres) aggregate(w *writer, a Agg) {
	switch a.Func {
	case "avg":
		w.str("CAST(")
		writeAgg(w, a)
		w.str(" AS DOUBLE PRECISION)")
	case "stddev_pop":
		if a.Arg != nil {
			a.Arg = Cast{X: a.Arg, Type: TypeDouble}
		}
		writeAgg(w, a)
	default:
		writeAgg(w, a)
	}
}

// pgParts are EXTRACT's fields for each part.
var pgParts = map[string]string{"day-of-week": "ISODOW", "day-of-month": "DAY", "day-of-year": "DOY", "week-of-year": "WEEK",
	"month-of-year": "MONTH", "quarter-of-year": "QUARTER", "hour-of-day": "HOUR", "minute-of-hour": "MINUTE", "second-of-minute": "SECOND", "year": "YEAR"}

func (d Postgres) fn(w *writer, f Fn) {
	const nan, inf = "CAST('NaN' AS DOUBLE PRECISION)", "CAST('Infinity' AS DOUBLE PRECISION)"
	var x, y Expr
	if len(f.Args) > 0 {
		x = f.Args[0]
	}
	if len(f.Args) > 1 {
		y = f.Args[1]
	}
	switch f.Op {
	case FnTrunc:
		if f.Kind == semantic.KindDate {
			// date_trunc of a DATE is a TIMESTAMPTZ, in the session's zone.
			x = Cast{X: x, Type: TypeTimestamp}
		}
		w.printf("date_trunc(%q, %v)", f.Arg, x)
	case FnExtract:
		if f.Arg == "second-of-minute" {
			w.printf("CAST(floor(EXTRACT(SECOND FROM %v)) AS BIGINT)", x)
		} else {
			w.printf("CAST(EXTRACT(%s FROM %v) AS BIGINT)", pgParts[f.Arg], x)
		}
	case FnLocal:
		w.printf("((%o AT TIME ZONE 'UTC') AT TIME ZONE %q)", x, f.Arg)
	case FnLocalTZ:
		w.printf("(%o AT TIME ZONE %q)", x, f.Arg)
	case FnChecked:
		d.checked(w, f)
	case FnRegexp, FnRegexpFull:
		d.fnRegexp(w, f)
	case FnFinite:
		w.printf("(%o NOT IN ("+nan+", "+inf+", CAST('-Infinity' AS DOUBLE PRECISION)))", x)
	case FnIsNaN:
		w.printf("(%o = "+nan+")", x)
	case FnQuantile:
		w.printf("percentile_cont(%s) WITHIN GROUP (ORDER BY %v)", f.Arg, x)
	case FnJSONValid:
		// PostgreSQL 15 has no test of JSON validity (16 has IS JSON): the
		// document's outer brackets stand for it.
		w.printf(`(%o ~ '^\s*(\{.*\}|\[.*\])\s*$')`, x)
	case FnContains:
		w.printf("(strpos(%v, %v) > 0)", x, y)
	case FnStartsWith:
		w.printf("starts_with(%v, %v)", x, y)
	case FnEndsWith:
		w.printf("(right(%v, length(%v)) = %o)", x, y, y)
	case FnMicros:
		w.printf("(CAST(%v AS BIGINT) * INTERVAL '1 microsecond')", x)
	case FnBytewise:
		w.printf(`(%o COLLATE "C")`, x)
	case FnHMAC:
		w.printf("encode(sha256(decode(%v, 'hex') || sha256(decode(%v, 'hex') || convert_to(%v, 'UTF8'))), 'hex')", f.Args[2], y, x)
	case FnRound:
		typ := TypeDouble
		if f.Kind.IsInteger() {
			typ = TypeBigInt
		}
		w.printf("CAST(round(CAST(%v AS NUMERIC), %s) AS %s)", x, f.Arg, d.typeName(typ))
	}
}

// fnRegexp writes a regular-expression match, its pattern translated to
// PostgreSQL's flavour: a pattern of the model (f.Arg) as a literal, one
// bound by the caller as a parameter (NULL if it is not text).
func (d Postgres) fnRegexp(w *writer, f Fn) {
	if f.Op == FnRegexpFull {
		d.regexp(w, f.Args[0], "^(?:"+f.Arg+")$", func(pg string) { w.str(quoteString(pg)) })
		return
	}
	if len(f.Args) == 1 {
		d.regexp(w, f.Args[0], f.Arg, func(pg string) { w.str(quoteString(pg)) })
		return
	}
	p, ok := f.Args[1].(Param)
	s, isText := p.Value.(string)
	if !ok || !isText {
		Null.write(w)
		return
	}
	d.regexp(w, f.Args[0], s, func(pg string) { Param{Value: pg}.write(w) })
}

// checked writes 64-bit integer arithmetic that is NULL, not an error, on
// overflow or division by zero: it computes in NUMERIC, exact, and keeps
// the result only within BIGINT's range. Division truncates toward zero,
// as CEL's.
func (Postgres) checked(w *writer, f Fn) {
	l, r := Cast{X: f.Args[0], Type: TypeNumeric}, Cast{X: f.Args[1], Type: TypeNumeric}
	var v Expr = Bin{Op: f.Arg, L: l, R: r}
	switch f.Arg {
	case "/":
		v = Call{Name: "div", Args: []Expr{l, r}}
	case "%":
		v = Call{Name: "mod", Args: []Expr{l, r}}
	}
	w.str("CASE")
	if f.Arg == "/" || f.Arg == "%" {
		w.str(" WHEN ")
		w.operand(f.Args[1])
		w.str(" = 0 THEN NULL")
	}
	w.str(" WHEN ")
	w.operand(v)
	w.str(" BETWEEN -9223372036854775808 AND 9223372036854775807 THEN ")
	Cast{X: v, Type: TypeBigInt}.write(w)
	w.str(" END")
}

// regexp writes x matching the RE2 pattern p, translated (PostgresPattern)
// and applied to x as bytes in code point order; pattern writes the
// translation. A pattern PostgreSQL cannot express is a CEL error: NULL.
func (Postgres) regexp(w *writer, x Expr, p string, pattern func(string)) {
	pg, err := PostgresPattern(p)
	if err != nil {
		Null.write(w)
		return
	}
	w.str("(")
	w.operand(x)
	w.str(` COLLATE "C" ~ `)
	pattern(pg)
	w.str(")")
}
