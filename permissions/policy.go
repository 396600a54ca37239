package permissions

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync/atomic"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/operators"
	"cel.dev/cel-go/common/types"
	"gopkg.in/yaml.v3"

	"github.com/agentlayer/agentlayer/internal/lru"
	"github.com/agentlayer/agentlayer/internal/suggest"
	"github.com/agentlayer/agentlayer/internal/yamldoc"
	"github.com/agentlayer/agentlayer/semantic"
	"github.com/agentlayer/agentlayer/sqlgen"
	"github.com/agentlayer/agentlayer/sqlgen/celsql"
	"github.com/agentlayer/agentlayer/sqlgen/sqlast"
)

// Version is the policy file format this package reads.
const Version = 1

// Error lists every problem found in a policy file, sorted by position.
type Error struct{ yamldoc.List }

func newError(problems []yamldoc.Problem) error {
	if len(problems) == 0 {
		return nil
	}
	return &Error{yamldoc.Sorted(problems)}
}

// Policies is a compiled policy file: every CEL rule checked and prepared
// once. It is immutable and safe for concurrent use; For computes a user's
// grant.
type Policies struct {
	model    *semantic.Model
	file     string
	policies policyList // grant policies, in file order
	restrict policyList // restrict policies, in file order
	reads    []string   // what any rule reads of a user, for cache keys
	// attrs are the declared attributes the policies read, by name, with
	// the policies that read each; nil when the file declares none.
	attrs []attributeReaders
	// warnings are the file's warnings, positioned (Warnings).
	warnings []yamldoc.Problem
	missing  atomic.Int64
	warned   *lru.Cache[string, struct{}] // users checkMissing has seen
	cache    *lru.Cache[string, *Grant]
	log      *slog.Logger
}

// policy is one entry of the file.
type policy struct {
	name     string
	restrict bool
	when     cel.Program // nil: applies to everyone
	whenSrc  string
	// group is a group the user must be in for when to be true ("" if
	// none): when is "group" in user.groups, alone or ANDed.
	group  string
	tables map[*semantic.Table]*tableRule
	order  []*semantic.Table
}

// tableRule is what a policy says of one table.
type tableRule struct {
	columns map[*semantic.Field]bool // granted (grant policies) or hidden (restrict)
	rows    *celsql.Filter           // nil: every row
	rowsSrc string
	masks   map[*semantic.Field]maskRule
	// aggregate grants aggregates over its rows, groups of at least
	// minGroup rows each; without rows: the rule grants aggregates only.
	aggregate *aggregateRule
}

// aggregateRule is a grant of aggregates over more rows than the detail
// rule's, with a minimum group size.
type aggregateRule struct {
	rows     *celsql.Filter // nil: every row
	pos      yamldoc.Pos    // of min_group_size
	minGroup int
	// timeUnit is the finest unit its rows' dates and timestamps are
	// grouped and compared in (time_granularity; day by default).
	timeUnit sqlgen.Bucket
	only     bool // no detail access: the table rule names no rows
}

// maskRule is a policy's mask of a column, and the row condition under
// which the true value shows (nil: never).
type maskRule struct {
	fn     sqlgen.MaskFn
	unless *celsql.Filter
}

// DefaultCacheSize is how many distinct users' grants are kept.
const DefaultCacheSize = 10_000

// Options configure Compile. The zero value means every default.
type Options struct {
	// CacheSize bounds the grants kept per distinct user; 0 means
	// DefaultCacheSize.
	CacheSize int
	// Logger receives a warning when a condition fails for a user (it reads
	// an attribute their token lacks); nil discards.
	Logger *slog.Logger
	// Dialect is the SQL the rules will run as; nil means DuckDB. On
	// PostgreSQL, rules must mean the same there (the patterns of matches).
	Dialect sqlast.Dialect
}

// Load reads and compiles the policy file at path against model m.
func Load(path string, m *semantic.Model, opts Options) (*Policies, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read policy: %w", err)
	}
	return Compile(path, data, m, opts)
}

