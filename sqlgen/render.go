package sqlgen

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/agentlayer/agentlayer/semantic"
	"github.com/agentlayer/agentlayer/sqlgen/sqlast"
)

// SQL renders the plan: the statement and its bound values, in order.
func (p *Plan) SQL() (string, []any) {
	return p.Page(p.sel.Offset, p.sel.Limit)
}

// Sources are the tables whose rows the plan's SQL reads, in the order it
// first reads them: its base table, its joins, and those of its row rules
// and segments. Data written to any other table cannot change its answer.
// The renderer finds them; they are kept from the plan's first rendering.
func (p *Plan) Sources() []*semantic.Table {
	p.sources.once.Do(func() { _, _, p.sources.tables = p.sel.SQL(p.opts.Dialect) })
	return p.sources.tables
}

// SuppressedSQL renders the query that counts the groups a plan with a
// minimum group size leaves out, for the audit log (never for the
// answer); false when the plan has none.
func (p *Plan) SuppressedSQL() (string, []any, bool) {
	if p.sel.sizes == nil {
		return "", nil, false
	}
	s := p.sel.Select
	// The groups the minimum size leaves out, among those the request's
	// own conditions keep.
	s.Having, s.OrderBy, s.Limit, s.Offset = sqlast.AndOf(sqlast.Not{X: p.sel.sizes}, p.sel.having), nil, math.MaxInt32, 0
	sqlText, args := s.CountSQL(p.opts.Dialect, "suppressed")
	return sqlText, args, true
}

// Page renders the plan for rows [offset, offset+limit) of its result, for
// paging through it: the order is total, so pages neither repeat nor skip
// rows.
func (p *Plan) Page(offset, limit int) (string, []any) {
	s := p.sel.Select
	s.Limit, s.Offset = min(limit, max(p.sel.Limit-offset, 0)), offset
	sqlText, args, tables := s.SQL(p.opts.Dialect)
	p.sources.once.Do(func() { p.sources.tables = tables })
	return sqlText, args
}

// Guard renders the query that must find no small set before the plan's
// answer is given, for a plan read under an aggregate grant with
// filters (the aggregate rules, aggregate.go): it returns one row whose
// one value is NULL when every set is empty or large enough, else the
// number of the first set that is not (GuardRefusal says why). False when
// the plan needs none.
func (p *Plan) Guard() (string, []any, bool) {
	g := p.sel.guard
	if g == nil {
		return "", nil, false
	}
	sets := make([]*sqlast.Select, len(g.sets))
	for i, set := range g.sets {
		sets[i] = &sqlast.Select{
			Items: []sqlast.Item{{X: sqlast.Int(i), As: "set"}},
			From:  p.sel.From, Joins: p.sel.Joins,
			Where:  sqlast.AndOf(p.sel.rows, set.where),
			Having: g.sizes.small(),
			Limit:  -1,
		}
		if set.groupBy != nil {
			sets[i].GroupBy = []sqlast.Expr{set.groupBy}
		}
	}
	sqlText, args := sqlast.LeastSQL(p.opts.Dialect, "set", "guard", sets)
	return sqlText, args, true
}

// GuardRefusal is the error of a guard that found a small set: the
// number its query answered.
func (p *Plan) GuardRefusal(set int64) error {
	path := ""
	if g := p.sel.guard; g != nil && set >= 0 && set < int64(len(g.sets)) {
		path = g.sets[set].path
	}
	return refuse(path, fmt.Sprintf(ReasonAggregateSmallSet, p.MinGroupSize))
}

