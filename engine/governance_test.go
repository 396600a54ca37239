package engine_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/agentlayer/agentlayer/auth"
	"github.com/agentlayer/agentlayer/engine"
	"github.com/agentlayer/agentlayer/fixtures"
)

// governanceEngine serves the sample with policy over DuckDB.
func governanceEngine(t *testing.T, policy string) *engine.Engine {
	t.Helper()
	e, err := newEngine(context.Background(), engine.Options{ModelFile: fixtures.ModelFile, ModelYAML: fixtures.Model(),
		PolicyFile: "p.yaml", PolicyYAML: []byte(policy), Setup: fixtures.Setup(0.2)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

const governancePolicy = `version: 1
policies:
  - name: admins
    when: '"admin" in user.groups'
    tables: "*"
  - name: support
    when: '"support" in user.groups'
    tables:
      PEOPLE: {mask: {EMAIL: hash, NAME: redact}}
  - name: analytics
    when: '"analytics" in user.groups'
    tables:
      PEOPLE: {aggregate: {rows: "true", min_group_size: 10}}
  - name: orders
    when: '"orders" in user.groups'
    tables:
      ORDERS: "*"
      PEOPLE:
        columns: [ID, CITY, STATE, LATITUDE]
        aggregate: {rows: "true", min_group_size: 10}
  - name: bench
    when: '"bench" in user.groups'
    tables:
      ORDERS:
        rows: row.USER.STATE == user.attributes.state
        aggregate: {rows: "true", min_group_size: 10}
      PEOPLE:
        columns: [ID, STATE]
        rows: row.STATE == user.attributes.state
  - name: everything-and-aggregates
    when: '"all" in user.groups'
    tables:
      ORDERS: {rows: "true", aggregate: {rows: "true", min_group_size: 10}}
`

// TestGovernance_reviewed: what an independent review of masks and
// aggregate-only access found, each now held by a test.
func TestGovernance_reviewed(t *testing.T) {
	e := governanceEngine(t, governancePolicy)
	ctx := context.Background()
	user := func(groups ...string) *auth.Principal {
		return &auth.Principal{Email: strings.Join(groups, "+") + "@example.com", Groups: groups, Attributes: map[string]any{"state": "TX"}}
	}
	admin := user("admin")
	ask := func(p *auth.Principal, req string) answer {
		t.Helper()
		return answerOf(ctx, e, p, []byte(req))
	}

	// An aggregate-only grant does not unmask another policy's mask.
	a := ask(user("support", "analytics"), `{"table_id":2,"fields":[{"field_id":"EMAIL"},{"field_id":"NAME"}],"limit":5}`)
	for _, r := range a.rows {
		if strings.Contains(r[0], "@") || r[1] != "***" {
			t.Fatalf("support+analytics sees %v: %s", r, a.err)
		}
	}

	// A joined aggregate-only table's groups count its own rows: every
	// city in the answer has at least 10 distinct customers, not just 10
	// orders.
	byCity := `{"table_id":1,"aggregations":[{"function":"count"},{"function":"avg","field_id":"USER.LATITUDE"}],"group_by":[{"field_id":"USER.CITY"}],"limit":10000}`
	got := ask(user("orders"), byCity)
	people := ask(admin, `{"table_id":1,"aggregations":[{"function":"count-distinct","field_id":"USER_ID"}],"group_by":[{"field_id":"USER.CITY"}],"limit":10000}`)
	distinct := map[string]int{}
	for _, r := range people.rows {
		distinct[r[0]], _ = strconv.Atoi(r[1])
	}
	if got.err != "" || len(got.rows) == 0 {
		t.Fatalf("orders by customer city: %s", got.err)
	}
	for _, r := range got.rows {
		if distinct[r[0]] < 10 {
			t.Errorf("the city %s shows with %d customers", r[0], distinct[r[0]])
		}
	}

	// A filtered measure, and a metric over one, are refused under
	// aggregate-only access: the filter could single one row out.
	for _, req := range []string{
		`{"table_id":1,"aggregations":[{"measure_id":2}]}`,
		`{"metric_id":4}`,
	} {
		_, err := e.Query(ctx, user("bench"), mustRequest(t, req))
		if !errors.Is(err, engine.ErrForbidden) {
			t.Errorf("%s: %v", req, err)
		}
	}

	// Field values use the detail rows only, never the aggregate grant:
	// a bench user's quantities are those of Texan orders.
	fv, err := e.FieldValues(ctx, user("bench"), engine.FieldRef{TableID: 1, FieldID: "QUANTITY"}, 100)
	if err != nil {
		t.Fatal(err)
	}
	tx := ask(admin, `{"table_id":1,"aggregations":[{"function":"count"}],"filters":[{"field_id":"USER.STATE","operation":"equals","value":"TX"},{"field_id":"QUANTITY","operation":"is-not-null"}]}`)
	if tx.err != "" {
		t.Fatal(tx.err)
	}
	total := int64(0)
	for _, c := range fv.Counts {
		total += c.Count
	}
	if want, _ := strconv.ParseInt(tx.rows[0][0], 10, 64); total != want {
		t.Errorf("bench's quantity values count %d orders, want the %d Texan ones", total, want)
	}

	// A user who reads every row in detail is not held to the minimum
	// group size: max is allowed, and a group of one shows.
	if a := ask(user("all"), `{"table_id":1,"aggregations":[{"function":"max","field_id":"TOTAL"}],"group_by":[{"field_id":"ID"}],"limit":3}`); a.err != "" || len(a.rows) != 3 {
		t.Errorf("detail on every row, max by ID: %v %s", a.rows, a.err)
	}

	// A masked text compared with greater-than answers (it panicked once).
	if a := ask(user("support"), `{"table_id":2,"aggregations":[{"function":"count"}],"filters":[{"field_id":"NAME","operation":"greater-than","value":"m"}]}`); a.err != "" || a.rows[0][0] != "0" {
		t.Errorf("redacted names greater than m: %v %s", a.rows, a.err)
	}
}
