//go:build duckdb_arrow

package engine

import (
	"context"
	"database/sql/driver"
	"encoding/base64"
	"errors"
	"math"
	"strconv"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/duckdb/duckdb-go/v2"

	"github.com/agentlayer/agentlayer/internal/jsonw"
	"github.com/agentlayer/agentlayer/semantic"
)

// Columnar reports whether this build reads DuckDB's answers through its
// Arrow interface (the duckdb_arrow build tag): record batches whose
// values are written as JSON from their columns, with no Go value boxed
// per cell. Without the tag, answers are read through database/sql.
const Columnar = true

// arrowQuery runs text on DuckDB through its Arrow interface, on a
// connection of its own, which the returned answer holds until closed.
// ok is false when this answer cannot be read so (the connection is not
// DuckDB's, or a column's type has no columnar writer here): the caller
// then runs text the boxed way.
func (e *Engine) arrowQuery(ctx context.Context, text string, args []any, cols []Column) (encodedRows, bool, error) {
	if err := e.stmts.admit(ctx, text); err != nil {
		return nil, false, err
	}
	conn, err := e.db.Conn(ctx)
	if err != nil {
		return nil, false, err
	}
	var rr array.RecordReader
	notDuck := false
	err = conn.Raw(func(dc any) error {
		dconn, ok := dc.(driver.Conn)
		a, err := duckdb.NewArrowFromConn(dconn)
		if !ok || err != nil {
			notDuck = true
			return nil
		}
		checker, _ := dc.(driver.NamedValueChecker)
		bound := make([]any, len(args))
		for i, v := range args {
			if bound[i], err = bindable(checker, v); err != nil {
				return err
			}
		}
		// The record reader reads from the connection after Raw returns:
		// the connection is this answer's alone until it closes it.
		rr, err = a.QueryContext(ctx, text, bound...)
		return err
	})
	if err != nil || notDuck {
		conn.Close()
		return nil, false, err
	}
	writers, numbers, ok := columnWriters(rr.Schema(), cols)
	if !ok || len(writers) != len(cols) {
		rr.Release()
		conn.Close()
		return nil, false, nil
	}
	return &arrowAnswer{rr: rr, writers: writers, numbers: numbers, close: func() { rr.Release(); conn.Close() }}, true, nil
}

// bindable converts an argument as database/sql would before the driver
// binds it: the driver's own check, else the default conversion (int to
// int64, a Valuer to its value).
func bindable(checker driver.NamedValueChecker, v any) (any, error) {
	if checker != nil {
		nv := driver.NamedValue{Value: v}
		if err := checker.CheckNamedValue(&nv); err == nil {
			return nv.Value, nil
		} else if !errors.Is(err, driver.ErrSkip) {
			return nil, err
		}
	}
	return driver.DefaultParameterConverter.ConvertValue(v)
}

// arrowAnswer is a query's record reader and how to write each column.
type arrowAnswer struct {
	rr      array.RecordReader
	writers []columnWriter
	numbers []byte // each column's numbers, for decodeRow: 'i', 'f', 'n' or 0
	close   func()
	batch   arrow.RecordBatch // the current batch, nil before the first
	cols    []arrow.Array
	n, row  int // the batch's rows, and the current one
}

// columnWriter appends the JSON of row i of a column, formatted as the
// boxed path formats the value the driver would have given (Rows.Row).
type columnWriter func(dst []byte, f *formatter, col int, a arrow.Array, i int) []byte

// Next advances to the answer's next row, reading the next record batch
// when one is done.
func (a *arrowAnswer) Next() bool {
	for a.batch == nil || a.row+1 >= a.n {
		if !a.rr.Next() {
			a.batch = nil
			return false
		}
		a.load()
		a.row = -1
	}
	a.row++
	return true
}

// load makes the reader's batch the current one.
func (a *arrowAnswer) load() {
	a.batch = a.rr.RecordBatch()
	a.cols, a.n = a.batch.Columns(), int(a.batch.NumRows())
	for _, c := range a.cols {
		if d, ok := c.(*array.Dictionary); ok {
			d.Dictionary() // made on first use: not while rows are written at once
		}
	}
}

// AppendRow appends the current row as a JSON array.
func (a *arrowAnswer) AppendRow(dst []byte, f *formatter) []byte {
	return a.AppendRowAt(dst, f, a.row)
}

