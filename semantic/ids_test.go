package semantic

import "testing"

func TestParseFieldID(t *testing.T) {
	for _, tt := range []struct {
		id     string
		prefix IDPrefix
		n      int
		ok     bool
	}{
		{"t1-5", "t1-", 5, true},
		{"c12-0", "c12-", 0, true},
		{"t1-05", "", 0, false},
		{"t01-5", "", 0, false},
		{"t1-00", "", 0, false},
		{"t1-", "", 0, false},
		{"x1-1", "", 0, false},
		{"t1-1a", "", 0, false},
		{"TOTAL", "", 0, false},
	} {
		prefix, n, ok := ParseFieldID(tt.id)
		if prefix != tt.prefix || n != tt.n || ok != tt.ok {
			t.Errorf("ParseFieldID(%q) = %q, %d, %v", tt.id, prefix, n, ok)
		}
		if ok && prefix.ID(n) != tt.id {
			t.Errorf("%q does not round-trip: %q", tt.id, prefix.ID(n))
		}
	}
	if TablePrefix(3).ID(7) != "t3-7" || MetricPrefix(2).ID(0) != "c2-0" {
		t.Error("prefixes")
	}
}
