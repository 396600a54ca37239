// Package fieldexpr reads the portable SQL subset in which a model defines
// a computed field (first_name || ' ' || last_name, amount - discount,
// CASE WHEN … END, date_trunc, casts, coalesce) and the SQL aggregate
// expressions imported models define measures with. It is pure Go: it
// parses once, at load, reports a problem at its offset with the nearest
// name, and compiles to the SQL tree (sqlast), which renders per dialect.
// Only the functions of a whitelist are accepted: nothing in a model's
// expression reaches the database as text.
package fieldexpr

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Node is a parsed expression.
type Node interface {
	// Pos is the node's offset in the source, in bytes.
	Pos() int
}

// The nodes.
type (
	// Name is a column of the field's table, or a field of it.
	Name struct {
		At   int
		Name string
	}
	// Number is a numeric literal, as written.
	Number struct {
		At   int
		Text string
	}
	// String is a string literal's value.
	String struct {
		At    int
		Value string
	}
	// Bool is TRUE or FALSE.
	Bool struct {
		At    int
		Value bool
	}
	// Null is NULL.
	Null struct{ At int }
	// Unary is -X or NOT X.
	Unary struct {
		At int
		Op string // "-" or "NOT"
		X  Node
	}
	// Binary is X op Y: arithmetic (+ - * / %), concatenation (||),
	// comparison (= <> < <= > >=), AND, OR.
	Binary struct {
		At   int
		Op   string
		X, Y Node
	}
	// IsNull is X IS [NOT] NULL.
	IsNull struct {
		At  int
		X   Node
		Not bool
	}
	// In is X [NOT] IN (List).
	In struct {
		At   int
		X    Node
		List []Node
		Not  bool
	}
	// Between is X [NOT] BETWEEN Lo AND Hi.
	Between struct {
		At        int
		X, Lo, Hi Node
		Not       bool
	}
	// Call is a function of the whitelist, its name lower-case; for
	// EXTRACT(part FROM x), Name is "extract" and Part the part.
	Call struct {
		At       int
		Name     string
		Args     []Node
		Part     string
		Distinct bool // an aggregate's DISTINCT
		Star     bool // count(*)
	}
	// Cast is CAST(X AS Type) or X::Type, Type one of the portable names.
	Cast struct {
		At   int
		X    Node
		Type string
	}
	// Case is CASE [Subject] WHEN … THEN … [ELSE …] END.
	Case struct {
		At      int
		Subject Node // nil for a searched CASE
		Whens   []When
		Else    Node
	}
)

// When is a branch of a Case.
type When struct{ Cond, Then Node }

func (n *Name) Pos() int    { return n.At }
func (n *Number) Pos() int  { return n.At }
func (n *String) Pos() int  { return n.At }
func (n *Bool) Pos() int    { return n.At }
func (n *Null) Pos() int    { return n.At }
func (n *Unary) Pos() int   { return n.At }
func (n *Binary) Pos() int  { return n.At }
func (n *IsNull) Pos() int  { return n.At }
func (n *In) Pos() int      { return n.At }
func (n *Between) Pos() int { return n.At }
func (n *Call) Pos() int    { return n.At }
func (n *Cast) Pos() int    { return n.At }
func (n *Case) Pos() int    { return n.At }

// Error is a problem in an expression, at a byte offset of it.
type Error struct {
	Offset  int
	Message string
}

func (e *Error) Error() string { return fmt.Sprintf("at offset %d: %s", e.Offset, e.Message) }

// Types are the portable type names a cast may name.
var Types = []string{"bigint", "integer", "double", "decimal", "numeric", "text", "varchar", "boolean", "date", "timestamp"}

// Functions are the functions an expression may call, with their
// arities (-1: one or more).
var Functions = map[string]int{
	"coalesce": -1, "nullif": 2, "abs": 1, "round": -1, "floor": 1, "ceil": 1, "sign": 1,
	"lower": 1, "upper": 1, "length": 1, "trim": 1, "substr": -1, "concat": -1, "replace": 3,
	"greatest": -1, "least": -1, "date_trunc": 2, "extract": 1,
	// Aggregates, for measures.
	"sum": 1, "count": 1, "avg": 1, "min": 1, "max": 1, "median": 1,
}

