package permissions

import (
	"fmt"
	"log/slog"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/agentlayer/agentlayer/auth"
	"github.com/agentlayer/agentlayer/semantic"
	"github.com/agentlayer/agentlayer/sqlgen"
	"github.com/agentlayer/agentlayer/sqlgen/celsql"
	"github.com/agentlayer/agentlayer/sqlgen/sqlast"
)

// Grant is what one user may see: tables, columns, and for each table the
// row filters of the policies that grant it. It implements sqlgen.Access.
// A Grant is immutable and safe for concurrent use.
type Grant struct {
	// Applied names the policies that apply to the user, grant policies
	// first, in file order.
	Applied []string
	// failed names the policies whose when failed for the user (it read an
	// attribute the user lacks): they concern the user too.
	failed []string
	tables map[*semantic.Table]*tableGrant
	// described caches Restriction by table and fields read: a grant is
	// shared by every user alike, and answers ask again and again.
	described sync.Map
}

type tableGrant struct {
	// restrictMasks are the masks of restrict policies: they always apply.
	restrictMasks map[*semantic.Field]sqlgen.MaskFn
	// masks are how the user sees each masked column, bound once.
	masks    map[*semantic.Field]sqlgen.Mask
	visible  map[*semantic.Field]bool
	rules    []boundRule
	restrict []sqlast.Expr
	// restrictBy names the restrict policy of each restrict condition.
	restrictBy []string
	hidden     map[*semantic.Field]bool
}

// boundRule is one policy's grant of a table for one user.
type boundRule struct {
	policy  string
	columns map[*semantic.Field]bool
	rows    sqlast.Expr // nil: every row
	masks   map[*semantic.Field]boundMask
	// aggregate, if set, grants aggregates over its rows (nil: every
	// row) in groups of at least minGroup; aggregateOnly rules grant no
	// detail rows.
	aggregate     *boundAggregate
	aggregateOnly bool
}

type boundAggregate struct {
	rows     sqlast.Expr
	minGroup int
	timeUnit sqlgen.Bucket
}

// boundMask is a policy's mask of a column for one user: the true value
// shows where unless holds (nil: never).
type boundMask struct {
	fn     sqlgen.MaskFn
	unless sqlast.Expr
}

var _ sqlgen.Access = (*Grant)(nil)

// Table implements sqlgen.Access.
func (g *Grant) Table(t *semantic.Table) bool { return g.tables[t] != nil }

// Field implements sqlgen.Access.
func (g *Grant) Field(f *semantic.Field) bool {
	tg := g.tables[f.Table]
	return tg != nil && tg.visible[f]
}

// Aggregate implements sqlgen.Access: when a policy grants t's aggregates
// past its detail rows, the rows an aggregated query may read — the OR
// over the grants that cover the fields of their aggregate rows (or their
// detail rows, for a grant without aggregate), AND every restriction — the
// largest minimum group size and the coarsest time granularity among them,
// and the rows the user sees in detail (which no group size protects); ok
// is false when no policy grants t's aggregates.
func (g *Grant) Aggregate(t *semantic.Table, fields []*semantic.Field) (sqlgen.AggregateAccess, bool, error) {
	var out sqlgen.AggregateAccess
	tg := g.tables[t]
	if tg == nil {
		return out, false, nil
	}
	any := false
	var ors []sqlast.Expr
	everyRow, covered := false, false
	for _, r := range tg.rules {
		if r.aggregate == nil {
			continue
		}
		any = true
		if !coversAll(r.columns, fields) {
			continue
		}
		covered = true
		out.MinGroup = max(out.MinGroup, r.aggregate.minGroup)
		if out.TimeUnit == "" || sqlgen.Coarser(r.aggregate.timeUnit, out.TimeUnit) {
			out.TimeUnit = r.aggregate.timeUnit
		}
		if r.aggregate.rows == nil {
			everyRow = true
		} else {
			ors = append(ors, r.aggregate.rows)
		}
	}
	if !any || !covered {
		return out, false, nil // the detail grants decide, as for any query
	}
	for _, r := range tg.rules {
		if !r.aggregateOnly && r.rows == nil && coversAll(r.columns, fields) {
			return sqlgen.AggregateAccess{}, false, nil // every row in detail already
		}
	}
	// A detail grant adds its rows too: they are the user's already.
	for _, r := range tg.rules {
		if r.aggregate == nil && !r.aggregateOnly && coversAll(r.columns, fields) {
			if r.rows == nil {
				everyRow = true
			} else {
				ors = append(ors, r.rows)
			}
		}
	}
	parts := []sqlast.Expr{nil}
	if !everyRow {
		parts[0] = sqlast.OrOf(ors...)
	}
	for _, x := range tg.restrict {
		if x != nil && x != sqlast.True {
			parts = append(parts, x)
		}
	}
	out.Rows = sqlast.AndOf(parts...)
	// The rows seen in detail: those of RowFilter, or none.
	out.Detail = sqlast.False
	if detail, _, ok := tg.rows(fields); ok {
		out.Detail = detail
		if detail == nil {
			out.Detail = sqlast.True
		}
	}
	return out, true, nil
}

