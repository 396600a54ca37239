package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/agentlayer/agentlayer/auth"
	"github.com/agentlayer/agentlayer/permissions"
	"github.com/agentlayer/agentlayer/sqlgen"
)

// Column describes a column of a result, as the Agent API reports it.
type Column = sqlgen.Output

// Grant returns what p may see, with the names of the policies that apply.
func (e *Engine) Grant(p *auth.Principal) (*permissions.Grant, error) {
	if p == nil {
		return nil, errors.New("engine: no principal")
	}
	switch {
	case e.policies != nil:
		return e.policies.For(p, e.log), nil
	case e.open:
		return e.everything, nil
	}
	return e.nothing, nil
}

func (e *Engine) access(p *auth.Principal) (sqlgen.Access, error) {
	g, err := e.Grant(p)
	if err != nil {
		return nil, err
	}
	return g, nil
}

// Construct validates a construct request for p and returns its logical
// query. A request error is a *sqlgen.Error.
func (e *Engine) Construct(ctx context.Context, p *auth.Principal, req *sqlgen.Request) (*sqlgen.Query, error) {
	a, err := e.access(p)
	if err != nil {
		return nil, err
	}
	return sqlgen.Compile(e.catalog, a, req)
}

// Plan plans a logical query for p: the SQL it would run, with p's row
// filters.
func (e *Engine) Plan(ctx context.Context, p *auth.Principal, q *sqlgen.Query) (*sqlgen.Plan, error) {
	a, err := e.access(p)
	if err != nil {
		return nil, err
	}
	return q.Plan(e.catalog, a, e.planOpts)
}

// Execute plans q for p and runs it. The caller must Close the rows; ctx
// cancels the query.
func (e *Engine) Execute(ctx context.Context, p *auth.Principal, q *sqlgen.Query) (*Rows, error) {
	plan, err := e.Plan(ctx, p, q)
	if err != nil {
		return nil, err
	}
	sqlText, args := plan.SQL()
	return e.run(ctx, plan, sqlText, args)
}

// ExecutePage runs rows [offset, offset+limit) of q's result for p.
func (e *Engine) ExecutePage(ctx context.Context, p *auth.Principal, q *sqlgen.Query, offset, limit int) (*Rows, error) {
	plan, err := e.Plan(ctx, p, q)
	if err != nil {
		return nil, err
	}
	sqlText, args := plan.Page(offset, limit)
	return e.run(ctx, plan, sqlText, args)
}

// Query constructs and runs a request for p in one call.
func (e *Engine) Query(ctx context.Context, p *auth.Principal, req *sqlgen.Request) (*Rows, error) {
	q, err := e.Construct(ctx, p, req)
	if err != nil {
		return nil, err
	}
	return e.Execute(ctx, p, q)
}

func (e *Engine) run(ctx context.Context, plan *sqlgen.Plan, sqlText string, args []any) (*Rows, error) {
	start := time.Now()
	rows, err := e.db.QueryContext(ctx, sqlText, args...)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &QueryError{Err: err}
	}
	e.log.DebugContext(ctx, "query", "sql", sqlText, "params", len(args), "duration", time.Since(start))
	return newRows(rows, plan.Outputs, e.zone), nil
}

// QueryError is a query that failed while running in the database. Its
// message is the database's, which may name tables and columns of the
// model but never holds a row.
type QueryError struct{ Err error }

func (e *QueryError) Error() string { return fmt.Sprintf("query failed: %v", e.Err) }

func (e *QueryError) Unwrap() error { return e.Err }
