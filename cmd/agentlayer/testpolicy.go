package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"

	"github.com/agentlayer/agentlayer/internal/enginemodel"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"
	"gopkg.in/yaml.v3"

	"github.com/agentlayer/agentlayer/agentapi"
	"github.com/agentlayer/agentlayer/auth"
	"github.com/agentlayer/agentlayer/engine"
	"github.com/agentlayer/agentlayer/semantic"
)

const testPolicyHelp = `
Runs a policy test suite: each case names a user, a request and what the
user must get. Exits 1 if any case fails, printing why, the SQL that ran
and the policies that applied.

A suite is YAML:

  version: 1
  cases:
    - name: sales sees the people of their state only
      user: sales.tx@example.com          # a user of --users; or claims:
      # claims: {email: x@example.com, groups: [sales], attributes: {state: CA}}
      request: {table_id: 2, aggregations: [{function: count}]}   # run as /v1/query
      # or endpoint: GET /api/agent/v1/table/4   (and body: … for a POST)
      expect:
        status: 202                       # the Agent API's status
        error: forbidden                  # its error code
        tables: [ORDERS, PEOPLE, PRODUCTS] # exactly the tables the user sees
        visible: {PEOPLE: [STATE, CITY]}  # fields the user must see
        hidden: {PEOPLE: [EMAIL]}         # fields the user must not see
        masked: {PEOPLE: {EMAIL: email_domain}}  # fields seen through a mask
        row_count: 1                      # of the whole answer, every page
        rows: [[125]]                     # exactly, in order
        every_row: row.STATE == "TX"      # CEL over the answer's columns, every row
        restrictions: ["Groups of fewer than 10"]  # words some restriction holds
        aggregate: {min_group_size: 10, time_granularity: day}

Every table and field a suite names is resolved against the model before
any case runs: an unknown one is an error at its line and column, with the
nearest name. Fields are a table's own (EMAIL), related (USER.STATE) or
ids (t1-16). A request runs as /v1/query, every page read (its limit, if
it gives one, is the total): row_count, rows and every_row check the whole
answer, and fail, saying so, on an answer cut at its row cap.

With no --model, the suite runs against the built-in sample --sample names.`

// policySuite is a test-policy file.
type policySuite struct {
	Version int          `yaml:"version"`
	Cases   []policyCase `yaml:"cases"`
}

type policyCase struct {
	Name     string         `yaml:"name"`
	User     string         `yaml:"user"`
	Claims   *caseClaims    `yaml:"claims"`
	Request  map[string]any `yaml:"request"`
	Endpoint string         `yaml:"endpoint"`
	Body     map[string]any `yaml:"body"`
	Expect   caseExpect     `yaml:"expect"`
	line     int
	names    expectNames // the expectations' names, with their positions
}

type caseClaims struct {
	Email      string         `yaml:"email"`
	Groups     []string       `yaml:"groups"`
	Attributes map[string]any `yaml:"attributes"`
	Scope      string         `yaml:"scope"`
}

type caseExpect struct {
	Status       int                          `yaml:"status"`
	Error        string                       `yaml:"error"`
	Tables       []string                     `yaml:"tables"`
	Visible      map[string][]string          `yaml:"visible"`
	Hidden       map[string][]string          `yaml:"hidden"`
	Masked       map[string]map[string]string `yaml:"masked"`
	RowCount     *int                         `yaml:"row_count"`
	Rows         [][]any                      `yaml:"rows"`
	EveryRow     string                       `yaml:"every_row"`
	Restrictions []string                     `yaml:"restrictions"`
	Aggregate    *caseAggregate               `yaml:"aggregate"`
}

// caseAggregate is what an answer read under an aggregate grant must say
// of itself (its restrictions' aggregate field).
type caseAggregate struct {
	MinGroupSize    int    `yaml:"min_group_size"`
	TimeGranularity string `yaml:"time_granularity"`
}