// Mask implements sqlgen.Access. A row shows a column's true value if one
// of the policies granting the column grants it unmasked for that row: its
// row rule holds and it names no mask, or its mask's unless holds. A
// restrict policy's mask always applies; the first mask of a grant policy
// masks the rest.
func (g *Grant) Mask(f *semantic.Field) (sqlgen.Mask, bool) {
	tg := g.tables[f.Table]
	if tg == nil {
		return sqlgen.Mask{}, false
	}
	m, ok := tg.masks[f]
	return m, ok
}

// bindMasks works out, once per grant, how the user sees each masked
// column (Mask).
func (tg *tableGrant) bindMasks() {
	for f := range tg.visible {
		if m, ok := tg.mask(f); ok {
			if tg.masks == nil {
				tg.masks = map[*semantic.Field]sqlgen.Mask{}
			}
			tg.masks[f] = m
		}
	}
}

func (tg *tableGrant) mask(f *semantic.Field) (sqlgen.Mask, bool) {
	if fn, ok := tg.restrictMasks[f]; ok {
		return sqlgen.Mask{Fn: fn}, true
	}
	var fn sqlgen.MaskFn
	masked := false
	for _, r := range tg.rules {
		if m, ok := r.masks[f]; ok && r.columns[f] {
			fn, masked = m.fn, true
			break
		}
	}
	if !masked {
		return sqlgen.Mask{}, false
	}
	// The rows where a rule shows the true value. Only a rule that grants
	// detail rows, and every column the user sees of the table, can: a
	// narrower grant would otherwise show the true value beside columns
	// it does not grant together with it.
	var parts []sqlast.Expr
	for _, r := range tg.rules {
		if !r.columns[f] || r.aggregateOnly || !coversVisible(r.columns, tg.visible) {
			continue
		}
		if m, ok := r.masks[f]; ok {
			if m.unless != nil {
				parts = append(parts, sqlast.AndOf(r.rows, m.unless))
			}
			continue
		}
		if r.rows == nil {
			return sqlgen.Mask{}, false // unmasked on every row
		}
		parts = append(parts, r.rows)
	}
	unmasked := sqlast.OrOf(parts...)
	if unmasked == sqlast.True {
		return sqlgen.Mask{}, false
	}
	if unmasked == sqlast.False {
		unmasked = nil // masked on every row
	}
	return sqlgen.Mask{Fn: fn, Unmasked: unmasked}, true
}

// coversVisible reports whether a rule's columns include every visible one.
func coversVisible(cols, visible map[*semantic.Field]bool) bool {
	for f := range visible {
		if !cols[f] {
			return false
		}
	}
	return true
}

// RowFilter implements sqlgen.Access: the OR of the row rules of the
// policies that grant the table and every field the query reads of it,
// AND every restriction; ErrForbidden if no policy grants them together.
func (g *Grant) RowFilter(t *semantic.Table, fields []*semantic.Field) (sqlast.Expr, error) {
	tg := g.tables[t]
	if tg == nil {
		return nil, sqlgen.ErrForbidden
	}
	filter, _, covered := tg.rows(fields)
	if !covered {
		return nil, sqlgen.ErrForbidden
	}
	return filter, nil
}