// Aggregates are the functions of Functions that aggregate.
var Aggregates = map[string]bool{"sum": true, "count": true, "avg": true, "min": true, "max": true, "median": true}

// Parts are the parts EXTRACT and the units date_trunc accept.
var Parts = []string{"year", "quarter", "month", "week", "day", "hour", "minute", "second", "dow", "doy"}

// MaxLen bounds an expression's length, and MaxDepth its nesting.
const (
	MaxLen   = 4096
	MaxDepth = 64
)

// Parse reads an expression of the subset.
func Parse(src string) (Node, error) {
	if len(src) > MaxLen {
		return nil, &Error{Offset: MaxLen, Message: fmt.Sprintf("the expression is longer than %d bytes", MaxLen)}
	}
	if !utf8.ValidString(src) {
		return nil, &Error{Message: "the expression is not UTF-8"}
	}
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks, src: src}
	n, err := p.expr(0)
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tokEOF {
		return nil, p.errorf(t, "unexpected %s after the expression", t.describe())
	}
	return n, nil
}

type tokKind int

const (
	tokEOF tokKind = iota
	tokIdent
	tokQuoted // a "quoted" identifier
	tokNumber
	tokString
	tokOp
)

type token struct {
	kind tokKind
	text string // an identifier lower-cased for keywords; a string's value
	raw  string // the identifier as written
	at   int
}

func (t token) describe() string {
	switch t.kind {
	case tokEOF:
		return "end of the expression"
	case tokString:
		return fmt.Sprintf("string '%s'", t.text)
	}
	return fmt.Sprintf("%q", t.raw)
}

func (t token) is(kw string) bool { return t.kind == tokIdent && t.text == kw }

// lex splits src into tokens.
func lex(src string) ([]token, error) {
	var out []token
	i := 0
	for i < len(src) {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '-' && strings.HasPrefix(src[i:], "--"):
			return nil, &Error{Offset: i, Message: "comments are not part of an expression"}
		case c == '/' && strings.HasPrefix(src[i:], "/*"):
			return nil, &Error{Offset: i, Message: "comments are not part of an expression"}
		case c == '\'':
			var b strings.Builder
			j := i + 1
			for {
				if j >= len(src) {
					return nil, &Error{Offset: i, Message: "a string is not closed"}
				}
				if src[j] == '\'' {
					if j+1 < len(src) && src[j+1] == '\'' {
						b.WriteByte('\'')
						j += 2
						continue
					}
					break
				}
				b.WriteByte(src[j])
				j++
			}
			out = append(out, token{kind: tokString, text: b.String(), raw: src[i : j+1], at: i})
			i = j + 1
		case c == '"':
			j := strings.IndexByte(src[i+1:], '"')
			if j < 0 {
				return nil, &Error{Offset: i, Message: "a quoted name is not closed"}
			}
			name := src[i+1 : i+1+j]
			if name == "" {
				return nil, &Error{Offset: i, Message: "a quoted name is empty"}
			}
			out = append(out, token{kind: tokQuoted, text: name, raw: src[i : i+2+j], at: i})
			i += j + 2
		case c >= '0' && c <= '9' || c == '.' && i+1 < len(src) && src[i+1] >= '0' && src[i+1] <= '9':
			j := i
			for j < len(src) && (src[j] >= '0' && src[j] <= '9' || src[j] == '.') {
				j++
			}
			if j < len(src) && (src[j] == 'e' || src[j] == 'E') {
				k := j + 1
				if k < len(src) && (src[k] == '+' || src[k] == '-') {
					k++
				}
				if k < len(src) && src[k] >= '0' && src[k] <= '9' {
					for j = k; j < len(src) && src[j] >= '0' && src[j] <= '9'; j++ {
					}
				}
			}
			text := src[i:j]
			if _, err := strconv.ParseFloat(text, 64); err != nil {
				return nil, &Error{Offset: i, Message: fmt.Sprintf("%q is not a number", text)}
			}
			out = append(out, token{kind: tokNumber, text: text, raw: text, at: i})
			i = j
		case c == '_' || c < utf8.RuneSelf && unicode.IsLetter(rune(c)):
			j := i
			for j < len(src) && (src[j] == '_' || src[j] < utf8.RuneSelf && (unicode.IsLetter(rune(src[j])) || unicode.IsDigit(rune(src[j])))) {
				j++
			}
			out = append(out, token{kind: tokIdent, text: strings.ToLower(src[i:j]), raw: src[i:j], at: i})
			i = j
		default:
			op := ""
			for _, o := range []string{"<>", "!=", "<=", ">=", "||", "::", "=", "<", ">", "+", "-", "*", "/", "%", "(", ")", ","} {
				if strings.HasPrefix(src[i:], o) {
					op = o
					break
				}
			}
			if op == "" {
				r, _ := utf8.DecodeRuneInString(src[i:])
				return nil, &Error{Offset: i, Message: fmt.Sprintf("%q is not part of the expression language", r)}
			}
			out = append(out, token{kind: tokOp, text: op, raw: op, at: i})
			i += len(op)
		}
	}
	return append(out, token{kind: tokEOF, at: len(src)}), nil
}

