// Package yamldoc decodes YAML documents through yaml.Node and reports every
// problem it finds at file:line:col, with the offending line and a caret.
//
// The model, policy and user-directory loaders share it: each walks its own
// document with the helpers of a Doc, which record problems instead of
// stopping at the first, and returns Doc.Err at the end.
package yamldoc

import (
	"bytes"
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/agentlayer/agentlayer/internal/suggest"
)

// MaxProblems caps how many problems an Error prints.
const MaxProblems = 50

// Pos is a position in a file. Line and Col count from 1; a zero Line means
// the position is unknown.
type Pos struct {
	File string
	Line int
	Col  int
}

func (p Pos) String() string {
	switch {
	case p.Line == 0:
		return p.File
	case p.Col == 0:
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// Problem is one thing wrong with a file.
type Problem struct {
	Pos Pos
	Msg string
	// Source is the text of the line at Pos, if known.
	Source string
}

func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.Pos.String())
	b.WriteString(": ")
	b.WriteString(p.Msg)
	if p.Source != "" && p.Pos.Col > 0 {
		b.WriteString("\n    ")
		b.WriteString(p.Source)
		b.WriteString("\n    ")
		for i, r := range []rune(p.Source) {
			if i >= p.Pos.Col-1 {
				break
			}
			if r == '\t' {
				b.WriteByte('\t')
			} else {
				b.WriteByte(' ')
			}
		}
		b.WriteByte('^')
	}
	return b.String()
}

// List lists every problem found in one or more files, sorted by position.
// The model, policy and user-directory loaders each return an error type of
// their own embedding it, so that errors.As tells them apart.
type List struct {
	Problems []Problem
}

// All returns the problems; an interface{ All() []Problem } matches the
// errors of every loader.
func (e *List) All() []Problem { return e.Problems }

func (e *List) Error() string {
	var b strings.Builder
	for i, p := range e.Problems {
		if i == MaxProblems {
			fmt.Fprintf(&b, "\n... and %d more problems", len(e.Problems)-MaxProblems)
			break
		}
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(p.String())
	}
	return b.String()
}

// Sort orders problems by file, line and column, and drops exact duplicates.
func (e *List) Sort() {
	slices.SortStableFunc(e.Problems, func(a, b Problem) int {
		return cmp.Or(
			cmp.Compare(a.Pos.File, b.Pos.File),
			cmp.Compare(a.Pos.Line, b.Pos.Line),
			cmp.Compare(a.Pos.Col, b.Pos.Col),
			strings.Compare(a.Msg, b.Msg),
		)
	})
	e.Problems = slices.CompactFunc(e.Problems, func(a, b Problem) bool {
		return a.Pos == b.Pos && a.Msg == b.Msg
	})
}

// Doc is one YAML file being decoded. It is not safe for concurrent use.
type Doc struct {
	File     string
	lines    []string
	problems []Problem
}

// Parse reads data as one YAML document. It returns the root mapping, or nil
// when the text is not YAML at all (the problem is recorded on the Doc).
func Parse(file string, data []byte) (*Doc, *yaml.Node) {
	d := &Doc{File: file, lines: strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n")}
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); err != nil {
		if err.Error() == "EOF" {
			d.ErrorAt(Pos{File: file, Line: 1, Col: 1}, "the file is empty")
			return d, nil
		}
		d.syntaxError(err)
		return d, nil
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		d.Errorf(&extra, "the file holds more than one YAML document")
	}
	if root.Kind != yaml.DocumentNode || len(root.Content) == 0 {
		d.ErrorAt(Pos{File: file, Line: 1, Col: 1}, "the file is empty")
		return d, nil
	}
	return d, root.Content[0]
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

func (d *Doc) syntaxError(err error) {
	msg := err.Error()
	line := 1
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
	} else {
		msg = strings.TrimPrefix(msg, "yaml: ")
	}
	d.ErrorAt(Pos{File: d.File, Line: line, Col: 1}, "invalid YAML: %s", msg)
}

// Pos returns the position of a node.
func (d *Doc) Pos(n *yaml.Node) Pos {
	if n == nil {
		return Pos{File: d.File}
	}
	return Pos{File: d.File, Line: n.Line, Col: n.Column}
}

// Line returns the text of line n (from 1), or "".
func (d *Doc) Line(n int) string {
	if n < 1 || n > len(d.lines) {
		return ""
	}
	return d.lines[n-1]
}

// ErrorAt records a problem at pos.
func (d *Doc) ErrorAt(pos Pos, format string, args ...any) {
	p := Problem{Pos: pos, Msg: fmt.Sprintf(format, args...)}
	if pos.File == d.File {
		p.Source = d.Line(pos.Line)
	}
	d.problems = append(d.problems, p)
}