func testPolicy(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := &serveFlags{}
	fs := newFlags("test-policy", "agentlayer test-policy [--model FILE --policy FILE --users FILE --db …] SUITE.yaml", testPolicyHelp, nil, stdout)
	f.modelFlags.register(fs, true)
	fs.StringVar(&f.usersFile, "users", "", "user directory `file` (default: the sample's users when testing a sample)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return usagef("")
	}
	if err := f.modelFlags.check(explicitFlags(fs)); err != nil {
		return err
	}
	suite, err := readSuite(fs.Arg(0))
	if err != nil {
		return err
	}
	log, _ := newLogger("error", stderr)
	e, err := f.openEngine(ctx, log)
	if err != nil {
		return err
	}
	defer e.Close()
	if err := checkSuiteNames(fs.Arg(0), suite.Cases, enginemodel.Of(e)); err != nil {
		return err
	}
	dir, err := f.directory()
	if err != nil {
		return err
	}
	r, err := newCaseRunner(e, dir)
	if err != nil {
		return err
	}
	failed := 0
	for _, c := range suite.Cases {
		problems := r.run(ctx, c)
		if len(problems) == 0 {
			fmt.Fprintf(stdout, "ok    %s\n", c.Name)
			continue
		}
		failed++
		fmt.Fprintf(stdout, "FAIL  %s (%s:%d)\n", c.Name, fs.Arg(0), c.line)
		for _, p := range problems {
			fmt.Fprintf(stdout, "      %s\n", strings.ReplaceAll(p, "\n", "\n      "))
		}
	}
	fmt.Fprintf(stdout, "%d cases, %d failed\n", len(suite.Cases), failed)
	if failed > 0 {
		return fmt.Errorf("%d of %d policy cases failed", failed, len(suite.Cases))
	}
	return nil
}

func readSuite(path string) (*policySuite, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var s policySuite
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if s.Version != 1 {
		return nil, fmt.Errorf("%s: version must be 1", path)
	}
	// Positions, for messages.
	if len(root.Content) > 0 {
		top := root.Content[0]
		for i := 0; i+1 < len(top.Content); i += 2 {
			if top.Content[i].Value == "cases" {
				for k, n := range top.Content[i+1].Content {
					if k < len(s.Cases) {
						s.Cases[k].line = n.Line
						for j := 0; j+1 < len(n.Content); j += 2 {
							if n.Content[j].Value == "expect" {
								s.Cases[k].names = namesOf(n.Content[j+1])
							}
						}
					}
				}
			}
		}
	}
	for i, c := range s.Cases {
		switch {
		case c.Name == "":
			return nil, fmt.Errorf("%s:%d: a case needs a name", path, c.line)
		case (c.User == "") == (c.Claims == nil):
			return nil, fmt.Errorf("%s:%d: case %q: give user (a directory email) or claims, one of them", path, c.line, c.Name)
		case c.Request != nil && c.Endpoint != "":
			return nil, fmt.Errorf("%s:%d: case %q: give request or endpoint, not both", path, c.line, c.Name)
		}
		s.Cases[i] = c
	}
	return &s, nil
}

// caseRunner runs cases through the Agent API's handler, in process, with
// tokens signed by a secret of its own.
type caseRunner struct {
	e       *engine.Engine
	dir     *auth.Directory
	handler http.Handler
	secret  []byte
}

func newCaseRunner(e *engine.Engine, dir *auth.Directory) (*caseRunner, error) {
	secret := make([]byte, 32)
	rand.Read(secret)
	v, err := auth.NewVerifier(auth.VerifierOptions{Secret: secret, Directory: dir})
	if err != nil {
		return nil, err
	}
	return &caseRunner{e: e, dir: dir, secret: secret, handler: agentapi.New(e, agentapi.Options{Verifier: v})}, nil
}

// principal is the case's user, as a verified token would give it.
func (r *caseRunner) principal(c policyCase) (*auth.Principal, auth.Claims, error) {
	if c.Claims != nil {
		cl := auth.Claims{Email: c.Claims.Email, Groups: c.Claims.Groups, Attributes: c.Claims.Attributes, Scope: c.Claims.Scope}
		return &auth.Principal{Email: cl.Email, Groups: cl.Groups, Attributes: cl.Attributes}, cl, nil
	}
	if r.dir == nil {
		return nil, auth.Claims{}, fmt.Errorf("user %s: there is no user directory (--users)", c.User)
	}
	u, ok := r.dir.Lookup(c.User)
	if !ok {
		return nil, auth.Claims{}, fmt.Errorf("user %s is not in the user directory", c.User)
	}
	return &auth.Principal{Email: u.Email, Groups: u.Groups, Attributes: u.Attributes}, auth.Claims{Email: u.Email}, nil
}