// Warnings are what the file may mean otherwise than it says, though it is
// valid — an attribute declared int compared with a double field — each
// at its file:line:col.
func (ps *Policies) Warnings() []string {
	out := make([]string, len(ps.warnings))
	for i, w := range ps.warnings {
		out[i] = w.String()
	}
	return out
}

// AggregateGrant is a policy's grant of a table's aggregates, with its
// minimum group size and where the file sets it.
type AggregateGrant struct {
	Policy   string
	Table    *semantic.Table
	MinGroup int
	Pos      yamldoc.Pos
}

// AggregateGrants lists the file's aggregate grants, in file order.
func (ps *Policies) AggregateGrants() []AggregateGrant {
	var out []AggregateGrant
	for _, pol := range ps.policies.all {
		for _, t := range pol.order {
			if a := pol.tables[t].aggregate; a != nil {
				out = append(out, AggregateGrant{Policy: pol.name, Table: t, MinGroup: a.minGroup, Pos: a.pos})
			}
		}
	}
	return out
}

// ErrPartialModel is what Compile returns for a policy without problems of
// its own checked against a partial model (semantic.ParsePartial): there
// is nothing to serve.
var ErrPartialModel = errors.New("permissions: the policy was checked against a model that did not load")

// Compile reads and compiles a policy file against model m; file names it
// in errors. Every problem is reported, at its file:line:col, as an *Error:
// unknown keys, tables and columns, CEL syntax and type errors, and rules
// that cannot be translated to SQL exactly. Against a partial model
// (semantic.ParsePartial) it reports the problems that do not depend on
// the model's broken tables, and otherwise returns ErrPartialModel.
func Compile(file string, data []byte, m *semantic.Model, opts Options) (*Policies, error) {
	doc, root := yamldoc.Parse(file, data)
	if root == nil {
		return nil, newError(doc.Problems())
	}
	c := &compiler{doc: doc, m: m, ps: &Policies{model: m, file: file}, reads: map[string]bool{}, dialect: opts.Dialect}
	if err := c.compile(root); err != nil {
		return nil, err
	}
	if err := newError(doc.Problems()); err != nil {
		return nil, err
	}
	if m.Partial() {
		return nil, ErrPartialModel
	}
	for r := range c.reads {
		c.ps.reads = append(c.ps.reads, r)
	}
	c.ps.attrs = c.readAttributes()
	c.ps.warnings = c.warnings
	slices.Sort(c.ps.reads)
	size := opts.CacheSize
	if size <= 0 {
		size = DefaultCacheSize
	}
	c.ps.cache = lru.New[string, *Grant](size)
	c.ps.warned = lru.New[string, struct{}](size)
	c.ps.log = opts.Logger
	if c.ps.log == nil {
		c.ps.log = slog.New(slog.DiscardHandler)
	}
	return c.ps, nil
}

type compiler struct {
	dialect sqlast.Dialect
	doc     *yamldoc.Doc
	m       *semantic.Model
	ps      *Policies
	reads   map[string]bool
	user    *cel.Env // `user` alone, for when
	cols    *cel.Env // `column`, for column conditions
	envs    map[*semantic.Table]*cel.Env
	// attrs are the declared user attributes and their types; nil when
	// the file declares none.
	attrs    map[string]string
	declared []string            // the names of attrs, sorted
	readers  map[string][]string // the policies that read each of attrs
	// current names the policy being compiled, for readers.
	current string
	// warnings are what the file may mean otherwise than it says, though
	// it is valid: Policies.Warnings.
	warnings []yamldoc.Problem
}

// userVariables declares `user`.
func userVariables() []cel.EnvOption { return semantic.UserVariables() }

