package sqlgen

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/agentlayer/agentlayer/semantic"
	"github.com/agentlayer/agentlayer/sqlgen/sqlast"
)

// The rules of aggregate-only access. A query read under an aggregate
// grant (a policy's aggregate: {rows, min_group_size: N, time_granularity})
// answers only what no small set of rows decides:
//
//  1. no function that returns one row's value (min, max), no
//     aggregation with a filter of its own, and no sum or average of a
//     field that identifies a row or a person (count-distinct of one
//     stays);
//  2. nothing finer than the grant: dates and timestamps are grouped and
//     compared in whole units of its time granularity, floating-point and
//     decimal fields (measures) are aggregated but compared only with the
//     edges of the bins the model declares, text is compared only for
//     equality, and a range on a field grouped by a bucket covers whole
//     buckets;
//  3. every set two answers can differ by holds no rows or at least N rows
//     and N distinct keys of every table read under an aggregate grant
//     (the rows the caller sees in detail do not count): each result group
//     (HAVING), and, under the request's other filters, the rows of each
//     value an equality filter names and the units (or bins) on either side
//     of each bound of a range. The groups are checked by the answer's own
//     SQL; the rest by a guard query that runs first (Plan.Guard).

// TimeGranularities are the values of an aggregate grant's
// time_granularity, finest first.
var TimeGranularities = []Bucket{Minute, Hour, Day, Week, Month, Quarter, Year}

// Coarser reports whether unit a is coarser than unit b.
func Coarser(a, b Bucket) bool {
	return slices.Index(TimeGranularities, a) > slices.Index(TimeGranularities, b)
}

// divides reports whether every boundary of unit b is one of unit u: a
// day divides a month, a week divides no month.
func divides(u, b Bucket) bool {
	switch u {
	case second, Minute, Hour, Day:
		return b == second && u == second || slices.Index(TimeGranularities, b) >= slices.Index(TimeGranularities, u)
	case Week:
		return b == Week
	case Month:
		return b == Month || b == Quarter || b == Year
	case Quarter:
		return b == Quarter || b == Year
	}
	return b == Year
}

// resolution is the unit an extraction tells values apart by: hour-of-day
// tells hours apart.
func resolution(b Bucket) Bucket {
	switch b {
	case SecondOfMinute:
		return second
	case MinuteOfHour:
		return Minute
	case HourOfDay:
		return Hour
	case DayOfWeek, DayOfMonth, DayOfYear:
		return Day
	case WeekOfYear:
		return Week
	case MonthOfYear:
		return Month
	case QuarterOfYear:
		return Quarter
	}
	return b
}

// aggRead is a table instance read under an aggregate grant.
type aggRead struct {
	table *semantic.Table
	alias string
	// key is a joined table's key, counted distinct in every set; nil for
	// the base table, whose rows are the rows counted.
	key sqlast.Expr
	// detail is the condition on the rows the caller sees in detail
	// (False: none), placed at alias.
	detail sqlast.Expr
}

// plannedCond is a filter as planned: its condition, its SQL, and its
// position in the request.
type plannedCond struct {
	Condition
	x     sqlast.Expr
	index int
}

// readAggregate records a table instance read under an aggregate grant.
func (p *planner) readAggregate(instance string, path []*semantic.Field, t *semantic.Table, a AggregateAccess) {
	p.minGroup = max(p.minGroup, a.MinGroup)
	if a.TimeUnit != "" && (p.timeUnit == "" || Coarser(a.TimeUnit, p.timeUnit)) {
		p.timeUnit = a.TimeUnit
	}
	r := aggRead{table: t, alias: sqlast.BaseAlias, detail: a.Detail}
	if len(path) > 0 {
		// A joined table's rows are counted by its key, not by the base
		// rows they repeat over.
		j := p.joins[instance]
		r.alias = j.alias
		r.key = sqlast.Col{Alias: j.alias, Column: j.fk.References.Column}
	}
	if r.detail == nil {
		r.detail = sqlast.False
	}
	p.aggReads = append(p.aggReads, r)
}

