package sqlast

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/agentlayer/agentlayer/semantic"
)

// Expr is a node of the SQL expression tree. The set of nodes is closed:
// every one renders itself through a Dialect, identifiers come only from
// the model, and every value is a bound parameter.
//
// A node kind is defined here, whole: its fields, how it writes itself,
// whether it is atomic (written as an operand without parentheses), and
// its child expressions, from which walkExpr and rewrite derive every
// traversal.
type Expr interface {
	write(w *writer)
	// atomic reports whether the node needs no parentheses as an operand.
	atomic() bool
	// children are the node's sub-expressions, in order; some may be nil.
	children() []Expr
	// withChildren is a copy of the node with its children replaced, in
	// the order children gives them.
	withChildren(c []Expr) Expr
}

// walkExpr calls fn on e and every node below it, depth first.
func Walk(e Expr, fn func(Expr)) {
	if e == nil {
		return
	}
	fn(e)
	for _, c := range e.children() {
		Walk(c, fn)
	}
}

// rewrite rebuilds e bottom-up, replacing each node by fn's result. It
// does not enter a semi-join: fn sees a semi-join whole, not its condition,
// which reads another table.
func Rewrite(e Expr, fn func(Expr) Expr) Expr {
	if e == nil {
		return nil
	}
	if _, other := e.(SemiJoin); !other {
		if kids := e.children(); len(kids) > 0 {
			out := make([]Expr, len(kids))
			for i, k := range kids {
				out[i] = Rewrite(k, fn)
			}
			e = e.withChildren(out)
		}
	}
	return fn(e)
}

// Ref is a field of the table an expression is about (a row filter, a
// segment). It renders against the alias that table has where the
// expression is placed.
type Ref struct{ Field *semantic.Field }

// Col is a column of a table instance in a query, by alias.
type Col struct {
	Alias  string
	Column string
}

// Param is a bound value.
type Param struct{ Value any }

// lit is SQL text written by this package itself: keywords and constants,
// never request text. Its only constructors are the values below.
type lit string

// The literals.
var (
	True  Expr = lit("TRUE")
	False Expr = lit("FALSE")
	Null  Expr = lit("NULL")
	star  Expr = lit("*")
)

// Int is an integer constant of this package (a position, a size).
type Int int64

// Float is a number constant of this package, written with a decimal
// point.
type Float float64

// constant is a string literal chosen by this package or the configuration
// (a date part, a time zone name), never by a request.
func Constant(s string) Expr { return lit(quoteString(s)) }

// Call is a function call.
type Call struct {
	Name string
	Args []Expr
}

// Bin is a binary operator: comparisons (=, <>, <, <=, >, >=, IS DISTINCT
// FROM, IS NOT DISTINCT FROM) and arithmetic (+, -, *, /, //, %).
type Bin struct {
	Op   string
	L, R Expr
}

// Not negates a condition.
type Not struct{ X Expr }

// And is a conjunction; an empty And is TRUE.
type And []Expr

// Or is a disjunction; an empty Or is FALSE.
type Or []Expr

// In is X IN (List...).
type In struct {
	X    Expr
	List []Expr
}

// IsNull is X IS [NOT] NULL.
type IsNull struct {
	X   Expr
	Not bool
}

// Cast is CAST(X AS Type), the type named by the dialect.
type Cast struct {
	X    Expr
	Type Type
}

// Fn is an operation whose spelling differs between engines; the dialect
// writes it (FnOp lists them).
type Fn struct {
	Op   FnOp
	Args []Expr
	Arg  string
	// Kind is the kind of Args[0] where the spelling depends on it (a date
	// truncated).
	Kind semantic.Kind
}

// Agg is an aggregate call; a nil Arg is *. Filter restricts the rows it
// aggregates.
type Agg struct {
	Func     string
	Arg      Expr
	Distinct bool
	Filter   Expr
}

// SemiJoin is true for rows whose foreign key FK references a row of the
// referenced table meeting Cond: FK IN (SELECT key FROM table WHERE Cond).
// Refs in Cond are fields of the referenced table.
type SemiJoin struct {
	FK   *semantic.Field
	Cond Expr
}

