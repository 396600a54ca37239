package sqlgen

import (
	"fmt"
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

// NewCatalog prepares m for dialect d (nil: DuckDB). A filter that cannot
// be translated to SQL is an
// error: a *semantic.Error with every such problem at its file position.
func NewCatalog(m *semantic.Model, d Dialect) (*Catalog, error) {
	c := &Catalog{Model: m, filters: map[*semantic.Expr]Expr{}, reads: map[*semantic.Expr][]*semantic.Field{}}
	var problems []semantic.Problem
	add := func(e *semantic.Expr) {
		if e == nil || e.AST == nil {
			return
		}
		f, probs := CompileCEL(e.Table, e.Table.Env(), e.AST, d)
		for _, p := range probs {
			problems = append(problems, e.Problem(p.Line, p.Col, p.Msg))
		}
		if f != nil {
			x, err := f.Bind(nil)
			if err != nil {
				// A model filter has no user: a part that fails fails for
				// every row, which is a mistake in the model.
				problems = append(problems, e.Problem(1, 0, fmt.Sprintf("part of this filter fails for every row: %v", err)))
				return
			}
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
	if err := semantic.NewError(problems); err != nil {
		return nil, err
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
