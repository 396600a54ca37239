package engine_test

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/agentlayer/agentlayer/internal/enginemodel"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/interpreter"

	"github.com/agentlayer/agentlayer/auth"
	"github.com/agentlayer/agentlayer/engine"
	"github.com/agentlayer/agentlayer/fixtures"
	"github.com/agentlayer/agentlayer/internal/testsupport/pgtest"
	"github.com/agentlayer/agentlayer/internal/testsupport/testkit"
	"github.com/agentlayer/agentlayer/permissions"
	"github.com/agentlayer/agentlayer/semantic"
	"github.com/agentlayer/agentlayer/sqlgen/sqlast"
)

// diffPrincipals are the users every rule is checked for: with attributes,
// without any, with other values, and with a state of the wrong type.
var diffPrincipals = []*auth.Principal{
	{Email: "tx@example.com", Groups: []string{"sales", "TX", "OK"}, Attributes: map[string]any{"state": "TX", "states": []any{"TX", "CA"}, "level": int64(5), "min_total": 120.5, "pattern": `(?i)^s\w+\b`}},
	{Email: "bare@example.com"},
	{Email: "ca@example.com", Groups: []string{"CA"}, Attributes: map[string]any{"state": "CA", "states": []any{}, "level": int64(1), "min_total": int64(40), "pattern": "("}},
	{Email: "odd@example.com", Groups: []string{"sales"}, Attributes: map[string]any{"state": int64(7), "states": []any{"NY", int64(3)}, "level": "high"}},
}

// rowSet is a table's rows as CEL sees them: row.X and row.REL.Y bound,
// NULL as CEL null, a missing related row as absent variables.
type rowSet struct {
	ids  []int64
	vars []map[string]any
	acts []interpreter.Activation // vars, as CEL reads them
}

// rulePaths lists the paths of relationships from table a rule may follow,
// up to three: USER, USER.ACCOUNT, USER.ACCOUNT.PARTNER.
func rulePaths(table *semantic.Table) [][]*semantic.Field {
	var out [][]*semantic.Field
	var walk func(t *semantic.Table, path []*semantic.Field)
	walk = func(t *semantic.Table, path []*semantic.Field) {
		if len(path) == 3 {
			return
		}
		for _, fk := range t.ForeignKeys() {
			p := append(slices.Clip(path), fk)
			out = append(out, p)
			walk(fk.References.Table, p)
		}
	}
	walk(table, nil)
	return out
}

// ruleFields are the fields a rule over table may read: its own, and
// those of every table up to three relationships away.
func ruleFields(table *semantic.Table) []semantic.WideField {
	var out []semantic.WideField
	for _, f := range table.Fields {
		out = append(out, semantic.WideField{Field: f})
	}
	for _, p := range rulePaths(table) {
		for _, f := range p[len(p)-1].References.Table.Fields {
			out = append(out, semantic.WideField{Field: f, Via: p[0], Path: p})
		}
	}
	return out
}

