package sqlgen

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
var pgParts = map[Bucket]string{DayOfWeek: "ISODOW", DayOfMonth: "DAY", DayOfYear: "DOY", WeekOfYear: "WEEK",
	MonthOfYear: "MONTH", QuarterOfYear: "QUARTER", HourOfDay: "HOUR", MinuteOfHour: "MINUTE", SecondOfMinute: "SECOND", Year: "YEAR"}

func (d Postgres) fn(w *writer, f Fn) {
	arg := func(i int) { w.operand(f.Args[i]) }
	switch f.Op {
	case FnTrunc:
		x := f.Args[0]
		if f.Kind == semantic.KindDate {
			// date_trunc of a DATE is a TIMESTAMPTZ, in the session's zone.
			x = Cast{X: x, Type: TypeTimestamp}
		}
		Call{Name: "date_trunc", Args: []Expr{constant(f.Arg), x}}.write(w)
	case FnExtract:
		w.str("CAST(")
		if Bucket(f.Arg) == SecondOfMinute {
			w.str("floor(EXTRACT(SECOND FROM ")
			f.Args[0].write(w)
			w.str("))")
		} else {
			w.str("EXTRACT(" + pgParts[Bucket(f.Arg)] + " FROM ")
			f.Args[0].write(w)
			w.str(")")
		}
		w.str(" AS BIGINT)")
	case FnLocal:
		w.str("((")
		arg(0)
		w.str(" AT TIME ZONE 'UTC') AT TIME ZONE " + quoteString(f.Arg) + ")")
	case FnLocalTZ:
		w.str("(")
		arg(0)
		w.str(" AT TIME ZONE " + quoteString(f.Arg) + ")")
	case FnChecked:
		d.checked(w, f)
	case FnRegexp:
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
	case FnRegexpFull:
		d.regexp(w, f.Args[0], "^(?:"+f.Arg+")$", func(pg string) { w.str(quoteString(pg)) })
	case FnFinite:
		w.str("(")
		arg(0)
		w.str(" NOT IN (CAST('NaN' AS DOUBLE PRECISION), CAST('Infinity' AS DOUBLE PRECISION), CAST('-Infinity' AS DOUBLE PRECISION)))")
	case FnIsNaN:
		w.str("(")
		arg(0)
		w.str(" = CAST('NaN' AS DOUBLE PRECISION))")
	case FnQuantile:
		w.str("percentile_cont(" + f.Arg + ") WITHIN GROUP (ORDER BY ")
		f.Args[0].write(w)
		w.str(")")
	case FnJSONValid:
		// PostgreSQL 15 has no test of JSON validity (16 has IS JSON): the
		// document's outer brackets stand for it.
		w.str("(")
		arg(0)
		w.str(` ~ '^\s*(\{.*\}|\[.*\])\s*$')`)
	case FnContains:
		w.str("(strpos(")
		f.Args[0].write(w)
		w.str(", ")
		f.Args[1].write(w)
		w.str(") > 0)")
	case FnStartsWith:
		Call{Name: "starts_with", Args: f.Args}.write(w)
	case FnEndsWith:
		w.str("(right(")
		f.Args[0].write(w)
		w.str(", length(")
		f.Args[1].write(w)
		w.str(")) = ")
		arg(1)
		w.str(")")
	case FnMicros:
		w.str("(CAST(")
		f.Args[0].write(w)
		w.str(" AS BIGINT) * INTERVAL '1 microsecond')")
	case FnBytewise:
		w.str("(")
		arg(0)
		w.str(` COLLATE "C")`)
	case FnHMAC:
		decode := func(x Expr) Expr { return Call{Name: "decode", Args: []Expr{x, constant("hex")}} }
		inner := Call{Name: "sha256", Args: []Expr{Bin{Op: "||", L: decode(f.Args[1]), R: Call{Name: "convert_to", Args: []Expr{f.Args[0], constant("UTF8")}}}}}
		outer := Call{Name: "sha256", Args: []Expr{Bin{Op: "||", L: decode(f.Args[2]), R: inner}}}
		Call{Name: "encode", Args: []Expr{outer, constant("hex")}}.write(w)
	case FnRound:
		typ := TypeDouble
		if f.Kind.IsInteger() {
			typ = TypeBigInt
		}
		Cast{X: Call{Name: "round", Args: []Expr{Cast{X: f.Args[0], Type: TypeNumeric}, lit(f.Arg)}}, Type: typ}.write(w)
	}
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
