package jsontree

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// fastDecode is Decode by a scanner of its own, without encoding/json's
// tokenizer (which allocates per token and built a path per element): ok
// is false when data is not JSON, whose error slowDecode then words. A
// document that is JSON gets the same tree, or the same refusal (a key
// given twice, a NUL, too deep), as from slowDecode: problems are found in
// the same order, and paths are built only for an error.
func fastDecode(data []byte, maxDepth int) (v any, err error, ok bool) {
	p := &parser{data: data, max: maxDepth}
	p.space()
	v, err = p.value(nil, 0)
	if p.bad {
		return nil, nil, false
	}
	if err != nil {
		return nil, err, true
	}
	p.space()
	if p.i != len(p.data) {
		return nil, nil, false // trailing data, or a second value: slowDecode tells which
	}
	return v, nil, true
}

type parser struct {
	data []byte
	i    int
	max  int
	bad  bool // not JSON
}

// step is one step of a path: a key, or an index when key is "" and
// index ≥ 0. Steps link to their parent; a path is written only for an
// error.
type step struct {
	parent *step
	key    string
	index  int
}

func (s *step) path() string {
	if s == nil {
		return ""
	}
	parent := s.parent.path()
	if s.index >= 0 {
		return parent + "[" + strconv.Itoa(s.index) + "]"
	}
	return join(parent, s.key)
}