// AnyOf is X = ANY(list): X equals an item of a list of values bound as one
// parameter, however many it holds, so that requests that differ only in
// how many values they give share one prepared statement. List is a
// []int64, []float64, []string or []time.Time of items of SQL type Type;
// it is never empty.
type AnyOf struct {
	X    Expr
	List any
	Type Type
}

// MatchesAny is true when the text X, lower-cased, contains (or starts or
// ends with, as Func says: contains, starts_with, ends_with) one of
// Patterns, lower-cased: a list bound as one parameter.
type MatchesAny struct {
	X        Expr
	Func     FnOp // FnContains, FnStartsWith or FnEndsWith
	Patterns []string
	// CaseSensitive compares as written, not lower-cased.
	CaseSensitive bool
}

// InRanges is true when X lies in one of the half-open ranges [Lo[i],
// Hi[i]): two lists of values of SQL type Type, each bound as one
// parameter.
type InRanges struct {
	X      Expr
	Lo, Hi any
	Type   Type
}

// Interval is a fixed interval of N units; Unit is day, hour, … (from
// this package).
type Interval struct {
	N    int
	Unit string
}

// Case is CASE WHEN … THEN … ELSE … END.
type Case struct {
	Whens []When
	Else  Expr
}

// When is a branch of a Case.
type When struct{ Cond, Then Expr }

// AndOf joins conditions with AND, flattening nested conjunctions: FALSE
// decides it, TRUE and nil parts drop out, and nothing left is nil (no
// condition).
func AndOf(parts ...Expr) Expr {
	var out And
	for _, p := range parts {
		switch x := p.(type) {
		case nil:
		case And:
			out = append(out, x...)
		default:
			switch x {
			case True:
				continue
			case False:
				return False
			}
			out = append(out, x)
		}
	}
	switch len(out) {
	case 0:
		return nil
	case 1:
		return out[0]
	}
	return out
}

// OrOf joins conditions with OR, flattening nested disjunctions: TRUE
// decides it, FALSE parts drop out, and nothing left is FALSE.
func OrOf(parts ...Expr) Expr {
	var out Or
	for _, p := range parts {
		switch x := p.(type) {
		case nil:
		case Or:
			out = append(out, x...)
		default:
			switch x {
			case True:
				return True
			case False:
				continue
			}
			out = append(out, x)
		}
	}
	switch len(out) {
	case 0:
		return False
	case 1:
		return out[0]
	}
	return out
}

// writer renders SQL text and collects bound parameters.
type writer struct {
	d     Dialect
	b     strings.Builder
	args  []any
	scope map[*semantic.Table]string // alias of each table for Refs
	next  *int                       // alias counter shared by nested selects
	// tables are the tables whose rows the SQL reads, as written.
	tables []*semantic.Table
}

// source is the source of t, as its rows are read, which it records.
func (w *writer) source(t *semantic.Table) string {
	if !slices.Contains(w.tables, t) {
		w.tables = append(w.tables, t)
	}
	return w.d.Source(t.Source)
}

func (w *writer) str(s string) { w.b.WriteString(s) }

func (w *writer) ident(s string) { w.b.WriteString(w.d.QuoteIdent(s)) }

// printf writes a template, one SQL construct to a line: %v writes the
// next argument, an Expr, as it is; %o writes it as an operand
// (parenthesised unless atomic); %s writes a string as SQL text; %q
// writes a string as a quoted SQL string literal. The template itself is
// SQL text of the dialect, never request text.
func (w *writer) printf(format string, args ...any) {
	for len(format) > 0 {
		i := strings.IndexByte(format, '%')
		if i < 0 || i == len(format)-1 {
			w.str(format)
			return
		}
		w.str(format[:i])
		verb := format[i+1]
		format = format[i+2:]
		if verb == '%' {
			w.str("%")
			continue
		}
		arg := args[0]
		args = args[1:]
		switch verb {
		case 'v':
			arg.(Expr).write(w)
		case 'o':
			w.operand(arg.(Expr))
		case 's':
			w.str(arg.(string))
		case 'q':
			w.str(quoteString(arg.(string)))
		default:
			panic("sqlast: printf verb %" + string(verb))
		}
	}
	if len(args) > 0 {
		panic("sqlast: printf with unused arguments")
	}
}

