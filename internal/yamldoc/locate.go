package yamldoc

import (
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Span is a scalar value together with where its text lies in the file, so
// that a position inside the value (as a CEL error reports it) maps back to
// the file's line and column.
type Span struct {
	Value string
	Start Pos
	lines []string // the file's, for the source line of problems
	// segs are the file lines holding the value's text, in order; the value
	// is their contents joined by one separator character each.
	segs []segment
}

type segment struct {
	line, col int // 1-based position of the first rune
	runes     int
}

// Span returns the span of a scalar node.
func (d *Doc) Span(n *yaml.Node) Span {
	s := Span{Value: n.Value, Start: d.Pos(n), lines: d.lines}
	switch {
	case n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0:
		indent := -1
		for ln := n.Line + 1; ln <= len(d.lines); ln++ {
			text := d.Line(ln)
			trimmed := strings.TrimLeft(text, " ")
			if trimmed == "" {
				s.segs = append(s.segs, segment{line: ln, col: 1})
				continue
			}
			ind := len(text) - len(trimmed)
			if indent < 0 {
				indent = ind
			}
			if ind < indent {
				break
			}
			s.segs = append(s.segs, segment{line: ln, col: indent + 1, runes: utf8.RuneCountInString(text[indent:])})
		}
		if len(s.segs) > 0 {
			s.Start = Pos{File: d.File, Line: s.segs[0].line, Col: s.segs[0].col}
		}
	default:
		col := n.Column
		if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 {
			col++
		}
		first := d.Line(n.Line)
		rest := len([]rune(first)) - (col - 1)
		s.segs = append(s.segs, segment{line: n.Line, col: col, runes: max(rest, 0)})
		// A plain or quoted scalar may continue on the next lines, folded
		// into single spaces: follow it until the value is covered.
		covered, want := max(rest, 0), utf8.RuneCountInString(n.Value)
		for ln := n.Line + 1; covered < want && ln <= len(d.lines); ln++ {
			text := d.Line(ln)
			trimmed := strings.TrimLeft(text, " \t")
			r := utf8.RuneCountInString(trimmed)
			s.segs = append(s.segs, segment{line: ln, col: len(text) - len(trimmed) + 1, runes: r})
			covered += r + 1
		}
	}
	return s
}

// At maps a position inside the value — line from 1 and column from 0, in
// runes, as CEL reports them — to a position in the file.
func (s Span) At(line, col int) Pos {
	if len(s.segs) == 0 {
		return s.Start
	}
	// Rune offset of the position in the value.
	offset := 0
	lines := strings.Split(s.Value, "\n")
	for i := 0; i < line-1 && i < len(lines); i++ {
		offset += utf8.RuneCountInString(lines[i]) + 1
	}
	offset += max(col, 0)
	for _, seg := range s.segs {
		if offset <= seg.runes {
			return Pos{File: s.Start.File, Line: seg.line, Col: seg.col + offset}
		}
		offset -= seg.runes + 1
	}
	last := s.segs[len(s.segs)-1]
	return Pos{File: s.Start.File, Line: last.line, Col: last.col + last.runes}
}

// Problem returns a problem at a position inside the value (CEL style: line
// from 1, column from 0), with the file's line for the caret.
func (s Span) Problem(line, col int, msg string) Problem {
	pos := s.At(line, col)
	p := Problem{Pos: pos, Msg: msg}
	if pos.Line >= 1 && pos.Line <= len(s.lines) {
		p.Source = s.lines[pos.Line-1]
	}
	return p
}