// String prints the plan deterministically: the logical query, the row
// filters of the caller, the SQL and its parameters. agentlayer explain
// and the golden tests print it.
func (p *Plan) String() string {
	var b strings.Builder
	q := p.Query
	if q.Metric != nil {
		fmt.Fprintf(&b, "metric %d %q over %s\n", q.Metric.ID, q.Metric.Name, q.Table.Name)
	} else {
		fmt.Fprintf(&b, "table %d %s\n", q.Table.ID, q.Table.Name)
	}
	for _, c := range q.Filters {
		if c.Segment != nil {
			fmt.Fprintf(&b, "  filter segment %d %q\n", c.Segment.ID, c.Segment.Name)
			continue
		}
		if c.Tree != "" {
			fmt.Fprintf(&b, "  filter %s\n", c.Words())
			continue
		}
		fmt.Fprintf(&b, "  filter %s %s", columnLabel(c.Column), c.Op)
		if c.CaseSensitive {
			b.WriteString(" case-sensitive")
		}
		for _, v := range c.Values {
			fmt.Fprintf(&b, " %v", v)
		}
		if r := c.Relative; r != nil {
			b.WriteString(" " + r.String())
		}
		b.WriteByte('\n')
	}
	for _, a := range q.Aggregations {
		fmt.Fprintf(&b, "  aggregate %s", a.Func)
		if a.Column != nil {
			fmt.Fprintf(&b, " %s", columnLabel(*a.Column))
		}
		if a.Measure != nil {
			fmt.Fprintf(&b, " (measure %d %q)", a.Measure.ID, a.Measure.Name)
		}
		if a.Sort != "" {
			fmt.Fprintf(&b, " sort %s", a.Sort)
		}
		if a.Filter != nil {
			fmt.Fprintf(&b, " where %s", a.Filter.Words())
		}
		b.WriteByte('\n')
	}
	for _, g := range q.GroupBy {
		fmt.Fprintf(&b, "  group by %s\n", columnLabel(g))
	}
	for _, f := range q.Fields {
		fmt.Fprintf(&b, "  field %s\n", columnLabel(f))
	}
	for _, o := range q.OrderBy {
		dir := o.direction()
		if o.Aggregation != nil {
			fmt.Fprintf(&b, "  order by aggregation %d %s\n", *o.Aggregation, dir)
			continue
		}
		fmt.Fprintf(&b, "  order by %s %s\n", columnLabel(o.Column), dir)
	}
	for _, h := range q.Having {
		fmt.Fprintf(&b, "  having aggregation %d %s", h.Aggregation, h.Op)
		for _, v := range h.Values {
			fmt.Fprintf(&b, " %v", v)
		}
		b.WriteByte('\n')
	}
	fmt.Fprintf(&b, "  limit %d\n", p.Limit)
	for _, f := range p.filters {
		fmt.Fprintf(&b, "row filter %s\n", f)
	}
	for _, o := range p.Outputs {
		fmt.Fprintf(&b, "column %s %q %s", o.Name, o.DisplayName, o.BaseType)
		if o.FieldID != "" {
			fmt.Fprintf(&b, " %s", o.FieldID)
		}
		b.WriteByte('\n')
	}
	sql, args := p.SQL()
	b.WriteString(sql)
	b.WriteByte('\n')
	for i, a := range args {
		fmt.Fprintf(&b, "-- %s = %s\n", p.opts.Dialect.Placeholder(i+1), formatArg(a))
	}
	if sql, args, ok := p.Guard(); ok {
		b.WriteString("-- guard, run first:\n")
		b.WriteString(sql)
		b.WriteByte('\n')
		for i, a := range args {
			fmt.Fprintf(&b, "-- %s = %s\n", p.opts.Dialect.Placeholder(i+1), formatArg(a))
		}
	}
	return b.String()
}

func columnLabel(c QueryField) string {
	s := describe(c)
	if c.Bucket != "" {
		s += " by " + string(c.Bucket)
	}
	return s
}

func formatArg(a any) string {
	switch x := a.(type) {
	case string:
		return strconv.Quote(x)
	case time.Time:
		return formatTime(x) + " (timestamp)"
	case []string:
		items := make([]string, len(x))
		for i, s := range x {
			items[i] = strconv.Quote(s)
		}
		return "[" + strings.Join(items, ", ") + "] (list)"
	case []time.Time:
		items := make([]string, len(x))
		for i, t := range x {
			items[i] = formatTime(t)
		}
		return "[" + strings.Join(items, ", ") + "] (list of timestamps)"
	case []int64, []float64:
		return strings.ReplaceAll(fmt.Sprint(x), " ", ", ") + fmt.Sprintf(" (%T)", x)
	}
	return fmt.Sprintf("%v (%T)", a, a)
}

func formatTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.999999999Z") }
