package sqlfront

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/agentlayer/agentlayer/internal/suggest"
	"github.com/agentlayer/agentlayer/sqlgen"
)

// Statement is a SELECT mapped onto a construct request.
type Statement struct {
	Request *sqlgen.Request
	// Offset is the rows of the whole result skipped (OFFSET); the
	// request's limit then counts them too.
	Offset int
	// Columns are what the statement returns, in its order: each a column
	// of the request's answer (Index), under the statement's name.
	Columns []Column
	// Empty marks LIMIT 0: the statement returns its columns and no row.
	Empty bool
	// Params are the types of the statement's parameters ($1 …), as the
	// fields they are compared with say; a parameter of unknown use is text.
	Params []Type
}

// Column is a column a statement returns.
type Column struct {
	Name  string
	Index int // the column of the request's answer
}

// Map maps a parsed SELECT onto a request for the caller whose catalog c
// is. params are the values of $1 …, as text (nil: the statement is only
// described, its parameters typed). text is the statement's text, for
// positions.
func Map(c *Catalog, sel *pg.SelectStmt, params []*string) (*Statement, error) {
	m := &mapper{cat: c, params: params, req: &sqlgen.Request{}, aliases: map[string]*scope{}}
	st, err := m.statement(sel)
	if err != nil {
		return nil, err
	}
	if err := sqlgen.CheckCaps(st.Request); err != nil {
		return nil, err
	}
	return st, nil
}

// scope is a relation of the FROM clause: a table reached by a path of
// relationships from the FROM table ("" for it).
type scope struct {
	table *Table
	path  string // USER. for PEOPLE joined through USER
	alias string
}

// ref is a field as the request names it, with its bucket.
type ref struct {
	id     string // TOTAL, USER.STATE
	bucket string
	typ    Type
	name   string // the column's name in SQL's answer
	// year marks extract(year from …): compared as the year bucket, whose
	// values are years written as text.
	year bool
}

type mapper struct {
	cat     *Catalog
	params  []*string
	ptypes  []Type
	req     *sqlgen.Request
	base    *scope
	scopes  []*scope
	aliases map[string]*scope
}

// item is a SELECT list entry as mapped: a field (or bucket of one), or
// an aggregation.
type item struct {
	name  string
	field *ref
	agg   *sqlgen.Aggregation
	index int // its column in the answer, once known
	pos   int32
}

func (m *mapper) statement(sel *pg.SelectStmt) (*Statement, error) {
	if err := refuseShape(sel); err != nil {
		return nil, err
	}
	if err := m.from(sel.GetFromClause()); err != nil {
		return nil, err
	}
	items, err := m.targets(sel.GetTargetList())
	if err != nil {
		return nil, err
	}
	if err := m.where(sel.GetWhereClause()); err != nil {
		return nil, err
	}
	aggregated := len(sel.GetGroupClause()) > 0 || len(sel.GetDistinctClause()) > 0
	for _, it := range items {
		aggregated = aggregated || it.agg != nil
	}
	if aggregated {
		if err := m.grouped(sel, items); err != nil {
			return nil, err
		}
	} else {
		m.detail(items)
	}
	if h := sel.GetHavingClause(); h != nil {
		if !aggregated {
			return nil, errorAt(CodeGrouping, location(h), "", "HAVING needs GROUP BY or an aggregate")
		}
		if err := m.having(h, items); err != nil {
			return nil, err
		}
	}
	if err := m.orderBy(sel.GetSortClause(), items, aggregated); err != nil {
		return nil, err
	}
	st := &Statement{Request: m.req}
	if err := m.limits(sel, st); err != nil {
		return nil, err
	}
	for _, it := range items {
		st.Columns = append(st.Columns, Column{Name: it.name, Index: it.index})
	}
	st.Params = m.ptypes
	return st, nil
}

// refuseShape refuses what has no place in a request, naming it.
func refuseShape(sel *pg.SelectStmt) error {
	switch {
	case sel.GetOp() != pg.SetOperation_SETOP_NONE:
		return unsupported(-1, "UNION, INTERSECT and EXCEPT", "ask each query alone")
	case sel.GetWithClause() != nil:
		return unsupported(sel.GetWithClause().GetLocation(), "WITH (a common table expression)", "ask the query inside it directly")
	case len(sel.GetValuesLists()) > 0:
		return unsupported(-1, "VALUES", "select from a table of the model")
	case len(sel.GetWindowClause()) > 0:
		return unsupported(-1, "WINDOW", "aggregate with GROUP BY")
	case len(sel.GetLockingClause()) > 0:
		return errorAt(CodeReadOnly, -1, "", "cannot lock rows: the model is read-only")
	case sel.GetIntoClause() != nil:
		return errorAt(CodeReadOnly, -1, "", "cannot execute SELECT INTO: the model is read-only")
	}
	return nil
}

