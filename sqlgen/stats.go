package sqlgen

import (
	"github.com/agentlayer/agentlayer/semantic"
	"github.com/agentlayer/agentlayer/sqlgen/sqlast"
)

// The statistics a Statistics plan computes, by result column name.
const (
	StatRows          = "rows"
	StatDistinctCount = "distinct_count"
	StatNonNull       = "non_null"
	StatMin           = "min"
	StatMax           = "max"
	StatAvg           = "avg"
	StatQ1            = "q1"
	StatQ3            = "q3"
	StatSD            = "sd"
	StatAverageLength = "average_length"
	StatPercentEmail  = "percent_email"
	StatPercentURL    = "percent_url"
	StatPercentJSON   = "percent_json"
	StatPercentState  = "percent_state"
	StatEarliest      = "earliest"
	StatLatest        = "latest"
)

// usStates are the codes and names percent_state recognises.
var usStates = []string{
	"AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS",
	"KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY",
	"NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV",
	"WI", "WY", "DC",
	"Alabama", "Alaska", "Arizona", "Arkansas", "California", "Colorado", "Connecticut", "Delaware",
	"Florida", "Georgia", "Hawaii", "Idaho", "Illinois", "Indiana", "Iowa", "Kansas", "Kentucky",
	"Louisiana", "Maine", "Maryland", "Massachusetts", "Michigan", "Minnesota", "Mississippi",
	"Missouri", "Montana", "Nebraska", "Nevada", "New Hampshire", "New Jersey", "New Mexico",
	"New York", "North Carolina", "North Dakota", "Ohio", "Oklahoma", "Oregon", "Pennsylvania",
	"Rhode Island", "South Carolina", "South Dakota", "Tennessee", "Texas", "Utah", "Vermont",
	"Virginia", "Washington", "West Virginia", "Wisconsin", "Wyoming",
}

// Statistics plans the statistics of one column over the rows of its table
// the caller may see: one row, its columns named by the Stat constants.
// Every column has rows, distinct_count and non_null; numbers add min, max,
// avg, q1, q3 and sd; text adds average_length and the percent_ shares
// (of non-null values); dates and timestamps add earliest and latest.
func Statistics(c *Catalog, a Access, t *semantic.Table, col QueryField, opts Options) (*Plan, error) {
	q := &Query{Table: t, DetailRows: true}
	p := newPlanner(c, a, q, opts)
	x := p.use(col.Wide)
	k := col.Wide.Field.Type.Kind
	if m, ok := a.Mask(col.Wide.Field); ok && m.Fn.Name == MaskHash {
		k = semantic.KindText // the statistics of the hashes
	}
	sel := &selectStmt{Select: sqlast.Select{From: t, Limit: 1}}
	plan := &Plan{Query: q, opts: p.opts}
	add := func(name string, e sqlast.Expr, kind semantic.Kind) {
		sel.Items = append(sel.Items, sqlast.Item{X: e, As: name})
		plan.Outputs = append(plan.Outputs, Output{Name: name, Kind: kind, BaseType: kind.BaseType()})
	}
	share := func(cond sqlast.Expr) sqlast.Expr {
		return sqlast.Agg{Func: "avg", Arg: sqlast.Case{Whens: []sqlast.When{{Cond: cond, Then: sqlast.Float(1)}}, Else: sqlast.Float(0)}, Filter: sqlast.IsNull{X: x, Not: true}}
	}
	add(StatRows, sqlast.Agg{Func: "count"}, semantic.KindBigInteger)
	add(StatDistinctCount, sqlast.Agg{Func: "count", Arg: x, Distinct: true}, semantic.KindBigInteger)
	add(StatNonNull, sqlast.Agg{Func: "count", Arg: x}, semantic.KindBigInteger)
	switch {
	case k.IsNumeric():
		n := x
		if k == semantic.KindFloat {
			// Over the finite values: a NaN or an infinity would make
			// every statistic NaN, and DuckDB's deviation an error.
			n = sqlast.Case{Whens: []sqlast.When{{Cond: sqlast.Fn{Op: sqlast.FnFinite, Args: []sqlast.Expr{x}}, Then: x}}, Else: sqlast.Null}
		}
		add(StatMin, sqlast.Agg{Func: "min", Arg: n}, semantic.KindFloat)
		add(StatMax, sqlast.Agg{Func: "max", Arg: n}, semantic.KindFloat)
		add(StatAvg, sqlast.Agg{Func: "avg", Arg: n}, semantic.KindFloat)
		add(StatQ1, sqlast.Fn{Op: sqlast.FnQuantile, Arg: "0.25", Args: []sqlast.Expr{n}}, semantic.KindFloat)
		add(StatQ3, sqlast.Fn{Op: sqlast.FnQuantile, Arg: "0.75", Args: []sqlast.Expr{n}}, semantic.KindFloat)
		add(StatSD, sqlast.Agg{Func: "stddev_pop", Arg: n}, semantic.KindFloat)
	case k == semantic.KindText:
		add(StatAverageLength, sqlast.Agg{Func: "avg", Arg: sqlast.Call{Name: "length", Args: []sqlast.Expr{x}}}, semantic.KindFloat)
		add(StatPercentEmail, share(sqlast.Fn{Op: sqlast.FnRegexpFull, Arg: `[^@\s]+@[^@\s]+\.[^@\s]+`, Args: []sqlast.Expr{x}}), semantic.KindFloat)
		add(StatPercentURL, share(sqlast.Fn{Op: sqlast.FnRegexpFull, Arg: `(https?|ftp)://[^\s/$.?#][^\s]*`, Args: []sqlast.Expr{x}}), semantic.KindFloat)
		add(StatPercentJSON, share(sqlast.AndOf(sqlast.Fn{Op: sqlast.FnRegexp, Arg: `^\s*[\[{]`, Args: []sqlast.Expr{x}}, sqlast.Fn{Op: sqlast.FnJSONValid, Args: []sqlast.Expr{x}})), semantic.KindFloat)
		states := make([]sqlast.Expr, len(usStates))
		for i, s := range usStates {
			states[i] = sqlast.Constant(s)
		}
		add(StatPercentState, share(sqlast.In{X: x, List: states}), semantic.KindFloat)
	case k.IsTemporal():
		add(StatEarliest, sqlast.Agg{Func: "min", Arg: x}, k)
		add(StatLatest, sqlast.Agg{Func: "max", Arg: x}, k)
	}
	if err := p.finish(plan, sel, nil); err != nil {
		return nil, err
	}
	return plan, nil
}

// Values plans the most frequent values of one column over the rows the
// caller may see, most frequent first: the column and its count.
func Values(c *Catalog, a Access, t *semantic.Table, col QueryField, limit int, opts Options) (*Plan, error) {
	q := &Query{
		Table:        t,
		GroupBy:      []QueryField{col},
		Aggregations: []Aggregate{{Func: semantic.AggCount, Sort: "desc"}},
		Filters:      []Condition{{Column: col, Op: "is-not-null"}},
		Limit:        limit,
		DetailRows:   true,
	}
	return q.Plan(c, a, opts)
}
