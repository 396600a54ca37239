package sqlgen

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/agentlayer/agentlayer/semantic"
	"github.com/agentlayer/agentlayer/sqlgen/sqlast"
)

// The defaults of planning.
const (
	DefaultLimit             = 200    // rows of a table query that gives no limit
	DefaultMaxRows           = 2_000  // row cap of a query without aggregation
	DefaultMaxAggregatedRows = 10_000 // row cap of an aggregated query
)

// Options configure planning. The zero value means every default.
type Options struct {
	// Dialect renders the SQL; nil means DuckDB.
	Dialect sqlast.Dialect
	// MaskKey keys the hash mask: the same key gives the same hashes, in
	// every process that shares it.
	MaskKey string
	// TimeZone is the report time zone buckets and date filters use; nil
	// means UTC.
	TimeZone *time.Location
	// WeekStart is the first day of a week bucket; the zero value is
	// Sunday, as in Metabase.
	WeekStart time.Weekday
	// DefaultLimit is the limit of a table query that gives none; 0 means
	// 200.
	DefaultLimit int
	// WholeResult plans a query to its row cap, whatever limit it gives:
	// the whole result its pages are cut from (Plan.Page).
	WholeResult bool
	// MaxRows caps the rows of a query without aggregation; 0 means 2,000.
	MaxRows int
	// MaxAggregatedRows caps the rows of an aggregated query; 0 means
	// 10,000.
	MaxAggregatedRows int
	// Now is the clock relative filters count from; nil means time.Now.
	Now func() time.Time
	// Caller holds what a query may read of who asks, as CEL variables
	// (user.email, user.first_name, user.last_name, user.groups,
	// user.attributes): a segment that reads user, and a filter whose value
	// refers to the caller ({"user": "email"}), are bound with it. nil: the
	// caller has nothing, so such a filter matches no row.
	Caller map[string]any
	// Latest gives the latest value of a column the caller may see, for a
	// relative filter counted from it (false: the caller sees none); the
	// engine computes it under the caller's rules. Without it, such a
	// filter cannot be planned.
	Latest func(QueryField) (time.Time, bool, error)
}