// run runs a case and lists what it got wrong.
func (r *caseRunner) run(ctx context.Context, c policyCase) []string {
	p, claims, err := r.principal(c)
	if err != nil {
		return []string{err.Error()}
	}
	var problems []string
	fail := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	x := c.Expect
	if x.Tables != nil || x.Visible != nil || x.Hidden != nil || x.Masked != nil {
		r.checkVisibility(ctx, p, x, fail)
	}
	if c.Request == nil && c.Endpoint == "" {
		return problems
	}
	var status int
	var answer map[string]any
	var rows []any
	capped := false
	if c.Endpoint != "" {
		m, pth, ok := strings.Cut(c.Endpoint, " ")
		if !ok {
			return append(problems, fmt.Sprintf("endpoint %q: want METHOD PATH", c.Endpoint))
		}
		if status, answer, err = r.call(claims, m, pth, c.Body); err != nil {
			return append(problems, err.Error())
		}
		rows = rowsOf(answer)
	} else {
		if status, answer, rows, capped, err = r.whole(claims, c.Request); err != nil {
			return append(problems, err.Error())
		}
	}
	if x.Status != 0 && status != x.Status {
		fail("status %d, want %d: %s", status, x.Status, oneLineJSON(answer))
	}
	if code, _ := answer["error"].(string); x.Error != "" && code != x.Error {
		fail("error %q, want %q: %s", code, x.Error, oneLineJSON(answer))
	}
	if capped && (x.RowCount != nil || x.Rows != nil || x.EveryRow != "") {
		fail("the answer reached its row cap (%d rows): row_count, rows and every_row cannot check a cut answer; narrow the request (a filter, a group)", len(rows))
	} else {
		if x.RowCount != nil && len(rows) != *x.RowCount {
			fail("%d rows, want %d", len(rows), *x.RowCount)
		}
		if x.Rows != nil && fmt.Sprint(normalize(rows)) != fmt.Sprint(normalize(toAny(x.Rows))) {
			fail("rows %v, want %v", normalize(rows), normalize(toAny(x.Rows)))
		}
		if x.EveryRow != "" {
			if msg := everyRow(x.EveryRow, answer, rows); msg != "" {
				fail("%s", msg)
			}
		}
	}
	checkRestrictions(x, answer, fail)
	if len(problems) > 0 && c.Request != nil {
		problems = append(problems, r.explain(ctx, p, c.Request)...)
	}
	return problems
}

// checkVisibility compares the tables and fields the user sees with the
// expectations, every name resolved against the model (checkSuiteNames
// made sure each resolves).
func (r *caseRunner) checkVisibility(ctx context.Context, p *auth.Principal, x caseExpect, fail func(string, ...any)) {
	info, err := r.e.Context(ctx, p)
	if err != nil {
		fail("%v", err)
		return
	}
	var tables []string
	for _, t := range info.Tables {
		tables = append(tables, t.Name)
	}
	if x.Tables != nil {
		want := make([]string, len(x.Tables))
		for i, name := range x.Tables {
			if t := tableNamed(enginemodel.Of(r.e), name); t != nil {
				name = t.Name
			}
			want[i] = name
		}
		slices.Sort(want)
		got := slices.Clone(tables)
		slices.Sort(got)
		if !slices.Equal(got, want) {
			fail("sees tables %v, want %v", got, want)
		}
	}
	seen := r.fieldMasks(ctx, p, tables)
	field := func(table, ref string) (*semantic.Table, semantic.WideField, string) {
		t := tableNamed(enginemodel.Of(r.e), table)
		w, _ := resolveField(t, ref)
		return t, w, semantic.TablePrefix(t.ID).ID(w.Index)
	}
	for table, want := range x.Masked {
		for ref, m := range want {
			t, w, id := field(table, ref)
			masks, ok := seen(t)
			got, visible := masks[id]
			switch {
			case !ok:
				fail("table %s is not visible, but %s of it should be masked %q", t.Name, ref, m)
			case !visible:
				fail("%s.%s (%s) is hidden, want it visible masked %q", t.Name, w.Name(), id, m)
			case got != m:
				fail("%s.%s (%s) is masked %q, want %q", t.Name, w.Name(), id, got, m)
			}
		}
	}
	for table, want := range x.Visible {
		for _, ref := range want {
			t, w, id := field(table, ref)
			masks, ok := seen(t)
			if _, visible := masks[id]; !ok || !visible {
				fail("%s.%s (%s) is hidden, want it visible", t.Name, w.Name(), id)
			}
		}
	}
	for table, want := range x.Hidden {
		for _, ref := range want {
			t, w, id := field(table, ref)
			masks, _ := seen(t)
			if _, visible := masks[id]; visible {
				fail("%s.%s (%s) is visible, want it hidden", t.Name, w.Name(), id)
			}
		}
	}
}

