package engine

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/agentlayer/agentlayer/auth"
	"github.com/agentlayer/agentlayer/permissions"
	"github.com/agentlayer/agentlayer/semantic"
	"github.com/agentlayer/agentlayer/sqlgen"
)

// DataRange is the span of a table's default time dimension over the rows
// the caller sees in detail, written as answers write times: what "the
// last 30 days of data" counts from when the data stopped before now.
type DataRange struct {
	From any `json:"from"`
	To   any `json:"to"`
}

// rangeTTL is how long a data range is kept: writes by others show after
// it at most, as the result cache's answers do.
const rangeTTL = 5 * time.Minute

// ranges keeps the data ranges computed, by their plan's digest (the
// caller's row rules and attribute values are in it).
type ranges struct {
	mu sync.Mutex
	m  map[[32]byte]rangeEntry
}

type rangeEntry struct {
	r  *DataRange
	at time.Time
}

func (rs *ranges) clear() {
	rs.mu.Lock()
	rs.m = nil
	rs.mu.Unlock()
}

// dataRanges sets the data range of each table of c whose default time
// dimension the caller sees, but when the database cannot answer.
func (e *Engine) dataRanges(ctx context.Context, s *state, g *permissions.Grant, c *Context) {
	for i := range c.Tables {
		t := s.model.Table(c.Tables[i].ID)
		if t == nil || t.TimeDimension == nil || c.Tables[i].DefaultTimeDimensionFieldID == nil {
			continue
		}
		if r, err := e.dataRange(ctx, s, g, t); err == nil {
			c.Tables[i].DataRange = r
		}
	}
}

// dataRange is the min and max of t's default time dimension over the rows
// g reads in detail; under an aggregate grant, the first and last of its
// time_granularity's groups the grant shows (those of min_group_size rows
// or more), as a query grouped by that unit would answer: a range to the
// second would tell apart the rows the grant keeps together.
func (e *Engine) dataRange(ctx context.Context, s *state, g *permissions.Grant, t *semantic.Table) (*DataRange, error) {
	col := sqlgen.QueryField{Wide: t.Own(t.TimeDimension)}
	q := &sqlgen.Query{Table: t, DetailRows: true, Aggregations: []sqlgen.Aggregate{
		{Func: semantic.AggMin, Column: &col}, {Func: semantic.AggMax, Column: &col}}}
	rs := tableRestrictions(g, t)
	if len(rs) == 0 || rs[0].Aggregate == nil {
		return e.rangeOf(ctx, s, g, q)
	}
	col.Bucket = sqlgen.Bucket(rs[0].Aggregate.TimeGranularity)
	group := func(desc bool) *sqlgen.Query {
		return &sqlgen.Query{Table: t, GroupBy: []sqlgen.QueryField{col}, Limit: 1,
			Aggregations: []sqlgen.Aggregate{{Func: semantic.AggCount}},
			OrderBy:      []sqlgen.Ordering{{Column: col, Desc: desc}}}
	}
	first, err := e.rangeOf(ctx, s, g, group(false))
	if err != nil || first == nil {
		return nil, err
	}
	last, err := e.rangeOf(ctx, s, g, group(true))
	if err != nil || last == nil {
		return nil, err
	}
	return &DataRange{From: first.From, To: last.From}, nil
}

// rangeOf runs q, kept for rangeTTL by its SQL, and gives its first row's
// first two values (the second, the first's when q has one column); nil
// when q answers no row or a NULL.
func (e *Engine) rangeOf(ctx context.Context, s *state, g *permissions.Grant, q *sqlgen.Query) (*DataRange, error) {
	plan, err := q.Plan(s.catalog, g, e.planOpts)
	if err != nil {
		return nil, err
	}
	sqlText, args := plan.SQL()
	key := planDigest(fmt.Sprint(s.version.Generation, sqlText), args)
	e.ranges.mu.Lock()
	if en, ok := e.ranges.m[key]; ok && time.Since(en.at) < rangeTTL {
		e.ranges.mu.Unlock()
		return en.r, nil
	}
	e.ranges.mu.Unlock()
	rows, err := e.run(ctx, plan, sqlText, args, nil)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var r *DataRange
	if rows.Next() {
		if row := rows.Row(); row[0] != nil {
			r = &DataRange{From: row[0], To: row[len(row)-1]}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	e.ranges.mu.Lock()
	if e.ranges.m == nil {
		e.ranges.m = map[[32]byte]rangeEntry{}
	}
	e.ranges.m[key] = rangeEntry{r: r, at: time.Now()}
	e.ranges.mu.Unlock()
	return r, nil
}

// RelativeNote says, for a query with a relative filter counted from now
// (last, next, current, since, before) over a table whose data, as p sees
// it, ends more than a day before now, that the filter counts from now and
// where the data ends, naming anchor latest; "" otherwise. An agent asked
// for "the last 30 days of data" then sees why the answer is empty.
func (e *Engine) RelativeNote(ctx context.Context, p *auth.Principal, q *Query) string {
	if q == nil || q.q == nil || q.q.Metric != nil && q.q.Table == nil {
		return ""
	}
	fromNow := false
	var walk func(cs []sqlgen.Condition)
	walk = func(cs []sqlgen.Condition) {
		for _, c := range cs {
			if r := c.Relative; r != nil && !r.Latest {
				fromNow = true
			}
			walk(c.Parts)
		}
	}
	walk(q.q.Filters)
	if !fromNow {
		return ""
	}
	s := q.s
	g, err := s.grant(p)
	if err != nil {
		return ""
	}
	t := q.q.Table
	if t.TimeDimension == nil || !g.Field(t.TimeDimension) {
		return ""
	}
	r, err := e.dataRange(forUser(ctx, p), s, g, t)
	if err != nil || r == nil {
		return ""
	}
	end, ok := r.To.(string)
	if !ok {
		return ""
	}
	at, err := time.Parse(time.RFC3339Nano, end)
	now := e.planOpts.Now()
	if err != nil || now.Sub(at) < 24*time.Hour {
		return ""
	}
	return fmt.Sprintf("The relative filter counts from now (%s), but %s's data, as you see it, ends at %s: to count from the data's end, give the filter anchor latest.",
		now.In(e.zone).Format(time.RFC3339), t.Name, end)
}