// aggregateOnly applies the rules to a query read under an aggregate
// grant: it refuses what rules 1 and 2 forbid, and sets the groups'
// HAVING and the guard of rule 3.
func (p *planner) aggregateOnly(plan *Plan, sel *selectStmt) error {
	if p.timeUnit == "" {
		p.timeUnit = Day
	}
	if err := p.checkFunctions(); err != nil {
		return err
	}
	if err := p.checkGroups(); err != nil {
		return err
	}
	for _, c := range p.conds {
		if err := p.checkFilter(c); err != nil {
			return err
		}
	}
	sizes := p.setSizes()
	sel.sizes = sizes.large()
	plan.MinGroupSize, plan.TimeUnit = p.minGroup, p.timeUnit
	for _, r := range p.aggReads {
		if r.key != nil && !slices.Contains(plan.KeyTables, r.table) {
			plan.KeyTables = append(plan.KeyTables, r.table)
		}
	}
	g := &guard{sizes: sizes}
	for i, c := range p.conds {
		others := slices.Clone(p.others)
		for j, o := range p.conds {
			if j != i {
				others = append(others, o.x)
			}
		}
		if p.groupsAsIs(c) {
			// Each value's set is a group of the answer itself, which
			// HAVING leaves out when small.
			continue
		}
		for _, set := range p.sets(c) {
			set.where = sqlast.AndOf(append(others, set.where)...)
			set.path = index("filters", c.index)
			g.sets = append(g.sets, set)
		}
	}
	if len(g.sets) > 0 {
		sel.guard = g
	}
	return nil
}

// checkFunctions applies rule 1 to the aggregations.
func (p *planner) checkFunctions() error {
	q := p.q
	for i, ag := range q.Aggregations {
		path := index("aggregations", i)
		switch {
		case ag.Func == semantic.AggMin || ag.Func == semantic.AggMax:
			return refuse(path, ReasonAggregateFunctions)
		case ag.Filter != nil:
			return refuse(path+".filter", ReasonAggregateFunctions)
		case ag.Measure != nil && ag.Measure.Filter != nil:
			// A filtered measure could aggregate one row of a group.
			return refuse(path, ReasonAggregateFunctions)
		case (ag.Func == semantic.AggSum || ag.Func == semantic.AggAvg) && ag.Column != nil && ag.Column.Wide.Field.Identifying():
			return refuse(path, ReasonAggregateSumIdentifying)
		}
	}
	if m := q.Metric; m != nil && m.Measure != nil && m.Measure.Filter != nil {
		return refuse("metric_id", ReasonAggregateFunctions)
	}
	return nil
}

// checkGroups applies rules 1 and 2 to the group_by columns.
func (p *planner) checkGroups() error {
	for i, g := range p.q.GroupBy {
		path := index("group_by", i)
		f := g.Wide.Field
		if f.Identifying() {
			return refuse(path, ReasonAggregateIdentifying)
		}
		if !f.Type.Kind.IsTemporal() {
			continue
		}
		b := g.Bucket
		switch {
		case b == "" && f.Type.Kind == semantic.KindDate:
			b = Day
		case b == "":
			b = second
		case b.Extracts():
			b = resolution(b)
		}
		if !divides(p.timeUnit, b) {
			return refuse(path, p.reasonTime())
		}
	}
	return nil
}