// rows is the condition on the rows of the table for a read of fields:
// the OR of the row rules of the grants that cover them (none if one of
// them grants every row) AND every restriction; policies name the
// policies whose conditions it holds, once each. covered is false when no
// grant covers the fields together.
func (tg *tableGrant) rows(fields []*semantic.Field) (filter sqlast.Expr, policies []string, covered bool) {
	var ors []sqlast.Expr
	everyRow := false
	for _, r := range tg.rules {
		if r.aggregateOnly || !coversAll(r.columns, fields) {
			continue
		}
		covered = true
		if r.rows == nil {
			everyRow = true
			break
		}
		ors = append(ors, r.rows)
		policies = append(policies, r.policy)
	}
	if !covered {
		return nil, nil, false
	}
	parts := []sqlast.Expr{nil}
	if everyRow {
		policies = nil
	} else {
		parts[0] = sqlast.OrOf(ors...)
	}
	for i, x := range tg.restrict {
		if x != nil && x != sqlast.True {
			parts = append(parts, x)
			policies = append(policies, tg.restrictBy[i])
		}
	}
	var unique []string
	for _, p := range policies {
		if !slices.Contains(unique, p) {
			unique = append(unique, p)
		}
	}
	return sqlast.AndOf(parts...), unique, true
}

func coversAll(cols map[*semantic.Field]bool, fields []*semantic.Field) bool {
	for _, f := range fields {
		if !cols[f] {
			return false
		}
	}
	return true
}

// bindRows binds a row rule for a user, with the failures met. A rule that
// fails outright (it reads only what the user lacks) is FALSE: it grants,
// or keeps, no row.
func bindRows(f *celsql.Filter, vars map[string]any) (sqlast.Expr, error) {
	rows, err := f.Bind(vars)
	if rows == sqlast.Null {
		rows = sqlast.False
	}
	return rows, err
}

// Everything is a grant of every table, field and row of m: for the model's
// owner and for tools.
func Everything(m *semantic.Model) *Grant {
	g := &Grant{tables: map[*semantic.Table]*tableGrant{}}
	for _, t := range m.Tables {
		cols := allColumns(t)
		g.tables[t] = &tableGrant{visible: cols, rules: []boundRule{{policy: "everything", columns: cols}}}
	}
	return g
}

// Nothing is a grant of nothing at all.
func Nothing() *Grant { return &Grant{tables: map[*semantic.Table]*tableGrant{}} }

// For returns the grant of principal p. Grants are cached by what the
// policies read of a user, so users alike share one.
func (ps *Policies) For(p *auth.Principal) *Grant {
	vars := activation(p)
	key := ps.cacheKey(vars)
	g, ok := ps.cache.Get(key)
	if !ok {
		g = ps.grant(p, vars, ps.log)
		ps.cache.Put(key, g)
	}
	if len(ps.attrs) > 0 {
		ps.checkMissing(p, append(slices.Clone(g.Applied), g.failed...))
	}
	return g
}

// activation binds `user` for CEL.
// Activation is what CEL may read of a user, as the variables of rules (and
// of segments that read user): user.email, user.first_name,
// user.last_name, user.groups and user.attributes.
func Activation(p *auth.Principal) map[string]any { return activation(p) }

func activation(p *auth.Principal) map[string]any {
	groups := p.Groups
	if groups == nil {
		groups = []string{}
	}
	attrs := p.Attributes
	if attrs == nil {
		attrs = map[string]any{}
	}
	return map[string]any{
		"user.email":      p.Email,
		"user.first_name": p.FirstName,
		"user.last_name":  p.LastName,
		"user.groups":     groups,
		"user.attributes": attrs,
	}
}

// cacheKey is the values of every path the policies read of a user. Each
// value is written with its type and length, so that no two different
// activations share a key: 5 and 5.0 differ in CEL, and so must here.
func (ps *Policies) cacheKey(vars map[string]any) string {
	var b []byte
	for _, path := range ps.reads {
		b = append(b, path...)
		b = append(b, '=')
		if v, ok := lookup(vars, path); ok {
			b = appendKey(b, v)
		} else {
			b = append(b, '!')
		}
		b = append(b, ';')
	}
	return string(b)
}

