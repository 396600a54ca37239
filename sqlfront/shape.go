package sqlfront

import (
	"reflect"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/agentlayer/agentlayer/sqlgen"
)

// grouped maps an aggregated SELECT: GROUP BY (by expression, alias or
// ordinal; DISTINCT groups by every column) and the aggregations. The
// answer's columns are the groups, then the aggregations.
func (m *mapper) grouped(sel *pg.SelectStmt, items []*item) error {
	var groups []*ref
	add := func(r *ref) int {
		for i, g := range groups {
			if g.id == r.id && g.bucket == r.bucket {
				return i
			}
		}
		groups = append(groups, r)
		return len(groups) - 1
	}
	for _, n := range sel.GetGroupClause() {
		it, err := m.itemOf(n, items)
		if err != nil {
			return err
		}
		var r *ref
		switch {
		case it != nil && it.agg != nil:
			return errorAt(CodeGrouping, location(n), "", "aggregate functions are not allowed in GROUP BY")
		case it != nil:
			r = it.field
		default:
			if r, err = m.selected(n); err != nil {
				return err
			}
		}
		add(r)
	}
	if d := sel.GetDistinctClause(); len(d) > 0 {
		if d[0] != nil && d[0].GetNode() != nil {
			return unsupported(location(d[0]), "DISTINCT ON", "SELECT DISTINCT, or GROUP BY")
		}
		for _, it := range items {
			if it.field != nil {
				add(it.field)
			}
		}
	}
	for _, it := range items {
		if it.field == nil {
			continue
		}
		found := false
		for i, g := range groups {
			if g.id == it.field.id && g.bucket == it.field.bucket {
				it.index, found = i, true
			}
		}
		if !found {
			return errorAt(CodeGrouping, it.pos, "add it to GROUP BY, or aggregate it", "column %q must appear in the GROUP BY clause or be used in an aggregate function", it.field.id)
		}
	}
	for _, g := range groups {
		m.req.GroupBy = append(m.req.GroupBy, sqlgen.GroupBy{FieldID: g.id, FieldGranularity: g.bucket})
	}
	for _, it := range items {
		if it.agg == nil {
			continue
		}
		it.index = -1
		for i, ag := range m.req.Aggregations {
			if reflect.DeepEqual(ag, *it.agg) {
				it.index = len(groups) + i
			}
		}
		if it.index < 0 {
			m.req.Aggregations = append(m.req.Aggregations, *it.agg)
			it.index = len(groups) + len(m.req.Aggregations) - 1
		}
	}
	if len(m.req.Aggregations) == 0 {
		// Groups alone: the request counts, and the answer leaves it out.
		m.req.Aggregations = []sqlgen.Aggregation{{Function: "count"}}
	}
	return nil
}

// having maps HAVING: conditions joined by AND, each comparing an
// aggregate with a number (or BETWEEN two, or IS [NOT] NULL). An aggregate
// not in the SELECT list is asked too, and left out of the answer.
func (m *mapper) having(n *pg.Node, items []*item) error {
	if b := n.GetBoolExpr(); b != nil {
		if b.GetBoolop() != pg.BoolExprType_AND_EXPR {
			return unsupported(b.GetLocation(), "OR and NOT in HAVING", "conditions joined by AND")
		}
		for _, a := range b.GetArgs() {
			if err := m.having(a, items); err != nil {
				return err
			}
		}
		return nil
	}
	agg := func(x *pg.Node) (int, error) {
		fc := x.GetFuncCall()
		if fc == nil || !isAggregate(funcName(fc)) {
			return 0, unsupported(location(x), "this expression in HAVING", "an aggregate: HAVING count(*) > 10")
		}
		ag, _, err := m.aggregation(fc)
		if err != nil {
			return 0, err
		}
		for i, have := range m.req.Aggregations {
			if reflect.DeepEqual(have, *ag) {
				return i, nil
			}
		}
		m.req.Aggregations = append(m.req.Aggregations, *ag)
		return len(m.req.Aggregations) - 1, nil
	}
	num := func(x *pg.Node) (any, error) {
		v, err := m.value(x, TypeFloat8)
		if err == nil && v == nil {
			err = unsupported(location(x), "a comparison with NULL", "IS NULL")
		}
		return v, err
	}
	var h sqlgen.Having
	var err error
	switch {
	case n.GetNullTest() != nil:
		nt := n.GetNullTest()
		if h.Aggregation, err = agg(nt.GetArg()); err != nil {
			return err
		}
		h.Operation = "is-not-null"
		if nt.GetNulltesttype() == pg.NullTestType_IS_NULL {
			h.Operation = "is-null"
		}
	case n.GetAExpr() != nil && n.GetAExpr().GetKind() == pg.A_Expr_Kind_AEXPR_BETWEEN:
		e := n.GetAExpr()
		if h.Aggregation, err = agg(e.GetLexpr()); err != nil {
			return err
		}
		h.Operation = "between"
		for _, b := range e.GetRexpr().GetList().GetItems() {
			v, err := num(b)
			if err != nil {
				return err
			}
			h.Values = append(h.Values, v)
		}
	case n.GetAExpr() != nil && n.GetAExpr().GetKind() == pg.A_Expr_Kind_AEXPR_OP && comparisons[opName(n.GetAExpr())] != "":
		e := n.GetAExpr()
		op, l, r := opName(e), e.GetLexpr(), e.GetRexpr()
		if l.GetFuncCall() == nil {
			l, r, op = r, l, flipped[op]
		}
		if h.Aggregation, err = agg(l); err != nil {
			return err
		}
		h.Operation = comparisons[op]
		if h.Value, err = num(r); err != nil {
			return err
		}
	default:
		return unsupported(location(n), "this condition in HAVING", "an aggregate compared with a number, BETWEEN or IS NULL")
	}
	m.req.Having = append(m.req.Having, h)
	return nil
}

