package engine

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/agentlayer/agentlayer/auth"
	"github.com/agentlayer/agentlayer/permissions"
	"github.com/agentlayer/agentlayer/semantic"
	"github.com/agentlayer/agentlayer/sqlgen"
)

// Column describes a column of a result, as the Agent API reports it.
type Column = sqlgen.Output

// grant returns what p may see under this set.
func (s *state) grant(p *auth.Principal) (*permissions.Grant, error) {
	if p == nil {
		return nil, errors.New("engine: no principal")
	}
	switch {
	case s.policies != nil:
		return s.policies.For(p), nil
	case s.unrestricted:
		return s.everything, nil
	}
	return s.nothing, nil
}

// Query is a construct request compiled for one caller, against the model
// being served then. It is valid across a reload: it plans and runs on the
// set it was compiled against. Its token (Token) names what it reads by
// model names.
type Query struct {
	q *sqlgen.Query
	// Paging says how Page pages the query's rows.
	Paging Paging
	// Bounds, when Max is set, make Execute answer as a SQL client asks:
	// the whole result from row Offset, to the request's limit or past the
	// engine's row caps up to Max rows, with a row past Max an error
	// (ErrTooManyRows), never a silently short answer.
	Bounds Bounds
	// Values says that the caller reads the rows' values (Rows.Values), as
	// the SQL adapter's wire does, rather than their JSON: the rows are
	// then read boxed through database/sql, whose values need no parsing
	// back from text.
	Values bool
	s      *state
}

// Bounds are the rows of a query's whole result a SQL client reads.
type Bounds struct {
	Offset int // the rows skipped
	Max    int // the most rows answered; 0: the engine's row caps apply
}

// ErrTooManyRows ends an answer that holds more rows than its query's
// Bounds allow.
var ErrTooManyRows = errors.New("the answer has more rows than allowed")

// Paging says how a query's rows are paged: whether the request's limit is
// the size of a page (Metabase's /v1/query) or the total over every page
// (page_size given; MCP), and how large a page is. Each adapter sets it;
// the engine applies it (Page). The zero value is Metabase's: the limit is
// the page size, DefaultPageSize at most, and pages go on to the row cap.
type Paging struct {
	// Size is the rows of a page; 0 means the limit, or DefaultPageSize.
	// At most MaxPageSize.
	Size int
	// LimitIsTotal makes the request's limit the total over every page
	// (the page that reaches it is the last), rather than a page's size.
	LimitIsTotal bool
}

// Policies names the policies that apply to p, grant policies first, in
// file order: what decides what p sees.
func (e *Engine) Policies(p *auth.Principal) ([]string, error) {
	g, err := e.cur.Load().grant(p)
	if err != nil {
		return nil, err
	}
	return g.Applied, nil
}

// Construct validates a construct request for p and returns its query. A
// request error is an *Error.
func (e *Engine) Construct(ctx context.Context, p *auth.Principal, req *Request) (*Query, error) {
	return e.cur.Load().construct(p, req)
}

func (s *state) construct(p *auth.Principal, req *Request) (*Query, error) {
	g, err := s.grant(p)
	if err != nil {
		return nil, err
	}
	q, err := sqlgen.Compile(s.catalog, g, req)
	if err != nil {
		return nil, err
	}
	return &Query{q: q, s: s}, nil
}

// Plan plans a query for p: the SQL it would run, with p's row filters. A
// filter counted from a field's latest value reads that value first, under
// p's rules.
func (e *Engine) Plan(ctx context.Context, p *auth.Principal, q *Query) (*Plan, error) {
	plan, _, err := e.plan(forUser(ctx, p), p, q, q.planOptions(e.planOpts))
	if err != nil {
		return nil, err
	}
	return &Plan{p: plan}, nil
}

// Plan is a query planned for one caller.
type Plan struct{ p *sqlgen.Plan }

// SQL is the plan's statement, in the engine's database's dialect, and its
// bound values in order.
func (p *Plan) SQL() (string, []any) { return p.p.SQL() }

// String prints the plan deterministically: the query, the caller's row
// filters, the SQL and its values. agentlayer explain prints it.
func (p *Plan) String() string { return p.p.String() }

