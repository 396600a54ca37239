package pgwire_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/agentlayer/agentlayer/auth"
	"github.com/agentlayer/agentlayer/engine"
	"github.com/agentlayer/agentlayer/fixtures"
	"github.com/agentlayer/agentlayer/internal/httpapi"
	"github.com/agentlayer/agentlayer/internal/testsupport/testkit"
	"github.com/agentlayer/agentlayer/pgwire"
)

var testSecret = []byte("pgwire-test-secret-of-at-least-32-bytes!")

type stack struct {
	e        *engine.Engine
	addr     string
	sessions *auth.Sessions
}

// sample is the sample model served over the wire, as serve does, on a
// free loopback port.
var sample = sync.OnceValues(func() (*stack, error) {
	e, err := engine.New(context.Background(), engine.Options{ModelFile: fixtures.ModelFile, ModelYAML: fixtures.Model(),
		PolicyFile: fixtures.PolicyFile, PolicyYAML: fixtures.Policy(), Setup: fixtures.Setup(0.2)})
	if err != nil {
		return nil, err
	}
	dir, err := auth.ParseDirectory(fixtures.UsersFile, fixtures.Users())
	if err != nil {
		return nil, err
	}
	v, err := auth.NewVerifier(auth.VerifierOptions{Secret: testSecret, Directory: dir})
	if err != nil {
		return nil, err
	}
	sessions := auth.NewSessions(auth.SessionOptions{})
	a := &httpapi.Authenticator{Verifier: v, Sessions: sessions}
	srv := pgwire.New(pgwire.Options{Engine: e, Authenticate: a.Password, Recheck: a.Recheck})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	go srv.Serve(ln)
	return &stack{e: e, addr: ln.Addr().String(), sessions: sessions}, nil
})