// appendKey writes v, a value of an activation, unambiguously.
func appendKey(b []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(b, 'n')
	case string:
		b = append(b, 's')
		b = strconv.AppendInt(b, int64(len(x)), 10)
		b = append(b, ':')
		return append(b, x...)
	case bool:
		return strconv.AppendBool(append(b, 'b'), x)
	case int64:
		return strconv.AppendInt(append(b, 'i'), x, 10)
	case float64:
		return strconv.AppendUint(append(b, 'd'), math.Float64bits(x), 16)
	case []string:
		b = strconv.AppendInt(append(b, 'l'), int64(len(x)), 10)
		for _, item := range x {
			b = appendKey(append(b, ','), item)
		}
		return b
	case []any:
		b = strconv.AppendInt(append(b, 'l'), int64(len(x)), 10)
		for _, item := range x {
			b = appendKey(append(b, ','), item)
		}
		return b
	case map[string]any:
		keys := slices.Sorted(maps.Keys(x))
		b = strconv.AppendInt(append(b, 'm'), int64(len(keys)), 10)
		for _, k := range keys {
			b = appendKey(append(b, ','), k)
			b = appendKey(append(b, ':'), x[k])
		}
		return b
	default:
		// Not a type the verifier produces; keep it apart from every other.
		s := fmt.Sprintf("%T:%#v", x, x)
		b = strconv.AppendInt(append(b, 'x'), int64(len(s)), 10)
		return append(append(b, ':'), s...)
	}
}

// lookup finds a read path's value: user.attributes.state is the state
// attribute.
func lookup(vars map[string]any, path string) (any, bool) {
	for root, v := range vars {
		if path == root {
			return v, true
		}
		if rest, ok := strings.CutPrefix(path, root+"."); ok {
			m, isMap := v.(map[string]any)
			if !isMap {
				return nil, false
			}
			key, _, _ := strings.Cut(rest, ".")
			x, found := m[key]
			return x, found
		}
	}
	return nil, false
}

// binding is one user's evaluation of the policies.
type binding struct {
	p    *auth.Principal
	vars map[string]any
	log  *slog.Logger
	g    *Grant
}

func (ps *Policies) grant(p *auth.Principal, vars map[string]any, log *slog.Logger) *Grant {
	b := &binding{p: p, vars: vars, log: log, g: &Grant{tables: map[*semantic.Table]*tableGrant{}}}
	for _, pol := range ps.policies.candidates(p.Groups) {
		if b.applies(pol, false) {
			b.grantPolicy(pol)
		}
	}
	for _, pol := range ps.restrict.candidates(p.Groups) {
		if b.applies(pol, true) {
			b.restrictPolicy(pol)
		}
	}
	// A hidden column is hidden from every rule's grant too; then each
	// masked column's mask is bound, once.
	for _, tg := range b.g.tables {
		if len(tg.hidden) == 0 {
			tg.bindMasks()
			continue
		}
		for i, r := range tg.rules {
			cols := make(map[*semantic.Field]bool, len(r.columns))
			for f := range r.columns {
				if !tg.hidden[f] {
					cols[f] = true
				}
			}
			tg.rules[i].columns = cols
		}
		tg.bindMasks()
	}
	return b.g
}

// applies evaluates a policy's when. A condition that fails for the user
// (it reads a claim the user lacks) fails closed: a grant does not apply,
// a restriction does.
func (b *binding) applies(pol *policy, restrict bool) bool {
	if pol.when == nil {
		return true
	}
	out, _, err := pol.when.Eval(b.vars)
	if err != nil {
		what := "the policy does not apply"
		if restrict {
			what = "the restriction applies"
		}
		b.log.Warn("policy condition fails for user: "+what, "policy", pol.name, "user", b.p.Email, "err", err.Error())
		b.g.failed = append(b.g.failed, pol.name)
		return restrict
	}
	ok, isBool := out.Value().(bool)
	if !isBool {
		return restrict
	}
	return ok
}

// grantPolicy adds what a grant policy gives the user.
func (b *binding) grantPolicy(pol *policy) {
	b.g.Applied = append(b.g.Applied, pol.name)
	for _, t := range pol.order {
		r := pol.tables[t]
		tg := b.g.table(t)
		for f := range r.columns {
			tg.visible[f] = true
		}
		br := boundRule{policy: pol.name, columns: r.columns}
		if a := r.aggregate; a != nil {
			br.aggregate = &boundAggregate{minGroup: a.minGroup, timeUnit: a.timeUnit}
			br.aggregateOnly = a.only
			if a.rows != nil {
				var err error
				if br.aggregate.rows, err = bindRows(a.rows, b.vars); err != nil {
					b.log.Warn("aggregate rule fails for user: the failing part grants nothing", "policy", pol.name, "table", t.Name, "user", b.p.Email, "err", err.Error())
				}
				if br.aggregate.rows == sqlast.True {
					br.aggregate.rows = nil
				}
			}
		}
		if r.rows != nil {
			var err error
			if br.rows, err = bindRows(r.rows, b.vars); err != nil {
				b.log.Warn("row rule fails for user: the failing part grants nothing", "policy", pol.name, "table", t.Name, "user", b.p.Email, "err", err.Error())
			}
			if br.rows == sqlast.True {
				br.rows = nil // every row
			}
		}
		for f, m := range r.masks {
			if br.masks == nil {
				br.masks = map[*semantic.Field]boundMask{}
			}
			bm := boundMask{fn: m.fn}
			if m.unless != nil {
				var err error
				if bm.unless, err = bindRows(m.unless, b.vars); err != nil {
					b.log.Warn("mask condition fails for user: the column stays masked where it fails", "policy", pol.name, "table", t.Name, "user", b.p.Email, "err", err.Error())
				}
				if bm.unless == nil {
					bm.unless = sqlast.True // unless true: the true value shows on every row of the rule
				}
			}
			br.masks[f] = bm
		}
		tg.rules = append(tg.rules, br)
	}
}