// Batch reads the rest of the current batch, or the next one.
func (a *arrowAnswer) Batch() (from, to int, ok bool) {
	if a.batch != nil && a.row+1 < a.n {
		from = a.row + 1
	} else {
		if !a.rr.Next() {
			a.batch = nil
			return 0, 0, false
		}
		a.load()
	}
	a.row = a.n - 1
	return from, a.n, true
}

// AppendRowAt appends row i of the current batch as a JSON array. Rows of
// one batch may be written at once.
func (a *arrowAnswer) AppendRowAt(dst []byte, f *formatter, i int) []byte {
	dst = append(dst, '[')
	for k, w := range a.writers {
		if k > 0 {
			dst = append(dst, ',')
		}
		if a.cols[k].IsNull(i) {
			dst = append(dst, "null"...)
			continue
		}
		dst = w(dst, f, k, a.cols[k], i)
	}
	return append(dst, ']')
}

func (a *arrowAnswer) Numbers() []byte { return a.numbers }
func (a *arrowAnswer) Err() error      { return a.rr.Err() }
func (a *arrowAnswer) Close()          { a.close() }

// columnWriters picks a writer for each column of schema, and the kind
// of its numbers as decodeRow reads them back ('i' integers, 'f' doubles,
// 'n' exact decimals), or reports that a column has no writer.
func columnWriters(schema *arrow.Schema, cols []Column) ([]columnWriter, []byte, bool) {
	ws := make([]columnWriter, schema.NumFields())
	numbers := make([]byte, schema.NumFields())
	for i, f := range schema.Fields() {
		if i >= len(cols) {
			return nil, nil, false
		}
		w := writerFor(f.Type, cols[i])
		if w == nil {
			return nil, nil, false
		}
		ws[i] = w
		switch t := f.Type.(type) {
		case *arrow.Float32Type, *arrow.Float64Type:
			numbers[i] = 'f'
		case *arrow.Decimal128Type:
			numbers[i] = 'n'
			if t.Scale == 0 && cols[i].Kind.IsInteger() {
				numbers[i] = 'i'
			}
		case *arrow.StringType, *arrow.LargeStringType, *arrow.StringViewType:
			if k := cols[i].Kind; k.IsInteger() {
				numbers[i] = 'i' // PostgreSQL's way; not DuckDB's
			} else if k.IsNumeric() {
				numbers[i] = 'n'
			}
		default:
			if arrow.IsInteger(t.ID()) {
				numbers[i] = 'i'
			}
		}
	}
	return ws, numbers, true
}

