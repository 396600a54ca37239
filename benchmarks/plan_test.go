package benchmarks

import (
	"context"
	"strings"
	"testing"

	"github.com/agentlayer/agentlayer/fixtures"
	"github.com/agentlayer/agentlayer/semantic"
	"github.com/agentlayer/agentlayer/sqlgen"
)

// typicalRequest is an agent's revenue question: a joined filter, a
// measure, a time bucket and a related group.
const typicalRequest = `{"table_id":1,
 "filters":[{"field_id":"t1-16","operation":"equals","values":["TX","CA"]},{"field_id":"t1-7","operation":"greater-than","value":"2024-01"}],
 "aggregations":[{"function":"sum","field_id":"t1-5","sort_order":"desc"},{"measure_id":2}],
 "group_by":[{"field_id":"t1-7","field_granularity":"month"},{"field_id":"t1-25"}],
 "limit":100}`

func sampleCatalog(b *testing.B) *sqlgen.Catalog {
	b.Helper()
	return catalogOf(b, fixtures.ModelFile, fixtures.Model())
}

// catalogOf loads a model and prepares its catalog.
func catalogOf(b *testing.B, file string, model []byte) *sqlgen.Catalog {
	b.Helper()
	m, err := semantic.Parse(file, model, semantic.Options{})
	if err != nil {
		b.Fatal(err)
	}
	c, err := sqlgen.NewCatalog(m, nil)
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// BenchmarkPlan measures a construct request from JSON to SQL text and
// arguments: parse, validate, plan, render.
func BenchmarkPlan(b *testing.B) {
	c := sampleCatalog(b)
	data := []byte(typicalRequest)
	b.ReportAllocs()
	for b.Loop() {
		req, err := sqlgen.ParseRequest(data)
		if err != nil {
			b.Fatal(err)
		}
		q, err := sqlgen.Compile(c, sqlgen.FullAccess{}, req)
		if err != nil {
			b.Fatal(err)
		}
		p, err := q.Plan(c, sqlgen.FullAccess{}, sqlgen.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if sql, _ := p.SQL(); sql == "" {
			b.Fatal("no SQL")
		}
	}
}

// BenchmarkPlanQueries measures what compare reports as planning + grant
// for each of the ten queries: parse, grant (cached), validate, plan,
// render, as its persona.
func BenchmarkPlanQueries(b *testing.B) {
	e := env(b, 0.01)
	ctx := context.Background()
	for _, q := range Queries {
		p := e.Principal(q.Persona)
		b.Run(strings.ReplaceAll(q.Name, " ", "_"), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				req, _ := sqlgen.ParseRequest([]byte(q.Request))
				lq, err := e.Engine.Construct(ctx, p, req)
				if err != nil {
					b.Fatal(err)
				}
				plan, err := e.Engine.Plan(ctx, p, lq)
				if err != nil {
					b.Fatal(err)
				}
				plan.SQL()
			}
		})
	}
}
