package sqlgen

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/agentlayer/agentlayer/semantic"
)

// Query is a validated construct request: every id resolved against the
// model as the caller sees it, every value typed. It names no SQL; Plan
// turns it into SQL for a caller.
type Query struct {
	Table  *semantic.Table
	Metric *semantic.Metric // nil for a table query

	Filters      []Condition
	Fields       []QueryField // columns of a detail query; empty means every visible field
	Aggregations []Aggregate
	GroupBy      []QueryField
	OrderBy      []Ordering
	// Having are conditions on the aggregations (SQL's HAVING).
	Having []HavingCond
	// Limit is the requested row limit; 0 means the default.
	Limit int
	// DetailRows plans an aggregated query over the detail rows only,
	// never an aggregate grant's: field values, statistics, a field's
	// latest value.
	DetailRows bool
}

// Aggregated reports whether the query groups or aggregates.
func (q *Query) Aggregated() bool {
	return q.Metric != nil || len(q.Aggregations) > 0 || len(q.GroupBy) > 0
}

// QueryField is an entry of the wide column list, optionally bucketed.
type QueryField struct {
	Wide   semantic.WideField
	Bucket Bucket
	ID     string // the field id as the request gave it: t1-5 or c2-5
}

// Condition is one filter: a segment, or an operation on a column.
type Condition struct {
	Segment *semantic.Segment
	Column  QueryField
	Op      string
	// Values are typed for the column: int64, float64, string, bool, or
	// Moment for dates and timestamps, int64 for extracted parts.
	Values []any
	// Given is the filter's value or values as the request gave them, so
	// that the query can be written back as a request (a query token).
	Given Filter
	// Relative is a relative filter's period (Op last, next, current).
	Relative *Relative
	// CaseSensitive makes a string operation tell case apart.
	CaseSensitive bool
	// Tree is "and", "or" or "not" for a filter of filters, its Parts.
	Tree  string
	Parts []Condition
}

// Aggregate is one aggregation of a table query, or a metric's.
type Aggregate struct {
	Func    semantic.AggFunc
	Column  *QueryField // nil for count
	Measure *semantic.Measure
	Sort    string // "", "asc" or "desc"
	// Filter restricts the rows the aggregation reads; nil for all.
	Filter *Condition
}

// HavingCond is a condition on an aggregation (its index): Op is a
// comparison, between, is-null or is-not-null; Values are numbers.
type HavingCond struct {
	Aggregation int
	Op          string
	Values      []any
	Given       Having
}

// Ordering sorts by a column, or by an aggregation (its index).
type Ordering struct {
	Column      QueryField
	Aggregation *int
	Desc        bool
	NullsFirst  bool
}

// direction says an ordering's direction in words: "asc", "desc nulls
// first".
func (o Ordering) direction() string {
	dir := "asc"
	if o.Desc {
		dir = "desc"
	}
	if o.NullsFirst {
		dir += " nulls first"
	}
	return dir
}

// index is a request path of a list item: filters[2].
func index(list string, i int) string { return list + "[" + strconv.Itoa(i) + "]" }

// compiler resolves one request.
type compiler struct {
	c      *Catalog
	a      Access
	prefix semantic.IDPrefix
	table  *semantic.Table
}

// Compile validates req against the catalog as access sees it. A table,
// field, segment or measure the caller may not see is reported exactly as
// one that does not exist. Errors are *Error.
func Compile(c *Catalog, a Access, req *Request) (*Query, error) {
	co := &compiler{c: c, a: a}
	q, err := co.base(req)
	if err != nil {
		return nil, err
	}
	if req.Limit < 0 {
		return nil, invalid("limit", "limit must be a positive integer, not %d", req.Limit)
	}
	q.Limit = req.Limit
	for i, f := range req.Filters {
		cond, err := co.filter(f, index("filters", i))
		if err != nil {
			return nil, err
		}
		q.Filters = append(q.Filters, cond)
	}
	for i, f := range req.Fields {
		col, err := co.bucketed(f.FieldID, f.Bucket, index("fields", i), "", ".bucket", false)
		if err != nil {
			return nil, err
		}
		q.Fields = append(q.Fields, col)
	}
	for i, g := range req.GroupBy {
		col, err := co.bucketed(g.FieldID, g.FieldGranularity, index("group_by", i), "", ".field_granularity", true)
		if err != nil {
			return nil, err
		}
		q.GroupBy = append(q.GroupBy, col)
	}
	if q.Metric != nil {
		q.Aggregations = []Aggregate{{Func: q.Metric.Aggregation.Func, Measure: q.Metric.Measure}}
		if f := q.Metric.Aggregation.Field; f != nil {
			q.Aggregations[0].Column = &QueryField{Wide: q.Table.Own(f), ID: co.prefix.ID(q.Table.Own(f).Index)}
		}
		if len(req.Aggregations) == 1 {
			q.Aggregations[0].Sort = req.Aggregations[0].SortOrder
		}
	}
	for i, ag := range req.Aggregations {
		if q.Metric != nil {
			break // its sort, taken above
		}
		agg, err := co.aggregation(ag, index("aggregations", i))
		if err != nil {
			return nil, err
		}
		q.Aggregations = append(q.Aggregations, agg)
	}
	if len(q.Fields) > 0 && q.Aggregated() {
		return nil, invalid("fields", "fields cannot be combined with aggregations or group_by: an aggregated query returns its group_by columns and aggregations")
	}
	if err := checkCost(q); err != nil {
		return nil, err
	}
	for i, h := range req.Having {
		hc, err := co.having(q, h, index("having", i))
		if err != nil {
			return nil, err
		}
		q.Having = append(q.Having, hc)
	}
	for i, o := range req.OrderBy {
		ord, err := co.ordering(q, o, index("order_by", i))
		if err != nil {
			return nil, err
		}
		q.OrderBy = append(q.OrderBy, ord)
	}
	return q, nil
}

