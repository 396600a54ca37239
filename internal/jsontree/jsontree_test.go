package jsontree

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestDecode(t *testing.T) {
	cases := []struct {
		in      string
		want    any
		errPath string // "" for success unless errText is set
		errText string
	}{
		{`{"a":1,"b":[true,null,"x"]}`, map[string]any{"a": json.Number("1"), "b": []any{true, nil, "x"}}, "", ""},
		{`[]`, []any{}, "", ""},
		{`"s"`, "s", "", ""},
		{`{"a":1,"a":2}`, nil, "a", `key "a" appears twice in the document`},
		{`{"a":1,"\u0061":2}`, nil, "a", "appears twice"}, // the same key, escaped
		{`{"x":[{"k":1},{"k":2,"k":3}]}`, nil, "x[1].k", `appears twice in x[1]`},
		{`{"a":{},"b":{}}`, map[string]any{"a": map[string]any{}, "b": map[string]any{}}, "", ""},
		{strings.Repeat("[", 33) + strings.Repeat("]", 33), nil, strings.Repeat("[0]", 32), "more than 32 deep"},
		{`{"value":"a\u0000b"}`, nil, "value", "value holds a NUL character"},
		{`{"a\u0000":1}`, nil, "", "a key of the document holds a NUL"},
		{"{\"value\":\"caf\xe9\"}", nil, "", "not valid UTF-8 (byte 13)"},
	}
	for _, c := range cases {
		got, err := Decode([]byte(c.in), 0)
		if c.errText == "" {
			if err != nil || !reflect.DeepEqual(got, c.want) {
				t.Errorf("Decode(%.40s) = %#v, %v; want %#v", c.in, got, err, c.want)
			}
			continue
		}
		var je *Error
		if !errors.As(err, &je) || je.Path != c.errPath || !strings.Contains(je.Message, c.errText) {
			t.Errorf("Decode(%.40s): %#v, want path %q and %q", c.in, err, c.errPath, c.errText)
		}
	}
	// 32 deep is fine.
	if _, err := Decode([]byte(strings.Repeat("[", 32)+strings.Repeat("]", 32)), 0); err != nil {
		t.Errorf("32 deep: %v", err)
	}
	for _, bad := range []string{``, `{`, `{"a":}`, `nul`, `[1,]`, `{"a":1} {"b":2}`} {
		if _, err := Decode([]byte(bad), 0); !errors.Is(err, ErrSyntax) {
			t.Errorf("Decode(%q) = %v, want a syntax error", bad, err)
		}
	}
}

// FuzzDecode_fastAsSlow: the scanner of its own and encoding/json's
// tokenizer agree on every document: the same tree, or the same error.
func FuzzDecode_fastAsSlow(f *testing.F) {
	for _, s := range []string{`{"a":1,"b":[true,null,"x"]}`, `{"a":1,"\u0061":2}`, `"\ud83d\ude00 \ud800 \u00e9\n"`,
		`{"x":[{"k":1},{"k":2,"k":3}]}`, `[1e5,-0.5,0,-0,1E+2]`, `{"a\u0000":1}`, `[[[[[]]]]]`, ` {"a" : [ 1 , 2 ] } `,
		`{"value":"a\u0000b"}`, `[01]`, `[1.]`, `{"a":1}x`, `"\x"`, "\"\t\"", `[1,]`, `{,}`, `tru`, `nulll`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, depth := range []int{0, 3} {
			fast, fastErr := Decode(data, depth)
			if depth <= 0 {
				depth = MaxDepth
			}
			slow, slowErr := slowDecode(data, depth)
			if !utf8Valid(data) {
				continue // refused before either scanner runs
			}
			if fmt.Sprint(fastErr) != fmt.Sprint(slowErr) || !reflect.DeepEqual(fast, slow) {
				t.Fatalf("%q (depth %d):\nfast %#v %v\nslow %#v %v", data, depth, fast, fastErr, slow, slowErr)
			}
		}
	})
}

func utf8Valid(b []byte) bool { return utf8.Valid(b) }
