package engine

import (
	"context"
	"encoding/binary"
	"math"
	"strconv"
	"time"
	"unsafe"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/agentlayer/agentlayer/internal/jsonw"
	"github.com/agentlayer/agentlayer/semantic"
)

// pgxQuery runs text on PostgreSQL through pgx's own interface, on a
// connection of the engine's pool (with every setting its sessions pin:
// read-only, the statement timeout, UTC, standard-conforming strings,
// the cancel request on a cancelled context), which the answer holds until
// closed. pgx prepares the text once per connection and asks for binary
// values, which the answer writes as JSON without boxing them.
func (e *Engine) pgxQuery(ctx context.Context, text string, args []any, cols []Column) (encodedRows, bool, error) {
	if err := e.stmts.admit(ctx, text); err != nil {
		return nil, false, err
	}
	conn, err := e.db.Conn(ctx)
	if err != nil {
		return nil, false, err
	}
	var rows pgx.Rows
	var tm *pgtype.Map
	notPgx := false
	err = conn.Raw(func(dc any) error {
		sc, ok := dc.(*stdlib.Conn)
		if !ok {
			notPgx = true
			return nil
		}
		// The rows read from the connection after Raw returns: it is this
		// answer's alone until the answer closes it.
		tm = sc.Conn().TypeMap()
		rows, err = sc.Conn().Query(ctx, text, args...)
		return err
	})
	if err != nil || notPgx {
		conn.Close()
		return nil, false, err
	}
	fds := rows.FieldDescriptions()
	if len(fds) != len(cols) {
		rows.Close()
		conn.Close()
		return nil, false, nil
	}
	a := &pgxAnswer{rows: rows, tm: tm, fds: fds, numbers: make([]byte, len(fds)), close: func() { rows.Close(); conn.Close() }}
	for i, fd := range fds {
		a.numbers[i] = pgNumberKind(fd.DataTypeOID, cols[i])
	}
	return a, true, nil
}

// pgxAnswer is an answer read through pgx: each row's values as the
// server sent them, written as JSON as the boxed path (pgx's database/sql
// driver, then formatter.appendRow) would write them.
type pgxAnswer struct {
	rows    pgx.Rows
	tm      *pgtype.Map
	fds     []pgconn.FieldDescription
	numbers []byte
	close   func()
	scratch []byte
}

func (a *pgxAnswer) Next() bool      { return a.rows.Next() }
func (a *pgxAnswer) Numbers() []byte { return a.numbers }
func (a *pgxAnswer) Close()          { a.close() }

// Err is the rows' error; a value that could not be read ends them too.
func (a *pgxAnswer) Err() error { return a.rows.Err() }

// pgEpoch is PostgreSQL's: its dates and timestamps count from it.
var pgEpoch = time.Date(2000, time.January, 1, 0, 0, 0, 0, time.UTC)

// AppendRow appends the current row as a JSON array.
func (a *pgxAnswer) AppendRow(dst []byte, f *formatter) []byte {
	dst = append(dst, '[')
	for i, raw := range a.rows.RawValues() {
		if i > 0 {
			dst = append(dst, ',')
		}
		if raw == nil {
			dst = append(dst, "null"...)
			continue
		}
		dst = a.appendValue(dst, f, i, raw)
	}
	return append(dst, ']')
}

// appendValue appends one value: the common types from their binary form
// directly, any other as pgx's database/sql driver gives it, formatted by
// the boxed path's own code.
func (a *pgxAnswer) appendValue(dst []byte, f *formatter, i int, raw []byte) []byte {
	fd := a.fds[i]
	if fd.Format == pgx.BinaryFormatCode {
		switch fd.DataTypeOID {
		case pgtype.BoolOID:
			if len(raw) == 1 {
				return strconv.AppendBool(dst, raw[0] == 1)
			}
		case pgtype.Int2OID:
			if len(raw) == 2 {
				return strconv.AppendInt(dst, int64(int16(binary.BigEndian.Uint16(raw))), 10)
			}
		case pgtype.Int4OID:
			if len(raw) == 4 {
				return strconv.AppendInt(dst, int64(int32(binary.BigEndian.Uint32(raw))), 10)
			}
		case pgtype.Int8OID:
			if len(raw) == 8 {
				x := int64(binary.BigEndian.Uint64(raw))
				if x <= maxSafeInt && x >= -maxSafeInt {
					return strconv.AppendInt(dst, x, 10)
				}
				return jsonw.String(dst, strconv.FormatInt(x, 10))
			}
		case pgtype.Float4OID:
			if len(raw) == 4 {
				return appendFloat(dst, f, i, float64(math.Float32frombits(binary.BigEndian.Uint32(raw))))
			}
		case pgtype.Float8OID:
			if len(raw) == 8 {
				return appendFloat(dst, f, i, math.Float64frombits(binary.BigEndian.Uint64(raw)))
			}
		case pgtype.TextOID, pgtype.VarcharOID, pgtype.BPCharOID, pgtype.NameOID:
			return appendText(dst, f, i, unsafe.String(unsafe.SliceData(raw), len(raw)))
		case pgtype.NumericOID:
			if text, ok := numericText(a.scratch[:0], raw); ok {
				a.scratch = text
				return appendText(dst, f, i, unsafe.String(unsafe.SliceData(text), len(text)))
			}
		case pgtype.DateOID:
			if len(raw) == 4 {
				if d := int32(binary.BigEndian.Uint32(raw)); d != math.MaxInt32 && d != math.MinInt32 {
					return appendQuotedTime(dst, f, i, pgEpoch.AddDate(0, 0, int(d)))
				}
			}
		case pgtype.TimestampOID, pgtype.TimestamptzOID:
			if len(raw) == 8 {
				if us := int64(binary.BigEndian.Uint64(raw)); us != math.MaxInt64 && us != math.MinInt64 {
					return appendQuotedTime(dst, f, i, time.UnixMicro(us+pgEpoch.UnixMicro()).UTC())
				}
			}
		}
	}
	// As pgx's database/sql driver gives it (its Rows.Next): a string for
	// every type it has no Go type for (numeric, time, uuid, enums), else
	// its value; then formatted as the boxed path formats that.
	var v any
	var err error
	switch fd.DataTypeOID {
	case pgtype.DateOID:
		var d pgtype.Date
		if err = a.tm.Scan(fd.DataTypeOID, fd.Format, raw, &d); err == nil {
			v, err = d.Value()
		}
	case pgtype.TimestampOID:
		var d pgtype.Timestamp
		if err = a.tm.Scan(fd.DataTypeOID, fd.Format, raw, &d); err == nil {
			v, err = d.Value()
		}
	case pgtype.TimestamptzOID:
		var d pgtype.Timestamptz
		if err = a.tm.Scan(fd.DataTypeOID, fd.Format, raw, &d); err == nil {
			v, err = d.Value()
		}
	case pgtype.BoolOID, pgtype.Int2OID, pgtype.Int4OID, pgtype.Int8OID, pgtype.Float4OID, pgtype.Float8OID, pgtype.ByteaOID:
		t, ok := a.tm.TypeForOID(fd.DataTypeOID)
		if !ok {
			return append(dst, "null"...)
		}
		v, err = t.Codec.DecodeValue(a.tm, fd.DataTypeOID, fd.Format, raw)
		switch x := v.(type) {
		case int16:
			v = int64(x)
		case int32:
			v = int64(x)
		case float32:
			v = float64(x)
		}
	default:
		var s string
		if err = a.tm.Scan(fd.DataTypeOID, fd.Format, raw, &s); err == nil {
			return appendText(dst, f, i, s)
		}
	}
	if err != nil {
		return append(dst, "null"...)
	}
	return f.appendOne(dst, i, v)
}