// operand writes e, parenthesised unless it is atomic.
func (w *writer) operand(e Expr) {
	if e.atomic() {
		e.write(w)
		return
	}
	w.str("(")
	e.write(w)
	w.str(")")
}

func (r Ref) write(w *writer) {
	var x Expr = w.col(r.Field)
	if IsUUID(r.Field) {
		x = Cast{X: x, Type: TypeText}
	}
	x.write(w)
}

// col is field f's column under its alias in scope.
func (w *writer) col(f *semantic.Field) Col {
	alias, ok := w.scope[f.Table]
	if !ok {
		panic(fmt.Sprintf("sqlast: %s is not in scope", f))
	}
	return Col{Alias: alias, Column: f.Column}
}

// isUUID reports whether f is a UUID column, which agentlayer reads as its
// text: compared, sorted, searched and returned as text, which neither
// database does with a UUID by itself (PostgreSQL has no text operators
// for it, DuckDB compares it with no VARCHAR list and returns its bytes).
func IsUUID(f *semantic.Field) bool { return f.Type.Database == "UUID" }

func (Ref) atomic() bool               { return true }
func (Ref) children() []Expr           { return nil }
func (r Ref) withChildren([]Expr) Expr { return r }

func (c Col) write(w *writer) {
	if c.Alias != "" {
		w.ident(c.Alias)
		w.str(".")
	}
	w.ident(c.Column)
}

func (Col) atomic() bool               { return true }
func (Col) children() []Expr           { return nil }
func (c Col) withChildren([]Expr) Expr { return c }

// write binds the value, once per statement for a value written twice:
// an expression rendered again (in ORDER BY, beside its SELECT item) is
// then the same text, which PostgreSQL requires of a grouped expression.
func (p Param) write(w *writer) {
	if reusable(p.Value) {
		for i, a := range w.args {
			if reusable(a) && a == p.Value {
				w.str(w.d.Placeholder(i + 1))
				return
			}
		}
	}
	w.args = append(w.args, p.Value)
	w.str(w.d.Placeholder(len(w.args)))
}

// reusable reports whether a bound value can stand for another equal one:
// text, which PostgreSQL types alike wherever it goes (a number could be
// an integer in one place and a bigint in another, which it refuses).
func reusable(v any) bool {
	_, ok := v.(string)
	return ok
}

func (Param) atomic() bool               { return true }
func (Param) children() []Expr           { return nil }
func (p Param) withChildren([]Expr) Expr { return p }

func (l lit) write(w *writer) { w.str(string(l)) }

func (i Int) write(w *writer) { w.str(strconv.FormatInt(int64(i), 10)) }

func (Int) atomic() bool               { return true }
func (Int) children() []Expr           { return nil }
func (i Int) withChildren([]Expr) Expr { return i }

func (f Float) write(w *writer) {
	s := strconv.FormatFloat(float64(f), 'f', -1, 64)
	if !strings.ContainsAny(s, ".NI") {
		s += ".0"
	}
	w.str(s)
}

func (Float) atomic() bool               { return true }
func (Float) children() []Expr           { return nil }
func (f Float) withChildren([]Expr) Expr { return f }

func (lit) atomic() bool               { return true }
func (lit) children() []Expr           { return nil }
func (l lit) withChildren([]Expr) Expr { return l }

// list writes expressions separated by commas.
func (w *writer) list(xs []Expr) {
	for i, x := range xs {
		if i > 0 {
			w.str(", ")
		}
		x.write(w)
	}
}

func (c Call) write(w *writer) {
	w.str(c.Name)
	w.str("(")
	w.list(c.Args)
	w.str(")")
}

func (Call) atomic() bool       { return true }
func (c Call) children() []Expr { return c.Args }
func (c Call) withChildren(k []Expr) Expr {
	return Call{Name: c.Name, Args: k}
}

