package engine_test

import (
	"context"
	"strings"
	"testing"

	"github.com/agentlayer/agentlayer/auth"
	"github.com/agentlayer/agentlayer/engine"
	"github.com/agentlayer/agentlayer/fixtures"
	"github.com/agentlayer/agentlayer/internal/testsupport/pgsample"
	"github.com/agentlayer/agentlayer/internal/testsupport/pgtest"
)

// TestPostgres_sharded points the engine at a coordinator whose ORDERS and
// PEOPLE are hash-partitioned over two shards through postgres_fdw
// (pgcluster.Sharded): the oracle cases and every request of the golden
// corpus as every sample user answer as on DuckDB, and a row rule is
// pushed down to the shards — it appears in the SQL they run.
func TestPostgres_sharded(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := pgsample.StartSharded(t, 2, 1)
	counts, err := c.Counts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, people, orders, _ := fixtures.Counts(1)
	for table, want := range map[string]int{"ORDERS": orders, "PEOPLE": people} {
		n := counts[table]
		if len(n) != 2 || n[0] == 0 || n[1] == 0 || n[0]+n[1] != want {
			t.Fatalf("%s on the shards: %v rows, want %d split over both", table, n, want)
		}
	}
	e, err := engine.New(ctx, engine.Options{
		ModelFile: fixtures.ModelFile, ModelYAML: fixtures.Model(),
		PolicyFile: fixtures.PolicyFile, PolicyYAML: fixtures.Policy(),
		Database: c.URL(),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	duck := sampleEngine(t)
	t.Run("oracle", func(t *testing.T) { matchesOracle(t, e, duck) })
	t.Run("corpus", func(t *testing.T) { sameAnswers(t, duck, e, requestCorpus(t), samplePrincipals(t)) })
	t.Run("pushdown", func(t *testing.T) {
		sales := samplePrincipals(t)[2]
		plan := explain(t, e, c.URL(), sales, `{"table_id":2,"aggregations":[{"function":"count"}],"group_by":[{"field_id":"t2-8"}]}`)
		for _, shard := range []string{"PEOPLE_p0", "PEOPLE_p1"} {
			if !remoteFilter(plan, shard, `"STATE" = 'TX'`) {
				t.Errorf("the row rule on PEOPLE is not in the SQL %s's shard runs:\n%s", shard, plan)
			}
		}
		t.Logf("PEOPLE by source, as %s:\n%s", sales.Email, plan)
		t.Logf("ORDERS by month, as %s:\n%s", sales.Email,
			explain(t, e, c.URL(), sales, `{"table_id":1,"aggregations":[{"function":"sum","field_id":"t1-5"}],"group_by":[{"field_id":"t1-7","field_granularity":"month"}]}`))
	})
}

// explain plans request for p and returns PostgreSQL's EXPLAIN (VERBOSE)
// of its SQL with its parameters, on the coordinator.
func explain(t *testing.T, e *engine.Engine, url string, p *auth.Principal, request string) string {
	t.Helper()
	ctx := context.Background()
	req, err := engine.ParseRequest([]byte(request))
	if err != nil {
		t.Fatal(err)
	}
	q, err := e.Construct(ctx, p, req)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := e.Plan(ctx, p, q)
	if err != nil {
		t.Fatal(err)
	}
	sqlText, args := plan.SQL()
	rows, err := pgtest.Open(t, url).QueryContext(ctx, "EXPLAIN (VERBOSE, COSTS OFF) "+sqlText, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var l string
		rows.Scan(&l)
		lines = append(lines, l)
	}
	return strings.Join(lines, "\n")
}

// remoteFilter reports whether the plan sends SQL reading table with cond
// to a shard.
func remoteFilter(plan, table, cond string) bool {
	for _, l := range strings.Split(plan, "\n") {
		if strings.Contains(l, "Remote SQL:") && strings.Contains(l, `"`+table+`"`) && strings.Contains(l, cond) {
			return true
		}
	}
	return false
}
