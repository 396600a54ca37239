package engine_test

import (
	"context"
	"strings"
	"testing"

	"github.com/agentlayer/agentlayer/auth"
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