func stackOf(t testing.TB) *stack {
	t.Helper()
	st, err := sample()
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func token(t testing.TB, email string) string {
	t.Helper()
	s, err := auth.Sign(testSecret, auth.Claims{Email: email, IssuedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func connect(t testing.TB, email string) *pgx.Conn {
	t.Helper()
	st := stackOf(t)
	host, port, _ := net.SplitHostPort(st.addr)
	cfg, err := pgx.ParseConfig(fmt.Sprintf("host=%s port=%s user=%s password=%s sslmode=disable", host, port, email, token(t, email)))
	if err != nil {
		t.Fatal(err)
	}
	c, err := pgx.ConnectConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

func queryAll(t testing.TB, c *pgx.Conn, sql string, args ...any) [][]string {
	t.Helper()
	rows, err := c.Query(context.Background(), sql, args...)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	defer rows.Close()
	var out [][]string
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, testkit.CanonRow(vals))
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return out
}

func pgErr(t testing.TB, err error) *pgconn.PgError {
	t.Helper()
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		t.Fatalf("want a PostgreSQL error, got %v", err)
	}
	return pe
}

// TestPgx_sameAnswersAsJSON: statements over the wire (pgx: extended
// protocol, binary results) answer what the equivalent JSON requests
// answer through the engine, for three personas.
func TestPgx_sameAnswersAsJSON(t *testing.T) {
	cases := []struct{ sql, json string }{
		{`SELECT count(*) FROM ORDERS`, `{"table_id":1,"aggregations":[{"function":"count"}]}`},
		{`SELECT p.STATE, count(*), sum(o.TOTAL) FROM ORDERS o LEFT JOIN PEOPLE p ON o.USER_ID = p.ID GROUP BY 1`,
			`{"table_id":1,"group_by":[{"field_id":"USER.STATE"}],"aggregations":[{"function":"count"},{"function":"sum","field_id":"TOTAL"}]}`},
		{`SELECT CATEGORY, avg(PRICE) FROM PRODUCTS WHERE RATING >= 4 GROUP BY CATEGORY ORDER BY 2 DESC`,
			`{"table_id":3,"group_by":[{"field_id":"CATEGORY"}],"aggregations":[{"function":"avg","field_id":"PRICE","sort_order":"desc"}],"filters":[{"field_id":"RATING","operation":"greater-than-or-equal","value":4}]}`},
		{`SELECT ID, TOTAL FROM ORDERS WHERE TOTAL BETWEEN 100 AND 101 ORDER BY ID LIMIT 20`,
			`{"table_id":1,"fields":[{"field_id":"ID"},{"field_id":"TOTAL"}],"filters":[{"field_id":"TOTAL","operation":"between","values":[100,101]}],"order_by":[{"field":{"field_id":"ID"},"direction":"asc"}],"limit":20}`},
		{`SELECT count(DISTINCT PRODUCT_ID) FROM ORDERS WHERE DISCOUNT IS NOT NULL`,
			`{"table_id":1,"aggregations":[{"function":"count-distinct","field_id":"PRODUCT_ID"}],"filters":[{"field_id":"DISCOUNT","operation":"is-not-null"}]}`},
		{`SELECT date_trunc('year', CREATED_AT), count(*) FROM ORDERS GROUP BY 1 ORDER BY 1`,
			`{"table_id":1,"group_by":[{"field_id":"CREATED_AT","field_granularity":"year"}],"aggregations":[{"function":"count"}]}`},
		{`SELECT count(*) FROM ORDERS o LEFT JOIN PEOPLE p ON o.USER_ID = p.ID WHERE (TOTAL > 100 OR p.STATE = 'TX') AND NOT (DISCOUNT IS NULL)`,
			`{"table_id":1,"aggregations":[{"function":"count"}],"filters":[{"or":[{"field_id":"TOTAL","operation":"greater-than","value":100},{"field_id":"USER.STATE","operation":"equals","value":"TX"}]},{"field_id":"DISCOUNT","operation":"is-not-null"}]}`},
		{`SELECT count(*) FROM PEOPLE WHERE NOT (STATE = 'TX' OR SOURCE <> 'Google')`,
			`{"table_id":2,"aggregations":[{"function":"count"}],"filters":[{"field_id":"STATE","operation":"not-equals","value":"TX"},{"field_id":"STATE","operation":"is-not-null"},{"field_id":"SOURCE","operation":"equals","value":"Google"}]}`},
		{`SELECT count(*) FROM PRODUCTS WHERE TITLE LIKE 'Aero%'`,
			`{"table_id":3,"aggregations":[{"function":"count"}],"filters":[{"field_id":"TITLE","operation":"string-starts-with","value":"Aero","case_sensitive":true}]}`},
		{`SELECT count(*) FROM PRODUCTS WHERE TITLE NOT LIKE '%Steel%' AND PRICE NOT BETWEEN 20 AND 80`,
			`{"table_id":3,"aggregations":[{"function":"count"}],"filters":[{"field_id":"TITLE","operation":"string-not-contains","value":"Steel","case_sensitive":true},{"field_id":"TITLE","operation":"is-not-null"},{"or":[{"field_id":"PRICE","operation":"less-than","value":20},{"field_id":"PRICE","operation":"greater-than","value":80}]}]}`},
		{`SELECT p.STATE, count(*) FROM ORDERS o LEFT JOIN PEOPLE p ON o.USER_ID = p.ID GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 5`,
			`{"table_id":1,"group_by":[{"field_id":"USER.STATE"}],"aggregations":[{"function":"count"}],"order_by":[{"aggregation":0,"direction":"desc","nulls":"first"},{"field":{"field_id":"USER.STATE"}}],"limit":5}`},
		{`SELECT ID, DISCOUNT FROM ORDERS ORDER BY DISCOUNT DESC, ID LIMIT 5`,
			`{"table_id":1,"fields":[{"field_id":"ID"},{"field_id":"DISCOUNT"}],"order_by":[{"field":{"field_id":"DISCOUNT"},"direction":"desc","nulls":"first"},{"field":{"field_id":"ID"}}],"limit":5}`},
		{`SELECT TITLE FROM PRODUCTS WHERE TITLE ILIKE '%wool%' ORDER BY TITLE`,
			`{"table_id":3,"fields":[{"field_id":"TITLE"}],"filters":[{"field_id":"TITLE","operation":"string-contains","value":"wool"}],"order_by":[{"field":{"field_id":"TITLE"}}]}`},
	}
	st := stackOf(t)
	for _, email := range []string{"analyst@example.com", "sales.tx@example.com", "support@example.com"} {
		c := connect(t, email)
		p := principal(t, email)
		for _, tc := range cases {
			got := queryAll(t, c, tc.sql)
			want := jsonRows(t, st.e, p, tc.json)
			if d := testkit.DiffRows(got, want); d != "" {
				t.Errorf("%s: %s\n%s", email, tc.sql, d)
			}
		}
	}
}

func principal(t testing.TB, email string) *auth.Principal {
	t.Helper()
	dir, err := auth.ParseDirectory(fixtures.UsersFile, fixtures.Users())
	if err != nil {
		t.Fatal(err)
	}
	v, err := auth.NewVerifier(auth.VerifierOptions{Secret: testSecret, Directory: dir})
	if err != nil {
		t.Fatal(err)
	}
	p, err := v.Verify(token(t, email))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func jsonRows(t testing.TB, e *engine.Engine, p *auth.Principal, request string) [][]string {
	t.Helper()
	req, err := engine.ParseRequest([]byte(request))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := e.Query(context.Background(), p, req)
	if err != nil {
		t.Fatalf("%s: %v", request, err)
	}
	defer rows.Close()
	var out [][]string
	for rows.Next() {
		out = append(out, testkit.CanonRow(rows.Row()))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestPgx_hiddenAsAbsent: a hidden table or column errs exactly as one
// that does not exist; refusals carry SQLSTATE and position; nothing
// changes.
func TestPgx_hiddenAsAbsent(t *testing.T) {
	c := connect(t, "sales.tx@example.com")
	ctx := context.Background()
	for _, pair := range [][2]string{
		{`SELECT * FROM REVIEWS`, `SELECT * FROM NO_SUCH`},
		{`SELECT EMAIL FROM PEOPLE`, `SELECT NO_SUCH FROM PEOPLE`},
	} {
		_, err1 := c.Exec(ctx, pair[0])
		_, err2 := c.Exec(ctx, pair[1])
		a, b := pgErr(t, err1), pgErr(t, err2)
		norm := strings.NewReplacer("reviews", "X", "email", "X", "no_such", "X").Replace
		if a.Code != b.Code || a.Position != b.Position || norm(a.Message) != norm(b.Message) {
			t.Errorf("%s answered %s %q at %d; %s answered %s %q at %d", pair[0], a.Code, a.Message, a.Position, pair[1], b.Code, b.Message, b.Position)
		}
	}
	for sql, code := range map[string]string{
		`DELETE FROM ORDERS`:                                           "25006",
		`COPY ORDERS TO PROGRAM 'id'`:                                  "42501",
		`SELECT pg_read_file('/etc/passwd')`:                           "0A000",
		`SELECT * FROM read_csv('/etc/passwd')`:                        "0A000",
		`SET ROLE admin`:                                               "42501",
		`SET agentlayer.state = 'CA'`:                                  "42501",
		`SELECT ID FROM ORDERS UNION SELECT ID FROM PEOPLE`:            "0A000",
		`SELECT count(*) FROM ORDERS o JOIN PRODUCTS p ON o.ID = p.ID`: "0A000",
		`SELECT (SELECT 1) FROM ORDERS`:                                "0A000",
		`SELECT ID FROM ORDERS WHERE ID IN (SELECT ID FROM PEOPLE)`:    "0A000",
		`SELECT ID, count(*) FROM ORDERS`:                              "42803",
		`SELEC 1`:                                                      "42601",
		`SELECT pg_sleep(10)`:                                          "0A000",
		`SELECT set_config('agentlayer.state', 'CA', false)`:           "0A000",
		`SELECT * FROM pg_catalog.pg_class c, ORDERS o`:                "0A000",
	} {
		_, err := c.Exec(ctx, sql)
		if pe := pgErr(t, err); pe.Code != code {
			t.Errorf("%s: %s %q, want %s", sql, pe.Code, pe.Message, code)
		}
	}
	// The connection stays usable, and still Texan.
	if got := queryAll(t, c, `SELECT DISTINCT p.STATE FROM ORDERS o JOIN PEOPLE p ON o.USER_ID = p.ID`); len(got) != 1 || got[0][0] != "TX" {
		t.Errorf("states after the refusals: %v", got)
	}
}

// TestPgx_catalogsListOnlyWhatTheUserSees: information_schema and
// pg_catalog answer from the user's own catalogs.
func TestPgx_catalogsListOnlyWhatTheUserSees(t *testing.T) {
	for email, want := range map[string][]string{
		"sales.tx@example.com": {"ORDERS", "PEOPLE", "PRODUCTS"},
		"analyst@example.com":  {"ORDERS", "PEOPLE", "PRODUCTS", "REVIEWS"},
	} {
		c := connect(t, email)
		var tables []string
		for _, r := range queryAll(t, c, `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`) {
			tables = append(tables, r[0])
		}
		if strings.Join(tables, ",") != strings.Join(want, ",") {
			t.Errorf("%s: tables %v, want %v", email, tables, want)
		}
		cols := queryAll(t, c, `SELECT a.attname, a.attnum FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON a.attrelid = c.oid WHERE c.relname = 'PEOPLE' ORDER BY a.attnum`)
		for i, r := range cols {
			if r[1] != fmt.Sprint(i+1) {
				t.Errorf("%s: attribute numbers not dense: %v", email, cols)
			}
			if email == "sales.tx@example.com" && (r[0] == "EMAIL" || r[0] == "PASSWORD") {
				t.Errorf("%s sees column %s in pg_attribute", email, r[0])
			}
		}
		for _, q := range []string{`SELECT count(*) FROM pg_catalog.pg_stats`, `SELECT count(*) FROM pg_catalog.pg_class WHERE reltuples > 0`} {
			if got := queryAll(t, c, q); got[0][0] != "0" {
				t.Errorf("%s: %s = %v", email, q, got)
			}
		}
		if got := queryAll(t, c, `SELECT rolname FROM pg_roles`); len(got) != 1 || got[0][0] != email {
			t.Errorf("%s: pg_roles lists %v", email, got)
		}
	}
}

// TestPgx_parametersCursorsAndRowLimits: $n parameters, a portal read in
// pieces, SHOW and SET, and a session ended mid-connection.
func TestPgx_parametersCursorsAndRowLimits(t *testing.T) {
	c := connect(t, "analyst@example.com")
	ctx := context.Background()
	got := queryAll(t, c, `SELECT count(*) FROM ORDERS WHERE TOTAL > $1 AND PRODUCT_ID = $2`, 50, 3)
	want := queryAll(t, c, `SELECT count(*) FROM ORDERS WHERE TOTAL > 50 AND PRODUCT_ID = 3`)
	if testkit.DiffRows(got, want) != "" || got[0][0] == "0" {
		t.Errorf("parameters: %v, literals: %v", got, want)
	}
	tx, err := c.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `DECLARE cur CURSOR FOR SELECT ID FROM ORDERS ORDER BY ID`); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for range 3 {
		for _, r := range queryAll(t, c, `FETCH FORWARD 7 FROM cur`) {
			ids = append(ids, r[0])
		}
	}
	if len(ids) != 21 || ids[0] != "1" || ids[20] != "21" {
		t.Errorf("cursor gave %v", ids)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if got := queryAll(t, c, `SHOW TimeZone`); got[0][0] != "UTC" {
		t.Errorf("SHOW TimeZone = %v", got)
	}
	if _, err := c.Exec(ctx, `SET statement_timeout = 5000`); err != nil {
		t.Fatal(err)
	}
	// Past --sql-max-rows an answer ends with an error, never short.
	st := stackOf(t)
	small := pgwire.New(pgwire.Options{Engine: st.e, MaxRows: 10, Authenticate: func(context.Context, string, string) (*auth.Principal, error) {
		return principal(t, "analyst@example.com"), nil
	}})
	host, port, _ := net.SplitHostPort(serveSQL(t, small))
	sc, err := pgx.Connect(ctx, fmt.Sprintf("host=%s port=%s user=analyst@example.com password=x sslmode=disable", host, port))
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close(ctx)
	rows, _ := sc.Query(ctx, `SELECT ID FROM ORDERS`)
	n := 0
	for rows.Next() {
		n++
	}
	if pe := pgErr(t, rows.Err()); pe.Code != "54000" || n != 10 {
		t.Errorf("past the cap: %d rows, then %v", n, pe)
	}
	if got := queryAll(t, sc, `SELECT ID FROM ORDERS ORDER BY ID LIMIT 10`); len(got) != 10 {
		t.Errorf("at the cap: %d rows", len(got))
	}
}

// TestPgx_authentication: one message for every cause; a session token
// works as the password and its end ends the connection.
func TestPgx_authentication(t *testing.T) {
	st := stackOf(t)
	host, port, _ := net.SplitHostPort(st.addr)
	ctx := context.Background()
	var msgs []string
	for _, c := range []struct{ user, password string }{
		{"sales.tx@example.com", "not-a-token"},
		{"analyst@example.com", token(t, "sales.tx@example.com")},
		{"nobody@example.com", token(t, "nobody@example.com") + "x"},
	} {
		_, err := pgx.Connect(ctx, fmt.Sprintf("host=%s port=%s user=%s password=%s sslmode=disable", host, port, c.user, c.password))
		pe := pgErr(t, err)
		if pe.Code != "28P01" {
			t.Errorf("%s: %s %s", c.user, pe.Code, pe.Message)
		}
		msgs = append(msgs, strings.Replace(pe.Message, c.user, "U", 1))
	}
	sort.Strings(msgs)
	if msgs[0] != msgs[len(msgs)-1] {
		t.Errorf("authentication failures differ: %q", msgs)
	}
	p := principal(t, "analyst@example.com")
	sess, _, err := st.sessions.Create(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	c, err := pgx.Connect(ctx, fmt.Sprintf("host=%s port=%s user=analyst@example.com password=%s sslmode=disable", host, port, sess))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	if got := queryAll(t, c, `SELECT count(*) FROM PRODUCTS`); got[0][0] == "0" {
		t.Errorf("count %v", got)
	}
	if err := st.sessions.End(ctx, sess); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Exec(ctx, `SELECT count(*) FROM PRODUCTS`); err == nil {
		t.Error("a statement after the session ended was answered")
	}
}

// TestPsql_doneWhen: the issue's own check with Debian's psql: \dt, \d
// without EMAIL or PASSWORD, a grouped join answering TX only with its
// restriction as a notice, and a hidden table erring as a missing one.
func TestPsql_doneWhen(t *testing.T) {
	testkit.FullTier(t, "psql")
	psql, err := exec.LookPath("psql")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("psql is not installed: scripts/test installs postgresql-client")
		}
		t.Skip("psql is not installed")
	}
	st := stackOf(t)
	host, port, _ := net.SplitHostPort(st.addr)
	run := func(cmds ...string) string {
		args := []string{fmt.Sprintf("host=%s port=%s user=sales.tx@example.com sslmode=disable", host, port)}
		for _, c := range cmds {
			args = append(args, "-c", c)
		}
		cmd := exec.Command(psql, args...)
		cmd.Env = append(os.Environ(), "PGPASSWORD="+token(t, "sales.tx@example.com"), "PAGER=", "PSQLRC=/dev/null")
		out, _ := cmd.CombinedOutput()
		return string(out)
	}
	dt := run(`\dt`)
	for _, name := range []string{"ORDERS", "PEOPLE", "PRODUCTS"} {
		if !strings.Contains(dt, name) {
			t.Errorf(`\dt does not list %s:\n%s`, name, dt)
		}
	}
	if strings.Contains(dt, "REVIEWS") {
		t.Errorf(`\dt lists REVIEWS:\n%s`, dt)
	}
	for _, d := range []string{`\d PEOPLE`, `\d people`, `\d "PEOPLE"`} {
		out := run(d)
		if !strings.Contains(out, "STATE") || strings.Contains(out, "EMAIL") || strings.Contains(out, "PASSWORD") {
			t.Errorf("%s:\n%s", d, out)
		}
	}
	out := run(`SELECT p.STATE, count(*) FROM ORDERS o JOIN PEOPLE p ON o.USER_ID = p.ID GROUP BY 1`)
	if !strings.Contains(out, " TX ") || !strings.Contains(out, "(1 row)") || !strings.Contains(out, "NOTICE:  Rows of PEOPLE are limited") {
		t.Errorf("grouped join:\n%s", out)
	}
	hidden, missing := run(`SELECT * FROM REVIEWS`), run(`SELECT * FROM NO_SUCH_TABLE`)
	if strings.ReplaceAll(hidden, "reviews", "X") != strings.ReplaceAll(strings.ReplaceAll(missing, "no_such_table", "X"), "NO_SUCH_TABLE", "REVIEWS") {
		t.Errorf("a hidden table errs otherwise than a missing one:\n%s\n%s", hidden, missing)
	}
}
