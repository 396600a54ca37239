package sqlast_test

import (
	"strings"
	"testing"

	"github.com/agentlayer/agentlayer/sqlgen/sqlast"
)

// TestPostgresPattern checks the translation's shape: what RE2 and
// PostgreSQL read differently is written out. That PostgreSQL then matches
// what RE2 matches is checked against a server (engine/postgres_test.go).
func TestPostgresPattern(t *testing.T) {
	for _, c := range []struct{ re2, pg string }{
		{`a.b`, `(?:a[^\n]b)`},
		{`(?s)a.b`, `(?:a.b)`},
		{`\w+`, `(?:[0-9A-Z\u005Fa-z])+`},
		{`^x$`, `(?:^x$)`},
		{`(?m)^x$`, `(?:(?:^|(?<=\n))x(?:$|(?=\n)))`},
		{`\bend\b`, `(?:\yend\y)`},
		{`[^a]`, `[\u0000-\u0060b-\U0010FFFF]`},
		{`a{2,5}?`, `(?:a){2,5}`},
		{`\x41\.`, `A\u002E`},
		{`é`, `\u00E9`},
	} {
		got, err := sqlast.PostgresPattern(c.re2)
		if err != nil || got != c.pg {
			t.Errorf("PostgresPattern(%q) = %q, %v; want %q", c.re2, got, err, c.pg)
		}
	}
	for re2, want := range map[string]string{
		`a{256}`:  "at most 255",
		`a{1000}`: "at most 255",
		`(`:       "not a valid RE2 expression",
	} {
		if _, err := sqlast.PostgresPattern(re2); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("PostgresPattern(%q): error %v, want one containing %q", re2, err, want)
		}
	}
}
