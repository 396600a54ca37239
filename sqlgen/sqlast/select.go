package sqlast

import (
	"slices"
	"strconv"

	"github.com/agentlayer/agentlayer/semantic"
)

// BaseAlias is the alias of a Select's own table; a joined table's alias
// is the planner's (t2, t2_1, …).
const BaseAlias = "t0"

// Select is a SELECT statement over one table (From, as BaseAlias) and
// tables left-joined to it along foreign keys.
type Select struct {
	Items []Item
	From  *semantic.Table
	Joins []Join
	Where Expr
	// GroupBy are written as they are: an integer constant (Int) groups by
	// the item at that position.
	GroupBy []Expr
	Having  Expr
	OrderBy []Order
	// Limit is the LIMIT (negative: none); Offset the OFFSET (0: none).
	Limit, Offset int
}

// Item is a result column: X AS As. Text marks a column of text, which
// sorts byte by byte.
type Item struct {
	X    Expr
	As   string
	Text bool
}

// Join is a LEFT JOIN of the table a foreign key references, under Alias,
// on FK of the table instance From (an alias); Filter, a condition over
// the joined table's fields (Refs), joins only its rows that meet it.
type Join struct {
	FK     *semantic.Field
	From   string
	Alias  string
	Filter Expr
}

// Order sorts by X, or by the result column at Ordinal (from 1) when X is
// nil. Text sorts it byte by byte. NULLs sort last either way.
type Order struct {
	X          Expr
	Ordinal    int
	Desc       bool
	NullsFirst bool
	Text       bool
}

// SQL renders the statement: its text, its bound values in order, and the
// tables whose rows it reads, in the order it first reads them.
func (s *Select) SQL(d Dialect) (string, []any, []*semantic.Table) {
	w := &writer{d: d}
	s.write(w)
	return w.b.String(), w.args, w.tables
}

// CountSQL renders SELECT count(*) FROM (s) AS alias: the rows s gives.
func (s *Select) CountSQL(d Dialect, alias string) (string, []any) {
	w := &writer{d: d}
	w.str("SELECT count(*) FROM (")
	s.write(w)
	w.str(") AS " + alias)
	return w.b.String(), w.args
}

// LeastSQL renders one query of every select, each of which names its
// first item column: SELECT min(column) FROM (s₀ UNION ALL s₁ …) AS
// alias, the least value any of them gives, or NULL when none gives a
// row.
func LeastSQL(d Dialect, column, alias string, selects []*Select) (string, []any) {
	w := &writer{d: d}
	w.str("SELECT min(" + d.QuoteIdent(column) + ") FROM (")
	for i, s := range selects {
		if i > 0 {
			w.str("\nUNION ALL\n")
		}
		s.write(w)
	}
	w.str(") AS " + d.QuoteIdent(alias))
	return w.b.String(), w.args
}

func (s *Select) write(w *writer) {
	w.scope = map[*semantic.Table]string{s.From: BaseAlias}
	w.str("SELECT ")
	for i, it := range s.Items {
		if i > 0 {
			w.str(", ")
		}
		w.printf("%v AS %s", it.X, w.d.QuoteIdent(it.As))
	}
	s.from(w)
	if s.Where != nil {
		w.printf("\nWHERE %v", s.Where)
	}
	if len(s.GroupBy) > 0 {
		w.str("\nGROUP BY ")
		w.list(s.GroupBy)
	}
	if s.Having != nil {
		w.printf("\nHAVING %v", s.Having)
	}
	s.order(w)
	if s.Limit >= 0 {
		w.printf("\nLIMIT %v", Param{Value: int64(s.Limit)})
	}
	if s.Offset > 0 {
		w.printf(" OFFSET %v", Param{Value: int64(s.Offset)})
	}
}

// from writes the FROM clause: the table and its joins, each with its
// filter.
func (s *Select) from(w *writer) {
	w.printf("\nFROM %s AS %s", w.source(s.From), w.d.QuoteIdent(BaseAlias))
	base := w.scope
	for _, j := range s.Joins {
		target := j.FK.References.Table
		w.printf("\nLEFT JOIN %s AS %s ON %v = %v", w.source(target), w.d.QuoteIdent(j.Alias),
			Col{Alias: j.Alias, Column: j.FK.References.Column}, Col{Alias: j.From, Column: j.FK.Column})
		if j.Filter != nil {
			w.scope = map[*semantic.Table]string{target: j.Alias}
			w.printf(" AND %o", j.Filter)
			w.scope = base
		}
	}
}

// order writes the ORDER BY clause. A column masked as NULL orders
// nothing, and neither database takes a constant in ORDER BY: it is left
// out.
func (s *Select) order(w *writer) {
	x := func(o Order) Expr {
		if o.X == nil {
			return s.Items[o.Ordinal-1].X
		}
		return o.X
	}
	order := slices.DeleteFunc(slices.Clone(s.OrderBy), func(o Order) bool { return x(o) == Null })
	for i, o := range order {
		if i == 0 {
			w.str("\nORDER BY ")
		} else {
			w.str(", ")
		}
		switch {
		case o.Text && w.d.bytewiseOrder():
			Fn{Op: FnBytewise, Args: []Expr{x(o)}}.write(w)
		case o.X != nil:
			o.X.write(w)
		default:
			w.str(strconv.Itoa(o.Ordinal))
		}
		dir, nulls := " ASC", " NULLS LAST"
		if o.Desc {
			dir = " DESC"
		}
		if o.NullsFirst {
			nulls = " NULLS FIRST"
		}
		w.str(dir + nulls)
	}
}