// plan plans q for p, and returns p's grant, which planned it.
func (e *Engine) plan(ctx context.Context, p *auth.Principal, q *Query, opts sqlgen.Options) (*sqlgen.Plan, *permissions.Grant, error) {
	g, err := q.s.grant(p)
	if err != nil {
		return nil, nil, err
	}
	opts.Latest = func(col sqlgen.QueryField) (time.Time, bool, error) { return e.latest(ctx, q.s, g, q.q.Table, col) }
	opts.Caller = permissions.Activation(p)
	plan, err := q.q.Plan(q.s.catalog, g, opts)
	return plan, g, err
}

// latest is the latest value of a temporal column of t that g sees: the
// anchor of a filter counted from it.
func (e *Engine) latest(ctx context.Context, s *state, g *permissions.Grant, t *semantic.Table, col sqlgen.QueryField) (time.Time, bool, error) {
	col.Bucket = ""
	q := &sqlgen.Query{Table: t, Aggregations: []sqlgen.Aggregate{{Func: semantic.AggMax, Column: &col}}, DetailRows: true}
	plan, err := q.Plan(s.catalog, g, e.planOpts)
	if err != nil {
		return time.Time{}, false, err
	}
	sqlText, args := plan.SQL()
	rows, err := e.runBoxed(ctx, plan, sqlText, args)
	if err != nil {
		return time.Time{}, false, err
	}
	defer rows.Close()
	if !rows.Next() {
		return time.Time{}, false, rows.Err()
	}
	latest, ok := rows.raw(0).(time.Time)
	return latest, ok, rows.Err()
}

// Execute plans q for p and runs it. The caller must Close the rows; ctx
// cancels the query.
func (e *Engine) Execute(ctx context.Context, p *auth.Principal, q *Query) (*Rows, error) {
	ctx = forUser(ctx, p)
	if q != nil && q.Values {
		ctx = context.WithValue(ctx, valuesKey{}, true)
	}
	plan, g, err := e.plan(ctx, p, q, q.planOptions(e.planOpts))
	if err != nil {
		e.auditRefusal(ctx, p, q, err)
		return nil, err
	}
	r := render(plan)
	if b := q.Bounds; b.Max > 0 {
		sqlText, args := plan.Page(b.Offset, b.Max+1)
		r = renderedAs(plan, sqlText, args)
	}
	rows, err := e.runFor(ctx, q.s, p, g, r)
	if err != nil {
		return nil, err
	}
	rows.page = &pageOf{e: e, q: q, size: -1}
	rows.max = q.Bounds.Max
	return rows, nil
}

// planOptions are the options q is planned with: past the row caps for
// a SQL client (Bounds), the engine's own otherwise.
func (q *Query) planOptions(opts sqlgen.Options) sqlgen.Options {
	if max := q.Bounds.Max; max > 0 {
		opts.MaxRows, opts.MaxAggregatedRows = max+1, max+1
		opts.WholeResult = q.q.Limit == 0
	}
	return opts
}

// Columns are the columns the plan's answer has.
func (p *Plan) Columns() []Column { return p.p.Outputs }

// runFor runs a plan's SQL for p, through the result cache: its rows,
// with how they are restricted and what decided them, audited when they
// close.
func (e *Engine) runFor(ctx context.Context, s *state, p *auth.Principal, g *permissions.Grant, r rendered) (*Rows, error) {
	start := time.Now()
	plan := r.plan
	rows, err := e.runCached(ctx, s, r)
	if err != nil {
		e.auditFailure(ctx, p, provenance(g, plan, r.digest), err, start)
		return nil, err
	}
	rows.Restrictions = restrictions(g, plan)
	e.audited(ctx, rows, p, plan, provenance(g, plan, r.digest), start)
	return rows, nil
}

// Explanation is a query in words, as planned for its caller: what it
// reads and answers, the policies that decide what the caller sees, and
// how they limit the rows of each table it reads.
type Explanation struct {
	Words
	Policies     []string      `json:"policies"`
	Restrictions []Restriction `json:"restrictions"`
}

// Explain plans q for p and says it in words.
func (e *Engine) Explain(ctx context.Context, p *auth.Principal, q *Query) (*Explanation, error) {
	plan, g, err := e.plan(forUser(ctx, p), p, q, q.planOptions(e.planOpts))
	if err != nil {
		return nil, err
	}
	policies := g.Applied
	if policies == nil {
		policies = []string{}
	}
	return &Explanation{Words: plan.Words(), Policies: policies, Restrictions: restrictions(g, plan)}, nil
}