// Errorf records a problem at node n.
func (d *Doc) Errorf(n *yaml.Node, format string, args ...any) {
	d.ErrorAt(d.Pos(n), format, args...)
}

// Failed reports whether any problem has been recorded.
func (d *Doc) Failed() bool { return len(d.problems) > 0 }

// Problems returns the problems recorded so far.
func (d *Doc) Problems() []Problem { return d.problems }

// Sorted returns a List of problems, sorted and without duplicates.
func Sorted(problems []Problem) List {
	e := List{Problems: slices.Clone(problems)}
	e.Sort()
	return e
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	switch n.ShortTag() {
	case "!!null":
		return "null"
	case "!!int":
		return "a number"
	case "!!float":
		return "a number"
	case "!!bool":
		return "a boolean"
	}
	return "a string"
}

// Mapping checks that n is a mapping whose keys are all in keys, and returns
// its values by key. Unknown and repeated keys are recorded as problems, the
// former with a suggestion. what names the mapping in messages ("table").
func (d *Doc) Mapping(n *yaml.Node, what string, keys ...string) map[string]*yaml.Node {
	if n == nil {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		d.Errorf(n, "%s must be a mapping, not %s", what, kindName(n))
		return nil
	}
	out := make(map[string]*yaml.Node, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.Errorf(k, "%s keys must be strings", what)
			continue
		}
		if !slices.Contains(keys, k.Value) {
			if s := suggest.Closest(k.Value, keys); s != "" {
				d.Errorf(k, "unknown key %q in %s (did you mean %q?)", k.Value, what, s)
			} else {
				d.Errorf(k, "unknown key %q in %s (expected one of %s)", k.Value, what, strings.Join(keys, ", "))
			}
			continue
		}
		if _, dup := out[k.Value]; dup {
			d.Errorf(k, "key %q appears twice in %s", k.Value, what)
			continue
		}
		out[k.Value] = v
	}
	return out
}

// Require returns m[key], recording a problem at parent when it is absent or
// null.
func (d *Doc) Require(m map[string]*yaml.Node, parent *yaml.Node, what, key string) *yaml.Node {
	v := m[key]
	if v == nil || isNull(v) {
		if v != nil {
			parent = v
		}
		d.Errorf(parent, "%s needs %q", what, key)
		return nil
	}
	return v
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" }

// String decodes a string scalar. Numbers and booleans written without quotes
// are refused, so that `name: 1` does not silently become "1". A nil node
// yields "" and true.
func (d *Doc) String(n *yaml.Node, what string) (string, bool) {
	if n == nil {
		return "", true
	}
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
		d.Errorf(n, "%s must be a string, not %s", what, kindName(n))
		return "", false
	}
	return n.Value, true
}

// NonEmpty decodes a string that must not be empty or blank.
func (d *Doc) NonEmpty(n *yaml.Node, what string) (string, bool) {
	s, ok := d.String(n, what)
	if ok && n != nil && strings.TrimSpace(s) == "" {
		d.Errorf(n, "%s must not be empty", what)
		return "", false
	}
	return s, ok
}

// Int decodes an integer scalar.
func (d *Doc) Int(n *yaml.Node, what string) (int, bool) {
	if n == nil {
		return 0, true
	}
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" {
		d.Errorf(n, "%s must be an integer, not %s", what, kindName(n))
		return 0, false
	}
	v, err := strconv.ParseInt(n.Value, 0, 64)
	if err != nil || v != int64(int(v)) {
		d.Errorf(n, "%s %s is out of range", what, n.Value)
		return 0, false
	}
	return int(v), true
}

// Bool decodes a boolean scalar.
func (d *Doc) Bool(n *yaml.Node, what string) (bool, bool) {
	if n == nil {
		return false, true
	}
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" {
		d.Errorf(n, "%s must be true or false, not %s", what, kindName(n))
		return false, false
	}
	var b bool
	if err := n.Decode(&b); err != nil {
		d.Errorf(n, "%s must be true or false", what)
		return false, false
	}
	return b, true
}

// Seq returns the items of a sequence node; nil yields nil.
func (d *Doc) Seq(n *yaml.Node, what string) []*yaml.Node {
	if n == nil || isNull(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		d.Errorf(n, "%s must be a list, not %s", what, kindName(n))
		return nil
	}
	return n.Content
}

// Strings decodes a list of strings; a single string is taken as a list of one.
func (d *Doc) Strings(n *yaml.Node, what string) []string {
	if n == nil || isNull(n) {
		return nil
	}
	if n.Kind == yaml.ScalarNode {
		s, ok := d.String(n, what)
		if !ok {
			return nil
		}
		return []string{s}
	}
	var out []string
	for _, item := range d.Seq(n, what) {
		if s, ok := d.String(item, what+" item"); ok {
			out = append(out, s)
		}
	}
	return out
}
