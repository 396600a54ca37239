// Package jsontree decodes JSON into a tree of plain values (objects as
// map[string]any, arrays as []any, numbers as json.Number), refusing what
// encoding/json lets through silently: a key given twice in one object
// (encoding/json keeps the last, so two readers of one document could
// disagree about it) and nesting deeper than a bound (work an attacker
// chooses). Request bodies, JWT headers and payloads go through it.
package jsontree

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxDepth is the deepest nesting of objects and arrays Decode accepts by
// default.
const MaxDepth = 32

// Error is a document Decode refuses; Path locates the problem
// (filters[2].value) when it is inside the document.
type Error struct {
	Path    string
	Message string
}

func (e *Error) Error() string { return e.Message }

// ErrSyntax marks a document that is not JSON at all; Decode's error wraps it.
var ErrSyntax = errors.New("invalid JSON")

// ErrTrailing marks a document followed by more than white space: several
// JSON values. It wraps ErrSyntax.
var ErrTrailing = fmt.Errorf("%w: more than one value", ErrSyntax)

// Decode reads exactly one JSON value from data, nested at most maxDepth
// deep (0 means MaxDepth), with no repeated key in any object.
func Decode(data []byte, maxDepth int) (any, error) {
	if maxDepth <= 0 {
		maxDepth = MaxDepth
	}
	if !utf8.Valid(data) {
		at := 0
		for at < len(data) {
			r, n := utf8.DecodeRune(data[at:])
			if r == utf8.RuneError && n == 1 {
				break
			}
			at += n
		}
		return nil, &Error{Message: fmt.Sprintf("the document is not valid UTF-8 (byte %d)", at)}
	}
	if v, err, ok := fastDecode(data, maxDepth); ok {
		return v, err
	}
	// Not JSON: encoding/json's decoder says where, in its words.
	return slowDecode(data, maxDepth)
}

// slowDecode is Decode through encoding/json's tokenizer: the reference
// fastDecode is tested against, and the author of syntax errors.
func slowDecode(data []byte, maxDepth int) (any, error) {
	d := &decoder{dec: json.NewDecoder(bytes.NewReader(data)), max: maxDepth}
	d.dec.UseNumber()
	tok, err := d.dec.Token()
	if err != nil {
		return nil, syntax(err)
	}
	v, err := d.value(tok, "", 0)
	if err != nil {
		return nil, err
	}
	if _, err := d.dec.Token(); err != io.EOF {
		return nil, ErrTrailing
	}
	return v, nil
}

// Check reports what Decode would refuse in data, without keeping the tree.
func Check(data []byte, maxDepth int) error {
	_, err := Decode(data, maxDepth)
	return err
}

func syntax(err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("%w at byte %d", ErrSyntax, se.Offset)
	}
	if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: the document ends early", ErrSyntax)
	}
	return fmt.Errorf("%w: %v", ErrSyntax, err)
}

type decoder struct {
	dec *json.Decoder
	max int
}

func (d *decoder) value(tok json.Token, path string, depth int) (any, error) {
	delim, ok := tok.(json.Delim)
	if !ok {
		if s, ok := tok.(string); ok && strings.IndexByte(s, 0) >= 0 {
			return nil, &Error{Path: path, Message: fmt.Sprintf("%s holds a NUL character", describe(path))}
		}
		return tok, nil // string, json.Number, bool or nil
	}
	if depth >= d.max {
		return nil, &Error{Path: path, Message: fmt.Sprintf("the document nests objects and lists more than %d deep", d.max)}
	}
	switch delim {
	case '{':
		obj := map[string]any{}
		for {
			tok, err := d.dec.Token()
			if err != nil {
				return nil, syntax(err)
			}
			if tok == json.Delim('}') {
				return obj, nil
			}
			key, _ := tok.(string)
			at := join(path, key)
			if strings.IndexByte(key, 0) >= 0 {
				return nil, &Error{Path: path, Message: fmt.Sprintf("a key of %s holds a NUL character", describe(path))}
			}
			if _, dup := obj[key]; dup {
				return nil, &Error{Path: at, Message: fmt.Sprintf("key %q appears twice in %s", key, describe(path))}
			}
			tok, err = d.dec.Token()
			if err != nil {
				return nil, syntax(err)
			}
			v, err := d.value(tok, at, depth+1)
			if err != nil {
				return nil, err
			}
			obj[key] = v
		}
	case '[':
		list := []any{}
		for i := 0; ; i++ {
			tok, err := d.dec.Token()
			if err != nil {
				return nil, syntax(err)
			}
			if tok == json.Delim(']') {
				return list, nil
			}
			v, err := d.value(tok, path+"["+strconv.Itoa(i)+"]", depth+1)
			if err != nil {
				return nil, err
			}
			list = append(list, v)
		}
	}
	return nil, syntax(fmt.Errorf("unexpected %v", delim))
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func describe(path string) string {
	if path == "" {
		return "the document"
	}
	return path
}
