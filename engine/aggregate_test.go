package engine_test

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/agentlayer/agentlayer/auth"
	"github.com/agentlayer/agentlayer/engine"
)

// TestAggregateOnly_minimumGroupSize: the benchmarking persona of the
// sample sees the orders of its own state in detail, and aggregates of
// every state's — each group of at least 10 orders, the smaller ones left
// out — exactly the admin's answer without the groups under 10, on DuckDB
// and PostgreSQL, with any filter, segment, bucket or join; what would
// single rows out is refused.
func TestAggregateOnly_minimumGroupSize(t *testing.T) {
	pair := samplePair(t, engine.Options{})
	ctx := context.Background()
	bench := &auth.Principal{Email: "benchmark@example.com", Groups: []string{"benchmark"}, Attributes: map[string]any{"state": "TX"}}
	admin := &auth.Principal{Email: "admin@example.com", Groups: []string{"admin"}}
	for _, e := range []*engine.Engine{pair.duck, pair.pg} {
		name := "DuckDB"
		if e == pair.pg {
			name = "PostgreSQL"
		}
		t.Run(name, func(t *testing.T) {
			suppressed := 0
			// Each request, and whether it joins PEOPLE (aggregate-only for
			// the persona): then every group must also hold 10 customers.
			for _, c := range []struct {
				req    string
				people bool
			}{
				{`{"table_id":1,"aggregations":[{"function":"count"},{"function":"sum","field_id":"TOTAL"}],"group_by":[{"field_id":"USER.STATE"}]}`, true},
				{`{"table_id":1,"aggregations":[{"function":"count"}],"group_by":[{"field_id":"USER.STATE"},{"field_id":"PRODUCT.CATEGORY"}],"filters":[{"field_id":"TOTAL","operation":"greater-than-or-equal","value":200}]}`, true},
				{`{"table_id":1,"aggregations":[{"function":"count"},{"function":"avg","field_id":"QUANTITY"}],"group_by":[{"field_id":"CREATED_AT","field_granularity":"week"}],"filters":[{"segment_id":2}],"limit":10000}`, false},
				{`{"table_id":1,"aggregations":[{"function":"count"},{"function":"count-distinct","field_id":"USER_ID"}],"filters":[{"field_id":"USER.STATE","operation":"equals","value":"CA"}]}`, true},
				{`{"table_id":1,"aggregations":[{"function":"count"}],"group_by":[{"field_id":"USER.SOURCE"},{"field_id":"CREATED_AT","field_granularity":"month"}],"limit":10000}`, true},
			} {
				got := answerOf(ctx, e, bench, []byte(c.req))
				all := answerOf(ctx, e, admin, []byte(c.req))
				// The same groups with their orders and customers counted,
				// and the orders the persona does not see in detail (not of
				// Texans): only they count, unless PEOPLE is read.
				var req map[string]any
				json.Unmarshal([]byte(c.req), &req)
				req["aggregations"] = []any{map[string]any{"function": "count"}, map[string]any{"function": "count-distinct", "field_id": "USER_ID"},
					map[string]any{"function": "count", "filter": map[string]any{"field_id": "USER.STATE", "operation": "not-equals", "value": "TX"}}}
				data, _ := json.Marshal(req)
				sizes := answerOf(ctx, e, admin, data)
				if got.err != "" || all.err != "" || sizes.err != "" {
					t.Fatalf("%s: %s / %s / %s", c.req, got.err, all.err, sizes.err)
				}
				groups := len(sizes.cols) - 3
				big := map[string]bool{}
				for _, r := range sizes.rows {
					orders, _ := strconv.Atoi(r[groups])
					customers, _ := strconv.Atoi(r[groups+1])
					others, _ := strconv.Atoi(r[groups+2])
					if c.people {
						big[strings.Join(r[:groups], "|")] = orders >= 10 && customers >= 10
					} else {
						big[strings.Join(r[:groups], "|")] = others == 0 || others >= 10
					}
				}
				var want [][]string
				for _, r := range all.rows {
					if big[strings.Join(r[:groups], "|")] {
						want = append(want, r)
					} else {
						suppressed++
					}
				}
				if d := diffRows(got.rows, want); d != "" {
					t.Errorf("%s: %s", c.req, d)
				}
			}
			// A metric: the groups are the admin's of at least 10 orders.
			metric := answerOf(ctx, e, bench, []byte(`{"metric_id":1,"group_by":[{"field_id":"USER.CITY"}],"limit":10000}`))
			counts := answerOf(ctx, e, admin, []byte(`{"table_id":1,"aggregations":[{"function":"count"},{"function":"count-distinct","field_id":"USER_ID"}],"group_by":[{"field_id":"USER.CITY"}],"limit":10000}`))
			var big []string
			for _, r := range counts.rows {
				orders, _ := strconv.Atoi(r[1])
				customers, _ := strconv.Atoi(r[2])
				if orders >= 10 && customers >= 10 {
					big = append(big, r[0])
				}
			}
			var keys []string
			for _, r := range metric.rows {
				keys = append(keys, r[0])
			}
			if metric.err != "" || strings.Join(keys, "|") != strings.Join(big, "|") || len(big) == len(counts.rows) {
				t.Errorf("the metric by city: %s %d groups, want the %d of %d with 10 orders or more", metric.err, len(keys), len(big), len(counts.rows))
			}
			if suppressed == 0 {
				t.Error("no group was small enough to be left out: the test proves nothing")
			}
			// Detail rows are those of its state only: as many as the
			// admin's orders of Texan customers.
			rows, err := e.Query(ctx, bench, mustRequest(t, `{"table_id":1,"fields":[{"field_id":"ID"}],"limit":2000}`))
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for rows.Next() {
				n++
			}
			rows.Close()
			tx := answerOf(ctx, e, admin, []byte(`{"table_id":1,"aggregations":[{"function":"count"}],"filters":[{"field_id":"USER.STATE","operation":"equals","value":"TX"}]}`))
			if want, _ := strconv.Atoi(tx.rows[0][0]); n != min(want, 2000) {
				t.Errorf("detail rows %d, want the %d orders of Texans", n, want)
			}
			// What would single rows out is refused, with why.
			for _, req := range []string{
				`{"table_id":1,"aggregations":[{"function":"max","field_id":"TOTAL"}],"group_by":[{"field_id":"USER.STATE"}]}`,
				`{"table_id":1,"aggregations":[{"function":"count"}],"group_by":[{"field_id":"USER_ID"}]}`,
				`{"table_id":1,"aggregations":[{"function":"count"}],"group_by":[{"field_id":"USER.ID"}]}`,
				`{"table_id":2,"fields":[{"field_id":"STATE"}]}`, // PEOPLE: aggregates only
				`{"table_id":1,"aggregations":[{"function":"count"}],"filters":[{"field_id":"ID","operation":"equals","value":17}]}`,
				`{"table_id":1,"aggregations":[{"function":"sum","field_id":"TOTAL","filter":{"field_id":"TOTAL","operation":"greater-than","value":100}}]}`,
			} {
				r, err := e.Query(ctx, bench, mustRequest(t, req))
				if err == nil {
					r.Close()
					t.Errorf("%s: not refused", req)
					continue
				}
				var ee *engine.Error
				if !errors.Is(err, engine.ErrForbidden) || !errors.As(err, &ee) || !strings.Contains(ee.Reason, "aggregates only") {
					t.Errorf("%s: %v", req, err)
				}
			}
		})
	}
}

// diffRows compares rows formatted for comparison.
func diffRows(got, want [][]string) string {
	if len(got) != len(want) {
		return "got " + strconv.Itoa(len(got)) + " rows, want " + strconv.Itoa(len(want))
	}
	for i := range got {
		if strings.Join(got[i], "|") != strings.Join(want[i], "|") {
			return "row " + strconv.Itoa(i) + ": got " + strings.Join(got[i], "|") + ", want " + strings.Join(want[i], "|")
		}
	}
	return ""
}