func (o Options) withDefaults() Options {
	if o.Dialect == nil {
		o.Dialect = sqlast.DuckDB{}
	}
	if o.TimeZone == nil {
		o.TimeZone = time.UTC
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.DefaultLimit <= 0 {
		o.DefaultLimit = DefaultLimit
	}
	if o.MaxRows <= 0 {
		o.MaxRows = DefaultMaxRows
	}
	if o.MaxAggregatedRows <= 0 {
		o.MaxAggregatedRows = DefaultMaxAggregatedRows
	}
	return o
}

// Output describes a column of a query's result.
type Output struct {
	Name          string
	DisplayName   string
	BaseType      string
	EffectiveType string
	SemanticType  string
	FieldID       string // the request's field id, for a field
	// Kind is the kind of the values, for formatting them.
	Kind semantic.Kind
	// Unit is the bucket of a bucketed temporal column.
	Unit Bucket
	// Local marks wall-clock times in the report zone (bucketed
	// timestamps); other timestamps are instants.
	Local bool
	// Masked names the mask a masked field's values went through ("" for
	// none): they are not the data's.
	Masked string
	// Round rounds floating-point values to Decimals places in answers,
	// as the field declares (never in the data); Currency is its money's
	// ISO 4217 code, "" for none.
	Round    bool
	Decimals int
	Currency string
}

// Plan is a query planned for one caller: its SQL, bound values and
// result columns. It is immutable.
type Plan struct {
	Query   *Query
	Outputs []Output
	// Limit is the row limit the SQL applies.
	Limit int
	// MinGroupSize is the least rows a result group holds, for a caller
	// granted aggregates only above it: smaller groups are left out,
	// uncounted. 0 when no such grant applies. TimeUnit is then the unit
	// dates and timestamps are grouped and compared in, and KeyTables the
	// joined tables read under such a grant, whose distinct keys each
	// group counts too.
	MinGroupSize int
	TimeUnit     Bucket
	KeyTables    []*semantic.Table
	// Reads are the tables the plan reads rows of, with the fields it
	// reads of each, as it asked Access for their rows: what the answer's
	// restrictions are about.
	Reads []TableRead

	sel     *selectStmt
	opts    Options
	filters []string // row filters, for the printer
	// periods are the relative filters' periods as resolved when planned,
	// for the words.
	periods map[*Relative]resolvedPeriod
	// sources are the tables the SQL reads, kept from its first rendering.
	sources struct {
		once   sync.Once
		tables []*semantic.Table
	}
}

// TableRead is a table a plan reads and the fields it reads of it.
type TableRead struct {
	Table  *semantic.Table
	Fields []*semantic.Field
	// Aggregate marks a table read under an aggregate grant: its rows are
	// the grant's, in groups of Plan.MinGroupSize.
	Aggregate bool
}

// selectStmt is the SELECT a plan renders, with what the planner keeps
// beside it.
type selectStmt struct {
	sqlast.Select
	// joins are the planner's, with the foreign keys that reach each.
	joins []join
	// rows is the caller's row filter of the base table alone.
	rows sqlast.Expr
	// guard is the query that checks, before the answer, every set the
	// answer could be told apart by (aggregate.go); nil for none. Having
	// keeps the groups large enough (or made only of rows the caller sees
	// in detail), for a caller granted aggregates only above a minimum
	// group size; nil for none.
	guard *guard
	// sizes keeps the groups large enough, for a caller granted aggregates
	// only above a minimum group size (nil for none); having is the
	// request's own conditions on the groups. The statement's HAVING is
	// both.
	sizes, having sqlast.Expr
}

// join is a LEFT JOIN along a foreign key of the base table, or of a
// table joined before it (from, by alias) for a field further away;
// filter (over the referenced table's fields) keeps the rows the caller
// may see: hidden related rows give NULLs and never remove or reveal base
// rows, nor the rows joined through them.
type join struct {
	fk     *semantic.Field
	path   []*semantic.Field // the foreign keys from the base table, fk last
	from   string
	alias  string
	filter sqlast.Expr
}

type planner struct {
	c         *Catalog
	a         Access
	q         *Query
	zone      *time.Location
	weekStart time.Weekday
	opts      Options
	joins     map[string]*join
	// used collects, per table instance, the fields the query reads:
	// "" for the base table, the relationships followed for a joined one
	// (USER, USER.ACCOUNT).
	used        map[string][]*semantic.Field
	filterNotes []string
	reads       []TableRead
	deferred    error // an error found while building expressions
	// minGroup is the largest minimum group size of the aggregate grants
	// an aggregated query read under; 0 when it read none. timeUnit is
	// the coarsest of their time granularities, and aggReads the table
	// instances read under them.
	minGroup int
	timeUnit Bucket
	aggReads []aggRead
	// conds are the request's filters as planned, for the aggregate
	// rules; others are the conditions every filter's sets are taken
	// under besides the other filters (a metric's filter).
	conds []plannedCond
	// aggExprs are the aggregations' expressions, for the having.
	aggExprs []sqlast.Expr
	others   []sqlast.Expr
	periods  map[*Relative]resolvedPeriod
}

// Plan plans q for the caller whose access is a. A query reading fields of
// a table that no single grant covers together is an *Error of
// KindForbidden.
func (q *Query) Plan(c *Catalog, a Access, opts Options) (*Plan, error) {
	return newPlanner(c, a, q, opts).plan()
}

func newPlanner(c *Catalog, a Access, q *Query, opts Options) *planner {
	opts = opts.withDefaults()
	return &planner{c: c, a: a, q: q, zone: opts.TimeZone, weekStart: opts.WeekStart, opts: opts,
		joins: map[string]*join{}, used: map[string][]*semantic.Field{}}
}

// use records that the query reads a column, and returns its expression.
func (p *planner) use(w semantic.WideField) sqlast.Expr {
	instance, alias := "", sqlast.BaseAlias
	for i, fk := range w.Path {
		p.read(instance, fk)
		from := fk.Table
		instance = semantic.WideField{Field: fk, Path: w.Path[:i+1]}.Relationships()
		j, ok := p.joins[instance]
		if !ok {
			// Aliases follow the foreign keys' order, whichever are
			// used: t2 for the second foreign key of the base table,
			// t2_1 for the first of the table it references.
			n := strconv.Itoa(slices.Index(from.ForeignKeys(), fk) + 1)
			j = &join{fk: fk, path: w.Path[:i+1], from: alias, alias: "t" + n}
			if i > 0 {
				j.alias = alias + "_" + n
			}
			p.joins[instance] = j
		}
		alias = j.alias
	}
	p.read(instance, w.Field)
	return p.masked(p.asText(w.Field, sqlast.Col{Alias: alias, Column: w.Field.Column}), w.Field, alias)
}

// asText is column x of field f as the query reads it: a UUID as its text
// (isUUID).
func (p *planner) asText(f *semantic.Field, x sqlast.Expr) sqlast.Expr {
	if sqlast.IsUUID(f) {
		return sqlast.Cast{X: x, Type: sqlast.TypeText}
	}
	return x
}

func (p *planner) read(instance string, f *semantic.Field) {
	if !slices.Contains(p.used[instance], f) {
		p.used[instance] = append(p.used[instance], f)
	}
}

func (p *planner) plan() (*Plan, error) {
	q := p.q
	plan := &Plan{Query: q, opts: p.opts}
	sel := &selectStmt{Select: sqlast.Select{From: q.Table}}
	p.columns(plan, sel)
	where, err := p.conditions()
	if err != nil {
		return nil, err
	}
	p.order(sel)
	if p.deferred != nil {
		return nil, p.deferred
	}
	sel.Limit = p.limit()
	if err := p.finish(plan, sel, where); err != nil {
		return nil, err
	}
	return plan, nil
}

// columns adds the result columns: an aggregated query's group_by columns
// and aggregations, a detail query's fields (every visible field of the
// table when it names none). Names that repeat get a suffix: sum, sum_2.
func (p *planner) columns(plan *Plan, sel *selectStmt) {
	q := p.q
	names := map[string]int{}
	n := len(q.GroupBy) + len(q.Aggregations) + len(q.Fields)
	if n == 0 {
		n = len(q.Table.Wide())
	}
	sel.Items, plan.Outputs = make([]sqlast.Item, 0, n), make([]Output, 0, n)
	add := func(x sqlast.Expr, out Output) {
		names[out.Name]++
		if n := names[out.Name]; n > 1 {
			out.Name = fmt.Sprintf("%s_%d", out.Name, n)
		}
		sel.Items = append(sel.Items, sqlast.Item{X: x, As: out.Name, Text: out.Kind == semantic.KindText})
		plan.Outputs = append(plan.Outputs, out)
	}
	if q.Aggregated() {
		for _, g := range q.GroupBy {
			x := p.columnExpr(g)
			sel.GroupBy = append(sel.GroupBy, sqlast.Int(len(sel.GroupBy)+1))
			add(x, p.output(g))
		}
		for _, ag := range q.Aggregations {
			x, out := p.aggregate(ag)
			p.aggExprs = append(p.aggExprs, x)
			add(x, out)
		}
		return
	}
	cols := q.Fields
	if len(cols) == 0 {
		for _, w := range q.Table.Wide() {
			if w.Via == nil && p.a.Field(w.Field) {
				cols = append(cols, QueryField{Wide: w, ID: semantic.TablePrefix(q.Table.ID).ID(w.Index)})
			}
		}
	}
	for _, col := range cols {
		add(p.columnExpr(col), p.output(col))
	}
}

// conditions translates the filters, and a metric's own filter. The
// filters are ANDed, so their order changes nothing: they are written in
// one order whatever the request's, so that one question asked with its
// filters in another order is the same SQL (and the same answer in the
// engine's result cache).
func (p *planner) conditions() ([]sqlast.Expr, error) {
	var where []sqlast.Expr
	order := make([]int, len(p.q.Filters))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return compareConditions(p.q.Filters[a], p.q.Filters[b]) })
	for _, i := range order {
		cond, ok, err := p.bindCaller(p.q.Filters[i])
		if err != nil {
			return nil, err
		}
		x := sqlast.False // the caller has no such value: no row
		if ok {
			if x, err = p.condition(cond); err != nil {
				return nil, err
			}
		} else {
			cond.Values = nil // no set for the aggregate rules
		}
		where = append(where, x)
		p.conds = append(p.conds, plannedCond{Condition: cond, x: x, index: i})
	}
	if m := p.q.Metric; m != nil && m.Filter != nil {
		x, err := p.modelFilter(m.Filter)
		if err != nil {
			return nil, err
		}
		where = append(where, x)
		p.others = append(p.others, x)
	}
	return where, nil
}

