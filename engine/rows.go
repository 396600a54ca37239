package engine

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
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
// it. Values come formatted for JSON: dates and timestamps as ISO-8601 strings
// (timestamps in the report time zone), integers beyond ±2^53 as strings.
// Rows is not safe for concurrent use; the caller must Close it.
type Rows struct {
	Columns []Column
	// Restrictions say how the rows of each table the answer read are
	// limited for the caller; empty when it read every row.
	Restrictions []Restriction
	// Provenance says what decided the answer: the policies, the tables
	// and a fingerprint of the plan.
	Provenance Provenance

	ctx    context.Context
	engine *Engine
	done   func() // releases the query's slot and timeout
	stop   func() // cancels the query, with a cause that is no error
	rows   *sql.Rows
	zone   *time.Location
	vals   []any
	ptrs   []any
	count  int
	err    error
	audit  func() // writes the audit record, once, at Close

	hit  *cachedRows // the rows come from the result cache
	at   int         // the current row of hit
	json []byte      // hit's rows as JSON, once asked for
	ends []int32
	// deadline bounds the reading of a hit, as the query timeout bounds a
	// query's.
	deadline time.Time
	fill     *rowsFill // the rows are collected for the result cache
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
	if h := r.hit; h != nil {
		if r.at+1 >= h.n {
			return false
		}
		r.at++
		if h.chunks != nil {
			r.vals = h.row(r.at)
		}
		r.count++
		return true
	}
	if r.err != nil {
		return false
	}
	if !r.rows.Next() {
		if r.fill != nil && r.rows.Err() == nil {
			// The whole result: kept now, not when the reader closes (who
			// may still be writing to a slow client, or never close).
			r.fill.complete = true
			r.fill.finish(r)
			r.fill = nil
		}
		return false
	}
	if err := r.rows.Scan(r.ptrs...); err != nil {
		r.err = err
		return false
	}
	r.count++
	if r.fill != nil {
		r.fill.ent.add(r.vals) // kept for the result cache
	}
	return true
}

// Deadline is when the query's time runs out: past it, the query is
// cancelled and its slot freed, whether or not its rows were read. A
// writer of the rows can stop waiting on a slow reader then too.
func (r *Rows) Deadline() (time.Time, bool) {
	if r.hit != nil {
		return r.deadline, true // a slow reader of a cached answer holds no slot, but no writer should wait on it for ever
	}
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
	if r.rows == nil {
		return nil // rows from the cache, or none
	}
	err := r.err
	if err == nil {
		err = r.rows.Err()
	}
	if err == nil {
		return nil
	}
	if r.engine == nil {
		return &QueryError{Err: err, Class: "error"}
	}
	return r.engine.queryError(r.ctx, err, false)
}

// Close releases the rows, cancels what remains of the query and frees its
// slot. It may be called more than once.
func (r *Rows) Close() error {
	if r.audit != nil {
		r.audit()
		r.audit = nil
	}
	if r.fill != nil {
		// A reader that stopped at the last row (a page's) leaves the end
		// unseen: one more step, while the query's time lasts, tells
		// whether the result is whole.
		if r.err == nil && r.ctx.Err() == nil && !r.rows.Next() && r.rows.Err() == nil {
			r.fill.complete = true
		}
		r.fill.finish(r)
		r.fill = nil
	}
	if r.rows == nil {
		return nil
	}
	if r.stop != nil {
		// Cancel first: PostgreSQL's driver would otherwise read every row
		// left before closing.
		r.stop()
	}
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
	if h := r.hit; h != nil && h.chunks == nil {
		start := int32(0)
		if r.at > 0 {
			start = h.json.ends[r.at-1]
		}
		return decodeRow(h.json.bytes[start:h.json.ends[r.at]], h.numbers)
	}
	out := make([]any, len(r.vals))
	for i, v := range r.vals {
		out[i] = r.value(i, v)
	}
	return out
}

// AppendJSON appends the current row as a JSON array to dst, formatting
// each value as Row does without building it first.
func (r *Rows) AppendJSON(dst []byte) []byte {
	if h := r.hit; h != nil {
		if r.json == nil {
			r.json, r.ends = h.encoded(r.Columns, r.zone)
		}
		start := int32(0)
		if r.at > 0 {
			start = r.ends[r.at-1]
		}
		return append(dst, r.json[start:r.ends[r.at]]...)
	}
	if r.fill != nil {
		start := len(dst)
		dst = r.appendJSON(dst)
		r.fill.collectJSON(r.count, dst[start:])
		return dst
	}
	return r.appendJSON(dst)
}

func (r *Rows) appendJSON(dst []byte) []byte {
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
				dst = jsonw.Float(dst, r.round(i, x))
				continue
			}
		case string:
			if r.Columns[i].Kind.IsNumeric() || r.Columns[i].Kind == semantic.KindTime {
				break // PostgreSQL's numerics and times of day arrive as text
			}
			dst = jsonw.String(dst, x)
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
		return r.formatTime(r.Columns[i], x)
	case []byte:
		return base64.StdEncoding.EncodeToString(x)
	}
	return nil
}

// round rounds a double of column i to the decimals its field declares
// (78810.72000000001 is 78810.72 for a field in dollars); others stay.
func (r *Rows) round(i int, x float64) float64 {
	c := r.Columns[i]
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
func (r *Rows) text(i int, x string) any {
	switch k := r.Columns[i].Kind; {
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

func (r *Rows) formatTime(c Column, t time.Time) string {
	return string(r.appendTime(nil, c, t))
}

// appendTime appends a date or timestamp as ISO-8601: a date as its
// midnight in the report zone (as Metabase writes dates), a time of day
// alone, a timestamp with the report zone's offset.
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