func (c *compiler) compile(root *yaml.Node) error {
	d := c.doc
	top := d.Mapping(root, "the policy file", "version", "attributes", "policies", "restrict")
	if top == nil {
		return nil
	}
	v := d.Require(top, root, "the policy file", "version")
	if v == nil {
		return nil
	}
	if version, ok := d.Int(v, "version"); !ok {
		return nil
	} else if version != Version {
		d.Errorf(v, "unsupported policy version %d (this agentlayer reads version %d)", version, Version)
		return nil
	}
	var err error
	if c.user, err = cel.NewEnv(append(semantic.EnvOptions(), userVariables()...)...); err != nil {
		return err
	}
	if c.cols, err = cel.NewEnv(
		cel.Variable("column.name", cel.StringType),
		cel.Variable("column.table", cel.StringType),
		cel.Variable("column.semantic_type", cel.StringType),
		cel.Variable("column.type", cel.StringType),
	); err != nil {
		return err
	}
	c.envs = map[*semantic.Table]*cel.Env{}
	c.attributes(top["attributes"])
	c.readers = map[string][]string{}
	names := map[string]int{}
	for _, section := range []string{"policies", "restrict"} {
		for _, n := range d.Seq(top[section], section) {
			if p := c.policy(n, section == "restrict", names); p != nil {
				if p.restrict {
					c.ps.restrict.add(p)
				} else {
					c.ps.policies.add(p)
				}
			}
		}
	}
	if top["policies"] == nil && !d.Failed() {
		d.Errorf(root, "the policy file needs \"policies\": with none, no user sees anything")
	}
	return nil
}

func (c *compiler) policy(n *yaml.Node, restrict bool, names map[string]int) *policy {
	d := c.doc
	what := "policy"
	if restrict {
		what = "restrict policy"
	}
	keys := d.Mapping(n, what, "name", "description", "when", "tables")
	if keys == nil {
		return nil
	}
	p := &policy{restrict: restrict, tables: map[*semantic.Table]*tableRule{}}
	if nn := d.Require(keys, n, what, "name"); nn != nil {
		if name, ok := d.NonEmpty(nn, "name"); ok {
			if line, dup := names[name]; dup {
				d.Errorf(nn, "policy name %q is already used (line %d)", name, line)
			}
			names[name] = nn.Line
			p.name = name
		}
	}
	c.current = p.name
	d.String(keys["description"], "description")
	if w := keys["when"]; w != nil {
		p.whenSrc, _ = d.NonEmpty(w, "when")
		if p.whenSrc != "" {
			p.when, p.group = c.userProgram(w)
		}
	}
	tn := d.Require(keys, n, what, "tables")
	if tn == nil {
		return p
	}
	switch {
	case tn.Kind == yaml.ScalarNode && tn.Value == "*" && !restrict:
		for _, t := range c.m.Tables {
			p.tables[t] = &tableRule{columns: allColumns(t)}
			p.order = append(p.order, t)
		}
	case tn.Kind == yaml.SequenceNode && !restrict:
		for _, item := range tn.Content {
			if t := c.table(item, p); t != nil {
				p.tables[t] = &tableRule{columns: allColumns(t)}
				p.order = append(p.order, t)
			}
		}
	case tn.Kind == yaml.MappingNode:
		for i := 0; i+1 < len(tn.Content); i += 2 {
			t := c.table(tn.Content[i], p)
			if t == nil || t.Broken() {
				continue // a broken table of a partial model: nothing to check against
			}
			if r := c.tableRule(t, tn.Content[i+1], restrict); r != nil {
				p.tables[t] = r
				p.order = append(p.order, t)
			}
		}
	case restrict:
		d.Errorf(tn, "a restrict policy's tables must be a mapping of table names to rows and hide")
	default:
		d.Errorf(tn, "tables must be \"*\", a list of table names, or a mapping of table names to columns, hide and rows")
	}
	return p
}

func allColumns(t *semantic.Table) map[*semantic.Field]bool {
	out := make(map[*semantic.Field]bool, len(t.Fields))
	for _, f := range t.Fields {
		out[f] = true
	}
	return out
}

// table resolves a table name of a policy.
func (c *compiler) table(n *yaml.Node, p *policy) *semantic.Table {
	name, ok := c.doc.NonEmpty(n, "table name")
	if !ok {
		return nil
	}
	t := c.m.TableByName(name)
	if t == nil && c.m.Incomplete() {
		return nil // it may be the table whose name the model lost
	}
	if t == nil {
		var all []string
		for _, t := range c.m.Tables {
			all = append(all, t.Name)
		}
		if s := suggest.Closest(name, all); s != "" {
			c.doc.Errorf(n, "unknown table %s (did you mean %s?)", name, s)
		} else {
			c.doc.Errorf(n, "unknown table %s (the model has %s)", name, strings.Join(all, ", "))
		}
		return nil
	}
	if _, dup := p.tables[t]; dup {
		c.doc.Errorf(n, "table %s appears twice in policy %q", name, p.name)
		return nil
	}
	return t
}