// compareConditions orders conditions by what they are, not by how a
// request listed them: segment, column, bucket, operation, values.
func compareConditions(a, b Condition) int {
	if d := cmp.Or(cmp.Compare(a.Tree, b.Tree), cmp.Compare(len(a.Parts), len(b.Parts))); d != 0 {
		return d
	}
	for i := range a.Parts {
		if d := compareConditions(a.Parts[i], b.Parts[i]); d != 0 {
			return d
		}
	}
	if a.CaseSensitive != b.CaseSensitive {
		return cmp.Compare(boolInt(a.CaseSensitive), boolInt(b.CaseSensitive))
	}
	segment := func(c Condition) int {
		if c.Segment == nil {
			return -1
		}
		return c.Segment.ID
	}
	if d := cmp.Compare(segment(a), segment(b)); d != 0 {
		return d
	}
	if d := cmp.Compare(a.Column.Wide.Index, b.Column.Wide.Index); d != 0 {
		return d
	}
	if d := cmp.Or(cmp.Compare(a.Column.Bucket, b.Column.Bucket), cmp.Compare(a.Op, b.Op), cmp.Compare(len(a.Values), len(b.Values))); d != 0 {
		return d
	}
	for i := range a.Values {
		if d := compareValue(a.Values[i], b.Values[i]); d != 0 {
			return d
		}
	}
	if a.Relative != nil && b.Relative != nil {
		return cmp.Compare(a.Relative.String()+a.Relative.Op, b.Relative.String()+b.Relative.Op)
	}
	return 0
}

// compareValue orders two values of a condition: by type, then value.
func compareValue(a, b any) int {
	switch x := a.(type) {
	case int64:
		if y, ok := b.(int64); ok {
			return cmp.Compare(x, y)
		}
	case float64:
		if y, ok := b.(float64); ok {
			return cmp.Compare(x, y)
		}
	case string:
		if y, ok := b.(string); ok {
			return cmp.Compare(x, y)
		}
	case Moment:
		if y, ok := b.(Moment); ok {
			return cmp.Or(x.Time.Compare(y.Time), cmp.Compare(x.Unit, y.Unit))
		}
	}
	return cmp.Compare(fmt.Sprintf("%T %v", a, a), fmt.Sprintf("%T %v", b, b))
}

// order sorts by the aggregations with a sort order, then order_by, then
// the group_by columns (as Metabase does), or a tiebreaker for detail rows,
// so that pages are stable.
func (p *planner) order(sel *selectStmt) {
	q := p.q
	aggregated := q.Aggregated()
	for i, ag := range q.Aggregations {
		if ag.Sort != "" {
			sel.OrderBy = append(sel.OrderBy, sqlast.Order{Ordinal: len(q.GroupBy) + i + 1, Desc: ag.Sort == "desc", Text: sortsText(ag)})
		}
	}
	for _, o := range q.OrderBy {
		if o.Aggregation != nil {
			i := *o.Aggregation
			sel.OrderBy = append(sel.OrderBy, sqlast.Order{Ordinal: len(q.GroupBy) + i + 1, Desc: o.Desc, NullsFirst: o.NullsFirst, Text: sortsText(q.Aggregations[i])})
			continue
		}
		item := sqlast.Order{X: p.columnExpr(o.Column), Desc: o.Desc, NullsFirst: o.NullsFirst, Text: isText(o.Column)}
		if aggregated {
			// An aggregated query is ordered by its group_by columns.
			for i, g := range q.GroupBy {
				if g.Wide.Index == o.Column.Wide.Index {
					item = sqlast.Order{Ordinal: i + 1, Desc: o.Desc, NullsFirst: o.NullsFirst, Text: isText(g)}
					break
				}
			}
		}
		sel.OrderBy = append(sel.OrderBy, item)
	}
	if aggregated {
		for i, g := range q.GroupBy {
			sel.OrderBy = append(sel.OrderBy, sqlast.Order{Ordinal: i + 1, Text: isText(g)})
		}
		return
	}
	sel.OrderBy = append(sel.OrderBy, p.tiebreaker(sel.Items)...)
}