func loadRows(t *testing.T, db *sql.DB, table *semantic.Table) rowSet {
	t.Helper()
	var cols, names []string
	var joins []string
	for _, f := range table.Fields {
		cols = append(cols, fmt.Sprintf(`t0."%s"`, f.Column))
		names = append(names, "row."+f.Name)
	}
	aliases := map[string]string{"": "t0"}
	for i, path := range rulePaths(table) {
		fk := path[len(path)-1]
		alias := fmt.Sprintf("r%d", i)
		from := aliases[semantic.WideField{Path: path[:len(path)-1]}.Relationships()]
		rel := semantic.WideField{Path: path}.Relationships()
		aliases[rel] = alias
		target := fk.References.Table
		joins = append(joins, fmt.Sprintf(`LEFT JOIN "%s" %s ON %s."%s" = %s."%s"`, target.Name, alias, alias, fk.References.Column, from, fk.Column))
		cols = append(cols, fmt.Sprintf(`%s."%s" IS NOT NULL`, alias, fk.References.Column))
		names = append(names, "exists:"+rel)
		for _, f := range target.Fields {
			cols = append(cols, fmt.Sprintf(`%s."%s"`, alias, f.Column))
			names = append(names, "row."+rel+"."+f.Name)
		}
	}
	q := fmt.Sprintf(`SELECT %s FROM "%s" t0 %s ORDER BY t0."ID"`, strings.Join(cols, ", "), table.Name, strings.Join(joins, " "))
	rows, err := db.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	all, err := testkit.ScanAll(rows)
	if err != nil {
		t.Fatal(err)
	}
	var rs rowSet
	for _, vals := range all {
		vars := map[string]any{}
		var missing []string
		for i, name := range names {
			if rel, ok := strings.CutPrefix(name, "exists:"); ok {
				if vals[i] == false {
					missing = append(missing, "row."+rel+".")
				}
				continue
			}
			v := vals[i]
			switch x := v.(type) {
			case nil:
				v = types.NullValue
			case int32:
				v = int64(x)
			case time.Time:
				v = x.UTC()
			}
			vars[name] = v
		}
		for k := range vars {
			for _, m := range missing {
				if strings.HasPrefix(k, m) {
					delete(vars, k) // no related row: its fields are absent
				}
			}
		}
		rs.ids = append(rs.ids, vars["row.ID"].(int64))
		rs.vars = append(rs.vars, vars)
		act, err := interpreter.NewActivation(vars)
		if err != nil {
			t.Fatal(err)
		}
		rs.acts = append(rs.acts, act)
	}
	return rs
}

// ruleGen writes random, well-typed row rules over a table of the sample.
type ruleGen struct {
	r     *rand.Rand
	t     *semantic.Table
	pools map[string][]any // values seen, by row variable
}

func (g *ruleGen) pick(n int) int { return g.r.IntN(n) }

func (g *ruleGen) literal(name string, k semantic.Kind) string {
	pool := g.pools[name]
	var v any
	if len(pool) > 0 && g.pick(5) > 0 {
		v = pool[g.pick(len(pool))]
	}
	switch {
	case k.IsInteger():
		if x, ok := v.(int64); ok {
			return fmt.Sprint(x)
		}
		return fmt.Sprint(g.pick(300))
	case k.IsNumeric():
		if x, ok := v.(float64); ok {
			return fmt.Sprintf("%.2f", x)
		}
		return fmt.Sprintf("%d.5", g.pick(200))
	case k == semantic.KindText:
		if x, ok := v.(string); ok {
			return fmt.Sprintf("%q", x)
		}
		return `"Z"`
	}
	if x, ok := v.(time.Time); ok {
		return fmt.Sprintf("timestamp(%q)", x.Format(time.RFC3339))
	}
	return `timestamp("2024-01-01T00:00:00Z")`
}

func (g *ruleGen) fields(own bool) []semantic.WideField {
	var out []semantic.WideField
	for _, w := range ruleFields(g.t) {
		if own && w.Via != nil {
			continue
		}
		if semantic.CELType(w.Field.Type.Kind) != nil {
			out = append(out, w)
		}
	}
	return out
}

