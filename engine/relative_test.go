package engine_test

import (
	"context"
	"testing"
	"time"

	"github.com/agentlayer/agentlayer/auth"
	"github.com/agentlayer/agentlayer/engine"
	"github.com/agentlayer/agentlayer/fixtures"
	"github.com/agentlayer/agentlayer/internal/testsupport/pgsample"
	"github.com/agentlayer/agentlayer/internal/testsupport/testkit"
)

// TestRelativeFilters: last, next, current and between, counted from a
// pinned now and from the latest value the user may see, answer what
// hand-written SQL over the same rows does, on DuckDB and PostgreSQL.
func TestRelativeFilters(t *testing.T) {
	now := time.Date(2025, 7, 16, 15, 30, 0, 0, time.UTC)
	oracle := sampleEngine(t)
	sales := &auth.Principal{Email: "sales.tx@example.com", Groups: []string{"sales"}, Attributes: map[string]any{"state": "TX"}}
	tx := `o.USER_ID IN (SELECT ID FROM PEOPLE WHERE STATE = 'TX')`
	latestTX := `(SELECT max(CREATED_AT) FROM ORDERS o WHERE ` + tx + `)`
	cases := []struct {
		name    string
		who     *auth.Principal
		request string
		sql     string
	}{
		{"the last 6 complete months", admin,
			`{"table_id":1,"filters":[{"field_id":"CREATED_AT","operation":"last","value":6,"unit":"month","complete":true}],"aggregations":[{"function":"count"}],"group_by":[{"field_id":"CREATED_AT","field_granularity":"month"}]}`,
			`SELECT date_trunc('month', CREATED_AT), count(*) FROM ORDERS WHERE CREATED_AT >= TIMESTAMP '2025-01-01' AND CREATED_AT < TIMESTAMP '2025-07-01' GROUP BY 1 ORDER BY 1`},
		{"the last 30 days, rolling", admin,
			`{"table_id":1,"filters":[{"field_id":"CREATED_AT","operation":"last","value":30,"unit":"day"}],"aggregations":[{"function":"count"}]}`,
			`SELECT count(*) FROM ORDERS WHERE CREATED_AT >= TIMESTAMP '2025-06-16 15:30:00' AND CREATED_AT <= TIMESTAMP '2025-07-16 15:30:00'`},
		{"the current quarter", admin,
			`{"table_id":1,"filters":[{"field_id":"CREATED_AT","operation":"current","unit":"quarter"}],"aggregations":[{"function":"sum","field_id":"TOTAL"}]}`,
			`SELECT sum(TOTAL) FROM ORDERS WHERE CREATED_AT >= TIMESTAMP '2025-07-01' AND CREATED_AT < TIMESTAMP '2025-10-01'`},
		{"the last full year of the data the user sees", sales,
			`{"table_id":1,"filters":[{"field_id":"CREATED_AT","operation":"last","value":1,"unit":"year","complete":true,"anchor":"latest"}],"aggregations":[{"function":"count"}]}`,
			`SELECT count(*) FROM ORDERS o WHERE ` + tx + ` AND year(CREATED_AT) = year(` + latestTX + `) - 1`},
		{"the 90 days up to the latest order the user sees", sales,
			`{"table_id":1,"filters":[{"field_id":"CREATED_AT","operation":"last","value":90,"unit":"day","anchor":"latest"}],"aggregations":[{"function":"count"}]}`,
			`SELECT count(*) FROM ORDERS o WHERE ` + tx + ` AND CREATED_AT >= ` + latestTX + ` - INTERVAL 90 DAY`},
		{"between two months, both included", admin,
			`{"table_id":1,"filters":[{"field_id":"CREATED_AT","operation":"between","values":["2024-02","2024-04"]}],"aggregations":[{"function":"count"}]}`,
			`SELECT count(*) FROM ORDERS WHERE CREATED_AT >= TIMESTAMP '2024-02-01' AND CREATED_AT < TIMESTAMP '2024-05-01'`},
	}
	engines := map[string]engine.Options{
		"DuckDB":     {Setup: fixtures.Setup(1)},
		"PostgreSQL": {Database: ""},
	}
	for name, opts := range engines {
		t.Run(name, func(t *testing.T) {
			if name == "PostgreSQL" {
				opts.Database = pgsample.Sample(t)
			}
			opts.ModelFile, opts.ModelYAML = fixtures.ModelFile, fixtures.Model()
			opts.PolicyFile, opts.PolicyYAML = fixtures.PolicyFile, fixtures.Policy()
			opts.Now = func() time.Time { return now }
			e, err := engine.New(context.Background(), opts)
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					_, got := engineRows(t, e, c.who, c.request)
					want := rawRows(t, dbOf(t, oracle), c.sql)
					if d := testkit.DiffRows(got, want); d != "" {
						t.Error(d)
					}
					if len(want) == 0 || want[0][len(want[0])-1] == "0" {
						t.Errorf("a weak case: %v", want)
					}
				})
			}
		})
	}
}
