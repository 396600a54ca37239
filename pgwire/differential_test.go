package pgwire_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/agentlayer/agentlayer/auth"
	"github.com/agentlayer/agentlayer/engine"
	"github.com/agentlayer/agentlayer/fixtures"
	"github.com/agentlayer/agentlayer/internal/httpapi"
	"github.com/agentlayer/agentlayer/internal/testsupport/pgsample"
	"github.com/agentlayer/agentlayer/internal/testsupport/testkit"
	"github.com/agentlayer/agentlayer/pgwire"
)

// matrix are the personas of the sample policy.
var matrix = []string{"admin@example.com", "analyst@example.com", "sales.tx@example.com", "product@example.com", "support@example.com", "nobody@example.com"}

// TestDifferential_goldenCorpus: every table request of the golden corpus
// that SQL can express, written as SQL (toSQL), answers over the wire
// what the JSON request answers through the engine, for every persona of
// the matrix, on DuckDB and PostgreSQL: the same columns' values and rows
// in order, or an error for both; and it runs the same plan (the plan
// fingerprint its notices carry is the JSON answer's), so it shares the
// JSON request's cache entry.
func TestDifferential_goldenCorpus(t *testing.T) {
	t.Parallel()
	engines := map[string]engine.Options{"DuckDB": {Setup: fixtures.Setup(0.2)}}
	if !testing.Short() {
		engines["PostgreSQL"] = engine.Options{Database: pgsample.Sample(t)}
	}
	corpus := goldenCorpus(t)
	for name, opts := range engines {
		t.Run(name, func(t *testing.T) {
			opts.ModelFile, opts.ModelYAML = fixtures.ModelFile, fixtures.Model()
			opts.PolicyFile, opts.PolicyYAML = fixtures.PolicyFile, fixtures.Policy()
			st := newStack(t, opts)
			names := names(st, t)
			compared, skipped, bothErr := 0, 0, 0
			for _, email := range matrix {
				c, plans := connectTo(t, st.addr, email)
				p := principal(t, email)
				for _, cname := range sortedKeys(corpus) {
					req := corpus[cname]
					data, _ := json.Marshal(req)
					_, perr := engine.ParseRequest(data)
					sql, ok := toSQL(req, names)
					if !ok || perr != nil {
						if email == matrix[0] && perr == nil && os.Getenv("SHOW_SKIPPED") != "" {
							t.Logf("not expressed: %s", cname)
						}
						skipped++
						continue
					}
					want, wantPlan, jerr := jsonAnswer(st.e, p, req)
					*plans = nil
					got, serr := sqlAnswer(c, sql)
					switch {
					case jerr != nil && serr != nil:
						bothErr++
						continue
					case jerr != nil || serr != nil:
						t.Errorf("%s %s: JSON error %v, SQL error %v\n%s", email, cname, jerr, serr, sql)
						continue
					}
					if d := testkit.DiffRows(got, want); d != "" {
						t.Errorf("%s %s:\n%s\n%s", email, cname, sql, d)
					}
					// SQL's NOT is pushed down into the filters it negates, so a
					// request with "not" runs an equal plan, not the same one.
					if strings.Contains(string(data), `"not"`) {
						*plans = nil
					}
					for _, plan := range *plans {
						if plan != wantPlan {
							t.Errorf("%s %s: SQL ran plan %s, JSON %s\n%s", email, cname, plan, wantPlan, sql)
						}
					}
					compared++
				}
			}
			t.Logf("%d answers compared, %d errors on both paths, %d requests SQL does not express", compared, bothErr, skipped/len(matrix))
			if compared < 200 {
				t.Errorf("only %d answers compared", compared)
			}
		})
	}
}