func (g *ruleGen) atom() string {
	ws := g.fields(false)
	w := ws[g.pick(len(ws))]
	name := semantic.RowVariable(w)
	k := w.Field.Type.Kind
	cmp := []string{"==", "!=", "<", "<=", ">", ">="}[g.pick(6)]
	switch g.pick(10) {
	case 0:
		return name + []string{" == null", " != null"}[g.pick(2)]
	case 1: // two fields of the same scope and kind
		for _, o := range g.fields(w.Via == nil) {
			if o.Relationships() == w.Relationships() && o.Field.Type.Kind == k && o.Field != w.Field {
				if k.IsNumeric() && (k.IsInteger() != o.Field.Type.Kind.IsInteger()) {
					continue
				}
				return fmt.Sprintf("%s %s %s", name, cmp, semantic.RowVariable(o))
			}
		}
	}
	switch {
	case k.IsInteger():
		switch g.pick(5) {
		case 0:
			return fmt.Sprintf("%s in [%s, %s, %s]", name, g.literal(name, k), g.literal(name, k), g.literal(name, k))
		case 1:
			return fmt.Sprintf("%s %% %d == %d", name, 2+g.pick(3), g.pick(2))
		case 2:
			return fmt.Sprintf("%s / %d %s %s", name, 1+g.pick(4), cmp, g.literal(name, k))
		case 3:
			return fmt.Sprintf("%s > user.attributes.level", name)
		}
		return fmt.Sprintf("%s %s %s", name, cmp, g.literal(name, k))
	case k.IsNumeric():
		switch g.pick(5) {
		case 0:
			return fmt.Sprintf("%s + 1.5 %s %s", name, []string{"<", ">"}[g.pick(2)], g.literal(name, k))
		case 1:
			return fmt.Sprintf("%s >= user.attributes.min_total", name)
		case 2:
			return fmt.Sprintf("%s < %d", name, g.pick(150)) // an int against a double
		}
		return fmt.Sprintf("%s %s %s", name, cmp, g.literal(name, k))
	case k == semantic.KindText:
		lit := g.literal(name, k)
		s := strings.Trim(lit, `"`)
		part := s
		if len(s) > 2 {
			part = s[:1+g.pick(len(s)-1)]
		}
		switch g.pick(10) {
		case 0:
			return fmt.Sprintf("%s.startsWith(%q)", name, part)
		case 1:
			return fmt.Sprintf("%s.endsWith(%q)", name, s[len(s)-len(part):])
		case 2:
			return fmt.Sprintf("%s.contains(%q)", name, part)
		case 3:
			if g.pick(2) == 0 {
				return fmt.Sprintf("%s.matches(%q)", name, "^["+string(rune('A'+g.pick(13)))+"-Z]")
			}
			return fmt.Sprintf("%s.matches(%q)", name, rulePatterns[g.pick(len(rulePatterns))])
		case 4:
			return fmt.Sprintf("size(%s) %s %d", name, cmp, 2+g.pick(12))
		case 5:
			return fmt.Sprintf("%s %s user.attributes.state", name, []string{"==", "!="}[g.pick(2)])
		case 6:
			return fmt.Sprintf("%s in user.attributes.states", name)
		case 7:
			return fmt.Sprintf("user.groups.%s(x, x %s %s)", []string{"exists", "all"}[g.pick(2)], []string{"==", "!="}[g.pick(2)], name)
		case 8:
			return fmt.Sprintf("%s == user.attributes.missing", name)
		}
		return fmt.Sprintf("%s %s %s", name, []string{"==", "!=", "<", ">="}[g.pick(4)], lit)
	}
	if g.pick(3) == 0 {
		return fmt.Sprintf(`%s - duration("%dh") %s %s`, name, 24*(1+g.pick(400)), cmp, g.literal(name, k))
	}
	return fmt.Sprintf("%s %s %s", name, cmp, g.literal(name, k))
}

// rulePatterns are regular expressions whose meaning differs between RE2
// and PostgreSQL unless translated: classes, case folding, anchors,
// boundaries, repetition, the dot and newlines.
var rulePatterns = []string{
	`(?i)^[a-m]`, `\d{3}`, `\bSt`, `.+\s.+`, `^\w+$`, `[^aeiou ]{4}`, `(?m)^\d`, `(?s)a.b`, `é|ü|ß`,
	`\.`, `[[:upper:]]{2}`, `\W`, `^.{5,9}$`, `(?i)street|avenue`, `[\d\s]+$`, `^(?:[A-Z][a-z]+ ?)+$`, `\Bar`, `a+?b`,
}

func (g *ruleGen) expr(depth int) string {
	if depth == 0 || g.pick(3) == 0 {
		return g.atom()
	}
	switch g.pick(5) {
	case 0:
		return "!(" + g.expr(depth-1) + ")"
	case 1, 2:
		return "(" + g.expr(depth-1) + " && " + g.expr(depth-1) + ")"
	}
	return "(" + g.expr(depth-1) + " || " + g.expr(depth-1) + ")"
}

func valuePools(t *testing.T, rs rowSet) map[string][]any {
	pools := map[string][]any{}
	for i := 0; i < len(rs.vars); i += max(1, len(rs.vars)/40) {
		for k, v := range rs.vars[i] {
			if v != types.NullValue {
				pools[k] = append(pools[k], v)
			}
		}
	}
	return pools
}

