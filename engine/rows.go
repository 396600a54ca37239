package engine

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"math"
	"math/big"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/agentlayer/agentlayer/semantic"
)

// Rows is the result of a query, read row by row as DuckDB produces it.
// Values come formatted for JSON: dates and timestamps as ISO-8601 strings
// (timestamps in the report time zone), integers beyond ±2^53 as strings.
// Rows is not safe for concurrent use; the caller must Close it.
type Rows struct {
	Columns []Column

	ctx   context.Context
	done  func() // releases the query's slot and timeout
	rows  *sql.Rows
	zone  *time.Location
	vals  []any
	ptrs  []any
	count int
	err   error
}

func newRows(rows *sql.Rows, cols []Column, zone *time.Location) *Rows {
	r := &Rows{Columns: cols, rows: rows, zone: zone, vals: make([]any, len(cols)), ptrs: make([]any, len(cols))}
	for i := range r.vals {
		r.ptrs[i] = &r.vals[i]
	}
	return r
}

// Next advances to the next row; false at the end or on error (see Err).
func (r *Rows) Next() bool {
	if r.err != nil || !r.rows.Next() {
		return false
	}
	if err := r.rows.Scan(r.ptrs...); err != nil {
		r.err = err
		return false
	}
	r.count++
	return true
}

// Deadline is when the query's time runs out: past it, the query is
// cancelled and its slot freed, whether or not its rows were read. A
// writer of the rows can stop waiting on a slow reader then too.
func (r *Rows) Deadline() (time.Time, bool) {
	if r.ctx == nil {
		return time.Time{}, false
	}
	return r.ctx.Deadline()
}

// Count is the number of rows read so far.
func (r *Rows) Count() int { return r.count }

// Err is the error that ended the rows, if any: ErrTimeout, the context's
// error, or a *QueryError.
func (r *Rows) Err() error {
	err := r.err
	if err == nil {
		err = r.rows.Err()
	}
	if err == nil {
		return nil
	}
	if r.ctx != nil {
		if cause := context.Cause(r.ctx); cause != nil {
			return cause
		}
	}
	return &QueryError{Err: err}
}

// Close releases the rows, cancels what remains of the query and frees its
// slot. It may be called more than once.
func (r *Rows) Close() error {
	err := r.rows.Close()
	if r.done != nil {
		r.done()
		r.done = nil
	}
	return err
}

// Row returns the current row's values: nil, bool, int64, float64,
// json.Number (an exact decimal) or string.
func (r *Rows) Row() []any {
	out := make([]any, len(r.vals))
	for i, v := range r.vals {
		out[i] = r.value(i, v)
	}
	return out
}

// AppendJSON appends the current row as a JSON array to dst, formatting
// each value as Row does without building it first.
func (r *Rows) AppendJSON(dst []byte) []byte {
	dst = append(dst, '[')
	for i, v := range r.vals {
		if i > 0 {
			dst = append(dst, ',')
		}
		switch x := v.(type) {
		case int64:
			if x <= maxSafeInt && x >= -maxSafeInt {
				dst = strconv.AppendInt(dst, x, 10)
				continue
			}
		case int32:
			dst = strconv.AppendInt(dst, int64(x), 10)
			continue
		case float64:
			if !math.IsNaN(x) && !math.IsInf(x, 0) {
				dst = appendFloat(dst, x)
				continue
			}
		case string:
			dst = appendString(dst, x)
			continue
		case time.Time:
			dst = append(dst, '"')
			dst = r.appendTime(dst, r.Columns[i], x)
			dst = append(dst, '"')
			continue
		case nil:
			dst = append(dst, "null"...)
			continue
		}
		dst = appendValue(dst, r.value(i, v))
	}
	return append(dst, ']')
}

// maxSafeInt is the largest integer every JSON client reads exactly:
// 2^53 − 1. Integers beyond come back as strings.
const maxSafeInt = 1<<53 - 1

// value formats one scanned value for column i.
func (r *Rows) value(i int, v any) any {
	switch x := v.(type) {
	case nil, bool, string:
		return x
	case int64:
		if x > maxSafeInt || x < -maxSafeInt {
			return strconv.FormatInt(x, 10)
		}
		return x
	case int32:
		return int64(x)
	case int16:
		return int64(x)
	case int8:
		return int64(x)
	case uint64:
		if x > maxSafeInt {
			return strconv.FormatUint(x, 10)
		}
		return int64(x)
	case uint32:
		return int64(x)
	case uint16:
		return int64(x)
	case uint8:
		return int64(x)
	case *big.Int:
		if x.IsInt64() {
			return r.value(i, x.Int64())
		}
		return x.String()
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil
		}
		return x
	case float32:
		return r.value(i, float64(x))
	case duckdb.Decimal:
		return json.Number(x.String()) // exact
	case time.Time:
		return r.formatTime(r.Columns[i], x)
	case []byte:
		return base64.StdEncoding.EncodeToString(x)
	}
	return nil
}

