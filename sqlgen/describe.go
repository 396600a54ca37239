package sqlgen

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/agentlayer/agentlayer/semantic"
	"github.com/agentlayer/agentlayer/sqlgen/sqlast"
)

// Describe writes a row condition in words an agent can repeat, with its
// values inline: PEOPLE.STATE = "TX", ORDERS.USER_ID → PEOPLE where
// PEOPLE.STATE = "TX". It reports false, and writes nothing, when the
// condition reads a field visible reports false for (the caller may not
// learn that it exists, nor its values) or has a part it cannot put in
// words: the caller is then told only which policy limits the rows.
func Describe(e sqlast.Expr, visible func(*semantic.Field) bool) (string, bool) {
	d := describer{visible: visible}
	d.expr(e)
	if d.failed {
		return "", false
	}
	return d.b.String(), true
}

type describer struct {
	b       strings.Builder
	visible func(*semantic.Field) bool
	failed  bool
}

func (d *describer) field(f *semantic.Field) {
	if !d.visible(f) {
		d.failed = true
		return
	}
	d.b.WriteString(f.String())
}

func (d *describer) value(v any) {
	switch v := v.(type) {
	case nil:
		d.b.WriteString("NULL")
	case string:
		d.b.WriteString(strconv.Quote(v))
	case time.Time:
		d.b.WriteString(strconv.Quote(v.Format(time.RFC3339Nano)))
	case bool, int, int32, int64, float32, float64:
		fmt.Fprint(&d.b, v)
	default:
		d.failed = true
	}
}

// list writes the items of an AnyOf list: a []int64, []float64 or []string.
func (d *describer) list(v any) {
	var items []any
	switch l := v.(type) {
	case []int64:
		for _, x := range l {
			items = append(items, x)
		}
	case []float64:
		for _, x := range l {
			items = append(items, x)
		}
	case []string:
		for _, x := range l {
			items = append(items, x)
		}
	default:
		d.failed = true
		return
	}
	d.b.WriteString("(")
	for i, x := range items {
		if i > 0 {
			d.b.WriteString(", ")
		}
		d.value(x)
	}
	d.b.WriteString(")")
}

// operand writes a sub-expression, in parentheses where SQL would need
// them (Expr.atomic), and around an operation words write infix.
func (d *describer) operand(e sqlast.Expr) {
	if _, infix := e.(sqlast.Fn); infix || (e != nil && !sqlast.Atomic(e)) {
		d.b.WriteString("(")
		d.expr(e)
		d.b.WriteString(")")
		return
	}
	d.expr(e)
}

func (d *describer) expr(e sqlast.Expr) {
	if d.failed {
		return
	}
	for _, l := range []struct {
		x    sqlast.Expr
		text string
	}{{sqlast.True, "TRUE"}, {sqlast.False, "FALSE"}, {sqlast.Null, "NULL"}} {
		if e == l.x {
			d.b.WriteString(l.text)
			return
		}
	}
	switch n := e.(type) {
	case nil:
		d.b.WriteString("every row")
	case sqlast.Ref:
		d.field(n.Field)
	case sqlast.Param:
		d.value(n.Value)
	case sqlast.Bin:
		switch n.Op {
		case "=", "<>", "<", "<=", ">", ">=", "IS DISTINCT FROM", "IS NOT DISTINCT FROM":
		default:
			d.failed = true
			return
		}
		d.operand(n.L)
		d.b.WriteString(" " + n.Op + " ")
		d.operand(n.R)
	case sqlast.Not:
		if f, ok := n.X.(sqlast.Fn); ok && f.Op == sqlast.FnIsNaN {
			d.operand(f.Args[0])
			d.b.WriteString(" IS NOT NaN")
			return
		}
		d.b.WriteString("NOT ")
		d.operand(n.X)
	case sqlast.Fn:
		d.fn(n)
	case sqlast.And:
		d.junction(n, " AND ")
	case sqlast.Or:
		d.junction(n, " OR ")
	case sqlast.In:
		d.operand(n.X)
		d.b.WriteString(" IN (")
		for i, x := range n.List {
			if i > 0 {
				d.b.WriteString(", ")
			}
			d.expr(x)
		}
		d.b.WriteString(")")
	case sqlast.AnyOf:
		d.operand(n.X)
		d.b.WriteString(" IN ")
		d.list(n.List)
	case sqlast.IsNull:
		d.operand(n.X)
		if n.Not {
			d.b.WriteString(" IS NOT NULL")
		} else {
			d.b.WriteString(" IS NULL")
		}
	case sqlast.SemiJoin:
		d.field(n.FK)
		d.b.WriteString(" → " + n.FK.References.Table.Name + " where ")
		if n.Cond == nil {
			d.b.WriteString("it exists")
			return
		}
		d.clause(n.Cond)
	default:
		d.failed = true
	}
}