// MaxCost bounds the work one request may ask of the database beyond
// what its caps bound one by one: count-distinct aggregations × (group_by
// columns + 1). A count-distinct keeps a set of values per group, and
// the work of the sets grows with their product: measured on the sample
// at scale 1 (18,760 orders, 2 cores) at about 2 ms per unit, linear in
// the rows, so that 64 units of a table of 2 million rows take about 13 s,
// well within the 30 s query timeout, while 50 × (20 + 1), which the caps
// alone allow, takes minutes and would hold a slot to its timeout.
const MaxCost = 64

// checkCost refuses a request past MaxCost.
func checkCost(q *Query) error {
	distinct := 0
	for _, ag := range q.Aggregations {
		if ag.Func == semantic.AggCountDistinct {
			distinct++
		}
	}
	if cost := distinct * (len(q.GroupBy) + 1); cost > MaxCost {
		return invalid("aggregations", "this request asks for %d count-distinct aggregations over %d group_by columns: its cost, %d × (%d + 1) = %d, is past %d, the most one request may ask (each count-distinct keeps a set of values per group); ask for fewer at once",
			distinct, len(q.GroupBy), distinct, len(q.GroupBy), cost, MaxCost)
	}
	return nil
}

// base resolves the request's table or metric, the one the caller may see.
func (co *compiler) base(req *Request) (*Query, error) {
	c, a := co.c, co.a
	switch {
	case req.TableID != 0: // with a metric_id too, the table wins, as in Metabase
		t := c.Model.Table(req.TableID)
		if t == nil {
			return nil, NotFound("table_id", "No table found with table_id %d", req.TableID)
		}
		if !a.Table(t) {
			return nil, Forbidden("table_id", ReasonTable)
		}
		co.table, co.prefix = t, semantic.TablePrefix(t.ID)
		return &Query{Table: t}, nil
	case req.MetricID != 0:
		m := c.Model.Metric(req.MetricID)
		if m == nil {
			return nil, NotFound("metric_id", "No metric found with metric_id %d", req.MetricID)
		}
		if !c.MetricVisible(a, m) {
			return nil, Forbidden("metric_id", ReasonMetric)
		}
		if len(req.Fields) > 0 {
			return nil, invalid("fields", "a metric query has no fields: its aggregation is fixed; use group_by")
		}
		if err := metricSort(m, req.Aggregations); err != nil {
			return nil, err
		}
		co.table, co.prefix = m.Table, semantic.MetricPrefix(m.ID)
		return &Query{Table: m.Table, Metric: m}, nil
	}
	return nil, invalid("", "the request needs table_id or metric_id")
}

// metricSort checks the aggregations of a metric request: none, or one
// that only sorts by the metric's value ({"sort_order": "desc"}, its
// function optional), for a top-N.
func metricSort(m *semantic.Metric, aggs []Aggregation) error {
	hint := `a metric query's aggregation is fixed: to sort by its value, give "aggregations": [{"sort_order": "desc"}]`
	switch {
	case len(aggs) == 0:
		return nil
	case len(aggs) > 1:
		return invalid("aggregations", "%s", hint)
	}
	a := aggs[0]
	if a.FieldID != "" || a.MeasureID != 0 || a.Bucket != "" || (a.Function != "" && a.Function != string(m.Aggregation.Func)) {
		return invalid("aggregations[0]", "%s", hint)
	}
	switch a.SortOrder {
	case "asc", "desc":
		return nil
	case "":
		return invalid("aggregations[0].sort_order", "%s", hint).with("asc", "desc")
	}
	return invalid("aggregations[0].sort_order", "aggregations[0].sort_order must be asc or desc, not %q", a.SortOrder).with("asc", "desc")
}