type parser struct {
	toks []token
	i    int
	src  string
}

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tokEOF {
		p.i++
	}
	return t
}

func (p *parser) errorf(t token, format string, args ...any) error {
	return &Error{Offset: t.at, Message: fmt.Sprintf(format, args...)}
}

func (p *parser) accept(kw string) bool {
	if t := p.peek(); t.is(kw) || t.kind == tokOp && t.text == kw {
		p.i++
		return true
	}
	return false
}

func (p *parser) expect(what string) (token, error) {
	t := p.next()
	if t.is(what) || t.kind == tokOp && t.text == what {
		return t, nil
	}
	return t, p.errorf(t, "expected %s, found %s", what, t.describe())
}

func (p *parser) deeper(depth int) error {
	if depth > MaxDepth {
		return p.errorf(p.peek(), "the expression nests deeper than %d", MaxDepth)
	}
	return nil
}

// expr is OR's precedence.
func (p *parser) expr(depth int) (Node, error) {
	if err := p.deeper(depth); err != nil {
		return nil, err
	}
	x, err := p.and(depth)
	for err == nil && p.peek().is("or") {
		t := p.next()
		var y Node
		if y, err = p.and(depth); err == nil {
			x = &Binary{At: t.at, Op: "OR", X: x, Y: y}
		}
	}
	return x, err
}

func (p *parser) and(depth int) (Node, error) {
	x, err := p.not(depth)
	for err == nil && p.peek().is("and") {
		t := p.next()
		var y Node
		if y, err = p.not(depth); err == nil {
			x = &Binary{At: t.at, Op: "AND", X: x, Y: y}
		}
	}
	return x, err
}

func (p *parser) not(depth int) (Node, error) {
	if t := p.peek(); t.is("not") {
		p.next()
		if err := p.deeper(depth + 1); err != nil {
			return nil, err
		}
		x, err := p.not(depth + 1)
		if err != nil {
			return nil, err
		}
		return &Unary{At: t.at, Op: "NOT", X: x}, nil
	}
	return p.comparison(depth)
}

var comparisons = map[string]string{"=": "=", "<>": "<>", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}

func (p *parser) comparison(depth int) (Node, error) {
	x, err := p.additive(depth)
	if err != nil {
		return nil, err
	}
	t := p.peek()
	if op, ok := comparisons[t.text]; ok && t.kind == tokOp {
		p.next()
		y, err := p.additive(depth)
		if err != nil {
			return nil, err
		}
		return &Binary{At: t.at, Op: op, X: x, Y: y}, nil
	}
	if t.is("is") {
		p.next()
		not := p.accept("not")
		if _, err := p.expect("null"); err != nil {
			return nil, err
		}
		return &IsNull{At: t.at, X: x, Not: not}, nil
	}
	not := false
	if t.is("not") && (p.toks[p.i+1].is("in") || p.toks[p.i+1].is("between")) {
		p.next()
		not = true
		t = p.peek()
	}
	switch {
	case t.is("in"):
		p.next()
		if _, err := p.expect("("); err != nil {
			return nil, err
		}
		list, err := p.list(depth)
		if err != nil {
			return nil, err
		}
		return &In{At: t.at, X: x, List: list, Not: not}, nil
	case t.is("between"):
		p.next()
		lo, err := p.additive(depth)
		if err != nil {
			return nil, err
		}
		if _, err := p.expect("and"); err != nil {
			return nil, err
		}
		hi, err := p.additive(depth)
		if err != nil {
			return nil, err
		}
		return &Between{At: t.at, X: x, Lo: lo, Hi: hi, Not: not}, nil
	}
	return x, nil
}