// isText reports whether a column holds text (not bucketed, which makes a
// number or a time of any field).
func isText(c QueryField) bool { return c.Bucket == "" && c.Wide.Field.Type.Kind == semantic.KindText }

// sortsText reports whether an aggregation yields text: min or max of text.
func sortsText(ag Aggregate) bool {
	return (ag.Func == semantic.AggMin || ag.Func == semantic.AggMax) && ag.Column != nil && isText(*ag.Column)
}

// limit is a table query's default, a metric's cap; never past the cap.
func (p *planner) limit() int {
	limit, most := p.q.Limit, p.opts.MaxRows
	if p.q.Aggregated() {
		most = p.opts.MaxAggregatedRows
	}
	if p.opts.WholeResult {
		return most
	}
	if limit == 0 {
		limit = p.opts.DefaultLimit
		if p.q.Metric != nil {
			limit = most
		}
	}
	return min(limit, most)
}

// finish adds the row filters of every table instance the query reads,
// now that every field read is known, and completes the plan.
func (p *planner) finish(plan *Plan, sel *selectStmt, where []sqlast.Expr) error {
	base, err := p.rowFilter("", nil, p.q.Table)
	if err != nil {
		return err
	}
	sel.Where = sqlast.AndOf(append([]sqlast.Expr{base}, where...)...)
	sel.rows = base
	joins := make([]*join, 0, len(p.joins))
	for _, j := range p.joins {
		joins = append(joins, j)
	}
	// By the foreign keys' positions along the path: a table joins after
	// the one it is reached through.
	slices.SortFunc(joins, func(x, y *join) int {
		for i := range min(len(x.path), len(y.path)) {
			if d := x.path[i].Index - y.path[i].Index; d != 0 {
				return d
			}
		}
		return len(x.path) - len(y.path)
	})
	for _, j := range joins {
		instance := semantic.WideField{Field: j.fk, Path: j.path}.Relationships()
		if j.filter, err = p.rowFilter(instance, j.path, j.fk.References.Table); err != nil {
			return err
		}
		sel.joins = append(sel.joins, *j)
		sel.Joins = append(sel.Joins, sqlast.Join{FK: j.fk, From: j.from, Alias: j.alias, Filter: j.filter})
	}
	if p.minGroup > 0 {
		if err := p.aggregateOnly(plan, sel); err != nil {
			return err
		}
	}
	sel.having = p.having()
	sel.Having = sqlast.AndOf(sel.sizes, sel.having)
	plan.Limit = sel.Limit
	plan.sel = sel
	plan.periods = p.periods
	plan.filters = p.filterNotes
	plan.Reads = p.reads
	return nil
}

// rowFilter asks the caller's access which rows of a table instance the
// query may read; path is the foreign keys it is reached by.
func (p *planner) rowFilter(instance string, path []*semantic.Field, t *semantic.Table) (sqlast.Expr, error) {
	fields := p.used[instance]
	p.reads = append(p.reads, TableRead{Table: t, Fields: fields})
	var f sqlast.Expr
	var err error
	aggregated := p.q.Aggregated() && !p.q.DetailRows
	agg, aggregate, aerr := p.a.Aggregate(t, fields)
	switch {
	case aggregated && aggregate:
		f, err = agg.Rows, aerr
		p.readAggregate(instance, path, t, agg)
		p.reads[len(p.reads)-1].Aggregate = true
	default:
		f, err = p.a.RowFilter(t, fields)
		if errors.Is(err, ErrForbidden) && aggregate && aerr == nil {
			return nil, Forbidden("", ReasonAggregateOnly)
		}
	}
	if errors.Is(err, ErrForbidden) {
		return nil, Forbidden("", ReasonTogether)
	}
	if err != nil {
		return nil, err
	}
	label := t.Name
	for i, fk := range path {
		if i == 0 {
			label += " via "
		} else {
			label += " → "
		}
		label += fk.Name
	}
	if f != nil {
		sql, _ := sqlast.Render(p.opts.Dialect, f, t, "…")
		p.filterNotes = append(p.filterNotes, label+": "+sql)
	}
	return f, nil
}

// modelFilter places a segment, measure or metric filter of the base table:
// its fields count as read, and each semi-join into a related table also
// keeps to the rows of it the caller may see.
func (p *planner) modelFilter(e *semantic.Expr) (sqlast.Expr, error) {
	x, err := p.c.Filter(e, p.opts.Caller)
	if err != nil {
		return nil, err
	}
	if x == nil {
		if _, byCaller := p.c.callers[e]; byCaller {
			return sqlast.True, nil // every row, for this caller
		}
		return nil, fmt.Errorf("sqlgen: filter of %s was not prepared", e.Table.Name)
	}
	x = sqlast.Rewrite(x, func(n sqlast.Expr) sqlast.Expr {
		switch n := n.(type) {
		case sqlast.Ref:
			p.read("", n.Field)
		case sqlast.SemiJoin:
			p.read("", n.FK)
			return p.visibleRows(n, &err)
		}
		return n
	})
	if errors.Is(err, ErrForbidden) {
		return nil, Forbidden("", ReasonTogether)
	}
	return x, err
}

