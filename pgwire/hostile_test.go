package pgwire_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/agentlayer/agentlayer/auth"
	"github.com/agentlayer/agentlayer/engine"
	"github.com/agentlayer/agentlayer/fixtures"
	"github.com/agentlayer/agentlayer/internal/testsupport/pgsample"
	"github.com/agentlayer/agentlayer/internal/testsupport/testkit"
	"github.com/agentlayer/agentlayer/pgwire"
)

// statements records what the engine sends its database: every
// statement, at debug level, as "statement".
type statements struct {
	mu   sync.Mutex
	sqls []string
}

func (s *statements) Enabled(context.Context, slog.Level) bool { return true }
func (s *statements) Handle(_ context.Context, r slog.Record) error {
	if r.Message != "statement" {
		return nil
	}
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "sql" {
			s.mu.Lock()
			s.sqls = append(s.sqls, a.Value.String())
			s.mu.Unlock()
		}
		return true
	})
	return nil
}
func (s *statements) WithAttrs([]slog.Attr) slog.Handler { return s }
func (s *statements) WithGroup(string) slog.Handler      { return s }

// hostile are statements that reach for the database, the files or the
// settings of the server, or that provoke errors.
var hostile = []string{
	`SELECT pg_read_file('/etc/passwd')`, `SELECT * FROM read_csv('/etc/passwd')`, `SELECT * FROM read_parquet('x.parquet')`,
	`COPY ORDERS TO PROGRAM 'id'`, `COPY (SELECT 1) TO '/tmp/x'`, `SELECT set_config('agentlayer.state', 'CA', false)`,
	`SELECT pg_sleep(5)`, `SELECT $$x$$ FROM ORDERS`, `SELECT count(*) FROM ORDERS -- ; DROP TABLE ORDERS`,
	`SELECT count(*) FROM ORDERS /* */ WHERE TOTAL > 1; SELECT * FROM REVIEWS`, `INSERT INTO ORDERS VALUES (1)`,
	`DO $$ BEGIN PERFORM 1; END $$`, `CALL x()`, `LISTEN x`, `SET ROLE postgres`, `SET SESSION AUTHORIZATION postgres`,
	`SET agentlayer.state = 'CA'`, `SELECT * FROM pg_stats`, `SELECT * FROM pg_catalog.pg_statistic`,
	`SELECT relname, reltuples FROM pg_class`, `SELECT rolname FROM pg_roles`, `SELECT * FROM pg_settings`,
	`EXPLAIN SELECT count(*) FROM ORDERS`, `EXPLAIN ANALYZE SELECT count(*) FROM ORDERS`,
	`SELECT count(*) FROM ORDERS WHERE CREATED_AT > 'not a date'`, `SELECT count(*) FROM ORDERS WHERE TOTAL > 'abc'`,
	`SELECT EMAIL FROM PEOPLE`, `SELECT p.EMAIL FROM ORDERS o JOIN PEOPLE p ON o.USER_ID = p.ID`,
	`SELECT * FROM REVIEWS`, `SELECT * FROM "reviews"`, `SELECT * FROM public.REVIEWS`, `SELECT * FROM main.PEOPLE`,
	`SELECT STATE FROM PEOPLE WHERE STATE = 'CA'`, `SELECT count(*) FROM PEOPLE WHERE EMAIL ILIKE '%a%'`,
	`SELECT current_setting('agentlayer.state')`, `SELECT version()`, `SELECT * FROM information_schema.columns`,
	`SELECT lo_import('/etc/passwd')`, `SELECT dblink('x', 'y')`, `SELECT * FROM duckdb_settings()`, `PRAGMA version`,
	`SELECT count(*) FROM ORDERS WHERE TOTAL > (SELECT max(TOTAL) FROM REVIEWS)`, `WITH x AS (SELECT 1) SELECT * FROM x`,
	`SELECT 1/0 FROM ORDERS`, `SELECT ID::text FROM ORDERS`, `SELECT cast(EMAIL as text) FROM PEOPLE`,
}