func newStack(t testing.TB, opts engine.Options) *stack {
	t.Helper()
	e, err := engine.New(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	dir, err := auth.ParseDirectory(fixtures.UsersFile, fixtures.Users())
	if err != nil {
		t.Fatal(err)
	}
	v, err := auth.NewVerifier(auth.VerifierOptions{Secret: testSecret, Directory: dir})
	if err != nil {
		t.Fatal(err)
	}
	a := &httpapi.Authenticator{Verifier: v, Sessions: auth.NewSessions(auth.SessionOptions{})}
	popts := pgwire.Options{Engine: e, Authenticate: a.Password, Recheck: a.Recheck}
	if os.Getenv("SHOW_ERRORS") != "" {
		popts.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	return &stack{e: e, addr: serveSQL(t, pgwire.New(popts))}
}

// serveSQL serves SQL on a free loopback port until the test ends: its
// address.
func serveSQL(t testing.TB, srv *pgwire.Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// connectTo connects as email, gathering the plan fingerprints of the
// notices of each answer.
func connectTo(t testing.TB, addr, email string) (*pgx.Conn, *[]string) {
	t.Helper()
	host, port, _ := net.SplitHostPort(addr)
	cfg, err := pgx.ParseConfig(fmt.Sprintf("host=%s port=%s user=%s password=%s sslmode=disable", host, port, email, token(t, email)))
	if err != nil {
		t.Fatal(err)
	}
	plans := &[]string{}
	cfg.OnNotice = func(_ *pgconn.PgConn, n *pgconn.Notice) {
		if _, plan, ok := strings.Cut(n.Detail, "; plan "); ok {
			*plans = append(*plans, plan)
		}
	}
	c, err := pgx.ConnectConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c, plans
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// goldenCorpus is the golden requests of the sample model.
func goldenCorpus(t *testing.T) map[string]map[string]any {
	t.Helper()
	dirs, _ := filepath.Glob("../sqlgen/testdata/plan/*")
	out := map[string]map[string]any{}
	for _, dir := range dirs {
		if _, err := os.Stat(filepath.Join(dir, "options.json")); err == nil {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, "request.json"))
		if err != nil {
			continue
		}
		var req map[string]any
		if json.Unmarshal(data, &req) == nil {
			out[filepath.Base(dir)] = req
		}
	}
	if len(out) < 100 {
		t.Fatalf("only %d requests", len(out))
	}
	return out
}

func jsonAnswer(e *engine.Engine, p *auth.Principal, req map[string]any) ([][]string, string, error) {
	data, _ := json.Marshal(req)
	r, err := engine.ParseRequest(data)
	if err != nil {
		return nil, "", err
	}
	rows, err := e.Query(context.Background(), p, r)
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	var out [][]string
	for rows.Next() {
		out = append(out, testkit.CanonRow(rows.Row()))
	}
	return out, rows.Provenance.Plan, rows.Err()
}

func sqlAnswer(c *pgx.Conn, sql string) ([][]string, error) {
	rows, err := c.Query(context.Background(), sql)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out [][]string
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			return nil, err
		}
		out = append(out, testkit.CanonRow(vals))
	}
	return out, rows.Err()
}

// modelNames are the sample's names, as the admin sees them: tables, and
// field references, segments and measures by id.
type modelNames struct {
	tables   map[float64]string
	fields   map[string]string // t1-16 → USER.STATE
	refs     map[string]bool   // ORDERS.TOTAL, ORDERS.USER.STATE
	joins    map[string]string // USER → PEOPLE
	segments map[float64]string
	measures map[float64]string
}

func names(st *stack, t *testing.T) *modelNames {
	t.Helper()
	sch, err := st.e.Schema(context.Background(), principal(t, "admin@example.com"))
	if err != nil {
		t.Fatal(err)
	}
	n := &modelNames{tables: map[float64]string{}, fields: map[string]string{}, refs: map[string]bool{}, joins: map[string]string{},
		segments: map[float64]string{}, measures: map[float64]string{}}
	for _, d := range sch.Details {
		n.tables[float64(d.ID)] = d.Name
		for _, f := range d.Fields {
			n.fields[f.FieldID] = f.Name
			n.refs[d.Name+"."+f.Name] = true
		}
		for _, r := range d.RelatedTables {
			n.joins[d.Name+"."+r.Relationship] = r.Name + " " + r.RelatedBy
			for _, f := range r.Fields {
				n.fields[f.FieldID] = r.Relationship + "." + f.Name
				n.refs[d.Name+"."+r.Relationship+"."+f.Name] = true
			}
		}
		for _, s := range d.Segments {
			n.segments[float64(s.ID)] = s.Name
		}
		for _, m := range d.Measures {
			n.measures[float64(m.ID)] = m.Name
		}
	}
	return n
}