// Words say a planned query: where it starts, its columns, joins, filters,
// groups, order and limit.
type Words = sqlgen.Words

// Restriction says how the rows of a table an answer read are limited
// for its caller, in words the caller may read.
type Restriction = permissions.Restriction

// AggregateLimit is how an answer read under an aggregate-only grant is
// limited (Restriction.Aggregate): its minimum group size and time
// granularity, for machines.
type AggregateLimit = permissions.AggregateLimit

// restrictions are the restrictions of the tables a plan read, once
// each: for a table read under an aggregate grant, the grant's rows and,
// once, the groups the answer leaves out.
func restrictions(g *permissions.Grant, plan *sqlgen.Plan) []Restriction {
	out := []Restriction{}
	var terms permissions.AggregateTerms
	groups := true
	if plan.MinGroupSize > 0 {
		terms = permissions.AggregateTerms{MinGroupSize: plan.MinGroupSize, TimeUnit: string(plan.TimeUnit), Rows: plan.Query.Table.Name}
		for _, t := range plan.KeyTables {
			terms.Keys = append(terms.Keys, t.Name)
		}
	}
	for _, r := range plan.Reads {
		var res Restriction
		var ok bool
		if r.Aggregate && plan.MinGroupSize > 0 {
			res, ok = g.AggregateRestriction(r.Table, r.Fields, terms, groups), true
			groups = false
		} else {
			res, ok = g.Restriction(r.Table, r.Fields)
		}
		if ok && !slices.ContainsFunc(out, func(x Restriction) bool { return x.Table == res.Table && x.Text == res.Text }) {
			out = append(out, res)
		}
	}
	return out
}

// tableRestrictions say how the rows of t are limited for g, whatever a
// query reads of them: in detail, and, under an aggregate grant, for
// aggregates.
func tableRestrictions(g *permissions.Grant, t *semantic.Table) []Restriction {
	out := []Restriction{}
	if res, ok := g.Restriction(t, nil); ok {
		out = append(out, res)
	}
	if a, ok, err := g.Aggregate(t, nil); ok && err == nil {
		terms := permissions.AggregateTerms{MinGroupSize: a.MinGroup, TimeUnit: string(a.TimeUnit), Rows: t.Name}
		out = append(out, g.AggregateRestriction(t, nil, terms, true))
	}
	return out
}

// DefaultPageSize is the most rows a page holds when the request's limit
// is its page size, as in Metabase's /v1/query.
const DefaultPageSize = 200

// MaxPageSize is the most rows a page may hold.
const MaxPageSize = 2000

// pageAt is the page of q's whole result that starts at offset: its size,
// and how many rows to read for it, one more while another page may
// follow (the rows say More).
func (q *Query) pageAt(offset int) (size, fetch int) {
	limit, pg := q.q.Limit, q.Paging
	switch {
	case pg.LimitIsTotal:
		size = pg.Size
		if size <= 0 {
			size = DefaultPageSize
		}
		if limit > 0 && offset+size >= limit {
			rest := max(0, limit-offset)
			return rest, rest
		}
	case pg.Size > 0:
		size = pg.Size
	case limit > 0 && limit < DefaultPageSize:
		size = limit
	default:
		size = DefaultPageSize
	}
	return size, size + 1
}

// Page runs the page of q's whole result for p that starts at offset (0,
// or where a continuation token resumes: QueryFromToken), as q.Paging
// says: its rows end with the page, after which More reports whether
// another follows and Continuation gives its token. The order is total,
// so pages neither repeat nor skip rows. The whole result is q's up to
// its row cap (2,000 rows, or 10,000 aggregated), whatever limit the
// request gave.
func (e *Engine) Page(ctx context.Context, p *auth.Principal, q *Query, offset int) (*Rows, error) {
	ctx = forUser(ctx, p)
	opts := e.planOpts
	opts.WholeResult = true
	plan, g, err := e.plan(ctx, p, q, opts)
	if err != nil {
		e.auditRefusal(ctx, p, q, err)
		return nil, err
	}
	size, fetch := q.pageAt(offset)
	sqlText, args := plan.Page(offset, fetch)
	rows, err := e.runFor(ctx, q.s, p, g, renderedAs(plan, sqlText, args))
	if err != nil {
		return nil, err
	}
	rows.page = &pageOf{e: e, q: q, offset: offset, size: size}
	return rows, nil
}