// columnExpr is a column's expression, bucketed if asked.
func (p *planner) columnExpr(col QueryField) sqlast.Expr {
	x := p.use(col.Wide)
	if col.Bucket != "" {
		return p.bucketed(x, col.Wide.Field.Type.Kind, col.Bucket)
	}
	return x
}

// output describes a column of the result.
func (p *planner) output(col QueryField) Output {
	f := col.Wide.Field
	out := Output{
		Name:         f.Name,
		DisplayName:  col.Wide.DisplayName(),
		BaseType:     f.Type.Kind.BaseType(),
		SemanticType: f.SemanticType,
		FieldID:      col.ID,
		Kind:         f.Type.Kind,
		Unit:         col.Bucket,
	}
	switch {
	case col.Bucket.Extracts():
		out.DisplayName += ": " + humanBucket(col.Bucket)
		out.BaseType, out.Kind, out.SemanticType = semantic.KindInteger.BaseType(), semantic.KindInteger, ""
	case col.Bucket != "":
		out.DisplayName += ": " + humanBucket(col.Bucket)
		out.Local = f.Type.Kind != semantic.KindDate
	default:
		displayOf(&out, f)
	}
	p.maskedOutput(&out, f)
	return out
}

// displayOf gives a result column the decimals and currency its field
// declares.
func displayOf(out *Output, f *semantic.Field) {
	out.Currency = f.Currency
	if f.Decimals >= 0 {
		out.Round, out.Decimals = true, f.Decimals
	}
}

func humanBucket(b Bucket) string {
	s := strings.ReplaceAll(string(b), "-", " ")
	return strings.ToUpper(s[:1]) + s[1:]
}

// aggregate is an aggregation's expression and result column.
func (p *planner) aggregate(ag Aggregate) (sqlast.Expr, Output) {
	agg := sqlast.Agg{Func: string(ag.Func)}
	out := Output{Name: string(ag.Func), BaseType: semantic.KindBigInteger.BaseType(), Kind: semantic.KindBigInteger}
	var of string
	if ag.Column != nil {
		agg.Arg = p.columnExpr(*ag.Column)
		if sortsText(ag) {
			agg.Arg = sqlast.Fn{Op: sqlast.FnBytewise, Args: []sqlast.Expr{agg.Arg}} // the least and greatest by bytes
		}
		of = ag.Column.Wide.DisplayName()
		if b := ag.Column.Bucket; b != "" {
			of += ": " + humanBucket(b)
		}
		fk := ag.Column.Wide.Field.Type.Kind
		switch ag.Func {
		case semantic.AggSum:
			out.Kind = fk
			if fk.IsInteger() {
				out.Kind = semantic.KindBigInteger
			}
			out.DisplayName = "Sum of " + of
			displayOf(&out, ag.Column.Wide.Field)
		case semantic.AggAvg:
			out.Kind = semantic.KindFloat
			out.DisplayName = "Average of " + of
			displayOf(&out, ag.Column.Wide.Field)
		case semantic.AggMin:
			out.Kind = fk
			out.DisplayName = "Min of " + of
		case semantic.AggMax:
			out.Kind = fk
			out.DisplayName = "Max of " + of
		case semantic.AggCountDistinct:
			agg.Func, agg.Distinct = "count", true
			out.Name = "count"
			out.DisplayName = "Distinct values of " + of
		}
		out.BaseType = out.Kind.BaseType()
		if ag.Func == semantic.AggMin || ag.Func == semantic.AggMax {
			out.SemanticType = ag.Column.Wide.Field.SemanticType
			if ag.Column.Bucket == "" {
				displayOf(&out, ag.Column.Wide.Field)
			}
			// The min or max of a bucket is a wall-clock time in the report zone.
			out.Local = ag.Column.Bucket.Truncates() && fk != semantic.KindDate
			if ag.Column.Bucket.Extracts() {
				out.Kind, out.BaseType, out.SemanticType = semantic.KindInteger, semantic.KindInteger.BaseType(), ""
			}
		}
	} else {
		out.DisplayName = "Count"
	}
	p.maskedAggregate(ag, &out)
	if ag.Measure != nil {
		out.DisplayName = ag.Measure.Name
		if ag.Measure.Filter != nil {
			if f, err := p.modelFilter(ag.Measure.Filter); err == nil {
				agg.Filter = f
			} else {
				p.deferred = err
			}
		}
	}
	if p.q.Metric != nil {
		out.DisplayName = p.q.Metric.Name
	}
	if ag.Func == AggShare {
		return p.share(ag, out)
	}
	if ag.Filter != nil {
		f, err := p.condition(*ag.Filter)
		if err != nil {
			p.deferred = err
		}
		agg.Filter = sqlast.AndOf(agg.Filter, f)
		out.DisplayName += ", where " + ag.Filter.Words()
	}
	return agg, out
}

// AggShare is the share aggregation (an extension of the request, as in
// MBQL): the fraction of the rows that meet its filter, from 0 to 1; NULL
// for a group of no rows.
const AggShare semantic.AggFunc = "share"

// share is count(*) FILTER (WHERE filter) / count(*), as a double.
func (p *planner) share(ag Aggregate, out Output) (sqlast.Expr, Output) {
	f, err := p.condition(*ag.Filter)
	if err != nil {
		p.deferred = err
	}
	meeting := sqlast.Cast{X: sqlast.Agg{Func: "count", Filter: f}, Type: sqlast.TypeDouble}
	all := sqlast.Call{Name: "nullif", Args: []sqlast.Expr{sqlast.Agg{Func: "count"}, sqlast.Int(0)}}
	out.Name, out.Kind, out.BaseType = "share", semantic.KindFloat, semantic.KindFloat.BaseType()
	out.SemanticType = "type/Share"
	out.DisplayName = "Share of rows where " + ag.Filter.Words()
	return sqlast.Bin{Op: "/", L: meeting, R: all}, out
}