// from reads the FROM clause: one table, and tables joined to it along
// declared relationships.
func (m *mapper) from(items []*pg.Node) error {
	switch {
	case len(items) == 0:
		return unsupported(-1, "SELECT without FROM", "select from a table of the model: "+strings.Join(m.tableNames(), ", "))
	case len(items) > 1:
		return unsupported(location(items[1]), "a FROM list of several tables", "JOIN a table along a relationship: ... FROM ORDERS o LEFT JOIN PEOPLE p ON o.USER_ID = p.ID")
	}
	return m.fromItem(items[0])
}

func (m *mapper) fromItem(n *pg.Node) error {
	if rv := n.GetRangeVar(); rv != nil {
		if m.base != nil {
			return unsupported(rv.GetLocation(), "a join without ON", "JOIN ... ON a relationship's key")
		}
		t, err := m.relation(rv)
		if err != nil {
			return err
		}
		m.base = &scope{table: t, alias: aliasOf(rv)}
		m.req.TableID = t.ID
		return m.addScope(m.base, rv.GetLocation())
	}
	j := n.GetJoinExpr()
	if j == nil {
		return unsupported(location(n), "a subquery or function in FROM", "select from a table of the model")
	}
	if err := m.fromItem(j.GetLarg()); err != nil {
		return err
	}
	rv := j.GetRarg().GetRangeVar()
	switch {
	case rv == nil:
		return unsupported(location(j.GetRarg()), "a join of a subquery or of a parenthesised join", "join tables one by one")
	case j.GetJointype() != pg.JoinType_JOIN_LEFT && j.GetJointype() != pg.JoinType_JOIN_INNER:
		return unsupported(rv.GetLocation(), strings.ToUpper(strings.TrimPrefix(j.GetJointype().String(), "JOIN_"))+" JOIN", "LEFT JOIN or JOIN along a relationship")
	case j.GetIsNatural() || len(j.GetUsingClause()) > 0 || j.GetQuals() == nil:
		return unsupported(rv.GetLocation(), "a join without ON", "JOIN ... ON a relationship's key")
	}
	t, err := m.relation(rv)
	if err != nil {
		return err
	}
	return m.join(t, rv, j)
}

// join adds t, joined by j's ON, which must equal a relationship's
// foreign key of a table in scope with t's key.
func (m *mapper) join(t *Table, rv *pg.RangeVar, j *pg.JoinExpr) error {
	joined := &scope{table: t, alias: aliasOf(rv)}
	key, hasKey := t.Key()
	on := j.GetQuals().GetAExpr()
	if on != nil && opName(on) == "=" && on.GetKind() == pg.A_Expr_Kind_AEXPR_OP && hasKey {
		l, r := on.GetLexpr().GetColumnRef(), on.GetRexpr().GetColumnRef()
		for _, pair := range [][2]*pg.ColumnRef{{l, r}, {r, l}} {
			from, to := pair[0], pair[1]
			if from == nil || to == nil {
				continue
			}
			toScope, toField, ok := refersTo(to, joined)
			if !ok || !strings.EqualFold(toField, key.Name) || toScope != joined {
				continue
			}
			s, fk, err := m.column(from)
			if err != nil {
				return err
			}
			for _, rel := range s.table.Relationships {
				if strings.EqualFold(rel.By, fk.Name) && strings.EqualFold(rel.Table, t.Name) {
					joined.path = s.path + rel.Name + "."
					if err := m.addScope(joined, rv.GetLocation()); err != nil {
						return err
					}
					if j.GetJointype() == pg.JoinType_JOIN_INNER {
						// The related row exists as the caller sees it.
						m.req.Filters = append(m.req.Filters, sqlgen.Filter{FieldID: joined.path + key.Name, Operation: "is-not-null"})
					}
					return nil
				}
			}
		}
	}
	return unsupported(location(j.GetQuals()), fmt.Sprintf("a join of %s on anything but a relationship", t.Name), m.relationshipsHint())
}

func (m *mapper) relationshipsHint() string {
	var out []string
	for _, s := range m.scopes {
		for _, rel := range s.table.Relationships {
			out = append(out, fmt.Sprintf("%s.%s = %s.ID (%s%s)", s.table.Name, rel.By, rel.Table, s.path, rel.Name))
		}
	}
	if len(out) == 0 {
		return "the tables in FROM have no relationships to tables you can see"
	}
	return "join along a relationship: " + strings.Join(out, "; ")
}

// refersTo reports whether a column reference is qualified by s's alias
// or table name, and the column's name.
func refersTo(c *pg.ColumnRef, s *scope) (*scope, string, bool) {
	parts := c.GetFields()
	if len(parts) != 2 {
		return nil, "", false
	}
	q, col := parts[0].GetString_().GetSval(), parts[1].GetString_().GetSval()
	if strings.EqualFold(q, s.alias) || (s.alias == "" && strings.EqualFold(q, s.table.Name)) {
		return s, col, true
	}
	return nil, "", false
}