// restrictPolicy takes away what a restrict policy hides, and adds its
// row conditions, on the tables the user was granted.
func (b *binding) restrictPolicy(pol *policy) {
	b.g.Applied = append(b.g.Applied, pol.name)
	for _, t := range pol.order {
		tg := b.g.tables[t]
		if tg == nil {
			continue
		}
		r := pol.tables[t]
		for f := range r.columns {
			delete(tg.visible, f)
			tg.hidden[f] = true
		}
		for f, m := range r.masks {
			if _, ok := tg.restrictMasks[f]; ok {
				continue // the first restriction's mask
			}
			if tg.restrictMasks == nil {
				tg.restrictMasks = map[*semantic.Field]sqlgen.MaskFn{}
			}
			tg.restrictMasks[f] = m.fn
		}
		if r.rows != nil {
			rows, err := bindRows(r.rows, b.vars)
			if err != nil {
				b.log.Warn("restrict rule fails for user: the failing part keeps no rows", "policy", pol.name, "table", t.Name, "user", b.p.Email, "err", err.Error())
			}
			tg.restrict = append(tg.restrict, rows)
			tg.restrictBy = append(tg.restrictBy, pol.name)
		}
	}
}

func (g *Grant) table(t *semantic.Table) *tableGrant {
	tg := g.tables[t]
	if tg == nil {
		tg = &tableGrant{visible: map[*semantic.Field]bool{}, hidden: map[*semantic.Field]bool{}}
		g.tables[t] = tg
	}
	return tg
}

// Policies names the policies that grant table t to this user.
func (g *Grant) Policies(t *semantic.Table) []string {
	tg := g.tables[t]
	if tg == nil {
		return nil
	}
	var out []string
	for _, r := range tg.rules {
		if !slices.Contains(out, r.policy) {
			out = append(out, r.policy)
		}
	}
	return out
}

// Restriction says how the rows of a table a user reads are limited, in
// words the user may read: the disclosure rule is that it names no table,
// column or policy the user cannot see, and shows no value of a hidden
// field nor another user's branch of a rule.
type Restriction struct {
	// Table is the table whose rows are limited.
	Table string `json:"table"`
	// Policies name the policies (applying to the user) whose rules limit
	// the rows.
	Policies []string `json:"policies"`
	// Rows is the condition the rows meet, as bound for the user, when it
	// reads only fields the user sees; empty otherwise.
	Rows string `json:"rows,omitempty"`
	// Text says it in one sentence, or two for aggregates.
	Text string `json:"text"`
	// Aggregate is set when the rows were read under an aggregate grant:
	// the answer holds only groups (and sets) of at least MinGroupSize
	// rows, its dates compared in whole TimeGranularity units.
	Aggregate *AggregateLimit `json:"aggregate,omitempty"`
}

// AggregateLimit is how an answer read under an aggregate grant is
// limited, for machines beside the restriction's text.
type AggregateLimit struct {
	MinGroupSize    int    `json:"min_group_size"`
	TimeGranularity string `json:"time_granularity"`
}

// AggregateTerms are what a plan read under aggregate grants answers
// with: the minimum group size and time unit, the table whose rows the
// groups count, and the joined tables whose distinct keys they count too.
type AggregateTerms struct {
	MinGroupSize int
	TimeUnit     string
	Rows         string   // the table counted by rows
	Keys         []string // the tables counted by distinct keys
}

