package engine

import (
	"context"

	"github.com/agentlayer/agentlayer/auth"
	"github.com/agentlayer/agentlayer/engine/internal/querytoken"
	"github.com/agentlayer/agentlayer/sqlgen"
)

// Token returns the query token of a query: base64 of the versioned
// logical query, naming tables and fields by model name, with its HMAC. It
// is not bound to a user: whoever executes it, it is planned for them.
func (e *Engine) Token(q *Query) (string, error) {
	return e.keys.Seal(q.q, querytoken.Position{Limit: q.q.Limit})
}

// continuation is the token of the page at offset of q's whole result,
// paged as q is.
func (e *Engine) continuation(q *Query, offset int) (string, error) {
	pageSize := 0
	if q.Paging.LimitIsTotal {
		pageSize = max(q.Paging.Size, 1)
		if q.Paging.Size <= 0 {
			pageSize = DefaultPageSize
		}
	}
	return e.keys.Seal(q.q, querytoken.Position{Offset: offset, Limit: q.q.Limit, PageSize: pageSize})
}

// QueryFromToken verifies a query or continuation token and compiles its
// query for p against the model being served, its names resolved to the
// current ids; offset is where a continuation token resumes (0 for a
// query token). A token that does not verify, or names what the model no
// longer has, is a *BadTokenError; what p may not see is refused as for
// Construct.
func (e *Engine) QueryFromToken(ctx context.Context, p *auth.Principal, token string) (q *Query, offset int, err error) {
	s := e.cur.Load()
	t, ok := s.tokens.Get(token)
	if !ok {
		pl, err := e.keys.Open(token)
		if err != nil {
			return nil, 0, err
		}
		req, err := pl.Request(s.model)
		if err != nil {
			return nil, 0, err
		}
		// A token never changes: its request is kept, and still compiled
		// for whoever executes it.
		t = openedToken{req: req, offset: pl.Offset, pageSize: pl.PageSize}
		s.tokens.Put(token, t)
	}
	if q, err = s.construct(p, t.req); err != nil {
		return nil, 0, err
	}
	if t.pageSize > 0 {
		q.Paging = Paging{Size: t.pageSize, LimitIsTotal: true}
	}
	return q, t.offset, nil
}

// openedToken is a verified token's request, cached by the token.
type openedToken struct {
	req      *sqlgen.Request
	offset   int
	pageSize int
}

// BadTokenError is a query or continuation token that does not verify: not
// one of this server's, tampered with, or naming what the model no longer
// has. Its message says which.
type BadTokenError = querytoken.Error
