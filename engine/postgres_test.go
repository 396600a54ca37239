package engine_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/agentlayer/agentlayer/internal/enginemodel"

	"github.com/agentlayer/agentlayer/auth"
	"github.com/agentlayer/agentlayer/engine"
	"github.com/agentlayer/agentlayer/fixtures"
	"github.com/agentlayer/agentlayer/internal/testsupport/pgsample"
	"github.com/agentlayer/agentlayer/internal/testsupport/pgtest"
	"github.com/agentlayer/agentlayer/internal/testsupport/testkit"
	"github.com/agentlayer/agentlayer/semantic"
	"github.com/agentlayer/agentlayer/sqlgen/sqlast"
)

// enginePair is the sample served by DuckDB and by PostgreSQL with the
// same model, policy and options.
type enginePair struct{ duck, pg *engine.Engine }

// samplePair opens the sample at scale 1 on both databases; opts adds its
// settings (the time zone, the week's start) to both.
func samplePair(t *testing.T, opts engine.Options) enginePair {
	t.Helper()
	url := pgsample.Sample(t)
	opts.ModelFile, opts.ModelYAML = fixtures.ModelFile, fixtures.Model()
	opts.PolicyFile, opts.PolicyYAML = fixtures.PolicyFile, fixtures.Policy()
	duckOpts := opts
	duckOpts.Setup = fixtures.Setup(1)
	duck, err := engine.New(context.Background(), duckOpts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { duck.Close() })
	opts.Database = url
	pg, err := engine.New(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pg.Close() })
	return enginePair{duck, pg}
}

// samplePrincipals are the sample's users, as its directory makes them,
// and users the policy gives other shapes: a region by a list attribute,
// and a sales user without the attribute their rule reads.
func samplePrincipals(t *testing.T) []*auth.Principal {
	t.Helper()
	dir, err := auth.ParseDirectory(fixtures.UsersFile, fixtures.Users())
	if err != nil {
		t.Fatal(err)
	}
	var out []*auth.Principal
	for _, email := range []string{"admin@example.com", "analyst@example.com", "sales.tx@example.com", "product@example.com", "nobody@example.com"} {
		u, ok := dir.Lookup(email)
		if !ok {
			t.Fatalf("no sample user %s", email)
		}
		out = append(out, &auth.Principal{Email: u.Email, Groups: u.Groups, Attributes: u.Attributes})
	}
	return append(out,
		&auth.Principal{Email: "ca@example.com", Groups: []string{"sales"}, Attributes: map[string]any{"state": "CA"}},
		&auth.Principal{Email: "bare@example.com", Groups: []string{"sales"}},
	)
}

// requestCorpus is every construct request of the golden cases of sqlgen
// (over the sample model) and permissions: what planning is specified by
// is what both databases must answer alike.
func requestCorpus(t *testing.T) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, glob := range []string{"../sqlgen/testdata/plan/*/request.json", "../permissions/testdata/plan/*/request.json"} {
		files, err := filepath.Glob(glob)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			dir := filepath.Dir(f)
			if opts, err := os.ReadFile(filepath.Join(dir, "options.json")); err == nil && strings.Contains(string(opts), `"model"`) {
				continue // another model than the sample
			}
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			out[filepath.Base(filepath.Dir(dir))+"/"+filepath.Base(dir)] = data
		}
	}
	if len(out) < 100 {
		t.Fatalf("only %d requests in the corpus", len(out))
	}
	return out
}

// answer is what a request gets: its columns and rows, formatted to
// compare (testkit.Canon), or its error.
type answer struct {
	cols []string
	rows [][]string
	err  string
}

