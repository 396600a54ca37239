package jsontree

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
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