// checkFilter applies rules 1 and 2 to a filter.
func (p *planner) checkFilter(c plannedCond) error {
	path := index("filters", c.index)
	if c.Tree != "" {
		// Sets of a tree's parts could differ by a few rows: each filter is
		// checked as a set of its own only when filters are ANDed.
		return refuse(path, ReasonAggregateTree)
	}
	if c.Segment != nil {
		for _, f := range p.c.reads[c.Segment.Filter] {
			if f.Identifying() {
				return refuse(path, ReasonAggregateIdentifying)
			}
		}
		return nil
	}
	f := c.Column.Wide.Field
	if f.Identifying() {
		return refuse(path, ReasonAggregateIdentifying)
	}
	k := f.Type.Kind
	switch c.Op {
	case "is-null", "is-not-null", "string-is-empty", "string-is-not-empty", "is-true", "is-false":
		return nil
	case "string-contains", "string-not-contains", "string-starts-with", "string-ends-with":
		return refuse(path, ReasonAggregatePattern)
	}
	if b, ok := extractionOps[c.Op]; ok || c.Column.Bucket.Extracts() {
		if !ok {
			b = c.Column.Bucket
		}
		if !divides(p.timeUnit, resolution(b)) {
			return refuse(path, p.reasonTime())
		}
		return nil
	}
	switch {
	case k.IsTemporal():
		for _, b := range p.bounds(c) {
			if !p.aligned(b.at, p.timeUnit) || b.inclusive {
				return refuse(path, p.reasonTime())
			}
			if g := p.groupedBy(f); g != "" && !p.aligned(b.at, g) {
				return refuse(path, fmt.Sprintf(ReasonAggregateCutBucket, g, g))
			}
		}
	case k == semantic.KindFloat || k == semantic.KindDecimal:
		if f.Bins == nil {
			return refuse(path, ReasonAggregateMeasure)
		}
		if (c.Op != "greater-than-or-equal" && c.Op != "less-than") || len(c.Values) != 1 {
			return refuse(path, ReasonAggregateBins)
		}
		if v, _ := toFloat(c.Values[0]); !slices.Contains(f.Bins, v) {
			return refuse(path, ReasonAggregateBins)
		}
	case k == semantic.KindText && c.Op != "equals" && c.Op != "not-equals":
		return refuse(path, ReasonAggregateTextRange)
	}
	return nil
}

// groupsAsIs reports whether c is an equality filter on a column the
// query groups by as it is: the set of each value it names is then a
// group of the answer, with the answer's other filters.
func (p *planner) groupsAsIs(c plannedCond) bool {
	if c.Segment != nil || (c.Op != "equals") || extractionOps[c.Op] != "" || c.Column.Wide.Field.Type.Kind.IsTemporal() {
		return false
	}
	for _, g := range p.q.GroupBy {
		if g.Wide.Index == c.Column.Wide.Index && g.Bucket == c.Column.Bucket {
			return true
		}
	}
	return false
}

// groupedBy is the truncation the query groups field f by, if it does.
func (p *planner) groupedBy(f *semantic.Field) Bucket {
	for _, g := range p.q.GroupBy {
		if g.Wide.Field == f && g.Bucket.Truncates() {
			return g.Bucket
		}
	}
	return ""
}

// aligned reports whether a wall-clock time starts a unit.
func (p *planner) aligned(t time.Time, u Bucket) bool {
	start, _ := p.period(Moment{Time: t, Unit: u})
	return start.Equal(t)
}

// bound is a bound of a range on a date or timestamp, in wall-clock time.
type bound struct {
	at        time.Time
	inclusive bool // the range holds at itself (≤ at)
}

// bounds are the ends a temporal filter puts on its field: each moment's
// period's start and end, or a relative period's.
func (p *planner) bounds(c plannedCond) []bound {
	if c.Relative != nil {
		pr, err := p.relativePeriod(c.Condition)
		if err != nil || pr.none {
			return nil
		}
		var out []bound
		if !pr.lo.IsZero() {
			out = append(out, bound{at: pr.lo})
		}
		if !pr.hi.IsZero() {
			out = append(out, bound{at: pr.hi, inclusive: pr.inclusive})
		}
		return out
	}
	var out []bound
	for i, v := range c.Values {
		m, ok := v.(Moment)
		if !ok {
			continue
		}
		lo, hi := p.period(m)
		switch {
		case c.Op == "between" && i == 0, c.Op == "greater-than-or-equal", c.Op == "less-than":
			out = append(out, bound{at: lo})
		case c.Op == "between", c.Op == "greater-than", c.Op == "less-than-or-equal":
			out = append(out, bound{at: hi})
		default: // equals, not-equals: the period
			out = append(out, bound{at: lo}, bound{at: hi})
		}
	}
	return out
}

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int64:
		return float64(x), true
	}
	return 0, false
}

// setSizes are the counts rule 3 compares with the minimum group size,
// over the rows of a group or of a set.
type setSizes struct {
	n int
	// rows counts the rows that count: those with a part, read under an
	// aggregate grant, that the caller does not see in detail.
	rows sqlast.Expr
	// keys count each joined table's distinct keys, of the rows the
	// caller does not see in detail.
	keys []sqlast.Expr
	// trivial: every row counts, so a group is never empty of them.
	trivial bool
}

