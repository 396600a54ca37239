package engine_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/agentlayer/agentlayer/auth"
	"github.com/agentlayer/agentlayer/engine"
	"github.com/agentlayer/agentlayer/fixtures"
	"github.com/agentlayer/agentlayer/sqlgen"
)

var fuzzEngine = sync.OnceValues(func() (*engine.Engine, error) {
	return engine.New(context.Background(), engine.Options{
		ModelFile: fixtures.ModelFile, ModelYAML: fixtures.Model(),
		PolicyFile: fixtures.PolicyFile, PolicyYAML: fixtures.Policy(),
		Setup: fixtures.Setup(0.01), TokenKey: []byte("agentlayer-fuzz-token-key-0123456789"),
	})
})

// FuzzQueryFromToken feeds arbitrary query and continuation tokens to the
// engine: no panic; a token either compiles for the caller or is refused
// as a *BadTokenError or a request error, never anything else.
func FuzzQueryFromToken(f *testing.F) {
	e, err := fuzzEngine()
	if err != nil {
		f.Fatal(err)
	}
	ctx := context.Background()
	admin := &auth.Principal{Email: "a@example.com", Groups: []string{"admin"}}
	sales := &auth.Principal{Email: "s@example.com", Groups: []string{"sales"}, Attributes: map[string]any{"state": "TX"}}
	for _, r := range []string{
		`{"table_id":1,"filters":[{"field_id":"t1-7","operation":"equals","values":["2024-03","2025"]},{"segment_id":1}],"aggregations":[{"measure_id":3,"sort_order":"desc"}],"group_by":[{"field_id":"t1-25"}],"limit":5}`,
		`{"metric_id":1,"group_by":[{"field_id":"c1-7","field_granularity":"week"}]}`,
		`{"table_id":2,"fields":[{"field_id":"t2-4"},{"field_id":"t2-7","bucket":""}],"order_by":[{"field":{"field_id":"t2-4"},"direction":"desc"}]}`,
	} {
		req, err := sqlgen.ParseRequest([]byte(r))
		if err != nil {
			f.Fatal(err)
		}
		q, err := e.Construct(ctx, admin, req)
		if err != nil {
			f.Fatal(err)
		}
		tok, _ := e.Token(q)
		f.Add(tok)
		f.Add(continuationAt(ctx, e, admin, q, 200))
	}
	f.Add("eyJ2IjoxLCJwIjp7InRhYmxlIjoiT1JERVJTIn0sInMiOiJ4In0=")
	f.Add("")
	f.Fuzz(func(t *testing.T, token string) {
		for _, p := range []*auth.Principal{admin, sales} {
			_, offset, err := e.QueryFromToken(ctx, p, token)
			var bad *engine.BadTokenError
			var se *sqlgen.Error
			switch {
			case err == nil:
				if offset < 0 {
					t.Fatalf("offset %d", offset)
				}
			case errors.As(err, &bad), errors.As(err, &se):
			default:
				t.Fatalf("error of type %T: %v", err, err)
			}
		}
	})
}

// continuationAt is the continuation token of q after its first n rows,
// or "" if it has no more.
func continuationAt(ctx context.Context, e *engine.Engine, p *auth.Principal, q *engine.Query, n int) string {
	q.Paging = engine.Paging{Size: n, LimitIsTotal: true}
	rows, err := e.Page(ctx, p, q, 0)
	if err != nil {
		return ""
	}
	defer rows.Close()
	for rows.Next() {
	}
	cont, _ := rows.Continuation()
	return cont
}