func (b Bin) write(w *writer) {
	w.operand(b.L)
	w.str(" " + b.Op + " ")
	w.operand(b.R)
}

func (Bin) atomic() bool       { return false }
func (b Bin) children() []Expr { return []Expr{b.L, b.R} }
func (b Bin) withChildren(k []Expr) Expr {
	return Bin{Op: b.Op, L: k[0], R: k[1]}
}

func (n Not) write(w *writer) {
	w.str("NOT ")
	w.operand(n.X)
}

func (Not) atomic() bool               { return false }
func (n Not) children() []Expr         { return []Expr{n.X} }
func (Not) withChildren(k []Expr) Expr { return Not{X: k[0]} }

func (a And) write(w *writer) { junction(w, []Expr(a), " AND ", True) }

func (And) atomic() bool               { return false }
func (a And) children() []Expr         { return a }
func (And) withChildren(k []Expr) Expr { return And(k) }

func (o Or) write(w *writer) { junction(w, []Expr(o), " OR ", False) }

func (Or) atomic() bool               { return false }
func (o Or) children() []Expr         { return o }
func (Or) withChildren(k []Expr) Expr { return Or(k) }

func junction(w *writer, parts []Expr, op string, empty Expr) {
	if len(parts) == 0 {
		empty.write(w)
		return
	}
	for i, p := range parts {
		if i > 0 {
			w.str(op)
		}
		switch p.(type) {
		case And, Or:
			w.str("(")
			p.write(w)
			w.str(")")
		default:
			p.write(w)
		}
	}
}

func (in In) write(w *writer) {
	if len(in.List) == 0 {
		False.write(w)
		return
	}
	w.operand(in.X)
	w.str(" IN (")
	w.list(in.List)
	w.str(")")
}

func (In) atomic() bool { return false }
func (in In) children() []Expr {
	return append([]Expr{in.X}, in.List...)
}
func (In) withChildren(k []Expr) Expr { return In{X: k[0], List: k[1:]} }

func (a AnyOf) write(w *writer) {
	w.operand(a.X)
	w.str(" = ANY(")
	w.listParam(a.List, a.Type)
	w.str(")")
}

func (AnyOf) atomic() bool       { return false }
func (a AnyOf) children() []Expr { return []Expr{a.X} }
func (a AnyOf) withChildren(k []Expr) Expr {
	return AnyOf{X: k[0], List: a.List, Type: a.Type}
}

// listParam writes a list bound as one parameter, cast to its items' type.
func (w *writer) listParam(list any, typ Type) {
	w.str("CAST(")
	Param{Value: list}.write(w)
	w.str(" AS " + w.d.typeName(typ) + "[])")
}

func (m MatchesAny) write(w *writer) {
	alias := w.alias("u")
	w.str("EXISTS (SELECT 1 FROM unnest(")
	w.listParam(m.Patterns, TypeText)
	w.str(") AS ")
	w.ident(alias)
	w.str("(" + w.d.QuoteIdent("p") + ") WHERE ")
	x, p := m.X, Expr(Col{Alias: alias, Column: "p"})
	if !m.CaseSensitive {
		x, p = Call{Name: "lower", Args: []Expr{x}}, Call{Name: "lower", Args: []Expr{p}}
	}
	Fn{Op: m.Func, Args: []Expr{x, p}}.write(w)
	w.str(")")
}

func (MatchesAny) atomic() bool       { return true }
func (m MatchesAny) children() []Expr { return []Expr{m.X} }
func (m MatchesAny) withChildren(k []Expr) Expr {
	return MatchesAny{X: k[0], Func: m.Func, Patterns: m.Patterns}
}

func (r InRanges) write(w *writer) {
	alias := w.alias("r")
	w.str("EXISTS (SELECT 1 FROM (SELECT unnest(")
	w.listParam(r.Lo, r.Type)
	w.str(") AS " + w.d.QuoteIdent("lo") + ", unnest(")
	w.listParam(r.Hi, r.Type)
	w.str(") AS " + w.d.QuoteIdent("hi") + ") AS ")
	w.ident(alias)
	w.str(" WHERE ")
	AndOf(Bin{Op: ">=", L: r.X, R: Col{Alias: alias, Column: "lo"}}, Bin{Op: "<", L: r.X, R: Col{Alias: alias, Column: "hi"}}).write(w)
	w.str(")")
}