// bucketed resolves a field id and its bucket (or granularity) at path:
// the id is at path+idKey+".field_id", the bucket at path+idKey+bucketKey.
func (co *compiler) bucketed(id, bucket, path, idKey, bucketKey string, granularity bool) (QueryField, error) {
	// The paths are written for an error only: resolving again, with its
	// path, is the error's cost, not every field's.
	col, err := co.column(id, "")
	if err != nil {
		_, err = co.column(id, path+idKey+".field_id")
		return QueryField{}, err
	}
	if bucket != "" {
		col.Bucket, err = co.bucket(col, bucket, path+idKey+bucketKey, granularity)
	}
	return col, err
}

// ordering resolves an order_by: of an aggregated query, only by one of
// its group_by fields.
// havingOps are the operations of a having.
var havingOps = []string{"equals", "not-equals", "greater-than", "greater-than-or-equal", "less-than", "less-than-or-equal", "between", "is-null", "is-not-null"}

// having compiles a condition on an aggregation.
func (co *compiler) having(q *Query, h Having, path string) (HavingCond, error) {
	if !q.Aggregated() || h.Aggregation >= len(q.Aggregations) {
		return HavingCond{}, invalid(path+".aggregation", "%s.aggregation %d is not the index of one of the request's %d aggregations", path, h.Aggregation, len(q.Aggregations))
	}
	if !slices.Contains(havingOps, h.Operation) {
		return HavingCond{}, invalid(path+".operation", "%s.operation must be one of %s, not %q", path, strings.Join(havingOps, ", "), h.Operation).with(havingOps...)
	}
	ag := q.Aggregations[h.Aggregation]
	if ag.Column != nil && (ag.Func == semantic.AggMin || ag.Func == semantic.AggMax) && !ag.Column.Wide.Field.Type.Kind.IsNumeric() {
		return HavingCond{}, invalid(path+".aggregation", "%s: a having compares numbers; aggregation %d is %s of %s", path, h.Aggregation, ag.Func, describe(*ag.Column))
	}
	vals := h.Values
	if h.Value != nil {
		vals = append([]any{h.Value}, vals...)
	}
	want := 1
	switch h.Operation {
	case "between":
		want = 2
	case "is-null", "is-not-null":
		want = 0
	}
	if len(vals) != want || (h.Value != nil && h.Values != nil) {
		return HavingCond{}, invalid(path, "%s: %s takes %d value(s)", path, h.Operation, want)
	}
	hc := HavingCond{Aggregation: h.Aggregation, Op: h.Operation, Given: h}
	for i, v := range vals {
		n, ok := number(v)
		if !ok {
			return HavingCond{}, invalid(path, "%s: value %d must be a number", path, i)
		}
		hc.Values = append(hc.Values, n)
	}
	return hc, nil
}

func (co *compiler) ordering(q *Query, o OrderBy, path string) (Ordering, error) {
	var desc, nullsFirst bool
	switch o.Direction {
	case "", "asc":
	case "desc":
		desc = true
	default:
		return Ordering{}, invalid(path+".direction", "%s.direction must be asc or desc, not %q", path, o.Direction).with("asc", "desc")
	}
	switch o.Nulls {
	case "", "last":
	case "first":
		nullsFirst = true
	default:
		return Ordering{}, invalid(path+".nulls", "%s.nulls must be first or last, not %q", path, o.Nulls).with("first", "last")
	}
	if o.Aggregation != nil {
		if *o.Aggregation >= len(q.Aggregations) || q.Metric != nil {
			return Ordering{}, invalid(path+".aggregation", "%s.aggregation %d is not the index of one of the request's %d aggregations", path, *o.Aggregation, len(q.Aggregations))
		}
		return Ordering{Aggregation: o.Aggregation, Desc: desc, NullsFirst: nullsFirst}, nil
	}
	col, err := co.bucketed(o.Field.FieldID, o.Field.Bucket, path, ".field", ".bucket", false)
	if err != nil {
		return Ordering{}, err
	}
	if q.Aggregated() && !slices.ContainsFunc(q.GroupBy, func(g QueryField) bool { return g.Wide.Index == col.Wide.Index }) {
		return Ordering{}, invalid(path+".field.field_id", "%s: field %s is not in group_by; an aggregated query can be ordered by its group_by fields, or by an aggregation with sort_order", path, col.ID)
	}
	return Ordering{Column: col, Desc: desc, NullsFirst: nullsFirst}, nil
}