// detail maps a SELECT of fields: the request's fields, each once.
func (m *mapper) detail(items []*item) {
	for _, it := range items {
		it.index = -1
		for i, f := range m.req.Fields {
			if f.FieldID == it.field.id && f.Bucket == it.field.bucket {
				it.index = i
			}
		}
		if it.index < 0 {
			m.req.Fields = append(m.req.Fields, sqlgen.RequestField{FieldID: it.field.id, Bucket: it.field.bucket})
			it.index = len(m.req.Fields) - 1
		}
	}
}

// itemOf finds the SELECT item an ordinal or an output name refers to.
func (m *mapper) itemOf(n *pg.Node, items []*item) (*item, error) {
	if c := n.GetAConst(); c != nil && c.GetIval() != nil {
		k := int(c.GetIval().GetIval())
		if k < 1 || k > len(items) {
			return nil, errorAt(CodeUndefinedColumn, c.GetLocation(), "", "position %d is not in select list", k)
		}
		return items[k-1], nil
	}
	if c := n.GetColumnRef(); c != nil && len(c.GetFields()) == 1 && c.GetFields()[0].GetString_() != nil {
		name := c.GetFields()[0].GetString_().GetSval()
		for _, it := range items {
			if strings.EqualFold(it.name, name) && (it.agg != nil || !m.isColumn(name)) {
				return it, nil
			}
		}
	}
	return nil, nil
}

// isColumn reports whether a bare name is a column of a table in scope
// (which it then means, before an output name, as PostgreSQL reads GROUP
// BY).
func (m *mapper) isColumn(name string) bool {
	for _, s := range m.scopes {
		if _, ok := s.table.Field(name); ok {
			return true
		}
	}
	return false
}

// orderBy maps ORDER BY: columns, output names, ordinals and aggregates,
// in any order, with PostgreSQL's NULLs: last ascending, first descending,
// unless NULLS FIRST or LAST says otherwise.
func (m *mapper) orderBy(sorts []*pg.Node, items []*item, aggregated bool) error {
	for _, n := range sorts {
		sb := n.GetSortBy()
		dir, nulls := "asc", ""
		switch sb.GetSortbyDir() {
		case pg.SortByDir_SORTBY_DESC:
			dir, nulls = "desc", "first"
		case pg.SortByDir_SORTBY_USING:
			return unsupported(sb.GetLocation(), "ORDER BY … USING", "ASC or DESC")
		}
		switch sb.GetSortbyNulls() {
		case pg.SortByNulls_SORTBY_NULLS_FIRST:
			nulls = "first"
		case pg.SortByNulls_SORTBY_NULLS_LAST:
			nulls = ""
		}
		it, err := m.itemOf(sb.GetNode(), items)
		if err != nil {
			return err
		}
		if it == nil && sb.GetNode().GetFuncCall() != nil && isAggregate(funcName(sb.GetNode().GetFuncCall())) {
			ag, _, err := m.aggregation(sb.GetNode().GetFuncCall())
			if err != nil {
				return err
			}
			for _, x := range items {
				if x.agg != nil && reflect.DeepEqual(*x.agg, *ag) {
					it = x
				}
			}
			if it == nil {
				return unsupported(sb.GetLocation(), "ORDER BY an aggregate not in the SELECT list", "select it, and order by its position")
			}
		}
		if it != nil && it.agg != nil {
			k := it.index - len(m.req.GroupBy)
			m.req.OrderBy = append(m.req.OrderBy, sqlgen.OrderBy{Aggregation: &k, Direction: dir, Nulls: nulls})
			continue
		}
		var r *ref
		if it != nil {
			r = it.field
		} else if r, err = m.selected(sb.GetNode()); err != nil {
			return err
		}
		m.req.OrderBy = append(m.req.OrderBy, sqlgen.OrderBy{Field: sqlgen.RequestField{FieldID: r.id, Bucket: r.bucket}, Direction: dir, Nulls: nulls})
	}
	return nil
}

// limits maps LIMIT and OFFSET: the request's limit counts the rows
// skipped too.
func (m *mapper) limits(sel *pg.SelectStmt, st *Statement) error {
	if sel.GetLimitOption() == pg.LimitOption_LIMIT_OPTION_WITH_TIES {
		return unsupported(location(sel.GetLimitCount()), "FETCH … WITH TIES", "LIMIT")
	}
	limit := -1
	if n := sel.GetLimitCount(); n != nil {
		l, err := m.integer(n, "LIMIT")
		if err != nil {
			return err
		}
		limit = l
	}
	if n := sel.GetLimitOffset(); n != nil {
		o, err := m.integer(n, "OFFSET")
		if err != nil {
			return err
		}
		st.Offset = max(o, 0)
	}
	switch {
	case limit == 0:
		st.Empty = true
	case limit > 0:
		m.req.Limit = st.Offset + limit
	}
	return nil
}
