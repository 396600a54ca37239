package benchmarks

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/agentlayer/agentlayer/engine"
)

// aggregateQueries are agent questions the sample's benchmark persona may
// ask under its aggregate grant (every order, in groups of 10, dates in
// whole days), each also asked by the analyst, who reads every row in
// detail: the difference is what the aggregate rules cost — planning them,
// the groups' HAVING and, for a filtered question, the guard query that
// counts the sets its filters name.
var aggregateQueries = []Query{
	{"revenue by month", "", `{"table_id":1,"aggregations":[{"function":"sum","field_id":"t1-5"}],"group_by":[{"field_id":"t1-7","field_granularity":"month"}]}`, ""},
	{"orders by category, filtered", "", `{"table_id":1,"filters":[{"field_id":"t1-25","operation":"equals","values":["Gizmo","Widget"]}],"aggregations":[{"function":"count"}],"group_by":[{"field_id":"t1-25"}]}`, ""},
	{"metric by week", "", `{"metric_id":1,"group_by":[{"field_id":"c1-7","field_granularity":"week"}]}`, ""},
	{"revenue by state in 2024", "", `{"table_id":1,"filters":[{"field_id":"t1-7","operation":"between","values":["2024-01-01","2024-12-31"]}],"aggregations":[{"function":"sum","field_id":"t1-5"}],"group_by":[{"field_id":"t1-16"}],"limit":100}`, ""},
}

// BenchmarkAggregateRules runs each aggregate question through the engine
// as the analyst and as the benchmark persona, at each scale.
func BenchmarkAggregateRules(b *testing.B) {
	ctx := context.Background()
	for _, scale := range scales(b) {
		e := env(b, scale)
		for _, q := range aggregateQueries {
			for _, persona := range []string{"analyst@example.com", "benchmark@example.com"} {
				q.Persona = persona
				p, err := e.Prepare(ctx, q)
				if err != nil {
					b.Fatalf("%s as %s: %v", q.Name, persona, err)
				}
				who, _, _ := strings.Cut(persona, "@")
				b.Run(fmt.Sprintf("scale=%g/%s/%s", scale, strings.ReplaceAll(q.Name, " ", "_"), who), func(b *testing.B) {
					if _, err := e.EngineRun(ctx, p); errors.Is(err, engine.ErrForbidden) {
						// At a small scale a day at a bound may hold fewer
						// than 10 orders: the guard refuses the question.
						b.Skipf("refused at this scale: %v", err)
					}
					loop(b, func() error { _, err := e.EngineRun(ctx, p); return err })
				})
			}
		}
	}
}
