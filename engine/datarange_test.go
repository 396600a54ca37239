package engine_test

import (
	"context"
	"strings"
	"testing"

	"github.com/agentlayer/agentlayer/auth"
	"github.com/agentlayer/agentlayer/engine"
	"github.com/agentlayer/agentlayer/fixtures"
)

// TestContext_dataRange: the context and the compact schema give each
// table's data range as the caller sees it, checked against hand-written
// SQL; a Texan's range is Texan orders'.
func TestContext_dataRange(t *testing.T) {
	e := sampleEngine(t)
	db := dbOf(t, e)
	for _, c := range []struct {
		p   *auth.Principal
		sql string
	}{
		{admin, `SELECT min(CREATED_AT), max(CREATED_AT) FROM ORDERS`},
		{&auth.Principal{Email: "s@example.com", Groups: []string{"sales"}, Attributes: map[string]any{"state": "TX"}},
			`SELECT min(o.CREATED_AT), max(o.CREATED_AT) FROM ORDERS o JOIN PEOPLE p ON p.ID = o.USER_ID WHERE p.STATE = 'TX'`},
	} {
		ctxt, err := e.Context(context.Background(), c.p)
		if err != nil {
			t.Fatal(err)
		}
		want := rawRows(t, db, c.sql)[0]
		var got []string
		for _, item := range ctxt.Tables {
			if item.Name == "ORDERS" && item.DataRange != nil {
				got = []string{item.DataRange.From.(string), item.DataRange.To.(string)}
			}
		}
		if len(got) != 2 || !strings.HasPrefix(want[0], got[0][:10]) || !strings.HasPrefix(want[1], got[1][:10]) {
			t.Errorf("%s: ORDERS' range %v, want %v", c.p.Email, got, want)
		}
		sch, err := e.Schema(context.Background(), c.p)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(sch.Compact(), "data from "+got[0]) {
			t.Errorf("%s: the compact schema does not give the range", c.p.Email)
		}
	}
}

// TestContext_dataRangeUnderAggregateGrant: under an aggregate grant the
// range is the first and last of the grant's time_granularity groups it
// shows (those of min_group_size rows or more), never a row's own time:
// the benchmark persona reads PEOPLE in aggregates only, here by month.
func TestContext_dataRangeUnderAggregateGrant(t *testing.T) {
	e := bufferEngine(t, engine.Options{MaxConcurrentQueries: 2, PolicyYAML: []byte(strings.Replace(string(fixtures.Policy()),
		`aggregate: {rows: "true", min_group_size: 10}`, `aggregate: {rows: "true", min_group_size: 10, time_granularity: month}`, 1))})
	db := dbOf(t, e)
	ctxt, err := e.Context(context.Background(), benchmark)
	if err != nil {
		t.Fatal(err)
	}
	want := rawRows(t, db, `SELECT min(d), max(d) FROM (SELECT date_trunc('month', CREATED_AT) AS d FROM PEOPLE GROUP BY 1 HAVING count(*) >= 10)`)[0]
	var got []string
	for _, item := range ctxt.Tables {
		if item.Name == "PEOPLE" && item.DataRange != nil {
			got = []string{item.DataRange.From.(string), item.DataRange.To.(string)}
		}
	}
	if len(got) != 2 || !strings.HasPrefix(want[0], got[0][:10]) || !strings.HasPrefix(want[1], got[1][:10]) {
		t.Fatalf("PEOPLE's range under the aggregate grant %v, want the months %v", got, want)
	}
	for _, v := range got {
		if !strings.HasSuffix(v[:10], "-01") {
			t.Errorf("the range %v gives a time finer than a month", got)
		}
	}
}
