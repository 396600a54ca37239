package engine_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"

	"github.com/agentlayer/agentlayer/internal/enginemodel"

	"github.com/agentlayer/agentlayer/auth"
	"github.com/agentlayer/agentlayer/engine"
	"github.com/agentlayer/agentlayer/fixtures"
	"github.com/agentlayer/agentlayer/internal/testsupport/pgtest"
	"github.com/agentlayer/agentlayer/internal/testsupport/testkit"
)

// saasPersonas are the SaaS sample's users as its directory makes them.
func saasPersonas(t *testing.T) map[string]*auth.Principal {
	t.Helper()
	dir, err := auth.ParseDirectory(fixtures.SaaS.UsersFile, fixtures.SaaS.Users())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*auth.Principal{}
	for _, email := range []string{"admin@example.com", "cs.emea@example.com", "finance@example.com", "partner.2@example.com", "nobody@example.com"} {
		u, ok := dir.Lookup(email)
		if !ok {
			t.Fatalf("no SaaS user %s", email)
		}
		out[email] = &auth.Principal{Email: u.Email, Groups: u.Groups, Attributes: u.Attributes}
	}
	return out
}

// saasTruth is, per persona and table, the WHERE clause a person would
// write by hand for the rows the persona may see — joins spelled out, the
// way the SaaS policy's rules read (row.USER.ACCOUNT.REGION), over tables
// t (EVENTS), u (USERS), a (ACCOUNTS), s (SUBSCRIPTIONS), p (PARTNERS);
// "" for a table the persona may not see.
var saasTruth = map[string]map[string]string{
	"admin@example.com": {"PARTNERS": "TRUE", "ACCOUNTS": "TRUE", "USERS": "TRUE", "SUBSCRIPTIONS": "TRUE", "INVOICES": "TRUE", "EVENTS": "TRUE"},
	"cs.emea@example.com": {
		"PARTNERS":      "TRUE",
		"ACCOUNTS":      `t."REGION" = 'EMEA'`,
		"USERS":         `t."ACCOUNT_ID" IN (SELECT "ID" FROM "ACCOUNTS" WHERE "REGION" = 'EMEA')`,
		"SUBSCRIPTIONS": `t."ACCOUNT_ID" IN (SELECT "ID" FROM "ACCOUNTS" WHERE "REGION" = 'EMEA')`,
		"INVOICES": `t."SUBSCRIPTION_ID" IN (SELECT s."ID" FROM "SUBSCRIPTIONS" s JOIN "ACCOUNTS" a ON a."ID" = s."ACCOUNT_ID"
			WHERE a."REGION" = 'EMEA')`,
		"EVENTS": `t."USER_ID" IN (SELECT u."ID" FROM "USERS" u JOIN "ACCOUNTS" a ON a."ID" = u."ACCOUNT_ID" WHERE a."REGION" = 'EMEA')`,
	},
	"finance@example.com": {
		"ACCOUNTS":      `t."REGION" IN ('AMER', 'APAC')`,
		"SUBSCRIPTIONS": `t."ACCOUNT_ID" IN (SELECT "ID" FROM "ACCOUNTS" WHERE "REGION" IN ('AMER', 'APAC'))`,
		"INVOICES": `t."SUBSCRIPTION_ID" IN (SELECT s."ID" FROM "SUBSCRIPTIONS" s JOIN "ACCOUNTS" a ON a."ID" = s."ACCOUNT_ID"
			WHERE a."REGION" IN ('AMER', 'APAC'))`,
	},
	"partner.2@example.com": {
		"PARTNERS":      `t."ID" = 2`,
		"ACCOUNTS":      `t."PARTNER_ID" = 2`,
		"USERS":         `t."ACCOUNT_ID" IN (SELECT a."ID" FROM "ACCOUNTS" a JOIN "PARTNERS" p ON p."ID" = a."PARTNER_ID" WHERE p."ID" = 2)`,
		"SUBSCRIPTIONS": `t."ACCOUNT_ID" IN (SELECT "ID" FROM "ACCOUNTS" WHERE "PARTNER_ID" = 2)`,
		"INVOICES": `t."SUBSCRIPTION_ID" IN (SELECT s."ID" FROM "SUBSCRIPTIONS" s JOIN "ACCOUNTS" a ON a."ID" = s."ACCOUNT_ID"
			JOIN "PARTNERS" p ON p."ID" = a."PARTNER_ID" WHERE p."ID" = 2)`,
		"EVENTS": `t."USER_ID" IN (SELECT u."ID" FROM "USERS" u JOIN "ACCOUNTS" a ON a."ID" = u."ACCOUNT_ID"
			JOIN "PARTNERS" p ON p."ID" = a."PARTNER_ID" WHERE p."ID" = 2)`,
	},
	"nobody@example.com": {},
}