func (c *compiler) tableRule(t *semantic.Table, n *yaml.Node, restrict bool) *tableRule {
	d := c.doc
	if n.Kind == yaml.ScalarNode && (n.Value == "*" || n.ShortTag() == "!!null") && !restrict {
		return &tableRule{columns: allColumns(t)}
	}
	allowed := []string{"columns", "hide", "rows", "mask", "aggregate"}
	if restrict {
		allowed = []string{"hide", "rows", "mask"}
	}
	keys := d.Mapping(n, "table "+t.Name, allowed...)
	if keys == nil {
		return nil
	}
	r := &tableRule{columns: allColumns(t)}
	if restrict {
		r.columns = map[*semantic.Field]bool{}
	}
	if cn := keys["columns"]; cn != nil {
		r.columns = c.columns(t, cn)
	}
	if hn := keys["hide"]; hn != nil {
		for f := range c.columns(t, hn) {
			if restrict {
				r.columns[f] = true
			} else {
				delete(r.columns, f)
			}
		}
	}
	if rn := keys["rows"]; rn != nil {
		r.rowsSrc, _ = d.NonEmpty(rn, "rows")
		if r.rowsSrc != "" {
			r.rows = c.rowRule(t, rn)
		}
	}
	if mn := keys["mask"]; mn != nil {
		r.masks = c.masks(t, mn, r, restrict)
	}
	if an := keys["aggregate"]; an != nil {
		r.aggregate = c.aggregate(t, an)
		if r.aggregate != nil {
			r.aggregate.only = keys["rows"] == nil
		}
	}
	if restrict && keys["rows"] == nil && keys["hide"] == nil && keys["mask"] == nil {
		d.Errorf(n, "a restrict policy's table needs rows, hide or mask")
	}
	return r
}

// aggregate reads a table rule's aggregate grant: {rows: CEL,
// min_group_size: N}.
func (c *compiler) aggregate(t *semantic.Table, n *yaml.Node) *aggregateRule {
	d := c.doc
	keys := d.Mapping(n, "aggregate of "+t.Name, "rows", "min_group_size", "time_granularity")
	if keys == nil {
		return nil
	}
	a := &aggregateRule{timeUnit: sqlgen.Day}
	if un := keys["time_granularity"]; un != nil {
		if u, ok := d.NonEmpty(un, "time_granularity"); ok {
			if !slices.Contains(sqlgen.TimeGranularities, sqlgen.Bucket(u)) {
				names := make([]string, len(sqlgen.TimeGranularities))
				for i, b := range sqlgen.TimeGranularities {
					names[i] = string(b)
				}
				d.Errorf(un, "time_granularity must be one of %s, not %q", strings.Join(names, ", "), u)
			} else {
				a.timeUnit = sqlgen.Bucket(u)
			}
		}
	}
	if mn := d.Require(keys, n, "aggregate of "+t.Name, "min_group_size"); mn != nil {
		v, ok := d.Int(mn, "min_group_size")
		if ok && v < 1 {
			d.Errorf(mn, "min_group_size must be at least 1")
		}
		a.minGroup, a.pos = v, d.Pos(mn)
	}
	if rn := keys["rows"]; rn != nil {
		if src, ok := d.NonEmpty(rn, "rows"); ok && src != "true" {
			a.rows = c.rowRule(t, rn)
		}
	}
	return a
}