func answerOf(ctx context.Context, e *engine.Engine, p *auth.Principal, data []byte) answer {
	req, err := engine.ParseRequest(data)
	if err != nil {
		return answer{err: "parse: " + err.Error()}
	}
	rows, err := e.Query(ctx, p, req)
	if err != nil {
		var qe *engine.QueryError
		if errors.As(err, &qe) {
			return answer{err: "database: " + err.Error()}
		}
		return answer{err: err.Error()}
	}
	defer rows.Close()
	var a answer
	for _, c := range rows.Columns {
		a.cols = append(a.cols, c.Name+" "+c.BaseType)
	}
	for rows.Next() {
		a.rows = append(a.rows, testkit.CanonRow(rows.Row()))
	}
	if err := rows.Err(); err != nil {
		return answer{err: "database: " + err.Error()}
	}
	return a
}

// TestPostgres_sameAnswers runs every request of the golden corpus as
// every sample user, in UTC and in a zone with daylight saving and weeks
// starting on Monday, on DuckDB and on PostgreSQL: the columns, the rows in
// their order, and the errors must be the same.
func TestPostgres_sameAnswers(t *testing.T) {
	t.Parallel()
	corpus := requestCorpus(t)
	principals := samplePrincipals(t)
	for _, zone := range []struct {
		name string
		opts engine.Options
	}{
		{"UTC", engine.Options{}},
		{"New_York", engine.Options{TimeZone: "America/New_York", WeekStart: time.Monday}},
	} {
		t.Run(zone.name, func(t *testing.T) {
			pair := samplePair(t, zone.opts)
			sameAnswers(t, pair.duck, pair.pg, corpus, principals)
		})
	}
}

// sameAnswers runs every request of corpus as every principal on duck and
// on pg, and reports every difference.
func sameAnswers(t *testing.T, duck, pg *engine.Engine, corpus map[string][]byte, principals []*auth.Principal) {
	t.Helper()
	ctx := context.Background()
	compared, answered := 0, 0
	for name, data := range corpus {
		for _, p := range principals {
			want := answerOf(ctx, duck, p, data)
			got := answerOf(ctx, pg, p, data)
			compared++
			if want.err == "" {
				answered++
			}
			if strings.HasPrefix(want.err, "database:") {
				t.Errorf("%s as %s: DuckDB failed: %s", name, p.Email, want.err)
				continue
			}
			if d := diffAnswers(got, want); d != "" {
				t.Errorf("%s as %s: PostgreSQL differs from DuckDB: %s\nrequest %s", name, p.Email, d, data)
			}
		}
	}
	t.Logf("%d requests × users compared, %d answered with rows", compared, answered)
	if answered < compared/3 {
		t.Errorf("only %d of %d answered with rows", answered, compared)
	}
}

func diffAnswers(got, want answer) string {
	if got.err != want.err {
		return "error " + quoteOr(got.err) + ", want " + quoteOr(want.err)
	}
	if strings.Join(got.cols, ", ") != strings.Join(want.cols, ", ") {
		return "columns " + strings.Join(got.cols, ", ") + ", want " + strings.Join(want.cols, ", ")
	}
	return testkit.DiffRows(got.rows, want.rows)
}

func quoteOr(s string) string {
	if s == "" {
		return "none"
	}
	b, _ := json.Marshal(s)
	return string(b)
}