// pageOf is where a page's rows stand in their query's whole result.
type pageOf struct {
	e      *Engine
	q      *Query
	offset int
	size   int // the rows of the page; -1: every row (Execute)
}

// Query constructs and runs a request for p in one call.
func (e *Engine) Query(ctx context.Context, p *auth.Principal, req *Request) (*Rows, error) {
	q, err := e.Construct(ctx, p, req)
	if err != nil {
		return nil, err
	}
	return e.Execute(ctx, p, q)
}

// run runs a plan's SQL in one of the engine's slots, under the query
// timeout, for the user ctx names (forUser): first the plan's guard, if it
// has one (the aggregate rules), then the plan. The rows go into a buffer
// as the database gives them, and the slot is freed when the database is
// done, not when the caller is: a caller that reads slowly holds no slot,
// only its buffer, until the query's deadline. keep, if set, is told when
// the database is done with the buffer (for the result cache), which is
// then kept whole. The rows are written as JSON as they are read, from
// DuckDB's Arrow batches (in a build with the duckdb_arrow tag: Columnar)
// or PostgreSQL's binary values (encodedQuery).
func (e *Engine) run(ctx context.Context, plan *sqlgen.Plan, sqlText string, args []any, keep func(*buffer, error)) (*Rows, error) {
	_, boxed := ctx.Value(valuesKey{}).(bool)
	return e.runWith(ctx, plan, sqlText, args, keep, e.encoded && !boxed)
}

// encodedQuery runs text so that its answer writes its own rows: on
// DuckDB as Arrow (Columnar), on PostgreSQL through pgx's own interface
// (binary values, the statement prepared once per connection); ok is false
// where neither applies, and the caller reads the answer boxed.
func (e *Engine) encodedQuery(ctx context.Context, text string, args []any, cols []Column) (encodedRows, bool, error) {
	if len(cols) == 0 {
		return nil, false, nil
	}
	switch e.be.(type) {
	case *duckBackend:
		return e.arrowQuery(ctx, text, args, cols)
	case *pgBackend:
		return e.pgxQuery(ctx, text, args, cols)
	}
	return nil, false, nil
}

// valuesKey marks, in a context, queries whose caller reads Values.
type valuesKey struct{}

// runBoxed is run through database/sql alone, whose values Rows.raw gives.
func (e *Engine) runBoxed(ctx context.Context, plan *sqlgen.Plan, sqlText string, args []any) (*Rows, error) {
	return e.runWith(ctx, plan, sqlText, args, nil, false)
}

func (e *Engine) runWith(ctx context.Context, plan *sqlgen.Plan, sqlText string, args []any, keep func(*buffer, error), encoded bool) (*Rows, error) {
	if e.db == nil {
		return nil, ErrOffline
	}
	user := userOf(ctx)
	closed, err := e.buffers.admit(user)
	if err != nil {
		e.overloaded.Add(1)
		return nil, err
	}
	release, err := e.slots.acquire(ctx, user, e.queueTimeout)
	if err != nil {
		closed()
		if errors.Is(err, ErrOverloaded) {
			e.overloaded.Add(1)
		}
		return nil, err
	}
	qctx, releaseCtx := context.WithCancelCause(ctx)
	qctx, cancel := context.WithTimeoutCause(qctx, e.queryTimeout, ErrTimeout)
	done := func() {
		releaseCtx(errReleased)
		cancel()
		release()
	}
	fail := func(err error) (*Rows, error) {
		done()
		closed()
		return nil, err
	}
	if err := e.guard(qctx, plan); err != nil {
		return fail(err)
	}
	start := time.Now()
	var ans encodedRows
	var rows *sql.Rows
	if encoded {
		if ans, encoded, err = e.encodedQuery(qctx, sqlText, args, plan.Outputs); err != nil {
			return fail(e.queryError(qctx, err, true))
		}
	}
	if !encoded {
		if rows, err = e.stmts.query(qctx, sqlText, args); err != nil {
			return fail(e.queryError(qctx, err, true))
		}
	}
	e.log.DebugContext(ctx, "query", "sql", sqlText, "params", len(args), "duration", time.Since(start), "encoded", encoded)
	f := formatter{cols: plan.Outputs, zone: e.zone}
	b := newBuffer(plan.Outputs, f, e.buffers, keep != nil)
	if keep != nil {
		b.keepLimit = e.cache.MaxEntry()
		b.onFinish = func(err error) { keep(b, err) }
	}
	deadline, _ := qctx.Deadline()
	queryErr := func(err error) error { return e.queryError(qctx, err, false) }
	if encoded {
		if f := (&encodedFill{b: b, src: ans, queryErr: queryErr, done: done}); !f.step(inlineRows) {
			go f.step(-1)
		}
	} else {
		go b.fill(rows, queryErr, done)
	}
	return &Rows{Columns: plan.Outputs, fmt: f, buf: b, ctx: ctx, deadline: deadline, at: -1,
		stop: func() { releaseCtx(errReleased) }, closed: closed}, nil
}

