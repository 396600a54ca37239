package benchmarks

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/agentlayer/agentlayer/auth"
	"github.com/agentlayer/agentlayer/permissions"
	"github.com/agentlayer/agentlayer/sqlgen"
)

// growthModel writes a model of n tables of 50 fields each. Table i
// references table i-1 (relationship PARENT) and has a segment and a
// measure, so that every table looks like the sample's ORDERS.
func growthModel(n int) []byte {
	var b strings.Builder
	b.WriteString("version: 1\ndatabase: {name: Growth}\ntables:\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "  - id: %d\n    name: T%d\n    fields:\n", i, i)
		b.WriteString("      - {name: ID, type: BIGINT, semantic_type: type/PK}\n")
		if i > 1 {
			fmt.Fprintf(&b, "      - {name: PARENT_ID, type: BIGINT, references: T%d.ID, relationship: PARENT}\n", i-1)
		} else {
			b.WriteString("      - {name: PARENT_ID, type: BIGINT}\n")
		}
		b.WriteString("      - {name: CREATED_AT, type: TIMESTAMP, semantic_type: type/CreationTimestamp}\n")
		b.WriteString("      - {name: REGION, type: VARCHAR, semantic_type: type/Category}\n")
		b.WriteString("      - {name: AMOUNT, type: DOUBLE}\n")
		for f := 5; f < 50; f++ {
			typ := [...]string{"INTEGER", "VARCHAR", "DOUBLE"}[f%3]
			fmt.Fprintf(&b, "      - {name: F%d, type: %s}\n", f, typ)
		}
		fmt.Fprintf(&b, "    segments:\n      - {id: %d, name: Large %d, filter: 'row.AMOUNT > 100.0'}\n", i, i)
		fmt.Fprintf(&b, "    measures:\n      - {id: %d, name: Northern amount %d, aggregation: {function: sum, field: AMOUNT}, filter: 'row.REGION == \"north\"'}\n", i, i)
	}
	return []byte(b.String())
}

// growthRequest is typicalRequest's shape over table n of a growth model:
// a filter through the relationship, a segment, a measure, a time bucket
// and a related group.
func growthRequest(n int) []byte {
	return fmt.Appendf(nil, `{"table_id":%[1]d,
 "filters":[{"field_id":"t%[1]d-53","operation":"equals","values":["north","south"]},{"field_id":"t%[1]d-2","operation":"greater-than","value":"2024-01"},{"segment_id":%[1]d}],
 "aggregations":[{"function":"sum","field_id":"t%[1]d-4","sort_order":"desc"},{"measure_id":%[1]d}],
 "group_by":[{"field_id":"t%[1]d-2","field_granularity":"month"},{"field_id":"t%[1]d-53"}],
 "limit":100}`, n)
}

// growthPolicy writes n policies over a model of tables tables: one for
// analysts, granting every table with a row rule on the queried ones, and
// n-1 for other groups, each granting one table.
func growthPolicy(n, tables int) []byte {
	var b strings.Builder
	b.WriteString("version: 1\npolicies:\n")
	b.WriteString("  - name: analysts\n    when: '\"analyst\" in user.groups'\n    tables:\n")
	for t := 1; t <= tables; t++ {
		fmt.Fprintf(&b, "      T%d:\n        rows: row.REGION == user.attributes.region\n        hide: [F7]\n", t)
	}
	for i := 1; i < n; i++ {
		fmt.Fprintf(&b, "  - name: team%d\n    when: '\"team%d\" in user.groups && user.attributes.level > %d'\n    tables:\n", i, i, i%5)
		fmt.Fprintf(&b, "      T%d:\n        rows: row.F%d > %d || row.REGION in user.attributes.regions\n", 1+i%tables, 5+3*(i%15), i)
	}
	return []byte(b.String())
}

func growthCatalog(b *testing.B, tables int) *sqlgen.Catalog {
	b.Helper()
	return catalogOf(b, "growth.yaml", growthModel(tables))
}

func plan(b *testing.B, c *sqlgen.Catalog, a sqlgen.Access, data []byte) {
	req, err := sqlgen.ParseRequest(data)
	if err != nil {
		b.Fatal(err)
	}
	q, err := sqlgen.Compile(c, a, req)
	if err != nil {
		b.Fatal(err)
	}
	p, err := q.Plan(c, a, sqlgen.Options{})
	if err != nil {
		b.Fatal(err)
	}
	if sql, _ := p.SQL(); sql == "" {
		b.Fatal("no SQL")
	}
}

// BenchmarkGrowth_model plans the same request over models of 10, 100 and
// 1,000 tables of 50 fields: the per-request cost must stay flat.
func BenchmarkGrowth_model(b *testing.B) {
	for _, n := range []int{10, 100, 1000} {
		c := growthCatalog(b, n)
		data := growthRequest(n)
		b.Run(fmt.Sprintf("tables=%d/plan", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				plan(b, c, sqlgen.FullAccess{}, data)
			}
		})
	}
}

// BenchmarkGrowth_policy grants and plans for one analyst under policy files
// of 10, 100 and 1,000 policies over a 10-table model. Cached is the cost
// of every request but a user's first; cold, the first, evaluates every
// policy's when once.
func BenchmarkGrowth_policy(b *testing.B) {
	const tables = 10
	c := growthCatalog(b, tables)
	data := growthRequest(tables)
	analyst := func(region string) *auth.Principal {
		return &auth.Principal{Email: "a@example.com", Groups: []string{"analyst", "team3"},
			Attributes: map[string]any{"region": region, "regions": []any{"north"}, "level": int64(4)}}
	}
	for _, n := range []int{10, 100, 1000} {
		ps, err := permissions.Compile("growth-policy.yaml", growthPolicy(n, tables), c.Model, permissions.Options{CacheSize: 1 << 16})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("policies=%d/grant-cached", n), func(b *testing.B) {
			p := analyst("north")
			ps.For(p)
			b.ReportAllocs()
			for b.Loop() {
				if g := ps.For(p); !g.Table(c.Model.Tables[0]) {
					b.Fatal("no grant")
				}
			}
		})
		b.Run(fmt.Sprintf("policies=%d/grant-cold", n), func(b *testing.B) {
			var i atomic.Int64
			b.ReportAllocs()
			for b.Loop() {
				// A region never seen: the cache cannot answer.
				p := analyst(fmt.Sprint("r", i.Add(1)))
				if g := ps.For(p); !g.Table(c.Model.Tables[0]) {
					b.Fatal("no grant")
				}
			}
		})
		b.Run(fmt.Sprintf("policies=%d/plan", n), func(b *testing.B) {
			g := ps.For(analyst("north"))
			b.ReportAllocs()
			for b.Loop() {
				plan(b, c, g, data)
			}
		})
	}
}