// fuzzStatements builds statements from fragments of the language, some
// well formed and some not.
func fuzzStatements(seed uint64, n int) []string {
	r := rand.New(rand.NewPCG(seed, 0))
	pick := func(xs ...string) string { return xs[r.IntN(len(xs))] }
	var out []string
	for range n {
		col := pick("o.ID", "TOTAL", "p.STATE", "p.STATE", "p.NAME", "p.CITY", "CREATED_AT", "o.USER_ID", "p.SOURCE", "p.EMAIL", "PASSWORD", "x", "*", "p.*")
		agg := pick("count(*)", "sum(TOTAL)", "avg(p.LATITUDE)", "count(DISTINCT p.EMAIL)", "max(p.STATE)", "MEASURE(\"Gross revenue\")", "min(CREATED_AT)")
		cond := pick("TOTAL > 100", "p.STATE = 'CA'", "p.STATE <> 'TX'", "p.EMAIL ILIKE '%@%'", "CREATED_AT BETWEEN '2024-01-01' AND '2024-12-31'",
			"p.STATE IN ('CA', 'NY')", "p.STATE NOT IN ('TX')", "SEGMENT(\"Large orders\")", "p.ID IS NULL", "TOTAL > $1", "p.STATE = current_setting('agentlayer.state')",
			"TOTAL > 1 OR p.STATE = 'CA'", "NOT (TOTAL > 1)", "p.SOURCE ILIKE 'Goo%'", "TOTAL < 50", "p.CITY ILIKE '%o%'", "DISCOUNT IS NOT NULL")
		from := pick("ORDERS o LEFT JOIN PEOPLE p ON o.USER_ID = p.ID", "ORDERS o JOIN PEOPLE p ON p.ID = o.USER_ID", "ORDERS o LEFT JOIN PEOPLE p ON o.USER_ID = p.ID",
			"ORDERS o LEFT JOIN PEOPLE p ON o.USER_ID = p.ID", "PEOPLE p", "REVIEWS r", "ORDERS o, PEOPLE p")
		tail := pick("", " LIMIT 3", " ORDER BY 1 DESC LIMIT 5", " OFFSET 2", " LIMIT 20", " ORDER BY 1")
		switch r.IntN(4) {
		case 0:
			out = append(out, fmt.Sprintf("SELECT %s FROM %s WHERE %s%s", col, from, cond, tail))
		case 1:
			out = append(out, fmt.Sprintf("SELECT %s, %s FROM %s WHERE %s GROUP BY 1%s", col, agg, from, cond, pick("", " ORDER BY 2 DESC", " LIMIT 4")))
		case 2:
			out = append(out, fmt.Sprintf("SELECT %s FROM %s%s", agg, from, tail))
		default:
			s := fmt.Sprintf("SELECT %s, %s FROM %s WHERE %s", col, agg, from, cond)
			cut := r.IntN(len(s))
			out = append(out, s[:cut]+pick("", "'", ")", "(", "$$", ";", "--", "/*")+s[cut:])
		}
	}
	return out
}

// markers are what no statement sent to the database may hold.
var markers = []string{"pg_read_file", "read_csv", "read_parquet", "/etc/passwd", "COPY", "set_config", "pg_sleep", "$$", "--", "/*",
	"DROP", "INSERT", "pg_stat", "pg_class", "pg_roles", "lo_import", "dblink", "duckdb_settings", "PRAGMA", "REVIEWS", "PASSWORD"}

