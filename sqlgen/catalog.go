package sqlgen

import (
	"fmt"
	"slices"

	"github.com/agentlayer/agentlayer/semantic"
	"github.com/agentlayer/agentlayer/sqlgen/celsql"
	"github.com/agentlayer/agentlayer/sqlgen/sqlast"
)

// Catalog is a model prepared for planning: every segment, measure and
// metric filter translated to SQL once. It is immutable and safe for
// concurrent use.
type Catalog struct {
	Model   *semantic.Model
	filters map[*semantic.Expr]sqlast.Expr
	// callers are the filters that read who asks (a segment's `user`),
	// bound for each caller when planned (Options.Caller).
	callers map[*semantic.Expr]*celsql.Filter
	reads   map[*semantic.Expr][]*semantic.Field
}

// NewCatalog prepares m for dialect d (nil: DuckDB). A filter that cannot
// be translated to SQL is an
// error: a *semantic.Error with every such problem at its file position.
func NewCatalog(m *semantic.Model, d sqlast.Dialect) (*Catalog, error) {
	c := &Catalog{Model: m, filters: map[*semantic.Expr]sqlast.Expr{}, callers: map[*semantic.Expr]*celsql.Filter{}, reads: map[*semantic.Expr][]*semantic.Field{}}
	var problems []semantic.Problem
	add := func(e *semantic.Expr) {
		if e == nil || e.AST == nil {
			return
		}
		env := e.Env
		if env == nil {
			env = e.Table.Env()
		}
		f, probs := celsql.Compile(e.Table, env, e.AST, d)
		for _, p := range probs {
			problems = append(problems, e.Problem(p.Line, p.Col, p.Msg))
		}
		if f != nil && len(f.Reads()) > 0 {
			c.callers[e] = f
			c.reads[e] = f.Fields()
			return
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

// Filter returns the SQL condition of a model filter, bound for the caller
// whose variables (user.email, user.attributes…) caller holds when the
// filter reads them (a segment may); a part that fails for the caller (an
// attribute they lack) matches no row.
func (c *Catalog) Filter(e *semantic.Expr, caller map[string]any) (sqlast.Expr, error) {
	if f := c.callers[e]; f != nil {
		x, _ := f.Bind(caller) // a failed part is NULL: no row, never an error
		if x == sqlast.Null {
			x = sqlast.False
		}
		return x, nil
	}
	return c.filters[e], nil
}

// FieldsOf lists the fields an expression reads, of its own table and, in
// semi-joins, of related tables; in order of first use.
func FieldsOf(e sqlast.Expr) []*semantic.Field {
	var out []*semantic.Field
	sqlast.Walk(e, func(x sqlast.Expr) {
		switch x := x.(type) {
		case sqlast.Ref:
			if !slices.Contains(out, x.Field) {
				out = append(out, x.Field)
			}
		case sqlast.SemiJoin:
			if !slices.Contains(out, x.FK) {
				out = append(out, x.FK)
			}
		}
	})
	return out
}