// masks reads a table rule's mask: a mapping of field names to a mask, or
// to {with: mask, unless: CEL row condition}.
func (c *compiler) masks(t *semantic.Table, n *yaml.Node, r *tableRule, restrict bool) map[*semantic.Field]maskRule {
	d := c.doc
	out := map[*semantic.Field]maskRule{}
	if n.Kind != yaml.MappingNode {
		d.Errorf(n, "mask must be a mapping of field names to masks (%s)", strings.Join(sqlgen.MaskNames, ", "))
		return out
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn, vn := n.Content[i], n.Content[i+1]
		f := t.Field(kn.Value)
		if f == nil {
			msg := fmt.Sprintf("mask: table %s has no field %s", t.Name, kn.Value)
			if s := suggest.Closest(kn.Value, fieldNamesOf(t)); s != "" {
				msg += fmt.Sprintf(" (did you mean %s?)", s)
			}
			d.Errorf(kn, "%s", msg)
			continue
		}
		if !restrict && !r.columns[f] {
			d.Errorf(kn, "mask: the policy does not grant %s.%s, so it cannot mask it", t.Name, f.Name)
			continue
		}
		var m maskRule
		name, at := vn.Value, vn
		if vn.Kind == yaml.MappingNode {
			keys := d.Mapping(vn, "mask of "+f.Name, "with", "unless")
			if keys == nil {
				continue
			}
			wn := d.Require(keys, vn, "mask of "+f.Name, "with")
			if wn == nil {
				continue
			}
			name, at = wn.Value, wn
			if un := keys["unless"]; un != nil {
				if restrict {
					d.Errorf(un, "a restrict policy's mask always applies: unless is for grant policies")
					continue
				}
				m.unless = c.rowRule(t, un)
			}
		}
		fn, err := sqlgen.ParseMask(name, f.Type.Kind)
		if err != nil {
			d.Errorf(at, "mask of %s.%s: %v", t.Name, f.Name, err)
			continue
		}
		m.fn = fn
		out[f] = m
	}
	return out
}

func fieldNamesOf(t *semantic.Table) []string {
	out := make([]string, len(t.Fields))
	for i, f := range t.Fields {
		out[i] = f.Name
	}
	return out
}

// columns reads a list of field names or a CEL condition over `column`.
func (c *compiler) columns(t *semantic.Table, n *yaml.Node) map[*semantic.Field]bool {
	d := c.doc
	out := map[*semantic.Field]bool{}
	if n.Kind == yaml.ScalarNode && n.Value == "*" {
		return allColumns(t)
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str" {
		prg, _ := c.program(c.cols, n, "column")
		if prg == nil {
			return out
		}
		for _, f := range t.Fields {
			v, _, err := prg.Eval(map[string]any{
				"column.name": f.Name, "column.table": t.Name,
				"column.semantic_type": f.SemanticType, "column.type": f.Type.Database,
			})
			if err != nil {
				d.Errorf(n, "column condition fails for %s.%s: %v", t.Name, f.Name, err)
				continue
			}
			if v.Value() == true {
				out[f] = true
			}
		}
		return out
	}
	for _, item := range d.Seq(n, "columns") {
		name, ok := d.NonEmpty(item, "column name")
		if !ok {
			continue
		}
		f := t.Field(name)
		if f == nil {
			var all []string
			for _, f := range t.Fields {
				all = append(all, f.Name)
			}
			if s := suggest.Closest(name, all); s != "" {
				d.Errorf(item, "table %s has no field %s (did you mean %s?)", t.Name, name, s)
			} else {
				d.Errorf(item, "table %s has no field %s", t.Name, name)
			}
			continue
		}
		out[f] = true
	}
	return out
}

// program compiles a boolean CEL condition in env; vars names what it may
// use, for messages.
func (c *compiler) program(env *cel.Env, n *yaml.Node, vars string) (cel.Program, *cel.Ast) {
	span := c.doc.Span(n)
	ast, iss := env.Compile(n.Value)
	if iss.Err() != nil {
		for _, e := range iss.Errors() {
			msg := semantic.HumanizeCELMessage(e.Message)
			if strings.HasPrefix(msg, "undeclared reference") {
				msg += " (expressions here may use " + vars + ")"
			}
			p := span.Problem(e.Location.Line(), e.Location.Column(), msg)
			c.doc.ErrorAt(p.Pos, "%s", p.Msg)
		}
		return nil, nil
	}
	if !ast.OutputType().IsExactType(cel.BoolType) {
		p := span.Problem(1, 0, fmt.Sprintf("the condition must be true or false, not %s", ast.OutputType()))
		c.doc.ErrorAt(p.Pos, "%s", p.Msg)
		return nil, nil
	}
	c.checkAttributes(n, ast)
	prg, err := env.Program(ast, semantic.ProgramOptions()...)
	if err != nil {
		c.doc.Errorf(n, "cannot prepare the condition: %v", err)
		return nil, nil
	}
	return prg, ast
}