// list reads expressions up to a closing parenthesis.
func (p *parser) list(depth int) ([]Node, error) {
	var out []Node
	for {
		n, err := p.expr(depth + 1)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
		if p.accept(",") {
			continue
		}
		if _, err := p.expect(")"); err != nil {
			return nil, err
		}
		return out, nil
	}
}

func (p *parser) additive(depth int) (Node, error) {
	x, err := p.multiplicative(depth)
	for err == nil {
		t := p.peek()
		if t.kind != tokOp || (t.text != "+" && t.text != "-" && t.text != "||") {
			break
		}
		p.next()
		var y Node
		if y, err = p.multiplicative(depth); err == nil {
			x = &Binary{At: t.at, Op: t.text, X: x, Y: y}
		}
	}
	return x, err
}

func (p *parser) multiplicative(depth int) (Node, error) {
	x, err := p.unary(depth)
	for err == nil {
		t := p.peek()
		if t.kind != tokOp || (t.text != "*" && t.text != "/" && t.text != "%") {
			break
		}
		p.next()
		var y Node
		if y, err = p.unary(depth); err == nil {
			x = &Binary{At: t.at, Op: t.text, X: x, Y: y}
		}
	}
	return x, err
}

func (p *parser) unary(depth int) (Node, error) {
	if t := p.peek(); t.kind == tokOp && t.text == "-" {
		p.next()
		if err := p.deeper(depth + 1); err != nil {
			return nil, err
		}
		x, err := p.unary(depth + 1)
		if err != nil {
			return nil, err
		}
		return &Unary{At: t.at, Op: "-", X: x}, nil
	}
	x, err := p.primary(depth)
	for err == nil && p.accept("::") {
		var ty string
		at := p.peek().at
		if ty, err = p.typeName(); err == nil {
			x = &Cast{At: at, X: x, Type: ty}
		}
	}
	return x, err
}

func (p *parser) typeName() (string, error) {
	t := p.next()
	if t.kind == tokIdent {
		name := t.text
		if name == "double" && p.peek().is("precision") {
			p.next()
		}
		if (name == "decimal" || name == "numeric" || name == "varchar") && p.accept("(") {
			// DECIMAL(p, s), VARCHAR(n): the parameters are the target
			// database's business; the portable type is exact or text.
			for !p.accept(")") {
				if tt := p.next(); tt.kind == tokEOF {
					return "", p.errorf(tt, "expected ), found %s", tt.describe())
				}
			}
		}
		for _, ty := range Types {
			if ty == name {
				return name, nil
			}
		}
	}
	return "", p.errorf(t, "%s is not a type an expression may cast to (%s)", t.describe(), strings.Join(Types, ", "))
}