// Words says the condition in words, as the request gave its values:
// "Discount greater-than 0", "Created At last 6 month complete, from now".
func (c Condition) Words() string {
	if c.Tree != "" {
		parts := make([]string, len(c.Parts))
		for i, part := range c.Parts {
			parts[i] = part.Words()
		}
		if c.Tree == "not" {
			if c.Parts[0].Tree != "" {
				return "not " + parts[0]
			}
			return "not (" + parts[0] + ")"
		}
		return "(" + strings.Join(parts, " "+c.Tree+" ") + ")"
	}
	if c.Segment != nil {
		return c.Segment.Name
	}
	s := c.Column.Wide.DisplayName() + " " + c.Op
	if c.CaseSensitive {
		s += " (case-sensitive)"
	}
	if r := c.Relative; r != nil {
		return s + " " + r.String() // its count is the request's value
	}
	for _, v := range c.Given.Values {
		s += " " + jsonWords(v)
	}
	if c.Given.Value != nil {
		s += " " + jsonWords(c.Given.Value)
	}
	return s
}

// tiebreaker orders detail rows completely: by the table's primary key if
// it is a result column, else by every result column.
func (p *planner) tiebreaker(items []sqlast.Item) []sqlast.Order {
	outs := p.q.Fields
	for i, it := range items {
		if c, ok := it.X.(sqlast.Col); ok && c.Alias == sqlast.BaseAlias {
			f := p.q.Table.Field(fieldByColumn(p.q.Table, c.Column))
			if f != nil && f.SemanticType == "type/PK" && (len(outs) == 0 || outs[i].Bucket == "") {
				return []sqlast.Order{{Ordinal: i + 1, Text: f.Type.Kind == semantic.KindText}}
			}
		}
	}
	out := make([]sqlast.Order, len(items))
	for i, it := range items {
		out[i] = sqlast.Order{Ordinal: i + 1, Text: it.Text}
	}
	return out
}

func fieldByColumn(t *semantic.Table, column string) string {
	for _, f := range t.Fields {
		if f.Column == column {
			return f.Name
		}
	}
	return ""
}

// visibleRows keeps a semi-join of a model filter, and each one nested in
// it, to the rows of its table the caller may see.
func (p *planner) visibleRows(sj sqlast.SemiJoin, err *error) sqlast.SemiJoin {
	cond := sqlast.Rewrite(sj.Cond, func(n sqlast.Expr) sqlast.Expr {
		if inner, ok := n.(sqlast.SemiJoin); ok {
			return p.visibleRows(inner, err)
		}
		return n
	})
	target := sj.FK.References.Table
	fields := ownFields(cond)
	p.reads = append(p.reads, TableRead{Table: target, Fields: fields})
	f, ferr := p.a.RowFilter(target, fields)
	if ferr != nil && *err == nil {
		*err = ferr
	}
	return sqlast.SemiJoin{FK: sj.FK, Cond: sqlast.AndOf(cond, f)}
}

// ownFields lists the fields of its own table a condition reads: its Refs
// outside semi-joins, and the foreign key of each semi-join.
func ownFields(e sqlast.Expr) []*semantic.Field {
	var out []*semantic.Field
	sqlast.Rewrite(e, func(x sqlast.Expr) sqlast.Expr {
		var f *semantic.Field
		switch x := x.(type) {
		case sqlast.Ref:
			f = x.Field
		case sqlast.SemiJoin:
			f = x.FK
		}
		if f != nil && !slices.Contains(out, f) {
			out = append(out, f)
		}
		return x
	})
	return out
}