func (p *parser) space() {
	for p.i < len(p.data) {
		switch p.data[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *parser) fail() (any, error) {
	p.bad = true
	return nil, nil
}

func (p *parser) value(at *step, depth int) (any, error) {
	if p.i >= len(p.data) {
		return p.fail()
	}
	switch c := p.data[p.i]; {
	case c == '{' || c == '[':
		if depth >= p.max {
			path := at.path()
			return nil, &Error{Path: path, Message: fmt.Sprintf("the document nests objects and lists more than %d deep", p.max)}
		}
		p.i++
		if c == '{' {
			return p.object(at, depth)
		}
		return p.array(at, depth)
	case c == '"':
		s, ok := p.str()
		if !ok {
			return p.fail()
		}
		if strings.IndexByte(s, 0) >= 0 {
			path := at.path()
			return nil, &Error{Path: path, Message: fmt.Sprintf("%s holds a NUL character", describe(path))}
		}
		return s, nil
	case c == '-' || c >= '0' && c <= '9':
		n, ok := p.number()
		if !ok {
			return p.fail()
		}
		return n, nil
	case c == 't':
		return p.literal("true", true)
	case c == 'f':
		return p.literal("false", false)
	case c == 'n':
		return p.literal("null", nil)
	}
	return p.fail()
}

func (p *parser) literal(word string, v any) (any, error) {
	if len(p.data)-p.i < len(word) || string(p.data[p.i:p.i+len(word)]) != word {
		return p.fail()
	}
	p.i += len(word)
	return v, nil
}

func (p *parser) object(at *step, depth int) (any, error) {
	obj := map[string]any{}
	p.space()
	if p.i < len(p.data) && p.data[p.i] == '}' {
		p.i++
		return obj, nil
	}
	for {
		p.space()
		if p.i >= len(p.data) || p.data[p.i] != '"' {
			return p.fail()
		}
		key, ok := p.str()
		if !ok {
			return p.fail()
		}
		p.space()
		if p.i >= len(p.data) || p.data[p.i] != ':' {
			return p.fail()
		}
		p.i++
		if strings.IndexByte(key, 0) >= 0 {
			path := at.path()
			return nil, &Error{Path: path, Message: fmt.Sprintf("a key of %s holds a NUL character", describe(path))}
		}
		here := &step{parent: at, key: key, index: -1}
		if _, dup := obj[key]; dup {
			return nil, &Error{Path: here.path(), Message: fmt.Sprintf("key %q appears twice in %s", key, describe(at.path()))}
		}
		p.space()
		v, err := p.value(here, depth+1)
		if err != nil || p.bad {
			return nil, err
		}
		obj[key] = v
		if end, ok := p.after('}'); !ok {
			return p.fail()
		} else if end {
			return obj, nil
		}
	}
}

func (p *parser) array(at *step, depth int) (any, error) {
	list := []any{}
	p.space()
	if p.i < len(p.data) && p.data[p.i] == ']' {
		p.i++
		return list, nil
	}
	for n := 0; ; n++ {
		p.space()
		v, err := p.value(&step{parent: at, index: n}, depth+1)
		if err != nil || p.bad {
			return nil, err
		}
		list = append(list, v)
		if end, ok := p.after(']'); !ok {
			return p.fail()
		} else if end {
			return list, nil
		}
	}
}

// after reads what follows a member or an element: a comma (more come)
// or close (the end); ok is false for anything else.
func (p *parser) after(close byte) (end, ok bool) {
	p.space()
	if p.i < len(p.data) {
		switch p.data[p.i] {
		case ',':
			p.i++
			return false, true
		case close:
			p.i++
			return true, true
		}
	}
	return false, false
}

// number reads a number as JSON's grammar has it, as a json.Number.
func (p *parser) number() (json.Number, bool) {
	start, d := p.i, p.data
	if p.i < len(d) && d[p.i] == '-' {
		p.i++
	}
	switch {
	case p.i < len(d) && d[p.i] == '0':
		p.i++
	case p.i < len(d) && d[p.i] >= '1' && d[p.i] <= '9':
		for p.i < len(d) && d[p.i] >= '0' && d[p.i] <= '9' {
			p.i++
		}
	default:
		return "", false
	}
	if p.i < len(d) && d[p.i] == '.' {
		p.i++
		if !p.digits() {
			return "", false
		}
	}
	if p.i < len(d) && (d[p.i] == 'e' || d[p.i] == 'E') {
		p.i++
		if p.i < len(d) && (d[p.i] == '+' || d[p.i] == '-') {
			p.i++
		}
		if !p.digits() {
			return "", false
		}
	}
	return json.Number(d[start:p.i]), true
}

func (p *parser) digits() bool {
	start := p.i
	for p.i < len(p.data) && p.data[p.i] >= '0' && p.data[p.i] <= '9' {
		p.i++
	}
	return p.i > start
}

// str reads a string at p.i (its opening quote), unescaped.
func (p *parser) str() (string, bool) {
	d := p.data
	start := p.i + 1
	i := start
	for i < len(d) {
		switch c := d[i]; {
		case c == '"':
			p.i = i + 1
			return string(d[start:i]), true
		case c == '\\':
			return p.escaped(start)
		case c < 0x20:
			return "", false
		default:
			i++
		}
	}
	return "", false
}

// escaped reads a string holding escapes, from its first byte at start.
func (p *parser) escaped(start int) (string, bool) {
	d := p.data
	out := make([]byte, 0, 32)
	for i := start; i < len(d); {
		c := d[i]
		switch {
		case c == '"':
			p.i = i + 1
			return string(out), true
		case c < 0x20:
			return "", false
		case c != '\\':
			out = append(out, c)
			i++
			continue
		}
		if i+1 >= len(d) {
			return "", false
		}
		switch e := d[i+1]; e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := hex4(d, i+2)
			if !ok {
				return "", false
			}
			i += 6
			if utf16.IsSurrogate(r) {
				// A pair, or a lone half: encoding/json writes U+FFFD.
				if r2, ok2 := hex4(d, i+2); ok2 && i+1 < len(d) && d[i] == '\\' && d[i+1] == 'u' {
					if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
						out = utf8.AppendRune(out, dec)
						i += 6
						continue
					}
				}
				r = utf8.RuneError
			}
			out = utf8.AppendRune(out, r)
			continue
		default:
			return "", false
		}
		i += 2
	}
	return "", false
}

func hex4(d []byte, at int) (rune, bool) {
	if at+4 > len(d) {
		return 0, false
	}
	var r rune
	for _, c := range d[at : at+4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}
