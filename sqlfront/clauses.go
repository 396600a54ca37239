package sqlfront

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/agentlayer/agentlayer/sqlgen"
)

// targets maps the SELECT list.
func (m *mapper) targets(list []*pg.Node) ([]*item, error) {
	var out []*item
	for _, n := range list {
		rt := n.GetResTarget()
		val := rt.GetVal()
		if c := val.GetColumnRef(); c != nil && isStar(c) {
			stars, err := m.star(c)
			if err != nil {
				return nil, err
			}
			out = append(out, stars...)
			continue
		}
		it := &item{name: rt.GetName(), pos: rt.GetLocation()}
		if fc := val.GetFuncCall(); fc != nil && isAggregate(funcName(fc)) {
			ag, name, err := m.aggregation(fc)
			if err != nil {
				return nil, err
			}
			it.agg = ag
			if it.name == "" {
				it.name = name
			}
		} else {
			r, err := m.selected(val)
			if err != nil {
				return nil, err
			}
			it.field = r
			if it.name == "" {
				it.name = r.name
			}
		}
		out = append(out, it)
	}
	return out, nil
}

func isStar(c *pg.ColumnRef) bool {
	parts := c.GetFields()
	return len(parts) > 0 && parts[len(parts)-1].GetAStar() != nil
}

// star expands * (one table only) or alias.* into the table's fields.
func (m *mapper) star(c *pg.ColumnRef) ([]*item, error) {
	s := m.base
	if parts := c.GetFields(); len(parts) == 2 {
		s = m.aliases[strings.ToLower(parts[0].GetString_().GetSval())]
		if s == nil {
			return nil, errorAt(CodeUndefinedTable, c.GetLocation(), "", "missing FROM-clause entry for table %q", parts[0].GetString_().GetSval())
		}
	} else if len(m.scopes) > 1 {
		return nil, unsupported(c.GetLocation(), "SELECT * across a join", "name the columns, or alias.* for one table")
	}
	var out []*item
	for _, f := range s.table.Fields {
		out = append(out, &item{name: f.Name, field: &ref{id: s.path + f.Name, typ: f.Type, name: f.Name}, pos: c.GetLocation()})
	}
	return out, nil
}

func isAggregate(name string) bool {
	switch name {
	case "count", "sum", "avg", "min", "max", "measure":
		return true
	}
	return false
}

// aggregation maps an aggregate call, with its FILTER.
func (m *mapper) aggregation(fc *pg.FuncCall) (*sqlgen.Aggregation, string, error) {
	fn := funcName(fc)
	switch {
	case fc.GetOver() != nil:
		return nil, "", unsupported(fc.GetLocation(), "a window function", "aggregate with GROUP BY")
	case len(fc.GetAggOrder()) > 0 || fc.GetAggWithinGroup():
		return nil, "", unsupported(fc.GetLocation(), "ORDER BY inside an aggregate", "sort the answer with ORDER BY")
	}
	ag := &sqlgen.Aggregation{Function: fn}
	args := fc.GetArgs()
	switch {
	case fn == "measure":
		if len(args) != 1 {
			return nil, "", errorAt(CodeSyntax, fc.GetLocation(), "MEASURE(name)", "MEASURE takes one measure's name")
		}
		name, ok := stringConst(args[0])
		if c := args[0].GetColumnRef(); c != nil && len(c.GetFields()) == 1 {
			name, ok = c.GetFields()[0].GetString_().GetSval(), true
		}
		if !ok {
			return nil, "", errorAt(CodeSyntax, location(args[0]), "MEASURE(name)", "MEASURE takes one measure's name")
		}
		ms, found := find(m.base.table.Measures, name)
		if !found {
			return nil, "", errorAt(CodeUndefinedObject, location(args[0]), hint(name, names(m.base.table.Measures, func(n Named) string { return n.Name })), "measure %q of %s does not exist", name, m.base.table.Name)
		}
		ag.Function, ag.MeasureID = "", ms.ID
		return ag, ms.Name, m.aggFilter(fc, ag)
	case fc.GetAggStar():
		if fn != "count" {
			return nil, "", errorAt(CodeSyntax, fc.GetLocation(), "", "%s(*) is not an aggregate", fn)
		}
	case len(args) != 1:
		return nil, "", errorAt(CodeSyntax, fc.GetLocation(), "", "%s takes one column", fn)
	default:
		r, err := m.fieldRef(args[0])
		if err != nil {
			return nil, "", err
		}
		ag.FieldID, ag.Bucket = r.id, r.bucket
		switch {
		case fc.GetAggDistinct() && fn == "count":
			ag.Function = "count-distinct"
		case fc.GetAggDistinct():
			return nil, "", unsupported(fc.GetLocation(), fn+"(DISTINCT …)", "count(DISTINCT column)")
		case fn == "count":
			// count(col) counts the rows where col is not null.
			ag.FieldID, ag.Bucket = "", ""
			ag.Filter = &sqlgen.Filter{FieldID: r.id, Operation: "is-not-null"}
		}
	}
	return ag, fn, m.aggFilter(fc, ag)
}

