package sqlgen

import (
	"slices"

	"github.com/agentlayer/agentlayer/semantic"
)

// Catalog is a model prepared for planning: every segment, measure and
// metric filter translated to SQL once. It is immutable and safe for
// concurrent use.
type Catalog struct {
	Model   *semantic.Model
	filters map[*semantic.Expr]Expr
	reads   map[*semantic.Expr][]*semantic.Field
}

// NewCatalog prepares m. A filter that cannot be translated to SQL is an
// error: a *semantic.Error with every such problem at its file position.
func NewCatalog(m *semantic.Model) (*Catalog, error) {
	c := &Catalog{Model: m, filters: map[*semantic.Expr]Expr{}, reads: map[*semantic.Expr][]*semantic.Field{}}
	var problems []semantic.Problem
	add := func(e *semantic.Expr) {
		if e == nil || e.AST == nil {
			return
		}
		f, probs := CompileCEL(e.Table, e.Table.Env(), e.AST)
		for _, p := range probs {
			problems = append(problems, e.Problem(p.Line, p.Col, p.Msg))
		}
		if f != nil {
			x := f.Bind(nil)
			c.filters[e] = x
			c.reads[e] = FieldsOf(x)
		}
	}
	for _, t := range m.Tables {
		for _, s := range t.Segments {
			add(s.Filter)
		}
		for _, ms := range t.Measures {
			add(ms.Filter)
		}
	}
	for _, mt := range m.Metrics {
		add(mt.Filter)
	}
	if len(problems) > 0 {
		e := &semantic.Error{Problems: problems}
		e.Sort()
		return nil, e
	}
	return c, nil
}

// Filter returns the SQL condition of a model filter.
func (c *Catalog) Filter(e *semantic.Expr) Expr { return c.filters[e] }

// FieldsOf lists the fields an expression reads, of its own table and, in
// semi-joins, of related tables; in order of first use.
func FieldsOf(e Expr) []*semantic.Field {
	var out []*semantic.Field
	walkExpr(e, func(x Expr) {
		switch x := x.(type) {
		case Ref:
			if !slices.Contains(out, x.Field) {
				out = append(out, x.Field)
			}
		case SemiJoin:
			if !slices.Contains(out, x.FK) {
				out = append(out, x.FK)
			}
		}
	})
	return out
}

// walkExpr calls fn on e and every node below it.
func walkExpr(e Expr, fn func(Expr)) {
	if e == nil {
		return
	}
	fn(e)
	switch x := e.(type) {
	case Call:
		for _, a := range x.Args {
			walkExpr(a, fn)
		}
	case Bin:
		walkExpr(x.L, fn)
		walkExpr(x.R, fn)
	case Not:
		walkExpr(x.X, fn)
	case And:
		for _, p := range x {
			walkExpr(p, fn)
		}
	case Or:
		for _, p := range x {
			walkExpr(p, fn)
		}
	case In:
		walkExpr(x.X, fn)
		for _, p := range x.List {
			walkExpr(p, fn)
		}
	case IsNull:
		walkExpr(x.X, fn)
	case AnyOf:
		walkExpr(x.X, fn)
	case MatchesAny:
		walkExpr(x.X, fn)
	case InRanges:
		walkExpr(x.X, fn)
	case Cast:
		walkExpr(x.X, fn)
	case Agg:
		walkExpr(x.Arg, fn)
		walkExpr(x.Filter, fn)
	case SemiJoin:
		walkExpr(x.Cond, fn)
	case Case:
		for _, w := range x.Whens {
			walkExpr(w.Cond, fn)
			walkExpr(w.Then, fn)
		}
		walkExpr(x.Else, fn)
	}
}

// rewrite rebuilds e bottom-up, replacing each node by fn's result. fn
// sees each semi-join whole, not the condition inside it, which reads
// another table.
func rewrite(e Expr, fn func(Expr) Expr) Expr {
	if e == nil {
		return nil
	}
	switch x := e.(type) {
	case Call:
		args := make([]Expr, len(x.Args))
		for i, a := range x.Args {
			args[i] = rewrite(a, fn)
		}
		e = Call{Name: x.Name, Args: args}
	case Bin:
		e = Bin{Op: x.Op, L: rewrite(x.L, fn), R: rewrite(x.R, fn)}
	case Not:
		e = Not{X: rewrite(x.X, fn)}
	case And:
		out := make(And, len(x))
		for i, p := range x {
			out[i] = rewrite(p, fn)
		}
		e = out
	case Or:
		out := make(Or, len(x))
		for i, p := range x {
			out[i] = rewrite(p, fn)
		}
		e = out
	case In:
		list := make([]Expr, len(x.List))
		for i, p := range x.List {
			list[i] = rewrite(p, fn)
		}
		e = In{X: rewrite(x.X, fn), List: list}
	case IsNull:
		e = IsNull{X: rewrite(x.X, fn), Not: x.Not}
	case AnyOf:
		e = AnyOf{X: rewrite(x.X, fn), List: x.List, Type: x.Type}
	case MatchesAny:
		e = MatchesAny{X: rewrite(x.X, fn), Func: x.Func, Patterns: x.Patterns}
	case InRanges:
		e = InRanges{X: rewrite(x.X, fn), Lo: x.Lo, Hi: x.Hi, Type: x.Type}
	case Cast:
		e = Cast{X: rewrite(x.X, fn), Type: x.Type}
	case Agg:
		e = Agg{Func: x.Func, Arg: rewrite(x.Arg, fn), Distinct: x.Distinct, Filter: rewrite(x.Filter, fn)}
	case Case:
		whens := make([]When, len(x.Whens))
		for i, w := range x.Whens {
			whens[i] = When{Cond: rewrite(w.Cond, fn), Then: rewrite(w.Then, fn)}
		}
		e = Case{Whens: whens, Else: rewrite(x.Else, fn)}
	}
	return fn(e)
}