// userProgram compiles a when condition and records what it reads; group
// is a group the condition requires, if any.
func (c *compiler) userProgram(n *yaml.Node) (prg cel.Program, group string) {
	prg, checked := c.program(c.user, n, "user")
	if prg == nil {
		return nil, ""
	}
	for _, r := range celsql.VariableReads(checked) {
		c.reads[r] = true
	}
	return prg, requiredGroup(checked.NativeRep().Expr())
}

// requiredGroup finds "g" in user.groups at the top of a condition or of
// an operand of its top-level &&: without group g the condition is false
// (false && error is false in CEL), whatever else it reads.
func requiredGroup(e ast.Expr) string {
	if e.Kind() != ast.CallKind {
		return ""
	}
	call := e.AsCall()
	args := call.Args()
	switch call.FunctionName() {
	case operators.LogicalAnd:
		for _, a := range args {
			if g := requiredGroup(a); g != "" {
				return g
			}
		}
	case operators.In:
		if len(args) == 2 && args[0].Kind() == ast.LiteralKind && args[1].Kind() == ast.IdentKind && args[1].AsIdent() == "user.groups" {
			if g, ok := args[0].AsLiteral().(types.String); ok {
				return string(g)
			}
		}
	}
	return ""
}

// policyList is policies in file order, indexed by the group they require.
type policyList struct {
	all     []*policy
	byGroup map[string][]int // indexes in all
	open    []int            // policies that require no group
}

func (l *policyList) add(p *policy) {
	i := len(l.all)
	l.all = append(l.all, p)
	if p.group == "" {
		l.open = append(l.open, i)
		return
	}
	if l.byGroup == nil {
		l.byGroup = map[string][]int{}
	}
	l.byGroup[p.group] = append(l.byGroup[p.group], i)
}

// candidates lists, in file order, the policies whose when may be true for
// a user in groups: a user's first request costs what their groups and the
// open policies hold, not the whole file.
func (l *policyList) candidates(groups []string) []*policy {
	idx := slices.Clone(l.open)
	for _, g := range groups {
		idx = append(idx, l.byGroup[g]...)
	}
	slices.Sort(idx)
	idx = slices.Compact(idx)
	out := make([]*policy, len(idx))
	for i, x := range idx {
		out[i] = l.all[x]
	}
	return out
}

// rowRule compiles a row rule of table t: CEL over row and user, which
// must translate to SQL exactly.
func (c *compiler) rowRule(t *semantic.Table, n *yaml.Node) *celsql.Filter {
	if t.Env() == nil {
		c.doc.Errorf(n, "table %s has no CEL environment: the model did not finish loading", t.Name)
		return nil
	}
	env, ok := c.envs[t]
	if !ok {
		var err error
		if env, err = t.Env().Extend(userVariables()...); err != nil {
			c.doc.Errorf(n, "cannot build the environment of table %s: %v", t.Name, err)
			return nil
		}
		c.envs[t] = env
	}
	span := c.doc.Span(n)
	checked, problems := semantic.CheckExpr(t, env, n.Value, span, "user")
	for _, p := range problems {
		c.doc.ErrorAt(p.Pos, "%s", p.Msg)
	}
	if checked == nil {
		return nil
	}
	c.checkAttributes(n, checked)
	f, probs := celsql.Compile(t, env, checked, c.dialect)
	for _, p := range probs {
		pr := span.Problem(p.Line, p.Col, p.Msg)
		c.doc.ErrorAt(pr.Pos, "%s", pr.Msg)
	}
	if f != nil {
		for _, r := range f.Reads() {
			c.reads[r] = true
		}
	}
	return f
}