// TestSaaS_personasMatchHandWrittenSQL: on the SaaS sample, on DuckDB and
// on PostgreSQL, every persona's count, sum of ids and newest row of every
// table are those of the hand-written SQL of what the persona may see,
// through the policy's rules of one, two and three relationships; a table
// the persona may not see is refused.
func TestSaaS_personasMatchHandWrittenSQL(t *testing.T) {
	ctx := context.Background()
	check := func(t *testing.T, e *engine.Engine, db *sql.DB) {
		personas := saasPersonas(t)
		m := enginemodel.Of(e)
		nonTrivial := 0
		for email, tables := range saasTruth {
			p := personas[email]
			for _, tab := range m.Tables {
				req := fmt.Sprintf(`{"table_id": %d, "aggregations": [{"function": "count"}, {"function": "sum", "field_id": "ID"}, {"function": "max", "field_id": "ID"}]}`, tab.ID)
				got := answerOf(ctx, e, p, []byte(req))
				where, ok := tables[tab.Name]
				if !ok {
					if !strings.Contains(got.err, "permission") && !strings.Contains(got.err, "forbidden") {
						t.Errorf("%s, %s: want refused, got %+v", email, tab.Name, got)
					}
					continue
				}
				want, err := testkit.Rows(db, fmt.Sprintf(`SELECT count(*), sum(t."ID"), max(t."ID") FROM %q t WHERE %s`, tab.Name, where))
				if err != nil {
					t.Fatal(err)
				}
				// sum over no rows is NULL in SQL; the answer says the same.
				if got.err != "" || testkit.DiffRows(got.rows, want) != "" {
					t.Errorf("%s, %s: got %v %s, hand-written SQL %v", email, tab.Name, got.rows, got.err, want)
					continue
				}
				all, _ := testkit.Rows(db, fmt.Sprintf(`SELECT count(*) FROM %q`, tab.Name))
				if want[0][0] != "0" && want[0][0] != all[0][0] {
					nonTrivial++
				}
			}
		}
		if nonTrivial < 12 {
			t.Errorf("only %d persona × table checks see some but not all rows", nonTrivial)
		}
		// Grouped by a field three relationships away: a customer-success
		// user sees events of their region's accounts only, and each counts
		// once.
		req := `{"table_id": 5, "aggregations": [{"function": "count"}], "group_by": [{"field_id": "USER.ACCOUNT.REGION"}, {"field_id": "USER.ACCOUNT.TIER"}]}`
		got := answerOf(ctx, e, personas["cs.emea@example.com"], []byte(req))
		want, err := testkit.Rows(db, `SELECT a."REGION", a."TIER", count(*) FROM "EVENTS" t
			JOIN "USERS" u ON u."ID" = t."USER_ID" JOIN "ACCOUNTS" a ON a."ID" = u."ACCOUNT_ID"
			WHERE a."REGION" = 'EMEA' GROUP BY 1, 2 ORDER BY 1, 2`)
		if err != nil {
			t.Fatal(err)
		}
		if d := testkit.DiffRows(got.rows, want); got.err != "" || d != "" {
			t.Errorf("cs events by account region and tier: %s %s", got.err, d)
		}
		// The admin sees every event, those without a user or account in
		// the group of no region, and the join inflates nothing.
		got = answerOf(ctx, e, personas["admin@example.com"], []byte(`{"table_id": 5, "aggregations": [{"function": "count"}], "group_by": [{"field_id": "USER.ACCOUNT.REGION"}]}`))
		want, err = testkit.Rows(db, `SELECT a."REGION", count(*) FROM "EVENTS" t
			LEFT JOIN "USERS" u ON u."ID" = t."USER_ID" LEFT JOIN "ACCOUNTS" a ON a."ID" = u."ACCOUNT_ID"
			GROUP BY 1 ORDER BY 1 NULLS LAST`)
		if err != nil {
			t.Fatal(err)
		}
		if d := testkit.DiffRows(got.rows, want); got.err != "" || d != "" {
			t.Errorf("admin events by account region: %s %s", got.err, d)
		}
		// Personal fields stay hidden through the exposed path too.
		got = answerOf(ctx, e, personas["cs.emea@example.com"], []byte(`{"table_id": 5, "fields": [{"field_id": "USER.EMAIL"}]}`))
		if got.err == "" {
			t.Errorf("cs selected USER.EMAIL of events: %v", got.rows)
		}
	}
	t.Run("DuckDB", func(t *testing.T) {
		e, err := newEngine(ctx, engine.Options{ModelFile: fixtures.SaaS.ModelFile, ModelYAML: fixtures.SaaS.Model(),
			PolicyFile: fixtures.SaaS.PolicyFile, PolicyYAML: fixtures.SaaS.Policy(), Setup: fixtures.SaaS.Setup(0.2)})
		if err != nil {
			t.Fatal(err)
		}
		defer e.Close()
		check(t, e, dbOf(t, e))
	})
	t.Run("PostgreSQL", func(t *testing.T) {
		url := pgtest.NewDatabase(t)
		db := pgtest.Open(t, url)
		if err := fixtures.SaaS.LoadPostgres(ctx, db, 0.2); err != nil {
			t.Fatal(err)
		}
		e, err := engine.New(ctx, engine.Options{ModelFile: fixtures.SaaS.ModelFile, ModelYAML: fixtures.SaaS.Model(),
			PolicyFile: fixtures.SaaS.PolicyFile, PolicyYAML: fixtures.SaaS.Policy(), Database: url})
		if err != nil {
			t.Fatal(err)
		}
		defer e.Close()
		check(t, e, db)
	})
}