// guard runs a plan's guard, if it has one: the check of the aggregate
// rules that every set its answer could be told apart by is empty or
// large enough. A small set refuses the answer.
func (e *Engine) guard(ctx context.Context, plan *sqlgen.Plan) error {
	sqlText, args, ok := plan.Guard()
	if !ok {
		return nil
	}
	rows, err := e.stmts.query(ctx, sqlText, args)
	if err != nil {
		return e.queryError(ctx, err, true)
	}
	defer rows.Close()
	var set sql.NullInt64
	if rows.Next() {
		if err := rows.Scan(&set); err != nil {
			return e.queryError(ctx, err, false)
		}
	}
	if err := rows.Err(); err != nil {
		return e.queryError(ctx, err, false)
	}
	if set.Valid {
		return plan.GuardRefusal(set.Int64)
	}
	return nil
}

// userKey carries, in a context, the user queries run for: their slots
// are shared fairly between users.
type userKey struct{}

// forUser names p as the user the queries run under ctx are for.
func forUser(ctx context.Context, p *auth.Principal) context.Context {
	if p == nil {
		return ctx
	}
	return context.WithValue(ctx, userKey{}, p.Email)
}

func userOf(ctx context.Context) string {
	u, _ := ctx.Value(userKey{}).(string)
	return u
}

// errReleased is the cause a query's context ends with when the engine
// is done with it (its rows closed, or an error): not a cause to report.
var errReleased = errors.New("engine: query released")

// queryError is what a query that failed with err reports: why its
// context ended (ErrTimeout, the caller's cancellation), if it did, since
// that is what made the database fail; ErrUnavailable if the query had not
// started (atStart) for want of the database; its *QueryError otherwise.
func (e *Engine) queryError(ctx context.Context, err error, atStart bool) error {
	if cause := context.Cause(ctx); cause != nil && cause != errReleased {
		return cause
	}
	unreachable, class := e.be.classify(err)
	if unreachable && atStart {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return &QueryError{Err: err, Class: class}
}

// Stats are counters of an engine's work, for metrics.
type Stats struct {
	Running    int   // queries holding a slot
	Queued     int   // queries waiting for one
	Overloaded int64 // queries refused for want of a slot, since New
	// Statements is the number of prepared statements kept, and Prepared
	// how many were prepared since New.
	Statements, Prepared int
	// Reloads and ReloadFailures count Reload's outcomes.
	Reloads, ReloadFailures int64
	// Cache counts the result cache's work; zero when it is off.
	Cache CacheStats
	// MissingAttributes counts the users seen, since the policies were
	// loaded, without an attribute the policy file declares and a policy
	// reads (permissions.Policies.MissingAttributes).
	MissingAttributes int64
}

// Stats reports the engine's counters.
func (e *Engine) Stats() Stats {
	n, _, prepared := e.stmts.stats()
	running, queued := e.slots.stats()
	st := Stats{Running: running, Queued: queued, Overloaded: e.overloaded.Load(), Statements: n, Prepared: prepared,
		Reloads: e.reloads.Load(), ReloadFailures: e.reloadFails.Load()}
	if ps := e.cur.Load().policies; ps != nil {
		st.MissingAttributes = ps.MissingAttributes()
	}
	if e.cache != nil {
		st.Cache = e.cache.Stats()
	}
	return st
}
