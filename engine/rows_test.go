package engine

import (
	"math/big"
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
	r := &Rows{Columns: cols, fmt: formatter{cols: cols, zone: ny}, vals: []any{
		int64(42), int64(1 << 60), int32(-7), 1.5, 1e300, "a\"b\\c\n\u2028é\x01", ts,
		time.Date(2024, 3, 10, 0, 0, 0, 0, time.UTC), time.Date(2024, 3, 10, 0, 0, 0, 0, time.UTC),
		new(big.Int).Lsh(big.NewInt(1), 70), true, nil,
	}}
	want := `[42,"1152921504606846976",-7,1.5,1e+300,"a\"b\\c\n\u2028é\u0001","2024-03-10T03:30:00-04:00","2024-03-10T00:00:00-05:00","2024-03-10T00:00:00-05:00","1180591620717411303424",true,null]`
	if got := string(r.fmt.appendRow(nil, r.vals)); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	// Row gives the same values.
	row := r.Row()
	if row[1] != "1152921504606846976" || row[6] != "2024-03-10T03:30:00-04:00" || row[0] != int64(42) {
		t.Errorf("Row = %v", row)
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
		{{[]string{"a b"}}, {[]string{"a", "b"}}},
		{{[]string{"a"}, "b"}, {[]string{"a", "b"}}},
		{{nil}, {""}},
		{{true}, {int64(1)}},
	}
	for _, p := range pairs {
		if planDigest("SELECT 1", p[0]) == planDigest("SELECT 1", p[1]) {
			t.Errorf("%q and %q share a key", p[0], p[1])
		}
	}
	if planDigest("SELECT $1", []any{"a"}) == planDigest("SELECT $1a", nil) {
		t.Error("SQL and its values run together")
	}
	if planDigest("SELECT 1", []any{"a"}) != planDigest("SELECT 1", []any{"a"}) {
		t.Error("the same query has two keys")
	}
}