// TestRowRules_differential: for the sample policy's row rules and 240
// generated ones, for several users, the rows the generated SQL selects are
// exactly the rows for which the CEL rule, evaluated row by row in Go, is
// true — NULLs, missing related rows and missing attributes included.
// nanRows makes doubles NaN (in one column or two of a row) and
// infinite: SQL orders and equates NaN unlike CEL.
const nanRows = `
	UPDATE "ORDERS" SET "DISCOUNT" = 'NaN' WHERE "ID" % 13 = 0;
	UPDATE "ORDERS" SET "TAX" = 'NaN' WHERE "ID" % 26 = 0;
	UPDATE "ORDERS" SET "TOTAL" = 'Infinity' WHERE "ID" % 31 = 0;
	UPDATE "ORDERS" SET "SUBTOTAL" = '-Infinity' WHERE "ID" % 37 = 0;
	UPDATE "PEOPLE" SET "LONGITUDE" = 'NaN' WHERE "ID" % 11 = 0`

// TestRowRules_differential checks row rules — shapes found translated
// wrongly once, and random ones — against CEL itself: for every rule and
// user, the rows its SQL selects must be those CEL, evaluated row by row,
// keeps. On DuckDB and on PostgreSQL, over the sample at scale 0.1.
func TestRowRules_differential(t *testing.T) {
	t.Parallel()
	t.Run("DuckDB", func(t *testing.T) {
		t.Parallel()
		setup := fixtures.Setup(0.1)
		e, err := newEngine(context.Background(), engine.Options{
			ModelFile: fixtures.ModelFile, ModelYAML: fixtures.Model(), Unrestricted: true,
			Setup: func(ctx context.Context, db *sql.DB) error {
				if err := setup(ctx, db); err != nil {
					return err
				}
				_, err := db.ExecContext(ctx, nanRows)
				return err
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		defer e.Close()
		rowRules(t, dbOf(t, e), sqlast.DuckDB{}, enginemodel.Of(e), shopRules(enginemodel.Of(e)))
	})
	t.Run("PostgreSQL", func(t *testing.T) {
		t.Parallel()
		ctx := context.Background()
		url := pgtest.NewDatabase(t)
		db := pgtest.Open(t, url)
		if err := fixtures.LoadPostgres(ctx, db, 0.1); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, nanRows); err != nil {
			t.Fatal(err)
		}
		e, err := engine.New(ctx, engine.Options{ModelFile: fixtures.ModelFile, ModelYAML: fixtures.Model(), Unrestricted: true, Database: url})
		if err != nil {
			t.Fatal(err)
		}
		defer e.Close()
		rowRules(t, db, sqlast.Postgres{}, enginemodel.Of(e), shopRules(enginemodel.Of(e)))
	})
}

// diffRule is a row rule over a table.
type diffRule struct {
	table *semantic.Table
	src   string
}

// diffCase is what rowRules checks: fixed rules, then generated ones over
// tables, for principals.
type diffCase struct {
	rules      []diffRule
	tables     []*semantic.Table
	principals []*auth.Principal
}

// shopRules are the rules checked over the shop: the sample policy's, and
// shapes the security review found translated wrongly, each once.
func shopRules(m *semantic.Model) diffCase {
	c := diffCase{principals: diffPrincipals, tables: []*semantic.Table{m.TableByName("ORDERS"), m.TableByName("PEOPLE"), m.TableByName("REVIEWS")}}
	c.rules = []diffRule{
		{m.TableByName("PEOPLE"), "row.STATE == user.attributes.state"},
		{m.TableByName("ORDERS"), "row.USER.STATE == user.attributes.state"},
	}
	for _, src := range []string{
		// A condition's value compared again: FALSE and NULL differ.
		`(row.DISCOUNT == 1.0) == false`,
		`(row.DISCOUNT in [1.0, 2.0]) == false`,
		`(row.DISCOUNT != 1.0) == true`,
		`(row.USER.STATE == "TX") == false`,
		`(row.USER.STATE in user.attributes.states) == false`,
		// Decided without the related row: orders without a customer too.
		`user.attributes.level == 5 || row.USER.STATE == user.attributes.state`,
		`user.attributes.states.all(s, row.USER.STATE != s)`,
		`!user.attributes.states.exists(s, row.USER.STATE == s)`,
		`row.USER.STATE != "TX" || true`,
		// Unsigned constants above every int.
		`row.QUANTITY < 18446744073709551615u`,
		`!(row.QUANTITY >= 18446744073709551615u)`,
		`18446744073709551615u > row.QUANTITY`,
		`row.TOTAL < 18446744073709551615u`,
		// 64-bit integer arithmetic, its overflow an error per row.
		`row.QUANTITY * row.QUANTITY * row.QUANTITY * row.QUANTITY * row.QUANTITY > 100000`,
		`row.QUANTITY * 4611686018427387904 > 0`,
		`!(row.QUANTITY * 4611686018427387904 > 0)`,
		`row.ID * 4611686018427387904 < 0 || row.QUANTITY > 3`,
		`-row.QUANTITY < -3`,
		`(row.QUANTITY - 5) / 2 == -1`,
		`(row.QUANTITY - 5) % 3 == -1`,
		// Dates minus dates are durations.
		`row.USER.BIRTH_DATE - row.USER.BIRTH_DATE < duration("24h")`,
		`row.USER.CREATED_AT - row.USER.BIRTH_DATE > duration("175200h")`,
		// NaN and infinities.
		`row.DISCOUNT > 1.0`,
		`!(row.DISCOUNT > 5.0)`,
		`row.DISCOUNT < 5.0`,
		`row.DISCOUNT == row.TAX`,
		`row.DISCOUNT != row.TAX`,
		`!(row.DISCOUNT == row.TAX)`,
		`row.TAX < row.DISCOUNT`,
		`row.DISCOUNT <= row.TAX`,
		`row.DISCOUNT in [0.0/0.0, 1.0]`,
		`row.DISCOUNT == 0.0/0.0`,
		`row.DISCOUNT != 0.0/0.0`,
		`row.DISCOUNT >= 0.0/0.0`,
		`!(row.DISCOUNT < 0.0/0.0)`,
		`row.TOTAL * 0.0 == 0.0`,
		`row.TOTAL * 0.0 != 0.0`,
		`row.TOTAL + row.SUBTOTAL > 0.0`,
		`row.TOTAL > 1000000.0`,
		`row.USER.LONGITUDE > -100.0`,
		`!(row.USER.LONGITUDE < -100.0)`,
		// A user's pattern: valid, invalid (an error: no rows), absent.
		`row.USER.CITY.matches(user.attributes.pattern)`,
		`!row.USER.CITY.matches(user.attributes.pattern)`,
	} {
		c.rules = append(c.rules, diffRule{m.TableByName("ORDERS"), src})
	}
	return c
}

// rowRules checks c's rules, and 240 generated over its tables (60 in the
// fast tier), on db (a sample at scale 0.1, NaNs added) in dialect d.
func rowRules(t *testing.T, db *sql.DB, d sqlast.Dialect, m *semantic.Model, c diffCase) {
	rules := c.rules
	rows := map[*semantic.Table]rowSet{}
	for _, rl := range rules {
		if _, ok := rows[rl.table]; !ok {
			rows[rl.table] = loadRows(t, db, rl.table)
		}
	}
	for _, tab := range c.tables {
		if _, ok := rows[tab]; !ok {
			rows[tab] = loadRows(t, db, tab)
		}
	}
	r := rand.New(rand.NewPCG(7, 11))
	for generated, n := 0, testkit.Size(240, 60); generated < n; {
		tab := c.tables[r.IntN(len(c.tables))]
		g := &ruleGen{r: r, t: tab, pools: valuePools(t, rows[tab])}
		src := g.expr(3)
		if _, err := compileRule(m, tab, src, 0); err != nil {
			continue // e.g. a related field compared with a base field: refused at load
		}
		rules = append(rules, diffRule{tab, src})
		generated++
	}
	var policy strings.Builder
	policy.WriteString("version: 1\npolicies:\n")
	for i, rl := range rules {
		fmt.Fprintf(&policy, "  - name: r%d\n    when: user.attributes.rule == %d\n    tables:\n      %s:\n        rows: %q\n", i, i, rl.table.Name, rl.src)
	}
	ps, err := permissions.Compile("generated.yaml", []byte(policy.String()), m, permissions.Options{Dialect: d})
	if err != nil {
		t.Fatal(err)
	}
	checked, nonTrivial := 0, 0
	for i, rl := range rules {
		prg, err := compileRule(m, rl.table, rl.src, i)
		if err != nil {
			t.Fatalf("rule %d: %v", i, err)
		}
		for _, base := range c.principals {
			p := base.Clone()
			if p.Attributes == nil {
				p.Attributes = map[string]any{}
			}
			p.Attributes["rule"] = int64(i)
			want := celRows(prg, rows[rl.table], p)
			got := sqlRows(t, db, d, ps.For(p), rl.table)
			if !slices.Equal(got, want) {
				t.Errorf("rule %d on %s for %s: %s\nSQL selects %d rows, CEL %d; first difference: %v",
					i, rl.table.Name, base.Email, rl.src, len(got), len(want), firstDiff(got, want))
				continue
			}
			checked++
			if len(want) > 0 && len(want) < len(rows[rl.table].ids) {
				nonTrivial++
			}
		}
	}
	t.Logf("%d rules × %d users checked; %d selected some but not all rows", len(rules), len(c.principals), nonTrivial)
	if nonTrivial < checked/3 {
		t.Errorf("only %d of %d checks select some but not all rows: the generator is too weak", nonTrivial, checked)
	}
}

// compileRule compiles a rule as a CEL program evaluated row by row.
func compileRule(m *semantic.Model, t *semantic.Table, src string, i int) (cel.Program, error) {
	policy := fmt.Sprintf("version: 1\npolicies:\n  - name: r\n    tables:\n      %s:\n        rows: %q\n", t.Name, src)
	if _, err := permissions.Compile("rule.yaml", []byte(policy), m, permissions.Options{}); err != nil {
		return nil, err
	}
	vars := []cel.EnvOption{
		cel.Variable("user.email", cel.StringType),
		cel.Variable("user.first_name", cel.StringType),
		cel.Variable("user.last_name", cel.StringType),
		cel.Variable("user.groups", cel.ListType(cel.StringType)),
		cel.Variable("user.attributes", cel.MapType(cel.StringType, cel.DynType)),
	}
	declared := map[string]bool{}
	for _, w := range t.Wide() {
		declared[semantic.RowVariable(w)] = true
	}
	for _, w := range ruleFields(t) {
		if len(w.Path) > 1 && !declared[semantic.RowVariable(w)] {
			if typ := semantic.CELType(w.Field.Type.Kind); typ != nil {
				vars = append(vars, cel.Variable(semantic.RowVariable(w), typ))
			}
		}
	}
	env, err := t.Env().Extend(vars...)
	if err != nil {
		return nil, err
	}
	ast, iss := env.Compile(src)
	if iss.Err() != nil {
		return nil, iss.Err()
	}
	return env.Program(ast)
}

func celRows(prg cel.Program, rs rowSet, p *auth.Principal) []int64 {
	var out []int64
	user, _ := interpreter.NewActivation(map[string]any{
		"user.email": p.Email, "user.first_name": p.FirstName, "user.last_name": p.LastName,
		"user.groups": append([]string{}, p.Groups...), "user.attributes": p.Attributes,
	})
	for i, row := range rs.acts {
		v, _, err := prg.Eval(interpreter.NewHierarchicalActivation(user, row))
		if err == nil && v == types.True {
			out = append(out, rs.ids[i])
		}
	}
	return out
}

func sqlRows(t *testing.T, db *sql.DB, d sqlast.Dialect, g *permissions.Grant, table *semantic.Table) []int64 {
	t.Helper()
	f, err := g.RowFilter(table, nil)
	if err != nil {
		t.Fatal(err)
	}
	where := "TRUE"
	var args []any
	if f != nil {
		where, args = sqlast.Render(d, f, table, "t0")
	}
	q := fmt.Sprintf(`SELECT "t0"."ID" FROM "%s" AS "t0" WHERE %s ORDER BY 1`, table.Name, where)
	rows, err := db.Query(q, args...)
	if err != nil {
		t.Fatalf("%v\n%s", err, q)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		rows.Scan(&id)
		out = append(out, id)
	}
	return out
}

func firstDiff(a, b []int64) string {
	as, bs := map[int64]bool{}, map[int64]bool{}
	for _, x := range a {
		as[x] = true
	}
	for _, x := range b {
		bs[x] = true
	}
	var onlySQL, onlyCEL []int64
	for x := range as {
		if !bs[x] {
			onlySQL = append(onlySQL, x)
		}
	}
	for x := range bs {
		if !as[x] {
			onlyCEL = append(onlyCEL, x)
		}
	}
	sort.Slice(onlySQL, func(i, j int) bool { return onlySQL[i] < onlySQL[j] })
	sort.Slice(onlyCEL, func(i, j int) bool { return onlyCEL[i] < onlyCEL[j] })
	return fmt.Sprintf("only in SQL %v, only in CEL %v", head(onlySQL), head(onlyCEL))
}

func head(x []int64) []int64 { return x[:min(len(x), 5)] }

// saasNaN makes some doubles of the SaaS sample NaN and infinite.
const saasNaN = `
	UPDATE "SUBSCRIPTIONS" SET "MRR" = 'NaN' WHERE "ID" % 13 = 0;
	UPDATE "INVOICES" SET "AMOUNT" = 'Infinity' WHERE "ID" % 31 = 0`

// saasPrincipals are diffPrincipals with the SaaS policy's attributes and
// values the SaaS data has.
var saasPrincipals = []*auth.Principal{
	{Email: "emea@example.com", Groups: []string{"cs", "EMEA"}, Attributes: map[string]any{"state": "EMEA", "region": "EMEA", "states": []any{"EMEA", "APAC"},
		"regions": []any{"EMEA", "APAC"}, "partner_id": int64(2), "level": int64(5), "min_total": 120.5, "pattern": `(?i)^b\w+\b`}},
	{Email: "bare@example.com"},
	{Email: "amer@example.com", Groups: []string{"AMER"}, Attributes: map[string]any{"state": "AMER", "region": "AMER", "states": []any{},
		"regions": []any{"AMER"}, "partner_id": int64(4), "level": int64(1), "min_total": int64(40), "pattern": "("}},
	{Email: "odd@example.com", Groups: []string{"cs"}, Attributes: map[string]any{"state": int64(7), "region": int64(7), "states": []any{"APAC", int64(3)}, "level": "high", "partner_id": "2"}},
}

// saasRules are the rules checked over the SaaS sample: its policy's,
// through one, two and three relationships, and shapes where a related row
// is missing at one hop or another.
func saasRules(m *semantic.Model) diffCase {
	tab := m.TableByName
	c := diffCase{principals: saasPrincipals,
		tables: []*semantic.Table{tab("EVENTS"), tab("INVOICES"), tab("USERS"), tab("SUBSCRIPTIONS")}}
	for _, r := range [][2]string{
		{"ACCOUNTS", "row.REGION == user.attributes.region"},
		{"USERS", "row.ACCOUNT.REGION == user.attributes.region"},
		{"SUBSCRIPTIONS", "row.ACCOUNT.REGION == user.attributes.region"},
		{"INVOICES", "row.SUBSCRIPTION.ACCOUNT.REGION == user.attributes.region"},
		{"EVENTS", "row.USER.ACCOUNT.REGION == user.attributes.region"},
		{"SUBSCRIPTIONS", "row.ACCOUNT.REGION in user.attributes.regions"},
		{"INVOICES", "row.SUBSCRIPTION.ACCOUNT.REGION in user.attributes.regions"},
		{"USERS", "row.ACCOUNT.PARTNER.ID == user.attributes.partner_id"},
		{"INVOICES", "row.SUBSCRIPTION.ACCOUNT.PARTNER.ID == user.attributes.partner_id"},
		{"EVENTS", "row.USER.ACCOUNT.PARTNER.ID == user.attributes.partner_id"},
		// Missing at each hop: no user, no account, no partner.
		{"EVENTS", "row.USER.ACCOUNT.PARTNER_ID == null"},
		{"EVENTS", "row.USER.ACCOUNT_ID == null"},
		{"EVENTS", "row.USER.ACCOUNT.PARTNER.ID == null"},
		{"EVENTS", "row.USER.ACCOUNT.PARTNER.ID != null"},
		{"EVENTS", `!(row.USER.ACCOUNT.REGION == "EMEA")`},
		{"EVENTS", `row.USER.ACCOUNT.REGION != "EMEA" || true`},
		{"EVENTS", `user.attributes.level == 5 || row.USER.ACCOUNT.PARTNER.REGION == "EMEA"`},
		{"EVENTS", `row.USER.ROLE == "admin" || row.USER.ACCOUNT.TIER == "enterprise"`},
		{"EVENTS", `!(row.USER.ROLE == "admin" || row.USER.ACCOUNT.TIER == "enterprise")`},
		{"EVENTS", `row.USER_ID == null || row.USER.ACCOUNT.PARTNER.REGION != "AMER"`},
		{"EVENTS", `(row.USER.ACCOUNT.REGION == "EMEA") == false`},
		{"EVENTS", `user.attributes.states.exists(s, row.USER.ACCOUNT.REGION == s)`},
		{"EVENTS", `!user.attributes.states.exists(s, row.USER.ACCOUNT.PARTNER.REGION == s)`},
		{"EVENTS", `user.attributes.states.all(s, row.USER.ACCOUNT.PARTNER.REGION != s)`},
		{"INVOICES", `row.SUBSCRIPTION.MRR > 100.0 && row.SUBSCRIPTION.ACCOUNT.TIER in ["team", "business"]`},
		{"INVOICES", `!(row.SUBSCRIPTION.MRR > 100.0) || !(row.SUBSCRIPTION.ACCOUNT.PARTNER.NAME.startsWith("B"))`},
		{"INVOICES", `row.SUBSCRIPTION.ACCOUNT.CREATED_AT < timestamp("2024-01-01T00:00:00Z")`},
		{"INVOICES", `row.SUBSCRIPTION.ACCOUNT.NAME.matches(user.attributes.pattern)`},
	} {
		c.rules = append(c.rules, diffRule{tab(r[0]), r[1]})
	}
	return c
}

// TestRowRules_differentialMultiHop checks rules through two and three
// relationships — the SaaS policy's and 240 generated over fields up to
// three relationships away — against CEL itself, row by row, on DuckDB and
// on PostgreSQL: NULL keys, dangling keys and missing attributes included.
func TestRowRules_differentialMultiHop(t *testing.T) {
	t.Parallel()
	t.Run("DuckDB", func(t *testing.T) {
		t.Parallel()
		setup := fixtures.SaaS.Setup(0.1)
		e, err := newEngine(context.Background(), engine.Options{
			ModelFile: fixtures.SaaS.ModelFile, ModelYAML: fixtures.SaaS.Model(), Unrestricted: true,
			Setup: func(ctx context.Context, db *sql.DB) error {
				if err := setup(ctx, db); err != nil {
					return err
				}
				_, err := db.ExecContext(ctx, saasNaN)
				return err
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		defer e.Close()
		rowRules(t, dbOf(t, e), sqlast.DuckDB{}, enginemodel.Of(e), saasRules(enginemodel.Of(e)))
	})
	t.Run("PostgreSQL", func(t *testing.T) {
		t.Parallel()
		ctx := context.Background()
		url := pgtest.NewDatabase(t)
		db := pgtest.Open(t, url)
		if err := fixtures.SaaS.LoadPostgres(ctx, db, 0.1); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, saasNaN); err != nil {
			t.Fatal(err)
		}
		e, err := engine.New(ctx, engine.Options{ModelFile: fixtures.SaaS.ModelFile, ModelYAML: fixtures.SaaS.Model(), Unrestricted: true, Database: url})
		if err != nil {
			t.Fatal(err)
		}
		defer e.Close()
		rowRules(t, db, sqlast.Postgres{}, enginemodel.Of(e), saasRules(enginemodel.Of(e)))
	})
}
