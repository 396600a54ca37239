// Package testkit holds what the tests of several packages share: reading
// rows of hand-written SQL, formatting values so that answers compare, a
// buffer safe to write and read at once, HTTP requests (Call, Send), and
// the two tiers of tests (FullTier, Size). Only tests, benchmarks and
// internal/cmd import it.
package testkit

import (
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"fmt"
	"math"
	"math/big"
	"strings"
	"sync"
	"time"
)

// ScanAll reads every row of rows, each value as database/sql returns it,
// and closes rows.
func ScanAll(rows *sql.Rows) ([][]any, error) {
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var out [][]any
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		out = append(out, vals)
	}
	return out, rows.Err()
}

// Rows runs query on db and returns its rows formatted by Canon.
func Rows(db *sql.DB, query string) ([][]string, error) {
	rows, err := db.Query(query)
	if err != nil {
		return nil, err
	}
	vals, err := ScanAll(rows)
	if err != nil {
		return nil, err
	}
	out := make([][]string, len(vals))
	for i, row := range vals {
		out[i] = CanonRow(row)
	}
	return out, nil
}

// Canon formats a value for comparison: floats to 9 significant digits
// (sums of doubles differ in the last digits from run to run), times in
// UTC, and a time at midnight in its own zone as a date, whether the value
// comes from DuckDB or from the JSON of an answer.
func Canon(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1e15 {
			return fmt.Sprintf("%d", int64(x))
		}
		return fmt.Sprintf("%.9g", x)
	case float32:
		return Canon(float64(x))
	case *big.Int:
		return x.String()
	case time.Time:
		if x.Hour() == 0 && x.Minute() == 0 && x.Second() == 0 && x.Nanosecond() == 0 {
			return x.UTC().Format("2006-01-02") + "T00:00:00Z" // a date
		}
		return x.UTC().Format(time.RFC3339Nano)
	case string:
		if len(x) == 10 && x[4] == '-' && x[7] == '-' {
			return x + "T00:00:00Z" // a date
		}
		if t, err := time.Parse(time.RFC3339Nano, x); err == nil {
			return Canon(t)
		}
		return x
	}
	return fmt.Sprint(v)
}

// CanonRow is Canon of every value of a row.
func CanonRow(vals []any) []string {
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = Canon(v)
	}
	return out
}

// DiffRows describes the first difference between two lists of rows, or
// is empty when they are equal.
func DiffRows(got, want [][]string) string {
	if len(got) != len(want) {
		return fmt.Sprintf("%d rows, want %d; first got %v, first want %v", len(got), len(want), first(got), first(want))
	}
	for i := range got {
		if strings.Join(got[i], "|") != strings.Join(want[i], "|") {
			return fmt.Sprintf("row %d: got %v, want %v", i, got[i], want[i])
		}
	}
	return ""
}

func first(rows [][]string) []string {
	if len(rows) == 0 {
		return nil
	}
	return rows[0]
}

// SyncBuffer is a buffer safe to write from a server or command and read
// from the test at once.
type SyncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// SignRawHS256 signs a JWT made of exactly the header and payload JSON
// given, byte for byte: for tokens no JWT library would write (a key given
// twice, a crit header).
func SignRawHS256(secret []byte, header, payload string) string {
	enc := base64.RawURLEncoding
	unsigned := enc.EncodeToString([]byte(header)) + "." + enc.EncodeToString([]byte(payload))
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(unsigned))
	return unsigned + "." + enc.EncodeToString(m.Sum(nil))
}
