package engine

import (
	"encoding/json"
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/agentlayer/agentlayer/semantic"
)

// TestRows_AppendJSON: the fast path formats every value as Row does.
func TestRows_AppendJSON(t *testing.T) {
	ny, _ := time.LoadLocation("America/New_York")
	ts := time.Date(2024, 3, 10, 7, 30, 0, 0, time.UTC)
	cols := []Column{{Kind: semantic.KindBigInteger}, {Kind: semantic.KindBigInteger}, {Kind: semantic.KindInteger},
		{Kind: semantic.KindFloat}, {Kind: semantic.KindFloat}, {Kind: semantic.KindText}, {Kind: semantic.KindDateTime},
		{Kind: semantic.KindDate}, {Kind: semantic.KindDateTime, Local: true}, {Kind: semantic.KindBigInteger}, {Kind: semantic.KindBoolean}, {Kind: semantic.KindText}}
	r := &Rows{Columns: cols, zone: ny, vals: []any{
		int64(42), int64(1 << 60), int32(-7), 1.5, 1e300, "a\"b\\c\n\u2028é\x01", ts,
		time.Date(2024, 3, 10, 0, 0, 0, 0, time.UTC), time.Date(2024, 3, 10, 0, 0, 0, 0, time.UTC),
		new(big.Int).Lsh(big.NewInt(1), 70), true, nil,
	}}
	want := `[42,"1152921504606846976",-7,1.5,1e+300,"a\"b\\c\n\u2028é\u0001","2024-03-10T03:30:00-04:00","2024-03-10T00:00:00-05:00","2024-03-10T00:00:00-05:00","1180591620717411303424",true,null]`
	if got := string(r.AppendJSON(nil)); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	// Row gives the same values.
	row := r.Row()
	if row[1] != "1152921504606846976" || row[6] != "2024-03-10T03:30:00-04:00" || row[0] != int64(42) {
		t.Errorf("Row = %v", row)
	}
}

func TestAppendRFC3339(t *testing.T) {
	ny, _ := time.LoadLocation("America/New_York")
	kolkata, _ := time.LoadLocation("Asia/Kolkata")
	for _, tm := range []time.Time{
		time.Date(2024, 3, 10, 7, 30, 5, 0, time.UTC),
		time.Date(2024, 3, 10, 7, 30, 5, 0, ny),
		time.Date(2024, 11, 3, 1, 30, 0, 0, ny),
		time.Date(1999, 12, 31, 23, 59, 59, 0, kolkata),
		time.Date(2024, 1, 2, 3, 4, 5, 600, time.UTC),
		time.Date(12, 1, 2, 3, 4, 5, 0, time.UTC),
	} {
		if got, want := string(appendRFC3339(nil, tm)), tm.Format(time.RFC3339Nano); got != want {
			t.Errorf("appendRFC3339(%v) = %s, want %s", tm, got, want)
		}
	}
}

// TestAppendFloat: floats are written as encoding/json writes them.
func TestAppendFloat(t *testing.T) {
	vals := []float64{0, 1, -1, 0.5, 0.1, 0.01, 0.07, 10.3, 23314.69, 23314.69000000001, -7.25, 1e12 + 0.5, 9999999999999.99,
		1e13, 1e-5, 123456789.12, math.MaxFloat64, math.SmallestNonzeroFloat64, -0.29, 100.1, 3.14159}
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		vals = append(vals, float64(r.Int64N(2_000_000_000)-1_000_000_000)/100, r.NormFloat64()*1000)
	}
	for _, x := range vals {
		want, _ := json.Marshal(x)
		if got := string(appendFloat(nil, x)); got != string(want) {
			t.Fatalf("appendFloat(%v) = %s, want %s", x, got, want)
		}
	}
}

// TestCacheKey: values that format alike never share a key. The field
// values cache is shared by users whose row filters bind their attributes.
func TestCacheKey(t *testing.T) {
	pairs := [][2][]any{
		{{"x\x00string:y", "z"}, {"x", "y\x00string:z"}},
		{{"a:1", "b"}, {"a", "1:b"}},
		{{int64(5)}, {5.0}},
		{{"5"}, {int64(5)}},
		{{[]any{"a b"}}, {[]any{"a", "b"}}},
	}
	for _, p := range pairs {
		if cacheKey("SELECT 1", p[0]) == cacheKey("SELECT 1", p[1]) {
			t.Errorf("%q and %q share a key", p[0], p[1])
		}
	}
	if cacheKey("SELECT 1", []any{"a"}) != cacheKey("SELECT 1", []any{"a"}) {
		t.Error("the same query has two keys")
	}
}