// condition translates a filter.
func (p *planner) condition(cond Condition) (sqlast.Expr, error) {
	if cond.Tree != "" {
		return p.tree(cond)
	}
	if cond.Segment != nil {
		return p.modelFilter(cond.Segment.Filter)
	}
	cond, ok, err := p.bindCaller(cond)
	if err != nil || !ok {
		return sqlast.False, err // the caller has no such value: no row, never IS NULL
	}
	if cond.Op == "between" {
		lo, hi := cond, cond
		lo.Op, lo.Values = "greater-than-or-equal", cond.Values[:1]
		hi.Op, hi.Values = "less-than-or-equal", cond.Values[1:]
		from, err := p.condition(lo)
		if err != nil {
			return nil, err
		}
		to, err := p.condition(hi)
		return sqlast.AndOf(from, to), err
	}
	col := cond.Column
	k := col.Wide.Field.Type.Kind
	raw := p.use(col.Wide)
	if cond.Relative != nil {
		return p.relative(raw, k, cond)
	}
	orNull := func(e sqlast.Expr) sqlast.Expr { return sqlast.OrOf(e, sqlast.IsNull{X: raw}) }
	params := func() []sqlast.Expr {
		out := make([]sqlast.Expr, len(cond.Values))
		for i, v := range cond.Values {
			out[i] = sqlast.Param{Value: p.paramValue(v)}
		}
		return out
	}
	switch cond.Op {
	case "is-null":
		return sqlast.IsNull{X: raw}, nil
	case "is-not-null":
		return sqlast.IsNull{X: raw, Not: true}, nil
	case "string-is-empty":
		return sqlast.OrOf(sqlast.IsNull{X: raw}, sqlast.Bin{Op: "=", L: raw, R: sqlast.Param{Value: ""}}), nil
	case "string-is-not-empty":
		return sqlast.AndOf(sqlast.IsNull{X: raw, Not: true}, sqlast.Bin{Op: "<>", L: raw, R: sqlast.Param{Value: ""}}), nil
	case "is-true":
		return sqlast.Bin{Op: "=", L: raw, R: sqlast.True}, nil
	case "is-false":
		return sqlast.Bin{Op: "=", L: raw, R: sqlast.False}, nil
	case "string-contains", "string-not-contains", "string-starts-with", "string-ends-with":
		fn := map[string]sqlast.FnOp{"string-contains": sqlast.FnContains, "string-not-contains": sqlast.FnContains,
			"string-starts-with": sqlast.FnStartsWith, "string-ends-with": sqlast.FnEndsWith}[cond.Op]
		var match sqlast.Expr
		fold := func(x sqlast.Expr) sqlast.Expr {
			if cond.CaseSensitive {
				return x
			}
			return sqlast.Call{Name: "lower", Args: []sqlast.Expr{x}}
		}
		if vals := params(); len(vals) == 1 {
			match = sqlast.Fn{Op: fn, Args: []sqlast.Expr{fold(raw), fold(vals[0])}}
		} else {
			patterns := make([]string, len(cond.Values))
			for i, v := range cond.Values {
				patterns[i] = v.(string)
			}
			match = sqlast.MatchesAny{X: raw, Func: fn, Patterns: patterns, CaseSensitive: cond.CaseSensitive}
		}
		if cond.Op == "string-not-contains" {
			return orNull(sqlast.Not{X: match}), nil
		}
		return match, nil
	}
	if b, ok := extractionOps[strings.Replace(cond.Op, "-not-equals", "-equals", 1)]; ok {
		x := p.extract(raw, k, b)
		return p.compare(x, cond.Op, cond, raw, true), nil
	}
	if col.Bucket.Extracts() {
		return p.compare(p.extract(raw, k, col.Bucket), cond.Op, cond, raw, true), nil
	}
	if k.IsTemporal() {
		return p.temporal(raw, k, cond), nil
	}
	return p.compare(raw, cond.Op, cond, raw, false), nil
}

// having translates the request's conditions on its aggregations, with
// SQL's NULLs: an aggregate that is NULL meets none but is-null.
func (p *planner) having() sqlast.Expr {
	var out []sqlast.Expr
	for _, h := range p.q.Having {
		x := p.aggExprs[h.Aggregation]
		param := func(i int) sqlast.Expr { return sqlast.Param{Value: h.Values[i]} }
		switch h.Op {
		case "is-null":
			out = append(out, sqlast.IsNull{X: x})
		case "is-not-null":
			out = append(out, sqlast.IsNull{X: x, Not: true})
		case "between":
			out = append(out, sqlast.AndOf(sqlast.Bin{Op: ">=", L: x, R: param(0)}, sqlast.Bin{Op: "<=", L: x, R: param(1)}))
		default:
			op := map[string]string{"equals": "=", "not-equals": "<>", "greater-than": ">", "greater-than-or-equal": ">=",
				"less-than": "<", "less-than-or-equal": "<="}[h.Op]
			out = append(out, sqlast.Bin{Op: op, L: x, R: param(0)})
		}
	}
	if len(out) == 0 {
		return nil
	}
	return sqlast.AndOf(out...)
}

// tree translates a filter of filters: SQL's AND, OR and NOT, with SQL's
// NULLs (a part that is unknown makes NOT of it unknown too).
func (p *planner) tree(cond Condition) (sqlast.Expr, error) {
	parts := make([]sqlast.Expr, len(cond.Parts))
	for i, part := range cond.Parts {
		x, err := p.condition(part)
		if err != nil {
			return nil, err
		}
		parts[i] = x
	}
	switch cond.Tree {
	case "and":
		return sqlast.AndOf(parts...), nil
	case "or":
		return sqlast.OrOf(parts...), nil
	}
	return sqlast.Not{X: parts[0]}, nil
}

// bindCaller binds a condition's values that refer to the caller, if it
// has any; false when the caller has no such value (the condition then
// matches no row).
func (p *planner) bindCaller(cond Condition) (Condition, bool, error) {
	if !slices.ContainsFunc(cond.Values, func(v any) bool { _, ok := v.(CallerValue); return ok }) {
		return cond, true, nil
	}
	values, ok, err := p.callerValues(cond)
	if ok {
		cond.Values = values
	}
	return cond, ok, err
}

// callerValues binds a condition's values that refer to the caller to
// theirs, typed for the column; a list attribute gives each of its items
// (equals and not-equals). false when the caller has no such value.
func (p *planner) callerValues(cond Condition) ([]any, bool, error) {
	co := &compiler{c: p.c, a: p.a}
	var out []any
	for _, v := range cond.Values {
		ref, ok := v.(CallerValue)
		if !ok {
			out = append(out, v)
			continue
		}
		raw, ok := p.callerLookup(ref.Path)
		if !ok {
			return nil, false, nil
		}
		items := []any{raw}
		if list, isList := raw.([]any); isList {
			if cond.Op != "equals" && cond.Op != "not-equals" {
				return nil, false, invalid("", `{"user": %q} is a list for you: it applies to equals and not-equals, not %s`, ref.Path, cond.Op)
			}
			if len(list) == 0 {
				return nil, false, nil
			}
			items = list
		}
		for _, item := range items {
			typed, err := co.value(cond, item, fmt.Sprintf(`{"user": %q}`, ref.Path))
			if err != nil {
				return nil, false, err
			}
			out = append(out, typed)
		}
	}
	return out, true, nil
}