// TestPostgresPattern_matchesRE2 applies RE2 patterns, translated
// (sqlgen.PostgresPattern), to strings on PostgreSQL as the dialect does,
// and compares every outcome with Go's regexp, which is RE2.
func TestPostgresPattern_matchesRE2(t *testing.T) {
	db := pgtest.Open(t, pgtest.URL(t))
	patterns := []string{
		`a.b`, `(?s)a.b`, `^abc$`, `(?m)^b`, `(?m)a$`, `\w+`, `^\w+$`, `\W`, `\d`, `\D`, `\s`, `\S+`, `[\d\s]`,
		`\bcat\b`, `\Bat`, `(?i)CAT`, `(?i)k`, `(?i)s`, `(?i)[a-c]+$`, `[^a]`, `[^\n]+`, `[[:alpha:]]+`, `[[:^digit:]]`,
		`[[:space:]]`, `[[:punct:]]`, `[[:upper:]][[:lower:]]`, `x{2}`, `x{2,}`, `x{1,3}?y`, `(ab|cd)+`, `a|b|`, `()`,
		`\.`, `\$`, `\^`, `[\]\[]`, `[\-]`, `\x41`, `\x{e9}`, `é`, `ß`, `[à-ÿ]`, `\pL`, `\p{Greek}`, `\PN`, `\t`,
		`\n`, `\v`, `(?i)é`, `(?U)a+`, `a*?`, `\Aab`, `ab\z`, `(?-s:.)`, `[^\x00-\x7F]`, `.{3}`, `^$`, `^`, `$`,
	}
	subjects := []string{
		"", "a", "ab", "abc", "a\nb", "a\nb\n", "b\na", "cat", "concat", "cat_", "_cat", "CAT", "Cat dog", "k", "K", "\u212a",
		"s", "S", "\u017f", "x", "xx", "xxx", "xxy", "abcd", "cdab", "1", "a1", "١", " ", "\t", "\v", "\f", "\u00a0", "\u2003",
		"é", "É", "ß", "ẞ", "ÿ", "α", "Ω", "a.b", "a$", "^a", "[x]", "-", "A", "ünïcödé", "tab\there", "x\ny",
	}
	checked := 0
	for _, p := range patterns {
		re := regexp.MustCompile(p)
		pg, err := sqlast.PostgresPattern(p)
		if err != nil {
			t.Errorf("%q: %v", p, err)
			continue
		}
		rows, err := db.Query(`SELECT s, s COLLATE "C" ~ $1 FROM unnest(CAST($2 AS TEXT[])) AS s`, pg, subjects)
		if err != nil {
			t.Errorf("%q as %q: %v", p, pg, err)
			continue
		}
		for rows.Next() {
			var s string
			var got bool
			if err := rows.Scan(&s, &got); err != nil {
				t.Fatal(err)
			}
			if want := re.MatchString(s); got != want {
				t.Errorf("%q (PostgreSQL %q) on %q: %v, RE2 %v", p, pg, s, got, want)
			}
			checked++
		}
		rows.Close()
	}
	t.Logf("%d patterns × %d strings: %d outcomes compared", len(patterns), len(subjects), checked)
}

// TestPostgres_sameDetails compares, for every sample user, what the
// discovery operations answer on DuckDB and on PostgreSQL: table and
// metric details with field values, every field's values and statistics,
// and search. Only the engine's name may differ.
func TestPostgres_sameDetails(t *testing.T) {
	t.Parallel()
	pair := samplePair(t, engine.Options{})
	ctx := context.Background()
	m := enginemodel.Of(pair.duck)
	compared, answered := 0, 0
	same := func(what string, p *auth.Principal, get func(e *engine.Engine) (any, error)) {
		t.Helper()
		want, werr := get(pair.duck)
		got, gerr := get(pair.pg)
		compared++
		if werr == nil {
			answered++
		}
		if fmt.Sprint(werr) != fmt.Sprint(gerr) {
			t.Errorf("%s as %s: error %v, DuckDB %v", what, p.Email, gerr, werr)
			return
		}
		if g, w := canonJSON(t, got), canonJSON(t, want); g != w {
			t.Errorf("%s as %s: PostgreSQL\n%s\nDuckDB\n%s", what, p.Email, g, w)
		}
	}
	for _, p := range samplePrincipals(t) {
		for _, tab := range m.Tables {
			same(fmt.Sprintf("table %d", tab.ID), p, func(e *engine.Engine) (any, error) {
				return e.Table(ctx, p, tab.ID, engine.TableOptions{Fields: true, FieldValues: true, RelatedTables: true, Metrics: true, Measures: true, Segments: true})
			})
			for i := range tab.Wide() {
				id := semantic.TablePrefix(tab.ID).ID(i)
				same("values of "+id, p, func(e *engine.Engine) (any, error) {
					return e.FieldValues(ctx, p, engine.FieldRef{TableID: tab.ID, FieldID: id}, 50)
				})
			}
		}
		for _, metric := range m.Metrics {
			same(fmt.Sprintf("metric %d", metric.ID), p, func(e *engine.Engine) (any, error) {
				return e.Metric(ctx, p, metric.ID, engine.MetricOptions{DefaultTemporalBreakout: true, FieldValues: true, QueryableDimensions: true, Segments: true})
			})
		}
		same("search", p, func(e *engine.Engine) (any, error) {
			return e.Search(ctx, p, []string{"orders", "revenue"}, []string{"who buys gadgets"})
		})
	}
	t.Logf("%d answers compared, %d of them not errors", compared, answered)
	if answered < compared/3 {
		t.Errorf("only %d of %d answers are not errors", answered, compared)
	}
}

