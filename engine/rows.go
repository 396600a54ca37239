package engine

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/agentlayer/agentlayer/internal/jsonw"
	"github.com/agentlayer/agentlayer/semantic"
)

// Rows is the result of a query, read row by row as the database produces
// it. Values come formatted for JSON: dates and timestamps as ISO-8601
// strings (timestamps in the report time zone), integers beyond ±2^53 as
// strings. The database writes the rows into a buffer of the engine's, so
// that a query's slot is freed when the database is done, however slowly
// the caller reads: reading ends at the query's deadline (Deadline). Rows
// is not safe for concurrent use; the caller must Close it.
type Rows struct {
	Columns []Column
	// Restrictions say how the rows of each table the answer read are
	// limited for the caller; empty when it read every row.
	Restrictions []Restriction
	// Provenance says what decided the answer: the policies, the tables
	// and a fingerprint of the plan.
	Provenance Provenance

	fmt      formatter
	buf      *buffer
	ctx      context.Context // the caller's: reading stops when it ends
	deadline time.Time       // reading stops past it
	stop     func()          // cancels the query, if still running
	closed   func()          // closes the answer for the user's count; nil for a cached answer
	shared   bool            // buf is complete and cached: its JSON is written once, for every reader
	at       int             // the current row, -1 before the first
	cur      *chunk
	row      int     // the current row's index in cur
	vals     []any   // the current row's values; nil for JSON rows (a spilled or columnar chunk's)
	js       []byte  // the current chunk's JSON rows, when vals is nil
	ends     []int32 // where each of its rows ends in js
	avail    int     // the rows published when last asked: before them, no need to ask
	count    int
	// max is the most rows a SQL client reads (Query.Bounds); 0: no bound.
	max   int
	err   error
	end   bool   // the last row was read
	cut   bool   // the answer did not reach its reader whole (Cut)
	audit func() // writes the audit record, once, at Close
	page  *pageOf
	more  int8 // whether rows follow those read: 0 not known yet, 1 yes, -1 no
}

// formatter formats scanned values for a result's columns.
type formatter struct {
	cols []Column
	zone *time.Location
}

// Next advances to the next row; false at the end or on error (see Err).
func (r *Rows) Next() bool {
	if !r.next() {
		return false
	}
	if r.max > 0 && r.count > r.max {
		r.err = fmt.Errorf("%w: more than %d", ErrTooManyRows, r.max)
		return false
	}
	return true
}

func (r *Rows) next() bool {
	if r.err != nil || r.end || r.buf == nil {
		return false
	}
	if pg := r.page; pg != nil && pg.size >= 0 && r.count == pg.size {
		r.end = true // the page is whole; the row past it, if any, says More
		return false
	}
	next := r.at + 1
	if r.cur != nil && next < r.avail && r.row+1 < chunkRows {
		// The next row of the current chunk, published already.
		r.at, r.row = next, r.row+1
		if r.vals != nil {
			w := r.buf.width
			r.vals = r.cur.vals[r.row*w : (r.row+1)*w]
		}
		r.count++
		return true
	}
	if r.cur != nil && !r.deadline.IsZero() && time.Now().After(r.deadline) {
		r.err = ErrTimeout
		return false
	}
	v, err := r.buf.rowAt(r.ctx, next, r.deadline)
	c, k, avail := v.c, v.k, v.avail
	switch {
	case err == errEnd:
		r.end = true
		return false
	case err != nil:
		r.err = err
		return false
	}
	switch {
	case c.vals != nil:
		r.vals, r.js, r.ends = c.vals[k*r.buf.width:(k+1)*r.buf.width], nil, nil
	case c.spilled.size > 0:
		if err := r.buf.loaded(c); err != nil {
			r.err = &QueryError{Err: err, Class: "temporary file"}
			return false
		}
		r.vals, r.js, r.ends = nil, c.json, c.ends
	default:
		r.vals, r.js, r.ends = nil, v.json, v.ends
	}
	r.at, r.avail = next, avail
	r.cur, r.row = c, k
	r.count++
	return true
}

// More reports whether rows follow those read so far in the query's whole
// result (the next page's, or those a reader left unread): then
// Continuation gives the token that resumes after them. It may read ahead
// one row.
func (r *Rows) More() bool {
	if r.more == 0 {
		r.more = -1
		if r.buf != nil && r.err == nil {
			if _, err := r.buf.rowAt(r.ctx, r.at+1, r.deadline); err == nil {
				r.more = 1
			}
		}
	}
	return r.more == 1
}

// Unread gives back the row just read, which its reader leaves out (a
// result cut to its budget): More then reports it, and Continuation
// resumes at it.
func (r *Rows) Unread() error {
	if r.count == 0 {
		return errors.New("engine: Unread before a row was read")
	}
	r.count--
	r.more = 1
	return nil
}