func (m *mapper) addScope(s *scope, pos int32) error {
	name := strings.ToLower(s.alias)
	if name == "" {
		name = strings.ToLower(s.table.Name)
	}
	if _, dup := m.aliases[name]; dup {
		return errorAt("42712", pos, "give each its own alias", "table name %q specified more than once", name)
	}
	m.aliases[name] = s
	m.scopes = append(m.scopes, s)
	return nil
}

func aliasOf(rv *pg.RangeVar) string {
	if a := rv.GetAlias(); a != nil {
		return a.GetAliasname()
	}
	return ""
}

// relation finds a table the caller sees; any other answers as one that
// does not exist.
func (m *mapper) relation(rv *pg.RangeVar) (*Table, error) {
	schema := rv.GetSchemaname()
	t := m.cat.Table(rv.GetRelname())
	if t == nil || (schema != "" && !strings.EqualFold(schema, "public")) || rv.GetCatalogname() != "" {
		name := rv.GetRelname()
		if schema != "" {
			name = schema + "." + name
		}
		return nil, errorAt(CodeUndefinedTable, rv.GetLocation(), hint(rv.GetRelname(), m.tableNames()), "relation %q does not exist", name)
	}
	return t, nil
}

func (m *mapper) tableNames() []string {
	return names(m.cat.Tables, func(t *Table) string { return t.Name })
}

func hint(name string, candidates []string) string {
	if c := suggest.Closest(name, candidates); c != "" {
		return fmt.Sprintf("Perhaps you meant %q.", c)
	}
	return ""
}

// column resolves a column reference: its scope and field.
func (m *mapper) column(c *pg.ColumnRef) (*scope, Field, error) {
	parts := c.GetFields()
	var qual, name string
	switch len(parts) {
	case 1:
		name = parts[0].GetString_().GetSval()
	case 2:
		qual, name = parts[0].GetString_().GetSval(), parts[1].GetString_().GetSval()
	default:
		return nil, Field{}, unsupported(c.GetLocation(), "a column named with schema or database", "name it as table.column or alias.column")
	}
	if name == "" {
		return nil, Field{}, unsupported(c.GetLocation(), "* here", "SELECT * FROM one table, or name the columns")
	}
	if qual != "" {
		s := m.aliases[strings.ToLower(qual)]
		if s == nil {
			return nil, Field{}, errorAt(CodeUndefinedTable, c.GetLocation(), "", "missing FROM-clause entry for table %q", qual)
		}
		f, ok := s.table.Field(name)
		if !ok {
			return nil, Field{}, m.noColumn(c, qual+"."+name, s)
		}
		return s, f, nil
	}
	var found *scope
	var field Field
	for _, s := range m.scopes {
		if f, ok := s.table.Field(name); ok {
			if found != nil {
				return nil, Field{}, errorAt(CodeAmbiguousColumn, c.GetLocation(), "qualify it with its table's alias", "column reference %q is ambiguous", name)
			}
			found, field = s, f
		}
	}
	if found == nil {
		return nil, Field{}, m.noColumn(c, name, m.scopes...)
	}
	return found, field, nil
}

func (m *mapper) noColumn(c *pg.ColumnRef, name string, scopes ...*scope) error {
	var candidates []string
	for _, s := range scopes {
		candidates = append(candidates, names(s.table.Fields, func(f Field) string { return f.Name })...)
	}
	short := name[strings.LastIndex(name, ".")+1:]
	return errorAt(CodeUndefinedColumn, c.GetLocation(), hint(short, candidates), "column %q does not exist", name)
}

// fieldRef maps an expression that is a field, or date_trunc of one.
func (m *mapper) fieldRef(n *pg.Node) (*ref, error) {
	if c := n.GetColumnRef(); c != nil {
		s, f, err := m.column(c)
		if err != nil {
			return nil, err
		}
		return &ref{id: s.path + f.Name, typ: f.Type, name: f.Name}, nil
	}
	if tc := n.GetTypeCast(); tc != nil {
		return nil, unsupported(tc.GetLocation(), "a cast of a column", "compare the column with a literal of its type")
	}
	fc := n.GetFuncCall()
	if fc == nil {
		return nil, unsupported(location(n), "this expression", "name a column, or date_trunc('month', column)")
	}
	switch fn := funcName(fc); fn {
	case "date_trunc":
		args := fc.GetArgs()
		if len(args) != 2 {
			return nil, errorAt(CodeSyntax, fc.GetLocation(), "date_trunc('month', CREATED_AT)", "date_trunc takes a unit and a column")
		}
		unit, ok := stringConst(args[0])
		if !ok {
			return nil, unsupported(location(args[0]), "a date_trunc unit that is not a literal", "date_trunc('month', column)")
		}
		r, err := m.fieldRef(args[1])
		if err != nil {
			return nil, err
		}
		r.bucket, r.name, r.typ = strings.ToLower(unit), "date_trunc", TypeTimestamp
		return r, nil
	case "extract", "date_part":
		return m.extract(fc)
	default:
		return nil, unsupported(fc.GetLocation(), "function "+fn+" here", "name a column, or date_trunc('month', column)")
	}
}