// Groups says, in the one wording every adapter uses, which groups an
// answer under these terms leaves out: "Groups of fewer than 10 ORDERS
// rows (10 distinct PEOPLE keys) are not shown."
func (a AggregateTerms) Groups() string {
	s := fmt.Sprintf("Groups of fewer than %d %s rows", a.MinGroupSize, a.Rows)
	if len(a.Keys) > 0 {
		keys := make([]string, len(a.Keys))
		for i, k := range a.Keys {
			keys[i] = fmt.Sprintf("%d distinct %s keys", a.MinGroupSize, k)
		}
		s += " (" + strings.Join(keys, ", ") + ")"
	}
	return s + " are not shown."
}

// AggregateRestriction says how the rows of t, read under an aggregate
// grant for the given fields, are limited: the grant's rows, and, when
// groups is set, which groups the answer leaves out.
func (g *Grant) AggregateRestriction(t *semantic.Table, fields []*semantic.Field, terms AggregateTerms, groups bool) Restriction {
	res := Restriction{Table: t.Name, Policies: []string{}, Aggregate: &AggregateLimit{MinGroupSize: terms.MinGroupSize, TimeGranularity: terms.TimeUnit}}
	tg := g.tables[t]
	var ors []sqlast.Expr
	everyRow := false
	if tg != nil {
		for _, r := range tg.rules {
			if !coversAll(r.columns, fields) {
				continue
			}
			rows := r.rows
			switch {
			case r.aggregate != nil:
				rows = r.aggregate.rows
			case r.aggregateOnly:
				continue
			}
			if !slices.Contains(res.Policies, r.policy) {
				res.Policies = append(res.Policies, r.policy)
			}
			if rows == nil {
				everyRow = true
			}
			ors = append(ors, rows)
		}
	}
	parts := []sqlast.Expr{nil}
	if !everyRow {
		parts[0] = sqlast.OrOf(ors...)
	}
	if tg != nil {
		for i, x := range tg.restrict {
			if x != nil && x != sqlast.True {
				parts = append(parts, x)
				if !slices.Contains(res.Policies, tg.restrictBy[i]) {
					res.Policies = append(res.Policies, tg.restrictBy[i])
				}
			}
		}
	}
	filter := sqlast.AndOf(parts...)
	switch rows, ok := sqlgen.Describe(filter, g.describable); {
	case filter == nil:
		res.Text = fmt.Sprintf("Aggregates of %s count every row.", t.Name)
	case ok:
		res.Rows = rows
		res.Text = fmt.Sprintf("Aggregates of %s count the rows where %s.", t.Name, rows)
	default:
		res.Text = fmt.Sprintf("Aggregates of %s count the rows policy %s allows.", t.Name, strings.Join(res.Policies, ", "))
	}
	if groups {
		res.Text += " " + terms.Groups()
	}
	return res
}

// describable reports whether a condition may name field f in words the
// user reads: a visible, unmasked field (a masked one would tell of its
// true values).
func (g *Grant) describable(f *semantic.Field) bool {
	if _, masked := g.Mask(f); masked {
		return false
	}
	return g.Field(f)
}

// Restriction says how the rows of t are limited for a read of the given
// fields of it (nil: any read), and false when the user reads every row.
// It follows RowFilter: the rules of the grants that cover the fields, and
// every restriction.
func (g *Grant) Restriction(t *semantic.Table, fields []*semantic.Field) (Restriction, bool) {
	key := make([]byte, 0, 64)
	key = append(key, t.Name...)
	for _, f := range fields {
		key = append(append(key, ','), f.Name...)
	}
	k := string(key)
	if r, ok := g.described.Load(k); ok {
		d := r.(described)
		return d.r, d.ok
	}
	r, ok := g.restriction(t, fields)
	g.described.Store(k, described{r, ok})
	return r, ok
}

type described struct {
	r  Restriction
	ok bool
}

func (g *Grant) restriction(t *semantic.Table, fields []*semantic.Field) (Restriction, bool) {
	tg := g.tables[t]
	if tg == nil {
		return Restriction{}, false
	}
	filter, names, covered := tg.rows(fields)
	if !covered || len(names) == 0 {
		return Restriction{}, false
	}
	res := Restriction{Table: t.Name, Policies: names}
	rows, ok := sqlgen.Describe(filter, g.describable)
	if ok {
		res.Rows = rows
		res.Text = fmt.Sprintf("Rows of %s are limited to %s.", t.Name, rows)
	} else {
		res.Text = fmt.Sprintf("Rows of %s are limited by policy %s.", t.Name, strings.Join(names, ", "))
	}
	return res, true
}