// setSizes builds the counts for the instances read under aggregate
// grants.
func (p *planner) setSizes() setSizes {
	s := setSizes{n: p.minGroup}
	var counted []sqlast.Expr
	notDetail := func(r aggRead) sqlast.Expr {
		return sqlast.Not{X: sqlast.Call{Name: "coalesce", Args: []sqlast.Expr{sqlast.Scoped{Table: r.table, Alias: r.alias, X: r.detail}, sqlast.False}}}
	}
	for _, r := range p.aggReads {
		if r.detail == sqlast.False {
			s.trivial = true
		} else {
			counted = append(counted, notDetail(r))
		}
		if r.key != nil {
			k := sqlast.Agg{Func: "count", Arg: r.key, Distinct: true}
			if r.detail != sqlast.False {
				k.Filter = notDetail(r)
			}
			s.keys = append(s.keys, k)
		}
	}
	s.rows = sqlast.Agg{Func: "count"}
	if !s.trivial {
		s.rows = sqlast.Agg{Func: "count", Filter: sqlast.OrOf(counted...)}
	}
	return s
}

// large is the condition a group (or set) of rows meets to be shown: no
// rows that count, or at least n of them and n distinct keys of each
// joined table. The count of the rows that count is written once (NOT
// BETWEEN), so that the database computes it once.
func (s setSizes) large() sqlast.Expr {
	n := sqlast.Int(s.n)
	var keys []sqlast.Expr
	for _, k := range s.keys {
		keys = append(keys, sqlast.Bin{Op: ">=", L: k, R: n})
	}
	switch {
	case s.trivial:
		return sqlast.AndOf(append([]sqlast.Expr{sqlast.Bin{Op: ">=", L: s.rows, R: n}}, keys...)...)
	case len(keys) == 0:
		return sqlast.Between{X: s.rows, Lo: 1, Hi: s.n - 1, Not: true}
	}
	return sqlast.OrOf(sqlast.Bin{Op: "=", L: s.rows, R: sqlast.Int(0)}, sqlast.AndOf(append([]sqlast.Expr{sqlast.Bin{Op: ">=", L: s.rows, R: n}}, keys...)...))
}

// small is the condition a set of rows that breaks rule 3 meets: some
// rows that count, but fewer than n, or fewer than n distinct keys of a
// joined table.
func (s setSizes) small() sqlast.Expr {
	if len(s.keys) == 0 {
		return sqlast.Between{X: s.rows, Lo: 1, Hi: s.n - 1}
	}
	n := sqlast.Int(s.n)
	parts := []sqlast.Expr{sqlast.Bin{Op: "<", L: s.rows, R: n}}
	for _, k := range s.keys {
		parts = append(parts, sqlast.Bin{Op: "<", L: k, R: n})
	}
	return sqlast.AndOf(sqlast.Bin{Op: ">", L: s.rows, R: sqlast.Int(0)}, sqlast.OrOf(parts...))
}

// guard is the query of rule 3: one branch per set a filter names, each
// counted under the other filters; it answers the first branch that
// holds a small set, or NULL.
type guard struct {
	sizes setSizes
	sets  []guardSet
}

// guardSet is one or more sets a filter names: the rows where is true,
// split by groupBy (nil: one set).
type guardSet struct {
	where   sqlast.Expr
	groupBy sqlast.Expr
	path    string // the filter's path in the request
}

// sets are the sets of rule 3 a filter names.
func (p *planner) sets(c plannedCond) []guardSet {
	if c.Segment != nil {
		return []guardSet{{where: c.x}}
	}
	raw := p.use(c.Column.Wide)
	k := c.Column.Wide.Field.Type.Kind
	switch c.Op {
	case "is-null", "is-not-null":
		return []guardSet{{where: sqlast.IsNull{X: raw}}}
	case "string-is-empty", "string-is-not-empty":
		return []guardSet{{where: sqlast.OrOf(sqlast.IsNull{X: raw}, sqlast.Bin{Op: "=", L: raw, R: sqlast.Param{Value: ""}})}}
	case "is-true", "is-false":
		return []guardSet{{where: sqlast.IsNull{X: raw, Not: true}, groupBy: raw}}
	}
	if b, ok := extractionOps[c.Op]; ok || c.Column.Bucket.Extracts() {
		if !ok {
			b = c.Column.Bucket
		}
		x := p.extract(raw, k, b)
		return p.valueSets(c, x)
	}
	if k.IsTemporal() {
		if c.Op == "equals" || c.Op == "not-equals" {
			var out []guardSet
			for _, v := range c.Values {
				lo, hi := p.period(v.(Moment))
				out = append(out, guardSet{where: p.within(raw, k, lo, hi)})
			}
			return out
		}
		// The units on either side of each bound.
		var out []guardSet
		for _, b := range p.bounds(c) {
			lo, hi := addUnits(b.at, p.timeUnit, -1), addUnits(b.at, p.timeUnit, 1)
			out = append(out, guardSet{where: p.within(raw, k, lo, hi), groupBy: sqlast.Bin{Op: ">=", L: raw, R: sqlast.Param{Value: p.bound(b.at, k)}}})
		}
		return out
	}
	return p.valueSets(c, raw)
}