func (p *parser) primary(depth int) (Node, error) {
	if err := p.deeper(depth); err != nil {
		return nil, err
	}
	t := p.next()
	switch t.kind {
	case tokNumber:
		return &Number{At: t.at, Text: t.text}, nil
	case tokString:
		return &String{At: t.at, Value: t.text}, nil
	case tokQuoted:
		return &Name{At: t.at, Name: t.text}, nil
	case tokOp:
		if t.text == "(" {
			x, err := p.expr(depth + 1)
			if err != nil {
				return nil, err
			}
			if _, err := p.expect(")"); err != nil {
				return nil, err
			}
			return x, nil
		}
		return nil, p.errorf(t, "expected a value, found %s", t.describe())
	case tokEOF:
		return nil, p.errorf(t, "expected a value, found the end of the expression")
	}
	switch t.text {
	case "true", "false":
		return &Bool{At: t.at, Value: t.text == "true"}, nil
	case "null":
		return &Null{At: t.at}, nil
	case "case":
		return p.caseExpr(t, depth)
	case "cast":
		if _, err := p.expect("("); err != nil {
			return nil, err
		}
		x, err := p.expr(depth + 1)
		if err != nil {
			return nil, err
		}
		if _, err := p.expect("as"); err != nil {
			return nil, err
		}
		ty, err := p.typeName()
		if err != nil {
			return nil, err
		}
		if _, err := p.expect(")"); err != nil {
			return nil, err
		}
		return &Cast{At: t.at, X: x, Type: ty}, nil
	}
	if p.peek().kind == tokOp && p.peek().text == "(" {
		return p.call(t, depth)
	}
	switch t.text {
	case "and", "or", "not", "is", "in", "between", "when", "then", "else", "end", "as", "select", "from", "where":
		return nil, p.errorf(t, "expected a value, found the keyword %s", strings.ToUpper(t.text))
	}
	return &Name{At: t.at, Name: t.raw}, nil
}

func (p *parser) caseExpr(t token, depth int) (Node, error) {
	c := &Case{At: t.at}
	if !p.peek().is("when") {
		s, err := p.expr(depth + 1)
		if err != nil {
			return nil, err
		}
		c.Subject = s
	}
	for p.accept("when") {
		cond, err := p.expr(depth + 1)
		if err != nil {
			return nil, err
		}
		if _, err := p.expect("then"); err != nil {
			return nil, err
		}
		then, err := p.expr(depth + 1)
		if err != nil {
			return nil, err
		}
		c.Whens = append(c.Whens, When{Cond: cond, Then: then})
	}
	if len(c.Whens) == 0 {
		return nil, p.errorf(p.peek(), "expected WHEN, found %s", p.peek().describe())
	}
	if p.accept("else") {
		e, err := p.expr(depth + 1)
		if err != nil {
			return nil, err
		}
		c.Else = e
	}
	if _, err := p.expect("end"); err != nil {
		return nil, err
	}
	return c, nil
}

func (p *parser) call(t token, depth int) (Node, error) {
	arity, ok := Functions[t.text]
	if !ok {
		return nil, p.errorf(t, "%s is not a function an expression may call (%s)", t.raw, strings.Join(functionNames(), ", "))
	}
	p.next() // (
	c := &Call{At: t.at, Name: t.text}
	switch {
	case t.text == "extract":
		part := p.next()
		if part.kind != tokIdent || !isPart(part.text) {
			return nil, p.errorf(part, "EXTRACT takes one of %s, not %s", strings.Join(Parts, ", "), part.describe())
		}
		c.Part = part.text
		if _, err := p.expect("from"); err != nil {
			return nil, err
		}
		x, err := p.expr(depth + 1)
		if err != nil {
			return nil, err
		}
		if _, err := p.expect(")"); err != nil {
			return nil, err
		}
		c.Args = []Node{x}
		return c, nil
	case t.text == "count" && p.peek().kind == tokOp && p.peek().text == "*":
		p.next()
		if _, err := p.expect(")"); err != nil {
			return nil, err
		}
		c.Star = true
		return c, nil
	}
	if Aggregates[t.text] && p.accept("distinct") {
		c.Distinct = true
	}
	args, err := p.list(depth)
	if err != nil {
		return nil, err
	}
	c.Args = args
	if arity >= 0 && len(args) != arity {
		return nil, p.errorf(t, "%s takes %d argument(s), not %d", t.text, arity, len(args))
	}
	if t.text == "date_trunc" {
		unit, ok := args[0].(*String)
		if !ok || !isPart(strings.ToLower(unit.Value)) {
			return nil, &Error{Offset: args[0].Pos(), Message: fmt.Sprintf("date_trunc's unit is a string of %s", strings.Join(Parts, ", "))}
		}
		c.Part = strings.ToLower(unit.Value)
	}
	return c, nil
}

func isPart(s string) bool {
	for _, p := range Parts {
		if p == s {
			return true
		}
	}
	return false
}

func functionNames() []string {
	out := make([]string, 0, len(Functions))
	for name := range Functions {
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}