// fn writes the operations a rule translates to that read as words.
func (d *describer) fn(f sqlast.Fn) {
	switch f.Op {
	case sqlast.FnIsNaN:
		d.operand(f.Args[0])
		d.b.WriteString(" IS NaN")
	case sqlast.FnFinite:
		d.operand(f.Args[0])
		d.b.WriteString(" IS finite")
	case sqlast.FnContains, sqlast.FnStartsWith, sqlast.FnEndsWith:
		if len(f.Args) != 2 {
			d.failed = true
			return
		}
		d.operand(f.Args[0])
		d.b.WriteString(map[sqlast.FnOp]string{sqlast.FnContains: " contains ", sqlast.FnStartsWith: " starts with ", sqlast.FnEndsWith: " ends with "}[f.Op])
		d.operand(f.Args[1])
	case sqlast.FnBytewise:
		d.expr(f.Args[0])
	default:
		d.failed = true
	}
}

func (d *describer) junction(parts []sqlast.Expr, sep string) {
	for i, x := range parts {
		if i > 0 {
			d.b.WriteString(sep)
		}
		d.clause(x)
	}
}

// clause writes a condition that stands between AND, OR or "where": in
// parentheses when it is itself a conjunction or disjunction.
func (d *describer) clause(e sqlast.Expr) {
	switch e.(type) {
	case sqlast.And, sqlast.Or:
		d.b.WriteString("(")
		d.expr(e)
		d.b.WriteString(")")
	default:
		d.expr(e)
	}
}

// Words is a plan in words: what it reads and answers, for an agent to
// check that the query means what it asked (construct-query?explain=true).
type Words struct {
	// Source is the table or metric the query starts from.
	Source string `json:"source"`
	// Columns are the answer's columns: display name and field id.
	Columns []string `json:"columns"`
	// Joins are the related tables read, each through a relationship.
	Joins []string `json:"joins,omitempty"`
	// Filters are the request's filters, and a metric's own.
	Filters []string `json:"filters,omitempty"`
	// GroupBy are the columns grouped by, with their buckets.
	GroupBy []string `json:"group_by,omitempty"`
	// Having are the conditions the groups meet.
	Having []string `json:"having,omitempty"`
	// OrderBy is the order of the rows.
	OrderBy []string `json:"order_by,omitempty"`
	// Limit is the most rows the answer holds.
	Limit int `json:"limit"`
}