// Continuation is the token of the rows after those read so far, for
// QueryFromToken and Page; "" when no row follows (More) or the rows are
// not a query's (a cached answer of another kind).
func (r *Rows) Continuation() (string, error) {
	if r.page == nil || !r.More() {
		return "", nil
	}
	return r.page.e.continuation(r.page.q, r.page.offset+r.count)
}

// Deadline is when the query's time runs out: past it, the query is
// cancelled, and its rows can no longer be read, whether or not they
// were. A writer of the rows can stop waiting on a slow reader then too.
func (r *Rows) Deadline() (time.Time, bool) {
	return r.deadline, !r.deadline.IsZero()
}

// Count is the number of rows read so far.
func (r *Rows) Count() int { return r.count }

// Err is the error that ended the rows, if any: ErrTimeout, the context's
// error, or a *QueryError.
func (r *Rows) Err() error { return r.err }

// Cut says that the rows read did not reach their reader whole (a client
// cut off while they were written): the answer is audited as canceled.
func (r *Rows) Cut() { r.cut = true }

// Close releases the rows, cancels what remains of the query and frees its
// slot. It may be called more than once.
func (r *Rows) Close() error {
	if r.audit != nil {
		r.audit()
		r.audit = nil
	}
	if r.buf == nil {
		return nil
	}
	if r.stop != nil {
		r.stop()
		r.stop = nil
	}
	if !r.shared {
		r.buf.close()
	}
	if r.closed != nil {
		r.closed()
		r.closed = nil
	}
	return nil
}

// outcome is how the reading of the rows ended, for the audit log:
// completed (to the end, or as far as the reader wanted: a page), failed,
// timeout, or canceled (its reader was cut off: Cut, or its context
// ended).
func (r *Rows) outcome() string {
	switch err := r.err; {
	case r.cut && !r.deadline.IsZero() && time.Now().After(r.deadline):
		return "timeout" // too slow a reader, cut at the deadline
	case r.cut:
		return "canceled"
	case err == nil:
		return "completed" // to its end, or as far as its reader wanted
	case errors.Is(err, ErrTimeout):
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	}
	return "failed"
}

// Row returns the current row's values: nil, bool, int64, float64,
// json.Number (an exact decimal) or string.
func (r *Rows) Row() []any {
	if r.vals == nil {
		start := int32(0)
		if r.row > 0 {
			start = r.ends[r.row-1]
		}
		return decodeRow(r.js[start:r.ends[r.row]], r.cur.numbers)
	}
	out := make([]any, len(r.vals))
	for i, v := range r.vals {
		out[i] = r.fmt.value(i, v)
	}
	return out
}

// Values appends the current row's values to dst[:0] as Row gives them,
// but for dates and timestamps, which are time.Time: a date at midnight
// UTC, a bucketed time (Column.Local) as its wall clock in UTC, an instant
// as itself. An adapter that writes times in its own format (the SQL
// adapter's wire) takes them so, rather than parse Row's text back.
func (r *Rows) Values(dst []any) []any {
	dst = dst[:0]
	if r.vals == nil {
		// Rows written as JSON (as read, spilled, or cached): times come
		// back from their text, which holds their instant and wall clock.
		dst = append(dst, r.Row()...)
		for i, v := range dst {
			s, ok := v.(string)
			c := r.fmt.cols[i]
			if !ok || c.Masked != "" || !c.Kind.IsTemporal() {
				continue
			}
			t, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				continue
			}
			if c.Kind == semantic.KindDate || c.Local {
				dst[i] = time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
			} else {
				dst[i] = t.UTC()
			}
		}
		return dst
	}
	for i, v := range r.vals {
		t, ok := v.(time.Time)
		if !ok || r.fmt.cols[i].Kind == semantic.KindTime || r.fmt.cols[i].Masked != "" {
			dst = append(dst, r.fmt.value(i, v))
			continue
		}
		switch c := r.fmt.cols[i]; {
		case c.Kind == semantic.KindDate, c.Local:
			t = time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
		default:
			t = t.UTC()
		}
		dst = append(dst, t)
	}
	return dst
}

// raw is the current row's value of column i as scanned.
func (r *Rows) raw(i int) any {
	if r.vals == nil {
		return nil
	}
	return r.vals[i]
}

// AppendJSON appends the current row as a JSON array to dst, formatting
// each value as Row does without building it first.
func (r *Rows) AppendJSON(dst []byte) []byte {
	c := r.cur
	if r.vals == nil || r.shared {
		js, ends := r.js, r.ends
		if r.vals != nil {
			js, ends = r.buf.encoded(c) // written once, under its Once
		}
		start := int32(0)
		if r.row > 0 {
			start = ends[r.row-1]
		}
		return append(dst, js[start:ends[r.row]]...)
	}
	return r.fmt.appendRow(dst, r.vals)
}