// appendFloat appends a double as the boxed path does: rounded to its
// field's decimals; NaN and infinities as null.
func appendFloat(dst []byte, f *formatter, i int, x float64) []byte {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return append(dst, "null"...)
	}
	return jsonw.Float(dst, f.round(i, x))
}

// appendText appends a value that arrived as text as the boxed path does
// (formatter.text for numeric and time columns), without boxing the
// common cases: an integer in JSON's safe range, an exact decimal.
func appendText(dst []byte, f *formatter, i int, s string) []byte {
	switch k := f.cols[i].Kind; {
	case k.IsInteger():
		if x, err := strconv.ParseInt(s, 10, 64); err == nil && x <= maxSafeInt && x >= -maxSafeInt {
			return strconv.AppendInt(dst, x, 10)
		}
		return appendValue(dst, f.text(i, s))
	case k.IsNumeric():
		if !isJSONNumber(s) {
			return append(dst, "null"...)
		}
		return append(dst, trimDecimal(s)...)
	case k == semantic.KindTime:
		return appendValue(dst, f.text(i, s))
	}
	return jsonw.String(dst, s)
}

// appendQuotedTime appends a date or timestamp as the boxed path does.
func appendQuotedTime(dst []byte, f *formatter, i int, t time.Time) []byte {
	dst = append(dst, '"')
	dst = f.appendTime(dst, &f.cols[i], t)
	return append(dst, '"')
}

// numericText appends PostgreSQL's text of a binary numeric to dst, as
// its output function writes it (every digit of its display scale); ok
// is false for NaN and infinities, and a malformed value.
func numericText(dst []byte, raw []byte) ([]byte, bool) {
	if len(raw) < 8 {
		return dst, false
	}
	ndigits := int(binary.BigEndian.Uint16(raw[0:]))
	weight := int(int16(binary.BigEndian.Uint16(raw[2:])))
	sign := binary.BigEndian.Uint16(raw[4:])
	dscale := int(binary.BigEndian.Uint16(raw[6:]))
	if len(raw) != 8+2*ndigits || (sign != 0 && sign != 0x4000) {
		return dst, false
	}
	digit := func(k int) int {
		if k < 0 || k >= ndigits {
			return 0
		}
		return int(binary.BigEndian.Uint16(raw[8+2*k:]))
	}
	if sign == 0x4000 {
		dst = append(dst, '-')
	}
	// The integer part: base-10000 digits 0 … weight.
	if weight < 0 {
		dst = append(dst, '0')
	} else {
		for k := 0; k <= weight; k++ {
			d := digit(k)
			if k == 0 {
				dst = strconv.AppendInt(dst, int64(d), 10)
				continue
			}
			dst = append(dst, byte('0'+d/1000), byte('0'+d/100%10), byte('0'+d/10%10), byte('0'+d%10))
		}
	}
	if dscale > 0 {
		dst = append(dst, '.')
		written := 0
		for k := weight + 1; written < dscale; k++ {
			d := digit(k)
			for _, c := range [4]byte{byte('0' + d/1000), byte('0' + d/100%10), byte('0' + d/10%10), byte('0' + d%10)} {
				if written == dscale {
					break
				}
				dst = append(dst, c)
				written++
			}
		}
	}
	return dst, true
}

// pgNumberKind is the kind of a column's numbers as decodeRow reads them
// back, as numberKinds finds them on the boxed path.
func pgNumberKind(oid uint32, c Column) byte {
	switch oid {
	case pgtype.Int2OID, pgtype.Int4OID, pgtype.Int8OID:
		return 'i'
	case pgtype.Float4OID, pgtype.Float8OID:
		return 'f'
	}
	switch k := c.Kind; {
	case k.IsInteger():
		return 'i'
	case k.IsNumeric():
		return 'n'
	}
	return 0
}