// fieldMasks gives each table's fields as p sees them — its own and its
// related tables', by id — with their masks, each table asked once; false
// for a table p does not see (tables: those p does).
func (r *caseRunner) fieldMasks(ctx context.Context, p *auth.Principal, tables []string) func(*semantic.Table) (map[string]string, bool) {
	described := map[*semantic.Table]map[string]string{}
	return func(t *semantic.Table) (map[string]string, bool) {
		if d, ok := described[t]; ok {
			return d, d != nil
		}
		described[t] = nil
		if !slices.Contains(tables, t.Name) {
			return nil, false
		}
		d, err := r.e.Table(ctx, p, t.ID, engine.TableOptions{Fields: true, RelatedTables: true})
		if err != nil {
			return nil, false
		}
		masks := map[string]string{}
		for _, f := range d.Fields {
			masks[f.FieldID] = f.Masked
		}
		for _, rt := range d.RelatedTables {
			for _, f := range rt.Fields {
				masks[f.FieldID] = f.Masked
			}
		}
		described[t] = masks
		return masks, true
	}
}

// whole runs a construct request as /v1/query and reads every page: the
// status and body of the first, the rows of all, and whether they stop at
// the row cap. A limit the request gives is the total (it runs with a
// page_size), as an author means it; without one, the pages go on to the
// row cap, as /v1/query's do.
func (r *caseRunner) whole(claims auth.Claims, request map[string]any) (int, map[string]any, []any, bool, error) {
	body := maps.Clone(request)
	if _, ok := body["page_size"]; !ok && body["limit"] != nil {
		body["page_size"] = engine.MaxPageSize
	}
	status, first, err := r.call(claims, "POST", "/api/agent/v1/query", body)
	if err != nil || status != http.StatusAccepted {
		return status, first, rowsOf(first), false, err
	}
	rows := rowsOf(first)
	for page := first; ; {
		tok, _ := page["continuation_token"].(string)
		if tok == "" {
			break
		}
		if _, page, err = r.call(claims, "POST", "/api/agent/v1/query", map[string]any{"continuation_token": tok}); err != nil {
			return status, first, rows, false, err
		}
		rows = append(rows, rowsOf(page)...)
	}
	most := engine.DefaultMaxRows
	if request["aggregations"] != nil || request["group_by"] != nil || request["metric_id"] != nil {
		most = engine.DefaultMaxAggregatedRows
	}
	limit, hasLimit := request["limit"].(int)
	capped := len(rows) >= most && (!hasLimit || limit > most)
	return status, first, rows, capped, nil
}