// describe names a column for messages: t1-5 (TOTAL).
func describe(col QueryField) string {
	return fmt.Sprintf("%s (%s)", col.ID, col.Wide.Name())
}

func (co *compiler) aggregation(ag Aggregation, path string) (Aggregate, error) {
	out, err := co.aggregationOf(ag, path)
	if err != nil || ag.Filter == nil {
		return out, err
	}
	cond, err := co.filter(*ag.Filter, path+".filter")
	if err != nil {
		return out, err
	}
	out.Filter = &cond
	return out, nil
}

func (co *compiler) aggregationOf(ag Aggregation, path string) (Aggregate, error) {
	out := Aggregate{}
	switch ag.SortOrder {
	case "", "asc", "desc":
		out.Sort = ag.SortOrder
	default:
		return out, invalid(path+".sort_order", "%s.sort_order must be asc or desc, not %q", path, ag.SortOrder).with("asc", "desc")
	}
	if ag.MeasureID != 0 {
		if ag.Function != "" || ag.FieldID != "" {
			return out, invalid(path, "%s: a measure aggregation takes measure_id alone", path)
		}
		ms := co.c.Model.Measure(ag.MeasureID)
		if ms == nil || ms.Table != co.table || !co.c.MeasureVisible(co.a, ms) {
			return out, NotFound(path+".measure_id", "Measure with id %d not found", ag.MeasureID).with(co.measureIDs()...)
		}
		out.Func, out.Measure = ms.Aggregation.Func, ms
		if f := ms.Aggregation.Field; f != nil {
			out.Column = &QueryField{Wide: co.table.Own(f), ID: co.prefix.ID(co.table.Own(f).Index)}
		}
		return out, nil
	}
	funcs := make([]string, len(semantic.AggFuncs), len(semantic.AggFuncs)+1)
	for i, f := range semantic.AggFuncs {
		funcs[i] = string(f)
	}
	funcs = append(funcs, string(AggShare))
	if ag.Function == "" {
		return out, invalid(path+".function", "%s.function is required (or give measure_id)", path).with(funcs...)
	}
	if !slices.Contains(funcs, ag.Function) {
		return out, invalid(path+".function", "%s.function must be one of %s, not %q", path, strings.Join(funcs, ", "), ag.Function).with(funcs...)
	}
	out.Func = semantic.AggFunc(ag.Function)
	if out.Func == semantic.AggCount {
		return out, nil // a field_id on count is ignored, as Metabase does
	}
	if out.Func == AggShare {
		if ag.Filter == nil || ag.FieldID != "" {
			return out, invalid(path, "%s: share takes a filter alone: the share of the rows that meet it, e.g. {\"function\":\"share\",\"filter\":{\"field_id\":\"DISCOUNT\",\"operation\":\"is-not-null\"}}", path)
		}
		return out, nil
	}
	if ag.FieldID == "" {
		return out, invalid(path+".field_id", "%s: %s needs a field_id", path, ag.Function)
	}
	col, err := co.bucketed(ag.FieldID, ag.Bucket, path, "", ".bucket", false)
	if err != nil {
		return out, err
	}
	if err := semantic.CheckAggregation(out.Func, col.Wide.Field); err != nil {
		return out, invalid(path+".function", "%s: %v", path, err)
	}
	out.Column = &col
	return out, nil
}

func (co *compiler) measureIDs() []string {
	var out []string
	for _, ms := range co.table.Measures {
		if co.c.MeasureVisible(co.a, ms) {
			out = append(out, fmt.Sprintf("%d (%s)", ms.ID, ms.Name))
		}
	}
	return out
}

func (co *compiler) segmentIDs() []string {
	var out []string
	for _, s := range co.table.Segments {
		if co.c.SegmentVisible(co.a, s) {
			out = append(out, fmt.Sprintf("%d (%s)", s.ID, s.Name))
		}
	}
	return out
}

// ResolveField resolves a field reference (an id or a name) of table t
// under prefix (t<id>- for the table, c<id>- for a metric over it) as
// access a sees it; path names the reference's place in a request for
// errors. It returns the field and its canonical id.
func (c *Catalog) ResolveField(t *semantic.Table, a Access, prefix semantic.IDPrefix, ref, path string) (semantic.WideField, string, error) {
	co := &compiler{c: c, a: a, prefix: prefix, table: t}
	col, err := co.column(ref, path)
	return col.Wide, col.ID, err
}