// canonJSON is v as JSON with every number to 9 significant digits and
// the database's name blanked: what must agree across databases.
func canonJSON(t *testing.T, v any) string {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.UseNumber()
	var x any
	if err := dec.Decode(&x); err != nil {
		t.Fatal(err)
	}
	var walk func(any) any
	walk = func(v any) any {
		switch y := v.(type) {
		case map[string]any:
			for k, e := range y {
				if k == "DatabaseEngine" || k == "database_engine" {
					y[k] = "-"
					continue
				}
				y[k] = walk(e)
			}
		case []any:
			for i, e := range y {
				y[i] = walk(e)
			}
		case json.Number:
			f, _ := y.Float64()
			return testkit.Canon(f)
		}
		return v
	}
	out, _ := json.MarshalIndent(walk(x), "", " ")
	return string(out)
}

// pgSampleOptions are sampleOptions on a new PostgreSQL database of the
// test's, loaded by Setup (which gets a handle that may write).
func pgSampleOptions(t *testing.T) engine.Options {
	opts := sampleOptions()
	opts.Threads = 0
	opts.Database = pgtest.NewDatabase(t)
	opts.Setup = func(ctx context.Context, db *sql.DB) error { return fixtures.LoadPostgres(ctx, db, 0.1) }
	return opts
}

// TestNew_postgresChecks: the model is checked against PostgreSQL's
// catalog as against DuckDB's, with the same messages at the same
// positions; what PostgreSQL cannot do is refused saying so.
func TestNew_postgresChecks(t *testing.T) {
	ctx := context.Background()
	sample := string(fixtures.Model())
	for _, tt := range []struct {
		name   string
		change func(*engine.Options)
		want   string
	}{
		{"missing column", func(o *engine.Options) {
			o.ModelYAML = []byte(strings.Replace(sample, "      - name: TAX\n", "      - name: TAX\n        column: TAXES\n", 1))
		}, `fixtures/sample/model.yaml:38:17: table ORDERS, field TAX: source table ORDERS has no column "TAXES" (did you mean TAX?)`},
		{"type mismatch", func(o *engine.Options) {
			o.ModelYAML = []byte(strings.Replace(sample, "      - name: QUANTITY\n        type: INTEGER\n", "      - name: QUANTITY\n        type: DOUBLE\n", 1))
		}, `field QUANTITY is declared DOUBLE but column "QUANTITY" is INTEGER`},
		{"duplicate key", func(o *engine.Options) {
			setup := o.Setup
			o.Setup = func(ctx context.Context, db *sql.DB) error {
				if err := setup(ctx, db); err != nil {
					return err
				}
				_, err := db.ExecContext(ctx, `ALTER TABLE "PRODUCTS" DROP CONSTRAINT "PRODUCTS_pkey"; INSERT INTO "PRODUCTS" SELECT * FROM "PRODUCTS" WHERE "ID" = 7`)
				return err
			}
		}, `field PRODUCTS.ID is referenced as a key (type/PK) but 1 of its values repeat`},
		{"a file source", func(o *engine.Options) {
			o.ModelYAML = []byte(strings.Replace(sample, "    name: REVIEWS\n", "    name: REVIEWS\n    source: {parquet: reviews.parquet}\n", 1))
		}, "PostgreSQL reads tables and SELECTs, not files: load fixtures/sample/reviews.parquet into a table, or serve it with DuckDB"},
		{"DuckDB's options", func(o *engine.Options) { o.Threads, o.MemoryLimit = 2, "1GB" }, "Options.MemoryLimit, Options.Threads configure DuckDB"},
		{"setup fails", func(o *engine.Options) {
			o.Setup = func(ctx context.Context, db *sql.DB) error { return errors.New("no data today") }
		}, "no data today"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			opts := pgSampleOptions(t)
			tt.change(&opts)
			e, err := engine.New(ctx, opts)
			if err == nil {
				e.Close()
				t.Fatal("New succeeded")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q\nwant it to contain %q", err, tt.want)
			}
		})
	}
	t.Run("unreachable, password kept out", func(t *testing.T) {
		_, err := engine.New(ctx, engine.Options{ModelFile: fixtures.ModelFile, ModelYAML: fixtures.Model(), Unrestricted: true,
			Database: "postgres://agent:s3cret-pw@127.0.0.1:1/nowhere?connect_timeout=2"})
		if err == nil || strings.Contains(err.Error(), "s3cret-pw") || !strings.Contains(err.Error(), "agent@127.0.0.1:1/nowhere") {
			t.Errorf("error %v", err)
		}
	})
}