func writerFor(t arrow.DataType, c Column) columnWriter {
	switch t := t.(type) {
	case *arrow.BooleanType:
		return func(dst []byte, _ *formatter, _ int, a arrow.Array, i int) []byte {
			return strconv.AppendBool(dst, a.(*array.Boolean).Value(i))
		}
	case *arrow.Int8Type:
		return intWriter(func(a arrow.Array, i int) int64 { return int64(a.(*array.Int8).Value(i)) })
	case *arrow.Int16Type:
		return intWriter(func(a arrow.Array, i int) int64 { return int64(a.(*array.Int16).Value(i)) })
	case *arrow.Int32Type:
		return intWriter(func(a arrow.Array, i int) int64 { return int64(a.(*array.Int32).Value(i)) })
	case *arrow.Int64Type:
		return intWriter(func(a arrow.Array, i int) int64 { return a.(*array.Int64).Value(i) })
	case *arrow.Uint8Type:
		return intWriter(func(a arrow.Array, i int) int64 { return int64(a.(*array.Uint8).Value(i)) })
	case *arrow.Uint16Type:
		return intWriter(func(a arrow.Array, i int) int64 { return int64(a.(*array.Uint16).Value(i)) })
	case *arrow.Uint32Type:
		return intWriter(func(a arrow.Array, i int) int64 { return int64(a.(*array.Uint32).Value(i)) })
	case *arrow.Uint64Type:
		return func(dst []byte, _ *formatter, _ int, a arrow.Array, i int) []byte {
			if x := a.(*array.Uint64).Value(i); x > maxSafeInt {
				return strconv.AppendQuote(dst, strconv.FormatUint(x, 10))
			} else {
				return strconv.AppendInt(dst, int64(x), 10)
			}
		}
	case *arrow.Float32Type:
		return floatWriter(c, func(a arrow.Array, i int) float64 { return float64(a.(*array.Float32).Value(i)) })
	case *arrow.Float64Type:
		return floatWriter(c, func(a arrow.Array, i int) float64 { return a.(*array.Float64).Value(i) })
	case *arrow.StringType:
		return textWriter(func(a arrow.Array, i int) string { return a.(*array.String).Value(i) })
	case *arrow.LargeStringType:
		return textWriter(func(a arrow.Array, i int) string { return a.(*array.LargeString).Value(i) })
	case *arrow.StringViewType:
		return textWriter(func(a arrow.Array, i int) string { return a.(*array.StringView).Value(i) })
	case *arrow.BinaryType:
		return func(dst []byte, _ *formatter, _ int, a arrow.Array, i int) []byte {
			return jsonw.String(dst, base64.StdEncoding.EncodeToString(a.(*array.Binary).Value(i)))
		}
	case *arrow.TimestampType:
		unit := t.Unit
		if unit == arrow.Microsecond { // DuckDB's TIMESTAMP and TIMESTAMPTZ
			return timeWriter(func(a arrow.Array, i int) time.Time {
				return time.UnixMicro(int64(a.(*array.Timestamp).Value(i))).UTC()
			})
		}
		return timeWriter(func(a arrow.Array, i int) time.Time { return a.(*array.Timestamp).Value(i).ToTime(unit) })
	case *arrow.Date32Type:
		return timeWriter(func(a arrow.Array, i int) time.Time { return a.(*array.Date32).Value(i).ToTime() })
	case *arrow.Time64Type:
		unit := t.Unit
		return timeWriter(func(a arrow.Array, i int) time.Time {
			d := time.Duration(a.(*array.Time64).Value(i)) * unit.Multiplier()
			return time.Date(1, time.January, 1, 0, 0, 0, 0, time.UTC).Add(d)
		})
	case *arrow.DictionaryType: // DuckDB's ENUM
		values := writerFor(t.ValueType, c)
		if values == nil {
			return nil
		}
		return func(dst []byte, f *formatter, col int, a arrow.Array, i int) []byte {
			d := a.(*array.Dictionary)
			return values(dst, f, col, d.Dictionary(), d.GetValueIndex(i))
		}
	case *arrow.Decimal128Type:
		scale := t.Scale
		integer := scale == 0 && c.Kind.IsInteger() // DuckDB's HUGEINT arrives so
		return func(dst []byte, f *formatter, col int, a arrow.Array, i int) []byte {
			v := a.(*array.Decimal128).Value(i)
			if integer {
				if x := int64(v.LowBits()); v.FitsInPrecision(15) && x <= maxSafeInt && x >= -maxSafeInt {
					return strconv.AppendInt(dst, x, 10) // |v| < 10^15
				}
				return appendValue(dst, f.value(col, v.BigInt()))
			}
			return append(dst, duckdb.Decimal{Scale: uint8(scale), Value: v.BigInt()}.String()...)
		}
	}
	return nil
}

func intWriter(get func(a arrow.Array, i int) int64) columnWriter {
	return func(dst []byte, _ *formatter, _ int, a arrow.Array, i int) []byte {
		x := get(a, i)
		if x <= maxSafeInt && x >= -maxSafeInt {
			return strconv.AppendInt(dst, x, 10)
		}
		return jsonw.String(dst, strconv.FormatInt(x, 10))
	}
}

func floatWriter(c Column, get func(a arrow.Array, i int) float64) columnWriter {
	round, scale := c.Round, math.Pow10(c.Decimals)
	return func(dst []byte, _ *formatter, _ int, a arrow.Array, i int) []byte {
		return appendRounded(dst, round, scale, get(a, i))
	}
}

// appendRounded writes x as formatter.round and jsonw.Float would, the
// column's rounding (round, to 1/scale) decided once for the answer: NaN
// and infinities are null.
func appendRounded(dst []byte, round bool, scale, x float64) []byte {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return append(dst, "null"...)
	}
	if round {
		if rounded := math.Round(x*scale) / scale; !math.IsInf(rounded, 0) {
			x = rounded
		}
	}
	return jsonw.Float(dst, x)
}

func textWriter(get func(a arrow.Array, i int) string) columnWriter {
	return func(dst []byte, f *formatter, col int, a arrow.Array, i int) []byte {
		s := get(a, i)
		if k := f.cols[col].Kind; k.IsNumeric() || k == semantic.KindTime {
			return appendValue(dst, f.text(col, s))
		}
		return jsonw.String(dst, s)
	}
}

func timeWriter(get func(a arrow.Array, i int) time.Time) columnWriter {
	return func(dst []byte, f *formatter, col int, a arrow.Array, i int) []byte {
		dst = append(dst, '"')
		dst = f.appendTime(dst, &f.cols[col], get(a, i))
		return append(dst, '"')
	}
}