func (InRanges) atomic() bool       { return true }
func (r InRanges) children() []Expr { return []Expr{r.X} }
func (r InRanges) withChildren(k []Expr) Expr {
	return InRanges{X: k[0], Lo: r.Lo, Hi: r.Hi, Type: r.Type}
}

func (n IsNull) write(w *writer) {
	w.operand(n.X)
	if n.Not {
		w.str(" IS NOT NULL")
	} else {
		w.str(" IS NULL")
	}
}

func (IsNull) atomic() bool       { return false }
func (n IsNull) children() []Expr { return []Expr{n.X} }
func (n IsNull) withChildren(k []Expr) Expr {
	return IsNull{X: k[0], Not: n.Not}
}

func (c Cast) write(w *writer) {
	w.str("CAST(")
	c.X.write(w)
	w.str(" AS " + w.d.typeName(c.Type) + ")")
}

func (f Fn) write(w *writer) { w.d.fn(w, f) }

func (Fn) atomic() bool       { return true }
func (f Fn) children() []Expr { return f.Args }
func (f Fn) withChildren(k []Expr) Expr {
	return Fn{Op: f.Op, Args: k, Arg: f.Arg, Kind: f.Kind}
}

func (Cast) atomic() bool       { return true }
func (c Cast) children() []Expr { return []Expr{c.X} }
func (c Cast) withChildren(k []Expr) Expr {
	return Cast{X: k[0], Type: c.Type}
}

func (a Agg) write(w *writer) { w.d.aggregate(w, a) }

// writeAgg writes an aggregate call as most engines spell it.
func writeAgg(w *writer, a Agg) {
	w.str(a.Func + "(")
	if a.Distinct {
		w.str("DISTINCT ")
	}
	if a.Arg == nil {
		w.str("*")
	} else {
		a.Arg.write(w)
	}
	w.str(")")
	if a.Filter != nil {
		w.str(" FILTER (WHERE ")
		a.Filter.write(w)
		w.str(")")
	}
}

func (Agg) atomic() bool       { return true }
func (a Agg) children() []Expr { return []Expr{a.Arg, a.Filter} }
func (a Agg) withChildren(k []Expr) Expr {
	return Agg{Func: a.Func, Arg: k[0], Distinct: a.Distinct, Filter: k[1]}
}

func (i Interval) write(w *writer) { w.d.interval(w, i) }

func (Interval) atomic() bool               { return true }
func (Interval) children() []Expr           { return nil }
func (i Interval) withChildren([]Expr) Expr { return i }

func (c Case) write(w *writer) {
	w.str("CASE")
	for _, wh := range c.Whens {
		w.str(" WHEN ")
		wh.Cond.write(w)
		w.str(" THEN ")
		wh.Then.write(w)
	}
	if c.Else != nil {
		w.str(" ELSE ")
		c.Else.write(w)
	}
	w.str(" END")
}

func (Case) atomic() bool { return false }

// children are each branch's condition and result, then the else.
func (c Case) children() []Expr {
	out := make([]Expr, 0, 2*len(c.Whens)+1)
	for _, wh := range c.Whens {
		out = append(out, wh.Cond, wh.Then)
	}
	return append(out, c.Else)
}

func (c Case) withChildren(k []Expr) Expr {
	whens := make([]When, len(c.Whens))
	for i := range whens {
		whens[i] = When{Cond: k[2*i], Then: k[2*i+1]}
	}
	return Case{Whens: whens, Else: k[len(k)-1]}
}