// TestNothingReachesTheDatabase: as sales.tx, hostile statements and
// generated ones reach the database only as plans (single SELECTs of the
// renderer's shape over the model's tables, without any text the client
// sent), and no answer, notice or error holds an email address, a state
// but Texas or a hidden column's value.
func TestNothingReachesTheDatabase(t *testing.T) {
	t.Parallel()
	engines := map[string]engine.Options{"DuckDB": {Setup: fixtures.Setup(0.2)}}
	if !testing.Short() {
		engines["PostgreSQL"] = engine.Options{Database: pgsample.Sample(t)}
	}
	stmts := fuzzStatements(1, testkit.Size(600, 150))
	stmts = append(stmts, hostile...)
	for name, opts := range engines {
		t.Run(name, func(t *testing.T) {
			rec := &statements{}
			opts.ModelFile, opts.ModelYAML = fixtures.ModelFile, fixtures.Model()
			opts.PolicyFile, opts.PolicyYAML = fixtures.PolicyFile, fixtures.Policy()
			opts.Logger = slog.New(rec)
			st := newStack(t, opts)
			c, _ := connectTo(t, st.addr, "sales.tx@example.com")
			var seen []string
			c.Config().OnNotice = nil
			answered := 0
			for _, s := range stmts {
				if c.IsClosed() {
					t.Errorf("the connection ended before %s", s)
					c, _ = connectTo(t, st.addr, "sales.tx@example.com")
				}
				var args []any
				if strings.Contains(s, "$1") {
					args = append(args, 50)
				}
				rows, err := c.Query(context.Background(), s, args...)
				if err == nil {
					for rows.Next() {
						vals, _ := rows.Values()
						seen = append(seen, strings.Join(testkit.CanonRow(vals), "|"))
					}
					err = rows.Err()
					rows.Close()
					answered++
				}
				if err != nil {
					if os.Getenv("SHOW_ERRORS") != "" {
						t.Logf("%s -> %v", s, err)
					}
					seen = append(seen, err.Error())
					if pe, ok := err.(*pgconn.PgError); ok {
						seen = append(seen, pe.Detail, pe.Hint)
					}
				}
			}
			email := regexp.MustCompile(`[a-z0-9._-]+@[a-z0-9.-]+\.[a-z]+`)
			for _, s := range seen {
				for _, m := range email.FindAllString(s, -1) {
					if m != "sales.tx@example.com" {
						t.Errorf("an answer holds the email %q: %s", m, s)
					}
				}
				if regexp.MustCompile(`(^|\|)(CA|NY|WY|AK)(\||$)`).MatchString(s) {
					t.Errorf("an answer holds a state but Texas: %s", s)
				}
			}
			shape := regexp.MustCompile(`^SELECT .* FROM "(ORDERS|PEOPLE|PRODUCTS)" AS "t0"`)
			tables := regexp.MustCompile(`(?:FROM|JOIN) "([A-Z_]+)"`)
			rec.mu.Lock()
			defer rec.mu.Unlock()
			for _, s := range rec.sqls {
				if !shape.MatchString(strings.ReplaceAll(s, "\n", " ")) && !strings.HasPrefix(s, "SELECT ") {
					t.Errorf("the database received a statement not of the renderer's shape:\n%s", s)
				}
				for _, m := range markers {
					if strings.Contains(s, m) {
						t.Errorf("the database received %q:\n%s", m, s)
					}
				}
				for _, m := range tables.FindAllStringSubmatch(s, -1) {
					if m[1] != "ORDERS" && m[1] != "PEOPLE" && m[1] != "PRODUCTS" {
						t.Errorf("the database was asked for %s:\n%s", m[1], s)
					}
				}
			}
			t.Logf("%d statements, %d answered; the database received %d, every one a plan", len(stmts), answered, len(rec.sqls))
			if len(rec.sqls) < 20 {
				t.Errorf("only %d statements reached the database: the run asked too little", len(rec.sqls))
			}
		})
	}
}

// TestHostileProtocol: truncated, oversized and malformed messages, a
// flood of connections that never start, and idle ones end those
// connections, never the server, which still answers.
func TestHostileProtocol(t *testing.T) {
	st := stackOf(t)
	dial := func() net.Conn {
		c, err := net.DialTimeout("tcp", st.addr, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		return c
	}
	startup := func(user string) []byte {
		var body bytes.Buffer
		_ = binary.Write(&body, binary.BigEndian, uint32(196608))
		body.WriteString("user\x00" + user + "\x00\x00")
		out := binary.BigEndian.AppendUint32(nil, uint32(body.Len()+4))
		return append(out, body.Bytes()...)
	}
	cases := map[string][]byte{
		"empty length":       {0, 0, 0, 0},
		"negative length":    {0xff, 0xff, 0xff, 0xf0, 0, 3, 0, 0},
		"oversized startup":  binary.BigEndian.AppendUint32(nil, 1<<30),
		"truncated startup":  startup("sales.tx@example.com")[:9],
		"unknown protocol":   {0, 0, 0, 8, 0, 9, 0, 0},
		"oversized password": append(startup("sales.tx@example.com"), append([]byte{'p'}, binary.BigEndian.AppendUint32(nil, 1<<30)...)...),
		"garbage":            []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
	}
	for name, msg := range cases {
		c := dial()
		_ = c.SetDeadline(time.Now().Add(300 * time.Millisecond))
		_, _ = c.Write(msg)
		buf := make([]byte, 4096)
		_, _ = c.Read(buf) // an error message, or the end
		c.Close()
		_ = name
	}
	// A flood of connections that never send a byte.
	var flood []net.Conn
	for range 50 {
		flood = append(flood, dial())
	}
	for _, c := range flood {
		c.Close()
	}
	// The server still answers.
	c := connect(t, "sales.tx@example.com")
	if got := queryAll(t, c, `SELECT count(*) FROM PRODUCTS`); len(got) != 1 || got[0][0] == "0" {
		t.Errorf("after the hostile input: %v", got)
	}
	// A connection that never starts is closed after the startup timeout.
	quick := pgwire.New(pgwire.Options{Engine: st.e, StartupTimeout: 200 * time.Millisecond,
		Authenticate: func(context.Context, string, string) (*auth.Principal, error) { return nil, errors.New("no") }})
	idle, err := net.Dial("tcp", serveSQL(t, quick))
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	_ = idle.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := idle.Read(make([]byte, 1)); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("an idle connection at startup was not closed: %v", err)
	}
	_ = pgx.ErrNoRows
}