func (r *Rows) formatTime(c Column, t time.Time) string {
	return string(r.appendTime(nil, c, t))
}

// appendTime appends a date or timestamp as ISO-8601: a date alone, a time
// alone, or a timestamp with the report zone's offset.
func (r *Rows) appendTime(dst []byte, c Column, t time.Time) []byte {
	switch {
	case c.Kind == semantic.KindDate:
		// As Metabase writes dates: midnight, with the report zone's offset.
		t = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, r.zone)
	case c.Kind == semantic.KindTime:
		return t.AppendFormat(dst, time.TimeOnly)
	case c.Local:
		// A wall-clock time in the report zone (a bucket).
		t = time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), r.zone)
	default:
		t = t.In(r.zone)
	}
	return appendRFC3339(dst, t)
}

// appendFloat writes x as encoding/json does — the shortest decimal that
// reads back as x, exponent only below 1e-6 or from 1e21 — with a fast
// path for the values money columns hold: at most two decimals.
func appendFloat(dst []byte, x float64) []byte {
	if x > -1e13 && x < 1e13 && x != 0 {
		if c := math.Round(x * 100); c/100 == x {
			n := int64(c)
			if n < 0 {
				dst, n = append(dst, '-'), -n
			}
			dst = strconv.AppendInt(dst, n/100, 10)
			if frac := n % 100; frac != 0 {
				dst = append(dst, '.', byte('0'+frac/10))
				if frac%10 != 0 {
					dst = append(dst, byte('0'+frac%10))
				}
			}
			return dst
		}
	}
	if a := math.Abs(x); a != 0 && (a < 1e-6 || a >= 1e21) {
		dst = strconv.AppendFloat(dst, x, 'e', -1, 64)
		if n := len(dst); n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2], dst = dst[n-1], dst[:n-1] // e-07 → e-7, as encoding/json
		}
		return dst
	}
	return strconv.AppendFloat(dst, x, 'f', -1, 64)
}

// appendRFC3339 is t.AppendFormat(dst, time.RFC3339Nano), written digit by
// digit for whole seconds: a detail page formats thousands of timestamps.
func appendRFC3339(dst []byte, t time.Time) []byte {
	year, month, day := t.Date()
	if t.Nanosecond() != 0 || year < 0 || year > 9999 {
		return t.AppendFormat(dst, time.RFC3339Nano)
	}
	hour, minute, sec := t.Clock()
	dst = append(dst, byte('0'+year/1000), byte('0'+year/100%10), byte('0'+year/10%10), byte('0'+year%10), '-')
	dst = append2(dst, int(month), '-')
	dst = append2(dst, day, 'T')
	dst = append2(dst, hour, ':')
	dst = append2(dst, minute, ':')
	dst = append(dst, byte('0'+sec/10), byte('0'+sec%10))
	_, offset := t.Zone()
	if offset == 0 {
		return append(dst, 'Z')
	}
	sign := byte('+')
	if offset < 0 {
		sign, offset = '-', -offset
	}
	dst = append(dst, sign)
	dst = append2(dst, offset/3600, ':')
	return append(dst, byte('0'+offset/60%60/10), byte('0'+offset/60%60%10))
}

// append2 appends a two-digit number and a separator.
func append2(dst []byte, n int, sep byte) []byte {
	return append(dst, byte('0'+n/10), byte('0'+n%10), sep)
}

// appendValue appends a formatted value as JSON.
func appendValue(dst []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(dst, "null"...)
	case bool:
		return strconv.AppendBool(dst, x)
	case int64:
		return strconv.AppendInt(dst, x, 10)
	case float64:
		return appendFloat(dst, x)
	case string:
		return appendString(dst, x)
	case json.Number:
		return append(dst, x...)
	}
	return append(dst, "null"...)
}

const hexDigits = "0123456789abcdef"

// AppendJSONString appends s as a JSON string, escaped as encoding/json
// escapes it but for HTML characters, which need no escaping in an API.
func AppendJSONString(dst []byte, s string) []byte { return appendString(dst, s) }

func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