func (s SemiJoin) write(w *writer) {
	target := s.FK.References.Table
	alias := w.alias("s")
	outer := w.scope
	w.col(s.FK).write(w) // the key as stored: a UUID key matches a UUID key
	w.str(" IN (SELECT ")
	Col{Alias: alias, Column: s.FK.References.Column}.write(w)
	w.str(" FROM ")
	w.str(w.source(target))
	w.str(" AS ")
	w.ident(alias)
	w.scope = map[*semantic.Table]string{target: alias}
	if s.Cond != nil {
		w.str(" WHERE ")
		s.Cond.write(w)
	}
	w.scope = outer
	w.str(")")
}

func (SemiJoin) atomic() bool       { return false }
func (s SemiJoin) children() []Expr { return []Expr{s.Cond} }
func (s SemiJoin) withChildren(k []Expr) Expr {
	return SemiJoin{FK: s.FK, Cond: k[0]}
}

// alias returns a fresh alias with the given prefix.
func (w *writer) alias(prefix string) string {
	if w.next == nil {
		w.next = new(int)
	}
	*w.next++
	return fmt.Sprintf("%s%d", prefix, *w.next)
}

// Render renders a condition over table t's fields, aliased as alias, for
// display and tests.
func Render(d Dialect, e Expr, t *semantic.Table, alias string) (string, []any) {
	w := &writer{d: d, scope: map[*semantic.Table]string{t: alias}}
	e.write(w)
	return w.b.String(), w.args
}

// Between is X [NOT] BETWEEN Lo AND Hi, of constants of this package.
type Between struct {
	X      Expr
	Lo, Hi int
	Not    bool
}

func (b Between) write(w *writer) {
	w.operand(b.X)
	if b.Not {
		w.str(" NOT")
	}
	w.str(" BETWEEN " + strconv.Itoa(b.Lo) + " AND " + strconv.Itoa(b.Hi))
}

func (Between) atomic() bool       { return false }
func (b Between) children() []Expr { return []Expr{b.X} }
func (b Between) withChildren(k []Expr) Expr {
	return Between{X: k[0], Lo: b.Lo, Hi: b.Hi, Not: b.Not}
}

// Scoped is X, an expression over Table's fields (Refs), where Table is
// the instance Alias of a query: a condition of a policy placed on a
// joined table's column.
type Scoped struct {
	Table *semantic.Table
	Alias string
	X     Expr
}

func (s Scoped) write(w *writer) {
	outer := w.scope
	scope := make(map[*semantic.Table]string, len(outer)+1)
	for t, a := range outer {
		scope[t] = a
	}
	scope[s.Table] = s.Alias
	w.scope = scope
	s.X.write(w)
	w.scope = outer
}

func (Scoped) atomic() bool       { return false }
func (s Scoped) children() []Expr { return []Expr{s.X} }
func (s Scoped) withChildren(k []Expr) Expr {
	return Scoped{Table: s.Table, Alias: s.Alias, X: k[0]}
}

// Atomic reports whether e needs no parentheses as an operand.
func Atomic(e Expr) bool { return e.atomic() }

// OneOf is x = ANY(list) for values of one type bound as one list (params
// are the same values, one parameter each, for the lists that cannot be
// bound whole: mixed numbers, booleans, huge integers, times of day).
func OneOf(x Expr, values []any, params []Expr) Expr {
	if list, typ, ok := listOf(values); ok {
		return AnyOf{X: x, List: list, Type: typ}
	}
	return In{X: x, List: params}
}

// listOf makes one typed list of values all of one Go type — int64,
// float64 or string — with its items' SQL type; false for anything else.
// A list of numbers of both types is refused: converting the integers
// would round those past 2^53.
func listOf(values []any) (list any, typ Type, ok bool) {
	if len(values) == 0 {
		return nil, 0, false
	}
	switch values[0].(type) {
	case int64:
		return typedList[int64](values, TypeBigInt)
	case float64:
		return typedList[float64](values, TypeDouble)
	case string:
		return typedList[string](values, TypeText)
	}
	return nil, 0, false
}

func typedList[T any](values []any, typ Type) (any, Type, bool) {
	out := make([]T, len(values))
	for i, v := range values {
		x, ok := v.(T)
		if !ok {
			return nil, 0, false
		}
		out[i] = x
	}
	return out, typ, true
}