// Words describes the plan in words.
func (p *Plan) Words() Words {
	q := p.Query
	w := Words{Source: fmt.Sprintf("table %d %s (%s)", q.Table.ID, q.Table.Name, q.Table.DisplayName), Limit: p.Limit}
	if m := q.Metric; m != nil {
		w.Source = fmt.Sprintf("metric %d %s, on table %s", m.ID, m.Name, q.Table.Name)
	}
	for _, o := range p.Outputs {
		c := o.DisplayName
		if o.FieldID != "" {
			c += " [" + o.FieldID + "]"
		}
		w.Columns = append(w.Columns, c)
	}
	for _, j := range p.sel.joins {
		t := j.fk.References.Table
		rel := semantic.WideField{Field: j.fk, Path: j.path}.Relationships()
		by := j.fk.Name
		if len(j.path) > 1 {
			by += " of " + j.fk.Table.Name
		}
		w.Joins = append(w.Joins, fmt.Sprintf("%s → %s (%s), by %s: a left join, so every row of %s counts once", rel, t.Name, t.DisplayName, by, q.Table.Name))
	}
	for _, c := range q.Filters {
		w.Filters = append(w.Filters, c.Words()+p.resolved(c))
	}
	if p.MinGroupSize > 0 {
		w.Filters = append(w.Filters, fmt.Sprintf("groups of fewer than %d rows are left out, and not counted: your access to these rows is for aggregates only", p.MinGroupSize))
	}
	if m := q.Metric; m != nil {
		// The caller sees every field a metric's filter reads, or the
		// metric would not exist for them.
		for _, f := range m.Filters() {
			w.Filters = append(w.Filters, "the metric's filter: "+f.Source)
		}
	}
	for _, g := range q.GroupBy {
		s := g.Wide.DisplayName()
		if g.Bucket != "" {
			s += " by " + string(g.Bucket)
		}
		w.GroupBy = append(w.GroupBy, s)
	}
	for i, ag := range q.Aggregations {
		if ag.Sort != "" {
			w.OrderBy = append(w.OrderBy, p.Outputs[len(q.GroupBy)+i].DisplayName+" "+ag.Sort)
		}
	}
	for _, h := range q.Having {
		s := p.Outputs[len(q.GroupBy)+h.Aggregation].DisplayName + " " + h.Op
		for _, v := range h.Values {
			s += fmt.Sprintf(" %v", v)
		}
		w.Having = append(w.Having, s)
	}
	for _, o := range q.OrderBy {
		dir := o.direction()
		if o.Aggregation != nil {
			w.OrderBy = append(w.OrderBy, p.Outputs[len(q.GroupBy)+*o.Aggregation].DisplayName+" "+dir)
			continue
		}
		w.OrderBy = append(w.OrderBy, o.Column.Wide.DisplayName()+" "+dir)
	}
	if q.Aggregated() {
		// Ties, and the rest, are in group-by order (plan.order).
		w.OrderBy = append(w.OrderBy, w.GroupBy...)
	}
	return w
}

// resolved writes the bounds a relative or between filter resolved to
// when planned, with whether each end is included: "(2025-12-01T21:42:10 ≤
// Created At ≤ 2025-12-31T21:42:10, wall-clock in the report zone)".
func (p *Plan) resolved(c Condition) string {
	name := c.Column.Wide.DisplayName()
	format := func(t time.Time) string { return t.Format("2006-01-02T15:04:05") }
	switch {
	case c.Relative != nil:
		pr, ok := p.periods[c.Relative]
		if !ok {
			return ""
		}
		if pr.none {
			return " (no value to count from: nothing matches)"
		}
		var parts []string
		if !pr.lo.IsZero() {
			parts = append(parts, format(pr.lo)+" ≤")
		}
		parts = append(parts, name)
		if !pr.hi.IsZero() {
			op := "<"
			if pr.inclusive {
				op = "≤"
			}
			parts = append(parts, op+" "+format(pr.hi))
		}
		return " (" + strings.Join(parts, " ") + ", wall-clock in the report zone)"
	case c.Op == "between" && len(c.Values) == 2:
		lo, okLo := c.Values[0].(Moment)
		hi, okHi := c.Values[1].(Moment)
		if !okLo || !okHi || lo.Instant || hi.Instant {
			return ""
		}
		pl := &planner{zone: p.opts.TimeZone, weekStart: p.opts.WeekStart}
		from, _ := pl.period(lo)
		_, to := pl.period(hi)
		return fmt.Sprintf(" (%s ≤ %s < %s, wall-clock in the report zone)", format(from), name, format(to))
	}
	return ""
}