// within is lo ≤ raw < hi, for wall-clock bounds.
func (p *planner) within(raw sqlast.Expr, k semantic.Kind, lo, hi time.Time) sqlast.Expr {
	return sqlast.AndOf(sqlast.Bin{Op: ">=", L: raw, R: sqlast.Param{Value: p.bound(lo, k)}}, sqlast.Bin{Op: "<", L: raw, R: sqlast.Param{Value: p.bound(hi, k)}})
}

// valueSets are the sets of a filter on a number or a text (or an
// extracted part): each value an equality names; the values on either side
// of an integer's bound; the bins on either side of a measure's.
func (p *planner) valueSets(c plannedCond, x sqlast.Expr) []guardSet {
	vals := make([]sqlast.Expr, len(c.Values))
	for i, v := range c.Values {
		vals[i] = sqlast.Param{Value: p.paramValue(v)}
	}
	switch c.Op {
	case "equals", "not-equals":
		return []guardSet{{where: sqlast.OneOf(x, c.Values, vals), groupBy: x}}
	}
	var out []guardSet
	k := c.Column.Wide.Field.Type.Kind
	if c.Column.Bucket.Extracts() || extractionOps[c.Op] != "" {
		k = semantic.KindInteger
	}
	for _, v := range c.Values {
		n, _ := toFloat(v)
		switch {
		case k.IsInteger():
			lo, ok := v.(int64)
			if !ok {
				break
			}
			hi := lo
			if lo > math.MinInt64 {
				lo--
			}
			if hi < math.MaxInt64 {
				hi++
			}
			out = append(out, guardSet{where: sqlast.AndOf(sqlast.Bin{Op: ">=", L: x, R: sqlast.Param{Value: lo}}, sqlast.Bin{Op: "<=", L: x, R: sqlast.Param{Value: hi}}), groupBy: x})
			continue
		case k == semantic.KindFloat || k == semantic.KindDecimal:
			// A bin's edge (checkFilter): the bins on either side of it.
			bins := c.Column.Wide.Field.Bins
			at := slices.Index(bins, n)
			var parts []sqlast.Expr
			if at > 0 {
				parts = append(parts, sqlast.Bin{Op: ">=", L: x, R: sqlast.Param{Value: bins[at-1]}})
			}
			if at >= 0 && at+1 < len(bins) {
				parts = append(parts, sqlast.Bin{Op: "<", L: x, R: sqlast.Param{Value: bins[at+1]}})
			}
			out = append(out, guardSet{where: sqlast.AndOf(append(parts, sqlast.IsNull{X: x, Not: true})...), groupBy: sqlast.Bin{Op: ">=", L: x, R: sqlast.Param{Value: n}}})
			continue
		}
		out = append(out, guardSet{where: sqlast.Bin{Op: "=", L: x, R: sqlast.Param{Value: p.paramValue(v)}}})
	}
	return out
}

// reasonTime is the reason for a date or time finer than the grant's.
func (p *planner) reasonTime() string {
	return fmt.Sprintf(ReasonAggregateTime, p.timeUnit, p.timeUnit)
}

// refuse is a refusal of the aggregate rules: a 403 with its reason, its
// Rule set, so that the audit log records it.
func refuse(path, reason string) *Error {
	err := Forbidden(path, reason)
	err.Rule = RuleAggregate
	return err
}