// aggFilter maps FILTER (WHERE …).
func (m *mapper) aggFilter(fc *pg.FuncCall, ag *sqlgen.Aggregation) error {
	if fc.GetAggFilter() == nil {
		return nil
	}
	fs, err := m.condition(fc.GetAggFilter(), true)
	if err != nil {
		return err
	}
	if ag.Filter != nil {
		fs = append([]sqlgen.Filter{*ag.Filter}, fs...)
	}
	f := all(fs)
	ag.Filter = &f
	return nil
}

// all is one filter that holds when each of fs does.
func all(fs []sqlgen.Filter) sqlgen.Filter {
	if len(fs) == 1 {
		return fs[0]
	}
	return sqlgen.Filter{And: fs}
}

// where maps WHERE: the rows for which it is true.
func (m *mapper) where(n *pg.Node) error {
	if n == nil {
		return nil
	}
	fs, err := m.condition(n, true)
	if err != nil {
		return err
	}
	m.req.Filters = append(m.req.Filters, fs...)
	return nil
}

var comparisons = map[string]string{
	"=": "equals", "<>": "not-equals", "!=": "not-equals", "<": "less-than", "<=": "less-than-or-equal",
	">": "greater-than", ">=": "greater-than-or-equal",
}

var flipped = map[string]string{"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "=", "<>": "<>", "!=": "!="}

// negated is the comparison that holds where one is false (NULLs make
// both unknown).
var negated = map[string]string{"=": "<>", "<>": "=", "!=": "=", "<": ">=", "<=": ">", ">": "<=", ">=": "<"}

// condition maps a condition onto filters that all hold exactly where it
// is true (truth) or exactly where it is false: SQL's three-valued logic,
// so that NOT, NOT IN, <> and NOT LIKE leave out the rows a NULL makes
// unknown, as a SQL database does. NOT is pushed down (De Morgan).
func (m *mapper) condition(n *pg.Node, truth bool) ([]sqlgen.Filter, error) {
	switch {
	case n.GetBoolExpr() != nil:
		return m.boolExpr(n.GetBoolExpr(), truth)
	case n.GetNullTest() != nil:
		return m.nullTest(n.GetNullTest(), truth)
	case n.GetFuncCall() != nil && funcName(n.GetFuncCall()) == "segment":
		fs, err := m.segment(n.GetFuncCall())
		if err != nil || truth {
			return fs, err
		}
		return []sqlgen.Filter{{Not: &fs[0]}}, nil
	case n.GetAExpr() != nil:
		return m.aExpr(n.GetAExpr(), truth)
	case n.GetSubLink() != nil:
		return nil, unsupported(n.GetSubLink().GetLocation(), "a subquery", "join along a relationship, or filter with IN (…)")
	}
	return nil, unsupported(location(n), "this condition", "compare a column with a literal: =, <>, <, <=, >, >=, BETWEEN, IN, IS NULL, LIKE, ILIKE")
}

func (m *mapper) boolExpr(b *pg.BoolExpr, truth bool) ([]sqlgen.Filter, error) {
	op := b.GetBoolop()
	if op == pg.BoolExprType_NOT_EXPR {
		return m.condition(b.GetArgs()[0], !truth)
	}
	// AND where true, or OR where false, is every part; the others any.
	every := (op == pg.BoolExprType_AND_EXPR) == truth
	var parts []sqlgen.Filter
	for _, a := range b.GetArgs() {
		fs, err := m.condition(a, truth)
		if err != nil {
			return nil, err
		}
		if every {
			parts = append(parts, fs...)
		} else {
			parts = append(parts, all(fs))
		}
	}
	if every {
		return parts, nil
	}
	return []sqlgen.Filter{{Or: parts}}, nil
}

func (m *mapper) nullTest(nt *pg.NullTest, truth bool) ([]sqlgen.Filter, error) {
	r, err := m.fieldRef(nt.GetArg())
	if err != nil {
		return nil, err
	}
	isNull := (nt.GetNulltesttype() == pg.NullTestType_IS_NULL) == truth
	op := "is-not-null"
	if isNull {
		op = "is-null"
	}
	return []sqlgen.Filter{{FieldID: r.id, Operation: op, Bucket: r.bucket}}, nil
}

func (m *mapper) segment(fc *pg.FuncCall) ([]sqlgen.Filter, error) {
	args := fc.GetArgs()
	name, ok := "", len(args) == 1
	if ok {
		name, ok = stringConst(args[0])
		if c := args[0].GetColumnRef(); c != nil && len(c.GetFields()) == 1 {
			name, ok = c.GetFields()[0].GetString_().GetSval(), true
		}
	}
	if !ok {
		return nil, errorAt(CodeSyntax, fc.GetLocation(), "SEGMENT(name)", "SEGMENT takes one segment's name")
	}
	s, found := find(m.base.table.Segments, name)
	if !found {
		return nil, errorAt(CodeUndefinedObject, fc.GetLocation(), hint(name, names(m.base.table.Segments, func(n Named) string { return n.Name })), "segment %q of %s does not exist", name, m.base.table.Name)
	}
	return []sqlgen.Filter{{SegmentID: s.ID}}, nil
}

// aExpr maps comparisons, IN, BETWEEN, LIKE and ILIKE.
func (m *mapper) aExpr(e *pg.A_Expr, truth bool) ([]sqlgen.Filter, error) {
	op := opName(e)
	switch e.GetKind() {
	case pg.A_Expr_Kind_AEXPR_OP:
		if _, ok := comparisons[op]; ok {
			return m.comparison(e, op, truth)
		}
		if op == "~~" || op == "~~*" || op == "!~~" || op == "!~~*" {
			return m.like(e, op, truth)
		}
		return nil, unsupported(e.GetLocation(), "operator "+op, "=, <>, <, <=, >, >=, BETWEEN, IN, IS NULL, LIKE or ILIKE")
	case pg.A_Expr_Kind_AEXPR_LIKE, pg.A_Expr_Kind_AEXPR_ILIKE:
		return m.like(e, op, truth)
	case pg.A_Expr_Kind_AEXPR_IN:
		return m.in(e, (op != "<>") == truth)
	case pg.A_Expr_Kind_AEXPR_BETWEEN, pg.A_Expr_Kind_AEXPR_NOT_BETWEEN:
		return m.between(e, (e.GetKind() == pg.A_Expr_Kind_AEXPR_BETWEEN) == truth)
	}
	return nil, unsupported(e.GetLocation(), strings.TrimPrefix(e.GetKind().String(), "AEXPR_"), "=, <>, <, <=, >, >=, BETWEEN, IN, IS NULL, LIKE or ILIKE")
}

// between maps BETWEEN (inside) and where it is false (outside: below
// the low bound or above the high one).
func (m *mapper) between(e *pg.A_Expr, inside bool) ([]sqlgen.Filter, error) {
	r, err := m.fieldRef(e.GetLexpr())
	if err != nil {
		return nil, err
	}
	bounds := e.GetRexpr().GetList().GetItems()
	vals := make([]any, len(bounds))
	for i, b := range bounds {
		if vals[i], err = m.value(b, r.typ); err != nil {
			return nil, err
		}
		if vals[i] == nil {
			return nil, unsupported(location(b), "BETWEEN with a NULL bound", "two values")
		}
	}
	if inside {
		return []sqlgen.Filter{{FieldID: r.id, Operation: "between", Values: vals, Bucket: r.bucket}}, nil
	}
	return []sqlgen.Filter{{Or: []sqlgen.Filter{
		{FieldID: r.id, Operation: "less-than", Value: vals[0], Bucket: r.bucket},
		{FieldID: r.id, Operation: "greater-than", Value: vals[1], Bucket: r.bucket},
	}}}, nil
}

func (m *mapper) comparison(e *pg.A_Expr, op string, truth bool) ([]sqlgen.Filter, error) {
	col, val := e.GetLexpr(), e.GetRexpr()
	if !isField(col) && isField(val) {
		col, val = val, col
		op = flipped[op]
	}
	if !truth {
		op = negated[op]
	}
	r, err := m.fieldRef(col)
	if err != nil {
		return nil, err
	}
	if rel, ok, err := relativeTime(val); err != nil || ok {
		if err != nil {
			return nil, err
		}
		return rel.filter(r, op, e.GetLocation())
	}
	v, err := m.value(val, r.typ)
	if err != nil {
		return nil, err
	}
	if v == nil {
		// x = NULL is never true, nor false, in SQL.
		return nil, unsupported(location(val), "a comparison with NULL", "IS NULL or IS NOT NULL")
	}
	if r.year {
		v = fmt.Sprint(v) // a year, as the year bucket takes it
	}
	apiOp := comparisons[op]
	fs := []sqlgen.Filter{{FieldID: r.id, Operation: apiOp, Value: v, Bucket: r.bucket}}
	if apiOp == "not-equals" {
		fs = append(fs, sqlgen.Filter{FieldID: r.id, Operation: "is-not-null"})
	}
	return fs, nil
}

func isField(n *pg.Node) bool {
	if n.GetColumnRef() != nil {
		return true
	}
	fc := n.GetFuncCall()
	return fc != nil && (funcName(fc) == "date_trunc" || funcName(fc) == "extract" || funcName(fc) == "date_part")
}

// in maps IN (equal to one of the values) and NOT IN (equal to none, and
// not NULL).
func (m *mapper) in(e *pg.A_Expr, equal bool) ([]sqlgen.Filter, error) {
	r, err := m.fieldRef(e.GetLexpr())
	if err != nil {
		return nil, err
	}
	list := e.GetRexpr().GetList()
	if list == nil {
		return nil, unsupported(location(e.GetRexpr()), "IN with a subquery", "IN (a list of values)")
	}
	var vals []any
	for _, item := range list.GetItems() {
		v, err := m.value(item, r.typ)
		if err != nil {
			return nil, err
		}
		if v == nil {
			return nil, unsupported(location(item), "NULL in an IN list", "… OR column IS NULL")
		}
		if r.year {
			v = fmt.Sprint(v)
		}
		vals = append(vals, v)
	}
	if equal {
		return []sqlgen.Filter{{FieldID: r.id, Operation: "equals", Values: vals, Bucket: r.bucket}}, nil
	}
	return []sqlgen.Filter{{FieldID: r.id, Operation: "not-equals", Values: vals, Bucket: r.bucket}, {FieldID: r.id, Operation: "is-not-null"}}, nil
}

// like maps LIKE (which tells case apart) and ILIKE with a prefix, suffix
// or contains pattern onto the request's string operations, and where
// they are false.
func (m *mapper) like(e *pg.A_Expr, op string, truth bool) ([]sqlgen.Filter, error) {
	sensitive := !strings.Contains(op, "*") && e.GetKind() != pg.A_Expr_Kind_AEXPR_ILIKE
	if strings.HasPrefix(op, "!") {
		truth = !truth
	}
	r, err := m.fieldRef(e.GetLexpr())
	if err != nil {
		return nil, err
	}
	pattern, ok := stringConst(e.GetRexpr())
	if !ok {
		v, err := m.value(e.GetRexpr(), TypeText)
		if err != nil {
			return nil, err
		}
		pattern, ok = v.(string)
	}
	if !ok {
		return nil, unsupported(location(e.GetRexpr()), "a pattern that is not text", "ILIKE '%text%'")
	}
	apiOp, text, err := likeOp(pattern)
	if err != nil {
		return nil, &Error{Code: CodeNotSupported, Message: err.Error(), Hint: "LIKE or ILIKE 'abc%', '%abc' or '%abc%'", Position: int(location(e.GetRexpr())) + 1}
	}
	match := sqlgen.Filter{FieldID: r.id, Operation: apiOp, Value: text, CaseSensitive: sensitive}
	switch {
	case truth:
		return []sqlgen.Filter{match}, nil
	case apiOp == "string-contains":
		match.Operation = "string-not-contains"
		return []sqlgen.Filter{match, {FieldID: r.id, Operation: "is-not-null"}}, nil
	}
	return []sqlgen.Filter{{Not: &match}, {FieldID: r.id, Operation: "is-not-null"}}, nil
}

// likeOp reads a pattern: text%, %text or %text%, where text holds no
// wildcard but escaped ones (\% \_ \\).
func likeOp(p string) (string, string, error) {
	type token struct {
		c    byte
		wild bool
	}
	var toks []token
	for i := 0; i < len(p); i++ {
		switch c := p[i]; {
		case c == '\\' && i+1 < len(p):
			i++
			toks = append(toks, token{c: p[i]})
		case c == '%' || c == '_':
			toks = append(toks, token{c: c, wild: true})
		default:
			toks = append(toks, token{c: c})
		}
	}
	starts := len(toks) > 0 && toks[0].wild && toks[0].c == '%'
	if starts {
		toks = toks[1:]
	}
	ends := len(toks) > 0 && toks[len(toks)-1].wild && toks[len(toks)-1].c == '%'
	if ends {
		toks = toks[:len(toks)-1]
	}
	var b strings.Builder
	for _, t := range toks {
		if t.wild {
			return "", "", fmt.Errorf("the pattern %q has a wildcard inside it", p)
		}
		b.WriteByte(t.c)
	}
	switch {
	case b.Len() == 0:
		return "", "", fmt.Errorf("the pattern %q matches everything", p)
	case starts && ends:
		return "string-contains", b.String(), nil
	case ends:
		return "string-starts-with", b.String(), nil
	case starts:
		return "string-ends-with", b.String(), nil
	}
	return "", "", fmt.Errorf("the pattern %q has no wildcard: use =", p)
}

// value reads a literal, a parameter or the caller's value, for a column
// of type t.
func (m *mapper) value(n *pg.Node, t Type) (any, error) {
	switch {
	case n.GetAConst() != nil:
		c := n.GetAConst()
		switch {
		case c.GetIsnull():
			return nil, nil
		case c.GetIval() != nil:
			return int64(c.GetIval().GetIval()), nil
		case c.GetFval() != nil:
			return json.Number(c.GetFval().GetFval()), nil
		case c.GetBoolval() != nil:
			return c.GetBoolval().GetBoolval(), nil
		case c.GetSval() != nil:
			return textValue(c.GetSval().GetSval(), t), nil
		}
	case n.GetTypeCast() != nil:
		return m.value(n.GetTypeCast().GetArg(), t)
	case n.GetParamRef() != nil:
		return m.param(n.GetParamRef(), t)
	case n.GetSqlvalueFunction() != nil:
		switch n.GetSqlvalueFunction().GetOp() {
		case pg.SQLValueFunctionOp_SVFOP_CURRENT_USER, pg.SQLValueFunctionOp_SVFOP_SESSION_USER, pg.SQLValueFunctionOp_SVFOP_USER:
			return map[string]any{"user": "email"}, nil
		}
		return nil, unsupported(n.GetSqlvalueFunction().GetLocation(), "this function in a condition", "a date literal: '2024-01-01'")
	case n.GetFuncCall() != nil && funcName(n.GetFuncCall()) == "current_setting":
		args := n.GetFuncCall().GetArgs()
		if len(args) == 1 {
			if s, ok := stringConst(args[0]); ok && strings.HasPrefix(s, "agentlayer.") {
				return map[string]any{"user": "attributes." + strings.TrimPrefix(s, "agentlayer.")}, nil
			}
		}
		return nil, unsupported(n.GetFuncCall().GetLocation(), "current_setting of anything but agentlayer.<attribute>", "current_setting('agentlayer.state')")
	case n.GetAExpr() != nil && opName(n.GetAExpr()) == "-" && n.GetAExpr().GetLexpr() == nil:
		v, err := m.value(n.GetAExpr().GetRexpr(), t)
		switch x := v.(type) {
		case int64:
			return -x, err
		case json.Number:
			return json.Number("-" + string(x)), err
		}
	}
	return nil, unsupported(location(n), "this value", "a literal, a $n parameter, current_user or current_setting('agentlayer.<attribute>')")
}

func (m *mapper) param(p *pg.ParamRef, t Type) (any, error) {
	i := int(p.GetNumber()) - 1
	if i < 0 || i > 65535 {
		return nil, errorAt(CodeParameter, p.GetLocation(), "", "there is no parameter $%d", i+1)
	}
	for len(m.ptypes) <= i {
		m.ptypes = append(m.ptypes, TypeText)
	}
	m.ptypes[i] = t
	if m.params == nil {
		return placeholder(t), nil
	}
	if i >= len(m.params) {
		return nil, errorAt("08P01", p.GetLocation(), "", "the statement has %d parameters; $%d is not bound", len(m.params), i+1)
	}
	if m.params[i] == nil {
		return nil, nil
	}
	s := *m.params[i]
	switch t {
	case TypeInt8, TypeFloat8, TypeNumeric:
		if _, err := strconv.ParseFloat(s, 64); err != nil {
			return nil, errorAt("22P02", p.GetLocation(), "", "invalid input syntax for type numeric: %q", s)
		}
		return json.Number(s), nil
	case TypeBool:
		b, err := strconv.ParseBool(strings.ToLower(strings.TrimSpace(s)))
		if err != nil {
			switch strings.ToLower(s) {
			case "t", "yes", "on":
				return true, nil
			case "f", "no", "off":
				return false, nil
			}
			return nil, errorAt("22P02", p.GetLocation(), "", "invalid input syntax for type boolean: %q", s)
		}
		return b, nil
	}
	return textValue(s, t), nil
}

// placeholder is a parameter's value while a statement is only described.
func placeholder(t Type) any {
	switch t {
	case TypeInt8, TypeFloat8, TypeNumeric:
		return int64(0)
	case TypeBool:
		return false
	case TypeDate:
		return "2000-01-01"
	case TypeTimestamp, TypeTimestampTZ:
		return "2000-01-01T00:00:00"
	}
	return ""
}

// textValue writes a timestamp as PostgreSQL prints it ("2024-01-01
// 10:00:00") as the request reads it ("2024-01-01T10:00:00").
func textValue(s string, t Type) any {
	if (t == TypeTimestamp || t == TypeTimestampTZ) && len(s) > 10 && s[10] == ' ' {
		return s[:10] + "T" + s[11:]
	}
	return s
}

// moment is now() or current_date, less a number of units: the bound of a
// relative filter.
type moment struct {
	n      int
	unit   string
	anchor string // now or today
}

var intervalUnits = map[string]string{
	"minute": "minute", "minutes": "minute", "min": "minute", "mins": "minute",
	"hour": "hour", "hours": "hour", "day": "day", "days": "day", "week": "week", "weeks": "week",
	"month": "month", "months": "month", "mon": "month", "mons": "month",
	"quarter": "quarter", "quarters": "quarter", "year": "year", "years": "year",
}

var intervalText = regexp.MustCompile(`^\s*(\d{1,6})\s*([a-z]+)\s*$`)

// relativeTime reads now(), current_timestamp, current_date, and either
// less an interval ('30 days') or, for current_date, a number of days.
func relativeTime(n *pg.Node) (moment, bool, error) {
	anchor := func(x *pg.Node) string {
		if fc := x.GetFuncCall(); fc != nil && funcName(fc) == "now" && len(fc.GetArgs()) == 0 {
			return "now"
		}
		if sv := x.GetSqlvalueFunction(); sv != nil {
			switch sv.GetOp() {
			case pg.SQLValueFunctionOp_SVFOP_CURRENT_TIMESTAMP, pg.SQLValueFunctionOp_SVFOP_CURRENT_TIMESTAMP_N,
				pg.SQLValueFunctionOp_SVFOP_LOCALTIMESTAMP, pg.SQLValueFunctionOp_SVFOP_LOCALTIMESTAMP_N:
				return "now"
			case pg.SQLValueFunctionOp_SVFOP_CURRENT_DATE:
				return "today"
			}
		}
		return ""
	}
	if a := anchor(n); a != "" {
		return moment{unit: "day", anchor: a}, true, nil
	}
	e := n.GetAExpr()
	if e == nil || e.GetKind() != pg.A_Expr_Kind_AEXPR_OP || e.GetLexpr() == nil {
		return moment{}, false, nil
	}
	a := anchor(e.GetLexpr())
	if a == "" {
		return moment{}, false, nil
	}
	if opName(e) != "-" {
		return moment{}, false, unsupported(e.GetLocation(), "a moment after now", "now() - interval '30 days', or current_date - interval '1 year'")
	}
	if c := e.GetRexpr().GetAConst(); c != nil && c.GetIval() != nil && a == "today" {
		return moment{n: int(c.GetIval().GetIval()), unit: "day", anchor: a}, true, nil
	}
	tc := e.GetRexpr().GetTypeCast()
	names := tc.GetTypeName().GetNames()
	text, isText := stringConst(tc.GetArg())
	if tc == nil || len(names) == 0 || names[len(names)-1].GetString_().GetSval() != "interval" || !isText {
		return moment{}, false, unsupported(location(e.GetRexpr()), "this interval", "interval '30 days' (minutes … years)")
	}
	parts := intervalText.FindStringSubmatch(strings.ToLower(text))
	if parts == nil || intervalUnits[parts[2]] == "" {
		return moment{}, false, unsupported(location(e.GetRexpr()), fmt.Sprintf("the interval %q", text), "a whole number of one unit: '30 days', '6 months', '1 year'")
	}
	count, _ := strconv.Atoi(parts[1])
	return moment{n: count, unit: intervalUnits[parts[2]], anchor: a}, true, nil
}

// filter is the relative filter of a comparison with a moment: col >= it
// is since, col < it before; the others would turn on the moment itself,
// which the request does not say.
func (mo moment) filter(r *ref, op string, pos int32) ([]sqlgen.Filter, error) {
	var apiOp string
	switch op {
	case ">=":
		apiOp = "since"
	case "<":
		apiOp = "before"
	default:
		return nil, unsupported(pos, "comparing with now() or current_date by "+op, "column >= now() - interval '30 days', or column < current_date")
	}
	if r.bucket != "" {
		return nil, unsupported(pos, "a bucket compared with now()", "the column itself")
	}
	return []sqlgen.Filter{{FieldID: r.id, Operation: apiOp, Value: int64(mo.n), Unit: mo.unit, Anchor: mo.anchor}}, nil
}