// checkRestrictions checks that the answer's restrictions hold the words
// and the aggregate terms expected.
func checkRestrictions(x caseExpect, answer map[string]any, fail func(string, ...any)) {
	if x.Restrictions == nil && x.Aggregate == nil {
		return
	}
	rs, _ := answer["restrictions"].([]any)
	var texts []string
	var aggregates []map[string]any
	for _, r := range rs {
		m, _ := r.(map[string]any)
		text, _ := m["text"].(string)
		texts = append(texts, text)
		if a, ok := m["aggregate"].(map[string]any); ok {
			aggregates = append(aggregates, a)
		}
	}
	for _, want := range x.Restrictions {
		if !slices.ContainsFunc(texts, func(t string) bool { return strings.Contains(t, want) }) {
			fail("no restriction says %q: %q", want, texts)
		}
	}
	if a := x.Aggregate; a != nil {
		found := slices.ContainsFunc(aggregates, func(m map[string]any) bool {
			n, _ := m["min_group_size"].(float64)
			unit, _ := m["time_granularity"].(string)
			return int(n) == a.MinGroupSize && (a.TimeGranularity == "" || unit == a.TimeGranularity)
		})
		if !found {
			fail("no restriction says aggregate {min_group_size: %d, time_granularity: %s}: %v", a.MinGroupSize, a.TimeGranularity, aggregates)
		}
	}
}

// call runs a request through the Agent API's handler as the claims' user.
func (r *caseRunner) call(claims auth.Claims, method, path string, body map[string]any) (int, map[string]any, error) {
	tok, err := auth.Sign(r.secret, claims)
	if err != nil {
		return 0, nil, err
	}
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(data)
	}
	req := httptest.NewRequest(method, path, rd)
	req.Header.Set("Authorization", "Bearer "+tok)
	w := httptest.NewRecorder()
	r.handler.ServeHTTP(w, req)
	var answer map[string]any
	json.Unmarshal(w.Body.Bytes(), &answer)
	return w.Code, answer, nil
}

// explain says, for a failed case, the SQL the request ran and the
// policies that applied.
func (r *caseRunner) explain(ctx context.Context, p *auth.Principal, request map[string]any) []string {
	data, _ := json.Marshal(request)
	req, err := engine.ParseRequest(data)
	if err != nil {
		return nil
	}
	policies, _ := r.e.Policies(p)
	out := []string{"policies: " + strings.Join(policies, ", ")}
	q, err := r.e.Construct(ctx, p, req)
	if err != nil {
		return out
	}
	plan, err := r.e.Plan(ctx, p, q)
	if err != nil {
		return out
	}
	sql, args := plan.SQL()
	return append(out, fmt.Sprintf("SQL: %s\nvalues: %v", sql, args))
}

func rowsOf(answer map[string]any) []any {
	data, _ := answer["data"].(map[string]any)
	rows, _ := data["rows"].([]any)
	return rows
}

// normalize formats rows for comparison: numbers as JSON writes them.
func normalize(rows []any) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		data, _ := json.Marshal(r)
		out[i] = string(data)
	}
	return out
}

func toAny(rows [][]any) []any {
	out := make([]any, len(rows))
	for i, r := range rows {
		// YAML decodes numbers as int or float64; JSON as float64.
		data, _ := json.Marshal(r)
		var v any
		json.Unmarshal(data, &v)
		out[i] = v
	}
	return out
}

// everyRow checks a CEL condition over each row's columns by name.
func everyRow(src string, answer map[string]any, rows []any) string {
	env, err := cel.NewEnv(cel.Variable("row", cel.MapType(cel.StringType, cel.DynType)))
	if err != nil {
		return err.Error()
	}
	ast, iss := env.Compile(src)
	if iss.Err() != nil {
		return fmt.Sprintf("every_row: %v", iss.Err())
	}
	prg, err := env.Program(ast)
	if err != nil {
		return err.Error()
	}
	data, _ := answer["data"].(map[string]any)
	cols, _ := data["cols"].([]any)
	for i, r := range rows {
		vals, _ := r.([]any)
		row := map[string]any{}
		for k, c := range cols {
			if cm, ok := c.(map[string]any); ok && k < len(vals) {
				row[cm["name"].(string)] = vals[k]
			}
		}
		out, _, err := prg.Eval(map[string]any{"row": row})
		if err != nil || out != types.True {
			return fmt.Sprintf("row %d %v does not meet every_row %s", i+1, vals, src)
		}
	}
	return ""
}

func oneLineJSON(v any) string {
	data, _ := json.Marshal(v)
	if len(data) > 300 {
		data = append(data[:300], "…"...)
	}
	return string(data)
}