// callerLookup is the caller's value at a CallerValue's path.
func (p *planner) callerLookup(path string) (any, bool) {
	if name, ok := strings.CutPrefix(path, "attributes."); ok {
		attrs, _ := p.opts.Caller["user.attributes"].(map[string]any)
		v, ok := attrs[name]
		return v, ok && v != nil
	}
	v, ok := p.opts.Caller["user."+path].(string)
	return v, ok && v != ""
}

// extract is a part of a temporal column; year-equals extracts the year.
func (p *planner) extract(raw sqlast.Expr, k semantic.Kind, b Bucket) sqlast.Expr {
	if b == Year {
		return sqlast.Fn{Op: sqlast.FnExtract, Arg: string(Year), Args: []sqlast.Expr{p.local(raw, k)}}
	}
	return p.bucketed(raw, k, b)
}

// compare applies a comparison to x, whose NULLs are raw's: not-equals
// keeps rows where the field is NULL, as Metabase does.
func (p *planner) compare(x sqlast.Expr, op string, cond Condition, raw sqlast.Expr, extracted bool) sqlast.Expr {
	vals := make([]sqlast.Expr, len(cond.Values))
	for i, v := range cond.Values {
		vals[i] = sqlast.Param{Value: p.paramValue(v)}
	}
	switch {
	case strings.HasSuffix(op, "not-equals"):
		if len(vals) == 1 {
			return sqlast.OrOf(sqlast.Bin{Op: "<>", L: x, R: vals[0]}, sqlast.IsNull{X: raw})
		}
		return sqlast.OrOf(sqlast.Not{X: sqlast.OneOf(x, cond.Values, vals)}, sqlast.IsNull{X: raw})
	case strings.HasSuffix(op, "equals"):
		if len(vals) == 1 {
			return sqlast.Bin{Op: "=", L: x, R: vals[0]}
		}
		return sqlast.OneOf(x, cond.Values, vals)
	}
	sym := map[string]string{"greater-than": ">", "greater-than-or-equal": ">=", "less-than": "<", "less-than-or-equal": "<="}[op]
	if cond.Column.Bucket == "" && cond.Column.Wide.Field.Type.Kind == semantic.KindText && !extracted {
		x = sqlast.Fn{Op: sqlast.FnBytewise, Args: []sqlast.Expr{x}} // text compares byte by byte
	}
	return sqlast.Bin{Op: sym, L: x, R: vals[0]}
}

// temporal compares a date or timestamp column with moments, as ranges of
// the raw column, so that they stay range scans.
func (p *planner) temporal(raw sqlast.Expr, k semantic.Kind, cond Condition) sqlast.Expr {
	ranges := make([][2]sqlast.Expr, len(cond.Values))
	for i, v := range cond.Values {
		lo, hi := p.period(v.(Moment))
		ranges[i] = [2]sqlast.Expr{sqlast.Param{Value: p.bound(lo, k)}, sqlast.Param{Value: p.bound(hi, k)}}
	}
	within := func(r [2]sqlast.Expr) sqlast.Expr {
		return sqlast.AndOf(sqlast.Bin{Op: ">=", L: raw, R: r[0]}, sqlast.Bin{Op: "<", L: raw, R: r[1]})
	}
	// Several values: their ranges, each end bound as one list.
	several := func() sqlast.Expr {
		lo, hi := make([]time.Time, len(ranges)), make([]time.Time, len(ranges))
		for i, r := range ranges {
			lo[i], hi[i] = r[0].(sqlast.Param).Value.(time.Time), r[1].(sqlast.Param).Value.(time.Time)
		}
		return sqlast.InRanges{X: raw, Lo: lo, Hi: hi, Type: sqlTemporalType(k)}
	}
	switch cond.Op {
	case "equals":
		if len(ranges) > 1 {
			return several()
		}
		return within(ranges[0])
	case "not-equals":
		if len(ranges) > 1 {
			return sqlast.OrOf(sqlast.Not{X: several()}, sqlast.IsNull{X: raw})
		}
		return sqlast.OrOf(sqlast.Bin{Op: "<", L: raw, R: ranges[0][0]}, sqlast.Bin{Op: ">=", L: raw, R: ranges[0][1]}, sqlast.IsNull{X: raw})
	case "greater-than":
		return sqlast.Bin{Op: ">=", L: raw, R: ranges[0][1]}
	case "greater-than-or-equal":
		return sqlast.Bin{Op: ">=", L: raw, R: ranges[0][0]}
	case "less-than":
		return sqlast.Bin{Op: "<", L: raw, R: ranges[0][0]}
	}
	return sqlast.Bin{Op: "<", L: raw, R: ranges[0][1]} // less-than-or-equal
}

// sqlTemporalType is the SQL type of the bounds compared with a column of
// kind k.
func sqlTemporalType(k semantic.Kind) sqlast.Type {
	switch k {
	case semantic.KindDate:
		return sqlast.TypeDate
	case semantic.KindDateTimeTZ:
		return sqlast.TypeTimestampTZ
	}
	return sqlast.TypeTimestamp
}

// paramValue is the bound form of a typed filter value.
func (p *planner) paramValue(v any) any {
	switch x := v.(type) {
	case TimeOfDay:
		return time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC).Add(x.Duration)
	}
	return v
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