// TestPostgres_readOnly: the engine's sessions cannot write, even through
// a model's SELECT that tries (nextval writes); Setup's could.
func TestPostgres_readOnly(t *testing.T) {
	ctx := context.Background()
	opts := pgSampleOptions(t)
	setup := opts.Setup
	opts.Setup = func(ctx context.Context, db *sql.DB) error {
		if err := setup(ctx, db); err != nil {
			return err
		}
		_, err := db.ExecContext(ctx, "CREATE SEQUENCE hits")
		return err
	}
	opts.ModelYAML = []byte(strings.Replace(string(fixtures.Model()), "    name: REVIEWS\n",
		"    name: REVIEWS\n    source: {sql: 'SELECT *, nextval(''hits'') AS HIT FROM \"REVIEWS\"'}\n", 1))
	e, err := engine.New(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	_, err = e.Query(ctx, admin, &engine.Request{TableID: 4, Aggregations: []engine.Aggregation{{Function: "count"}}})
	if err == nil || !strings.Contains(err.Error(), "read-only transaction") {
		t.Fatalf("query error %v, want the write refused", err)
	}
	var called bool
	if err := pgtest.Open(t, opts.Database).QueryRow(`SELECT is_called FROM hits`).Scan(&called); err != nil || called {
		t.Errorf("the sequence advanced (%v, %v)", called, err)
	}
}

// TestPostgres_types: the columns of every type the docs' table lists are
// named as DuckDB would, and their values come back as on DuckDB.
func TestPostgres_types(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewDatabase(t)
	setup := func(ctx context.Context, db *sql.DB) error {
		_, err := db.ExecContext(ctx, `CREATE TABLE "T" ("ID" bigint PRIMARY KEY, "S" smallint, "I" integer, "R" real, "D" double precision,
			"N" numeric(10,2), "U" numeric, "B" boolean, "TX" text, "VC" varchar(5), "CH" char(3), "ID2" uuid, "DT" date,
			"TS" timestamp, "TZ" timestamptz, "TM" time);
			INSERT INTO "T" VALUES (1, 7, 70000, 1.5, 'NaN', 12.50, 'NaN', true, 'x', 'abc', 'ab', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
			'2024-02-29', '2024-02-29 13:14:15.5', '2024-02-29 13:14:15+02', '13:14:15.25'),
			(2, NULL, NULL, NULL, 2.25, 99999999.99, 123456789012345678901234567890.5, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`)
		return err
	}
	model := []byte("version: 1\ntables:\n  - id: 1\n    name: T\n    fields:\n      - {name: ID, semantic_type: type/PK}\n" +
		"      - {name: S}\n      - {name: I}\n      - {name: R}\n      - {name: D}\n      - {name: N}\n      - {name: U}\n      - {name: B}\n" +
		"      - {name: TX}\n      - {name: VC}\n      - {name: CH}\n      - {name: ID2}\n      - {name: DT}\n      - {name: TS}\n      - {name: TZ}\n      - {name: TM}\n")
	e, err := engine.New(ctx, engine.Options{ModelFile: "t.yaml", ModelYAML: model, Unrestricted: true, Database: url, Setup: setup})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	var types []string
	for _, f := range enginemodel.Of(e).Tables[0].Fields {
		types = append(types, f.Name+" "+f.Type.Database)
	}
	want := "ID BIGINT, S SMALLINT, I INTEGER, R FLOAT, D DOUBLE, N DECIMAL(10,2), U NUMERIC, B BOOLEAN, TX VARCHAR, VC VARCHAR, CH VARCHAR, ID2 UUID, DT DATE, TS TIMESTAMP, TZ TIMESTAMPTZ, TM TIME"
	if got := strings.Join(types, ", "); got != want {
		t.Errorf("types\n got %s\nwant %s", got, want)
	}
	rows, err := e.Query(ctx, admin, &engine.Request{TableID: 1, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		out = append(out, string(rows.AppendJSON(nil)))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	wantRows := []string{
		`[1,7,70000,1.5,null,12.5,null,true,"x","abc","ab ","a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11","2024-02-29T00:00:00Z","2024-02-29T13:14:15.5Z","2024-02-29T11:14:15Z","13:14:15"]`,
		`[2,null,null,null,2.25,99999999.99,123456789012345678901234567890.5,null,null,null,null,null,null,null,null,null]`,
	}
	if strings.Join(out, "\n") != strings.Join(wantRows, "\n") {
		t.Errorf("rows\n got %s\nwant %s", strings.Join(out, "\n"), strings.Join(wantRows, "\n"))
	}
}

// typesTables are the same two tables, in DuckDB's and PostgreSQL's SQL: T
// with a column of each type both share (a UUID key among them), and
// CHILD referencing T by that UUID.
var typesTables = map[string]string{
	"duckdb": `CREATE TABLE "T" ("ID" UUID PRIMARY KEY, "S" SMALLINT, "I" INTEGER, "R" REAL, "D" DOUBLE, "N" DECIMAL(10,2), "B" BOOLEAN,
		"TX" VARCHAR, "DT" DATE, "TS" TIMESTAMP, "TZ" TIMESTAMPTZ, "TM" TIME);
		CREATE TABLE "CHILD" ("ID" BIGINT PRIMARY KEY, "T_ID" UUID, "NOTE" VARCHAR);`,
	"postgres": `CREATE TABLE "T" ("ID" uuid PRIMARY KEY, "S" smallint, "I" integer, "R" real, "D" double precision, "N" numeric(10,2), "B" boolean,
		"TX" text, "DT" date, "TS" timestamp, "TZ" timestamptz, "TM" time);
		CREATE TABLE "CHILD" ("ID" bigint PRIMARY KEY, "T_ID" uuid, "NOTE" text);`,
}

const typesRows = `INSERT INTO "T" VALUES
	('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 7, 70000, 1.5, 'NaN', 12.50, true, 'Alpha beta', '2024-02-29', '2024-02-29 13:14:15.5', '2024-02-29 13:14:15+02', '13:14:15'),
	('b1eebc99-9c0b-4ef8-bb6d-6bb9bd380a12', -3, NULL, 2.25, 2.25, 99999999.99, false, '{"a": [1, 2]}', '2023-12-31', '2024-01-01 00:00:00', '2023-12-31 23:30:00-05', '00:00:00'),
	('c2eebc99-9c0b-4ef8-bb6d-6bb9bd380a13', NULL, 5, NULL, -1e100, -0.01, NULL, 'ann@example.com', NULL, NULL, NULL, NULL),
	('d3eebc99-9c0b-4ef8-bb6d-6bb9bd380a14', 0, -2147483648, 0, 0, 0, true, 'https://example.com/x?y', '1999-01-01', '1999-01-01 12:00:00', '1999-01-01 12:00:00+00', '23:59:59'),
	('e4eebc99-9c0b-4ef8-bb6d-6bb9bd380a15', 32767, 2147483647, -7.75, 1e-9, 5.5, false, '[1, 2]', '2024-03-10', '2024-03-10 07:00:00', '2024-03-10 07:00:00+00', '12:30:00'),
	('f5eebc99-9c0b-4ef8-bb6d-6bb9bd380a16', 1, 1, 1, 1, 1, true, '', '2024-11-03', '2024-11-03 05:30:00', '2024-11-03 05:30:00+00', '01:02:03');
	INSERT INTO "CHILD" VALUES (1, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'first'), (2, 'b1eebc99-9c0b-4ef8-bb6d-6bb9bd380a12', 'second'),
	(3, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'third'), (4, NULL, 'orphan'), (5, 'ffffffff-0000-0000-0000-000000000000', 'dangling'),
	(6, 'e4eebc99-9c0b-4ef8-bb6d-6bb9bd380a15', NULL);`

const typesModel = `version: 1
tables:
  - id: 1
    name: T
    fields:
      - {name: ID, semantic_type: type/PK}
      - {name: S}
      - {name: I}
      - {name: R}
      - {name: D}
      - {name: N}
      - {name: B}
      - {name: TX}
      - {name: DT}
      - {name: TS}
      - {name: TZ}
      - {name: TM}
  - id: 2
    name: CHILD
    fields:
      - {name: ID, semantic_type: type/PK}
      - {name: T_ID, references: T.ID}
      - {name: NOTE}
`

const typesPolicy = `version: 1
policies:
  - name: all
    when: '"all" in user.groups'
    tables: "*"
  - name: some
    when: '"some" in user.groups'
    tables:
      T: {rows: 'row.TX.contains("a") || row.S > 0'}
      CHILD: {rows: 'row.T.B == true && row.NOTE != "third"'}
`

// typesEngine serves the types tables on database ("" for DuckDB).
func typesEngine(t *testing.T, database string) *engine.Engine {
	t.Helper()
	dialect := "duckdb"
	if database != "" {
		dialect = "postgres"
	}
	e, err := engine.New(context.Background(), engine.Options{ModelFile: "types.yaml", ModelYAML: []byte(typesModel),
		PolicyFile: "types-policy.yaml", PolicyYAML: []byte(typesPolicy), Database: database, TimeZone: "Europe/Paris",
		Setup: func(ctx context.Context, db *sql.DB) error {
			_, err := db.ExecContext(ctx, typesTables[dialect]+typesRows)
			return err
		}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// TestPostgres_typesAlike asks, of every column of every shared type — a
// UUID key and a relationship along it included — what an agent can ask
// (filters, sorts, groups, aggregates, field values and statistics), as a
// user who sees all and one under row rules: DuckDB and PostgreSQL answer
// alike.
func TestPostgres_typesAlike(t *testing.T) {
	t.Parallel()
	duck, pg := typesEngine(t, ""), typesEngine(t, pgtest.NewDatabase(t))
	ctx := context.Background()
	users := []*auth.Principal{{Email: "all@example.com", Groups: []string{"all"}}, {Email: "some@example.com", Groups: []string{"some"}}}
	corpus := map[string][]byte{}
	add := func(name, request string) { corpus[name] = []byte(request) }
	literal := map[semantic.Kind]string{semantic.KindText: `"a"`, semantic.KindDate: `"2024-01-01"`, semantic.KindDateTime: `"2024-01-01"`,
		semantic.KindDateTimeTZ: `"2024-01-01"`, semantic.KindBoolean: `true`, semantic.KindTime: `"12:00:00"`}
	for _, table := range enginemodel.Of(duck).Tables {
		for i, w := range table.Wide() {
			id := semantic.TablePrefix(table.ID).ID(i)
			k := w.Field.Type.Kind
			base := fmt.Sprintf(`"table_id":%d`, table.ID)
			add(id+" group", fmt.Sprintf(`{%s,"aggregations":[{"function":"count"}],"group_by":[{"field_id":%q}]}`, base, id))
			add(id+" order", fmt.Sprintf(`{%s,"fields":[{"field_id":"t%d-0"},{"field_id":%q}],"order_by":[{"field":{"field_id":%q},"direction":"desc"}],"limit":4}`, base, table.ID, id, id))
			add(id+" distinct", fmt.Sprintf(`{%s,"aggregations":[{"function":"count-distinct","field_id":%q},{"function":"count"}]}`, base, id))
			add(id+" null", fmt.Sprintf(`{%s,"filters":[{"field_id":%q,"operation":"is-null"}],"aggregations":[{"function":"count"}]}`, base, id))
			if k != semantic.KindBoolean {
				add(id+" min max", fmt.Sprintf(`{%s,"aggregations":[{"function":"min","field_id":%q},{"function":"max","field_id":%q}]}`, base, id, id))
			}
			switch {
			case k == semantic.KindText:
				for _, op := range []string{"string-contains", "string-starts-with", "string-ends-with", "string-not-contains"} {
					add(id+" "+op, fmt.Sprintf(`{%s,"filters":[{"field_id":%q,"operation":%q,"value":"A"}],"aggregations":[{"function":"count"}]}`, base, id, op))
				}
				add(id+" equals", fmt.Sprintf(`{%s,"filters":[{"field_id":%q,"operation":"equals","values":["a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11","Alpha beta",""]}],"aggregations":[{"function":"count"}]}`, base, id))
				add(id+" greater", fmt.Sprintf(`{%s,"filters":[{"field_id":%q,"operation":"greater-than","value":"b"}],"aggregations":[{"function":"count"}]}`, base, id))
			case k.IsNumeric():
				add(id+" greater", fmt.Sprintf(`{%s,"filters":[{"field_id":%q,"operation":"greater-than","value":1}],"aggregations":[{"function":"count"},{"function":"sum","field_id":%q},{"function":"avg","field_id":%q}]}`, base, id, id, id))
			case literal[k] != "":
				add(id+" greater", fmt.Sprintf(`{%s,"filters":[{"field_id":%q,"operation":"greater-than","value":%s}],"aggregations":[{"function":"count"}]}`, base, id, literal[k]))
			}
			if k.IsTemporal() {
				add(id+" by month", fmt.Sprintf(`{%s,"aggregations":[{"function":"count"}],"group_by":[{"field_id":%q,"field_granularity":"month"}]}`, base, id))
			}
		}
	}
	sameAnswers(t, duck, pg, corpus, users)
	for _, p := range users {
		for _, table := range enginemodel.Of(duck).Tables {
			for i := range table.Wide() {
				id := semantic.TablePrefix(table.ID).ID(i)
				want, werr := duck.FieldValues(ctx, p, engine.FieldRef{TableID: table.ID, FieldID: id}, 10)
				got, gerr := pg.FieldValues(ctx, p, engine.FieldRef{TableID: table.ID, FieldID: id}, 10)
				if fmt.Sprint(werr) != fmt.Sprint(gerr) {
					t.Errorf("values of %s as %s: error %v, DuckDB %v", id, p.Email, gerr, werr)
				} else if g, w := canonJSON(t, got), canonJSON(t, want); g != w {
					t.Errorf("values of %s as %s: PostgreSQL\n%s\nDuckDB\n%s", id, p.Email, g, w)
				}
			}
		}
	}
	stats, err := pg.FieldValues(ctx, users[0], engine.FieldRef{TableID: 1, FieldID: "t1-7"}, 10)
	if err != nil || stats.Statistics.PercentJSON == nil || *stats.Statistics.PercentJSON == 0 {
		t.Errorf("the share of JSON text on PostgreSQL: %+v (%v)", stats, err)
	}
}