func funcName(fc *pg.FuncCall) string {
	parts := fc.GetFuncname()
	return strings.ToLower(parts[len(parts)-1].GetString_().GetSval())
}

func opName(e *pg.A_Expr) string {
	parts := e.GetName()
	if len(parts) == 0 {
		return ""
	}
	return parts[len(parts)-1].GetString_().GetSval()
}

func stringConst(n *pg.Node) (string, bool) {
	if c := n.GetAConst(); c != nil && c.GetSval() != nil {
		return c.GetSval().GetSval(), true
	}
	return "", false
}

// location is a node's position in the text, -1 when it has none.
func location(n *pg.Node) int32 {
	switch {
	case n == nil:
		return -1
	case n.GetColumnRef() != nil:
		return n.GetColumnRef().GetLocation()
	case n.GetFuncCall() != nil:
		return n.GetFuncCall().GetLocation()
	case n.GetAExpr() != nil:
		return n.GetAExpr().GetLocation()
	case n.GetBoolExpr() != nil:
		return n.GetBoolExpr().GetLocation()
	case n.GetAConst() != nil:
		return n.GetAConst().GetLocation()
	case n.GetTypeCast() != nil:
		return n.GetTypeCast().GetLocation()
	case n.GetSubLink() != nil:
		return n.GetSubLink().GetLocation()
	case n.GetRangeVar() != nil:
		return n.GetRangeVar().GetLocation()
	case n.GetRangeSubselect() != nil, n.GetJoinExpr() != nil:
		return -1
	case n.GetNullTest() != nil:
		return n.GetNullTest().GetLocation()
	case n.GetParamRef() != nil:
		return n.GetParamRef().GetLocation()
	}
	return -1
}

// number reads an integer literal or parameter (LIMIT, OFFSET).
func (m *mapper) integer(n *pg.Node, what string) (int, error) {
	v, err := m.value(n, TypeInt8)
	if err != nil {
		return 0, err
	}
	switch x := v.(type) {
	case int64:
		if x >= 0 && x <= 1<<31 {
			return int(x), nil
		}
	case json.Number:
		if i, err := strconv.Atoi(string(x)); err == nil && i >= 0 {
			return i, nil
		}
	case nil:
		return -1, nil
	}
	return 0, errorAt(CodeParameter, location(n), "", "%s must be a non-negative integer", what)
}

// extractions are the parts extract() and date_part() take, as the
// request's extraction buckets (PostgreSQL numbers them alike).
var extractions = map[string]string{
	"month": "month-of-year", "quarter": "quarter-of-year", "day": "day-of-month", "doy": "day-of-year",
	"hour": "hour-of-day", "minute": "minute-of-hour", "year": "year",
}

// extract maps extract(part FROM col) and date_part('part', col) onto an
// extraction bucket of the column.
func (m *mapper) extract(fc *pg.FuncCall) (*ref, error) {
	args := fc.GetArgs()
	if len(args) != 2 {
		return nil, errorAt(CodeSyntax, fc.GetLocation(), "extract(month FROM CREATED_AT)", "extract takes a part and a column")
	}
	part, ok := stringConst(args[0])
	bucket := extractions[strings.ToLower(part)]
	if !ok || bucket == "" {
		return nil, unsupported(location(args[0]), fmt.Sprintf("extract(%s …)", part), "extract of year, quarter, month, day, doy, hour or minute (dow and week count otherwise here), or date_trunc")
	}
	r, err := m.fieldRef(args[1])
	if err != nil {
		return nil, err
	}
	if r.bucket != "" {
		return nil, unsupported(fc.GetLocation(), "extract of a truncated column", "extract(part FROM column)")
	}
	r.bucket, r.name, r.typ, r.year = bucket, "extract", TypeInt8, bucket == "year"
	return r, nil
}

// selected maps an expression of the SELECT list, GROUP BY or ORDER BY: a
// field or a truncation of one; extract() there would answer a number
// where the request gives a bucket's time, so it belongs in conditions.
func (m *mapper) selected(n *pg.Node) (*ref, error) {
	r, err := m.fieldRef(n)
	if err == nil && r.name == "extract" {
		return nil, unsupported(location(n), "extract() outside a condition", "date_trunc('unit', column) here, extract in WHERE")
	}
	return r, err
}