// appendRow appends a row's values as a JSON array.
func (r formatter) appendRow(dst []byte, vals []any) []byte {
	dst = append(dst, '[')
	for i, v := range vals {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = r.appendOne(dst, i, v)
	}
	return append(dst, ']')
}

// appendOne appends the JSON of column i's value v as scanned.
func (r formatter) appendOne(dst []byte, i int, v any) []byte {
	switch x := v.(type) {
	case int64:
		if x <= maxSafeInt && x >= -maxSafeInt {
			return strconv.AppendInt(dst, x, 10)
		}
	case int32:
		return strconv.AppendInt(dst, int64(x), 10)
	case float64:
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			return jsonw.Float(dst, r.round(i, x))
		}
	case string:
		if r.cols[i].Kind.IsNumeric() || r.cols[i].Kind == semantic.KindTime {
			break // PostgreSQL's numerics and times of day arrive as text
		}
		return jsonw.String(dst, x)
	case time.Time:
		dst = append(dst, '"')
		dst = r.appendTime(dst, &r.cols[i], x)
		return append(dst, '"')
	case nil:
		return append(dst, "null"...)
	}
	return appendValue(dst, r.value(i, v))
}

// maxSafeInt is the largest integer every JSON client reads exactly:
// 2^53 − 1. Integers beyond come back as strings.
const maxSafeInt = 1<<53 - 1

// value formats one scanned value for column i.
func (r formatter) value(i int, v any) any {
	switch x := v.(type) {
	case nil, bool:
		return x
	case string:
		return r.text(i, x)
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
		return r.round(i, x)
	case float32:
		return r.value(i, float64(x))
	case duckdb.Decimal:
		return json.Number(x.String()) // exact
	case time.Time:
		return r.formatTime(r.cols[i], x)
	case []byte:
		return base64.StdEncoding.EncodeToString(x)
	}
	return nil
}

// round rounds a double of column i to the decimals its field declares
// (78810.72000000001 is 78810.72 for a field in dollars); others stay.
func (r *formatter) round(i int, x float64) float64 {
	c := &r.cols[i]
	if !c.Round {
		return x
	}
	scale := math.Pow10(c.Decimals)
	if rounded := math.Round(x*scale) / scale; !math.IsInf(rounded, 0) {
		return rounded
	}
	return x
}

// text formats a value that arrived as text: PostgreSQL's numerics (exact
// decimals, and integers past 64 bits: a sum of BIGINTs) and times of day
// arrive so, as their text. NaN and infinities are null, as DuckDB's
// floating-point ones are.
func (r formatter) text(i int, x string) any {
	switch k := r.cols[i].Kind; {
	case k.IsInteger():
		n, ok := new(big.Int).SetString(x, 10)
		if !ok {
			return nil
		}
		return r.value(i, n)
	case k.IsNumeric():
		if !isJSONNumber(x) {
			return nil
		}
		return json.Number(trimDecimal(x))
	case k == semantic.KindTime:
		t, _, _ := strings.Cut(x, ".")
		return t // as DuckDB's: to the second
	}
	return x
}

// trimDecimal writes a decimal as DuckDB's driver does: without trailing
// zeros in its fraction ("12.50" is 12.5, "0.00" is 0).
func trimDecimal(x string) string {
	if !strings.Contains(x, ".") {
		return x
	}
	x = strings.TrimRight(strings.TrimRight(x, "0"), ".")
	if x == "-0" {
		return "0"
	}
	return x
}

// isJSONNumber reports whether s is a number as JSON writes one: a sign,
// digits and a fraction, no NaN or Infinity.
func isJSONNumber(s string) bool {
	s = strings.TrimPrefix(s, "-")
	digits := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && digits > 0 && i+1 < len(s):
		default:
			return false
		}
	}
	return digits > 0
}

func (r formatter) formatTime(c Column, t time.Time) string {
	return string(r.appendTime(nil, &c, t))
}

// appendTime appends a date or timestamp as ISO-8601: a date as its
// midnight in the report zone (as Metabase writes dates), a time of day
// alone, a timestamp with the report zone's offset.
func (r *formatter) appendTime(dst []byte, c *Column, t time.Time) []byte {
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
	return jsonw.RFC3339(dst, t)
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
		return jsonw.Float(dst, x)
	case string:
		return jsonw.String(dst, x)
	case json.Number:
		return append(dst, x...)
	}
	return append(dst, "null"...)
}
