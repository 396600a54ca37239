package celsql

// The second half of the CEL translator: a celNode tree and the values of
// its variables (a user) become a condition of the SQL tree, with CEL's
// exact semantics.

import (
	"errors"
	"math"
	"regexp"
	"strings"

	"cel.dev/cel-go/common/operators"
	"cel.dev/cel-go/common/overloads"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/common/types/traits"

	"github.com/agentlayer/agentlayer/semantic"
	"github.com/agentlayer/agentlayer/sqlgen/sqlast"
)

// Bind evaluates the parts of the expression that do not read row with
// vars (qualified names: "user.email", "user.attributes", and any
// comprehension variables) and translates the rest into a condition over
// the table's fields. The condition is always usable: a part that failed
// to evaluate (it reads an attribute the user lacks) is NULL, which matches
// no row, as CEL's error would. err joins those failures, so that a caller
// can say why a rule gave nothing.
func (f *Filter) Bind(vars map[string]any) (sqlast.Expr, error) {
	b := &binder{vars: vars, errs: new([]error)}
	return b.cond(f.root, false, 0), errors.Join(*b.errs...)
}

type binder struct {
	vars map[string]any
	errs *[]error
	// exact is set where a condition's value is used, not only tested: in
	// (row.A == 1) == false, FALSE and NULL differ, so equality and in
	// must not take their shortcuts that treat them alike.
	exact bool
}

func (b *binder) with(name string, v ref.Val) *binder {
	vars := make(map[string]any, len(b.vars)+1)
	for k, x := range b.vars {
		vars[k] = x
	}
	vars[name] = v
	return &binder{vars: vars, errs: b.errs, exact: b.exact}
}

// exactly is b in a context where a condition's value is used.
func (b *binder) exactly() *binder {
	if b.exact {
		return b
	}
	x := *b
	x.exact = true
	return &x
}

// eval returns the value of a constant node; a CEL error is nil.
func (b *binder) eval(n *celNode) ref.Val {
	if n.prg == nil {
		return n.val
	}
	vars := b.vars
	if vars == nil {
		vars = map[string]any{}
	}
	out, _, err := n.prg.Eval(vars)
	if err != nil || types.IsError(out) || types.IsUnknown(out) {
		if err != nil && b.errs != nil {
			*b.errs = append(*b.errs, err)
		}
		return nil
	}
	return out
}

// negate negates a translated condition.
func negate(e sqlast.Expr) sqlast.Expr {
	switch e {
	case sqlast.True:
		return sqlast.False
	case sqlast.False:
		return sqlast.True
	case sqlast.Null:
		return sqlast.Null
	}
	return sqlast.Not{X: e}
}

// cond translates a boolean node, negated if neg. Negations are pushed down
// to the atoms (De Morgan holds for CEL's error semantics as for SQL's
// NULLs), so that a semi-join is never negated from outside: for a row
// with no related row it is FALSE where CEL fails, and both exclude the row
// as long as no NOT encloses it. depth is how many relationships the
// semi-joins around the node have followed: a node reading fields further
// away than that is tested in one more.
func (b *binder) cond(n *celNode, neg bool, depth int) sqlast.Expr {
	switch {
	case n.kind == nodeConst:
		return b.constCond(n, neg)
	case n.scope != "*" && n.hops() > depth:
		return b.related(n, neg, depth)
	case n.kind == nodeField:
		return b.atom(b.value(n), neg) // a boolean field
	case n.kind == nodeComp:
		return b.comprehension(n, neg, depth)
	}
	switch n.fn {
	case operators.LogicalAnd, operators.LogicalOr:
		l, r := b.cond(n.args[0], neg, depth), b.cond(n.args[1], neg, depth)
		if (n.fn == operators.LogicalAnd) != neg {
			return allOf(l, r)
		}
		return sqlast.OrOf(l, r)
	case operators.LogicalNot:
		return b.cond(n.args[0], !neg, depth)
	case operators.Equals, operators.NotEquals:
		return b.atom(b.equality(n, !neg && !b.exact), neg)
	case operators.Less, operators.LessEquals, operators.Greater, operators.GreaterEquals:
		return b.atom(b.ordering(n), neg)
	case operators.In:
		return b.atom(b.in(n, !neg && !b.exact), neg)
	case overloads.StartsWith, overloads.EndsWith, overloads.Contains:
		op := map[string]sqlast.FnOp{overloads.StartsWith: sqlast.FnStartsWith, overloads.EndsWith: sqlast.FnEndsWith, overloads.Contains: sqlast.FnContains}[n.fn]
		return b.atom(sqlast.Fn{Op: op, Args: []sqlast.Expr{b.value(n.args[0]), b.value(n.args[1])}}, neg)
	case overloads.Matches:
		return b.matches(n, neg)
	}
	return sqlast.Null
}

// constCond is a condition that does not read row, evaluated now.
func (b *binder) constCond(n *celNode, neg bool) sqlast.Expr {
	var e sqlast.Expr = sqlast.Null // an error, or not a boolean: CEL fails, SQL NULL
	switch b.eval(n) {
	case types.True:
		e = sqlast.True
	case types.False:
		e = sqlast.False
	}
	if neg {
		return negate(e)
	}
	return e
}

// related is a condition that reads one related table only: it is tested
// there, in a semi-join along the next relationship of its path, and in
// further semi-joins inside that one if the table is further away.
func (b *binder) related(n *celNode, neg bool, depth int) sqlast.Expr {
	inner := b.cond(n, neg, depth+1)
	switch inner {
	case sqlast.False, sqlast.Null:
		return sqlast.False // no related row can match
	case sqlast.True:
		// True for every related row; and for rows without one if CEL
		// decides the node without reading the related fields (true ||
		// error), not if it reads them (row.USER.STATE != 7).
		if b.absent(n) == triOf(!neg) {
			return sqlast.True
		}
	}
	// Not constant: absent cannot be true either, since it folds no
	// further than cond does.
	return sqlast.SemiJoin{FK: n.relationship(depth), Cond: inner}
}

// comprehension unrolls exists or all over a list known now.
func (b *binder) comprehension(n *celNode, neg bool, depth int) sqlast.Expr {
	items := b.list(b.eval(n.rng))
	if items == nil {
		return sqlast.Null
	}
	var parts []sqlast.Expr
	for _, item := range items {
		parts = append(parts, b.with(n.iterVar, item).cond(n.body, neg, depth))
	}
	if n.all != neg { // all, or a negated exists
		return allOf(parts...)
	}
	return sqlast.OrOf(parts...)
}

// matches is an RE2 match; an invalid pattern is a CEL error, NULL.
func (b *binder) matches(n *celNode, neg bool) sqlast.Expr {
	pattern := n.args[1]
	if pattern.kind == nodeConst {
		s, ok := b.eval(pattern).(types.String)
		if !ok {
			return sqlast.Null
		}
		if _, err := regexp.Compile(string(s)); err != nil {
			return sqlast.Null
		}
	}
	return b.atom(sqlast.Fn{Op: sqlast.FnRegexp, Args: []sqlast.Expr{b.value(n.args[0]), b.value(pattern)}}, neg)
}

// tri is a CEL boolean outcome: true, false or an error.
type tri int

const (
	triErr tri = iota
	triFalse
	triTrue
)

func triOf(v bool) tri {
	if v {
		return triTrue
	}
	return triFalse
}

func (t tri) not() tri {
	switch t {
	case triTrue:
		return triFalse
	case triFalse:
		return triTrue
	}
	return triErr
}

// absent is the outcome of a boolean node for a row without the related
// row it reads: every related field is an error, which only && and ||
// (and exists and all) can absorb.
func (b *binder) absent(n *celNode) tri {
	switch n.kind {
	case nodeConst:
		switch b.eval(n) {
		case types.True:
			return triTrue
		case types.False:
			return triFalse
		}
		return triErr
	case nodeComp:
		items := b.list(b.eval(n.rng))
		if items == nil {
			return triErr
		}
		decisive := triOf(!n.all) // exists: any true; all: any false
		out := triOf(n.all)
		for _, item := range items {
			switch b.with(n.iterVar, item).absent(n.body) {
			case decisive:
				return decisive
			case triErr:
				out = triErr
			}
		}
		return out
	case nodeCall:
		switch n.fn {
		case operators.LogicalNot:
			return b.absent(n.args[0]).not()
		case operators.LogicalAnd, operators.LogicalOr:
			decisive := triOf(n.fn == operators.LogicalOr)
			l, r := b.absent(n.args[0]), b.absent(n.args[1])
			switch {
			case l == decisive || r == decisive:
				return decisive
			case l == triErr || r == triErr:
				return triErr
			}
			return decisive.not()
		}
	}
	return triErr // it reads a related field
}

func (b *binder) atom(e sqlast.Expr, neg bool) sqlast.Expr {
	if neg {
		return negate(e)
	}
	return e
}

// relationship is the foreign key a node's fields are reached by after
// depth relationships.
func (n *celNode) relationship(depth int) *semantic.Field {
	var fk *semantic.Field
	n.walk(func(x *celNode) {
		if x.kind == nodeField && len(x.wide.Path) > depth {
			fk = x.wide.Path[depth]
		}
	})
	return fk
}

// hops is how many relationships away the fields a node reads are; its
// scope is one path.
func (n *celNode) hops() int {
	if n.scope == "" {
		return 0
	}
	return strings.Count(n.scope, ".") + 1
}

func (n *celNode) walk(fn func(*celNode)) {
	fn(n)
	for _, a := range n.args {
		a.walk(fn)
	}
	if n.body != nil {
		n.body.walk(fn)
	}
}

// allOf is AndOf, TRUE rather than nil when no condition is left.
func allOf(parts ...sqlast.Expr) sqlast.Expr {
	if e := sqlast.AndOf(parts...); e != nil {
		return e
	}
	return sqlast.True
}

// operand kinds, for NULL semantics.
const (
	opConst    = iota // a value known now
	opNull            // the CEL null value
	opField           // a bare field: NULL in SQL is CEL null
	opComputed        // anything else: NULL in SQL is a CEL error
)

func (b *binder) classify(n *celNode) (int, ref.Val) {
	switch n.kind {
	case nodeConst:
		v := b.eval(n)
		if v == types.NullValue {
			return opNull, v
		}
		return opConst, v
	case nodeField:
		return opField, nil
	}
	return opComputed, nil
}

// equality translates == and != with CEL's semantics: null equals only
// null, values of different types are unequal, and a CEL error (SQL NULL)
// stays an error.
func (b *binder) equality(n *celNode, positive bool) sqlast.Expr {
	eq := n.fn == operators.Equals
	l, r := n.args[0], n.args[1]
	lk, _ := b.classify(l)
	rk, rv := b.classify(r)
	if lk == opConst || lk == opNull {
		// The constant on the right.
		l, r = r, l
		lk, _ = b.classify(l)
		rk, rv = b.classify(r)
	}
	// result is the outcome of == as the outcome of the operator.
	result := func(e sqlast.Expr) sqlast.Expr {
		if eq {
			return e
		}
		return negate(e)
	}
	switch {
	case rk == opConst && rv == nil:
		return sqlast.Null // the constant side failed
	case rk == opNull:
		x := b.value(l)
		if lk == opComputed {
			// error stays error; otherwise nothing computed is null
			return sqlast.Case{Whens: []sqlast.When{{Cond: sqlast.IsNull{X: x}, Then: sqlast.Null}}, Else: result(sqlast.False)}
		}
		return sqlast.IsNull{X: x, Not: !eq}
	case rk == opConst:
		return b.equalsConst(l, lk, rv, eq, positive, result)
	}
	return b.equalsRow(l, r, lk, rk, eq)
}

// equalsConst compares a side that reads row with a constant.
func (b *binder) equalsConst(l *celNode, lk int, rv ref.Val, eq, positive bool, result func(sqlast.Expr) sqlast.Expr) sqlast.Expr {
	p, ok := param(rv)
	if !ok || !comparable(l.typ, rv) || isNaN(rv) {
		if lk == opComputed {
			return sqlast.Case{Whens: []sqlast.When{{Cond: sqlast.IsNull{X: b.value(l)}, Then: sqlast.Null}}, Else: result(sqlast.False)}
		}
		return result(sqlast.False)
	}
	x := b.value(l)
	switch {
	case lk == opComputed && x == sqlast.Null:
		return sqlast.Null // an error compared is an error (and NULL = $1 gives $1 no type)
	case lk == opComputed:
		return sqlast.Bin{Op: map[bool]string{true: "=", false: "<>"}[eq], L: x, R: p}
	case eq && positive:
		return sqlast.Bin{Op: "=", L: x, R: p}
	case eq:
		return sqlast.Bin{Op: "IS NOT DISTINCT FROM", L: x, R: p}
	}
	return sqlast.Bin{Op: "IS DISTINCT FROM", L: x, R: p}
}

// equalsRow compares two sides that both read row.
func (b *binder) equalsRow(l, r *celNode, lk, rk int, eq bool) sqlast.Expr {
	lx, rx := b.value(l), b.value(r)
	op := map[bool]string{true: "IS NOT DISTINCT FROM", false: "IS DISTINCT FROM"}[eq]
	var cmp sqlast.Expr = sqlast.Bin{Op: op, L: lx, R: rx}
	// NaN equals NaN in SQL, nothing in CEL; it is enough to test one side,
	// since SQL too has NaN unequal to every number.
	if mayBeNaN(l) || mayBeNaN(r) {
		nan := rx
		if mayBeNaN(l) {
			nan = lx
		}
		if eq {
			cmp = sqlast.AndOf(cmp, sqlast.Not{X: isNaNOrFalse(nan)})
		} else {
			cmp = sqlast.OrOf(cmp, isNaNOrFalse(nan))
		}
	}
	var guards []sqlast.Expr
	if lk == opComputed {
		guards = append(guards, sqlast.IsNull{X: lx})
	}
	if rk == opComputed {
		guards = append(guards, sqlast.IsNull{X: rx})
	}
	if len(guards) == 0 {
		return cmp
	}
	return sqlast.Case{Whens: []sqlast.When{{Cond: sqlast.OrOf(guards...), Then: sqlast.Null}}, Else: cmp}
}

// ordering translates <, <=, >, >=: a null operand or values of different
// types are a CEL error, SQL NULL.
func (b *binder) ordering(n *celNode) sqlast.Expr {
	op := map[string]string{operators.Less: "<", operators.LessEquals: "<=", operators.Greater: ">", operators.GreaterEquals: ">="}[n.fn]
	sides := [2]sqlast.Expr{}
	var guards []sqlast.Expr
	for i, a := range n.args {
		if a.kind == nodeConst {
			v := b.eval(a)
			other := n.args[1-i]
			if v == nil || v == types.NullValue || !comparable(other.typ, v) {
				return sqlast.Null
			}
			// Decided by the constant alone for every value of the other
			// side but NULL, which stays an error.
			decided := func(result sqlast.Expr) sqlast.Expr {
				return sqlast.Case{Whens: []sqlast.When{{Cond: sqlast.IsNull{X: b.value(other)}, Then: sqlast.Null}}, Else: result}
			}
			if isNaN(v) {
				return decided(sqlast.False)
			}
			if u, isUint := v.(types.Uint); isUint && uint64(u) > math.MaxInt64 {
				if isInt(other.typ) {
					// Every int is below it.
					if below := (i == 1) == (op == "<" || op == "<="); below {
						return decided(sqlast.True)
					}
					return decided(sqlast.False)
				}
				v = types.Double(float64(u))
			}
			p, ok := param(v)
			if !ok {
				return sqlast.Null
			}
			sides[i] = p
			continue
		}
		sides[i] = b.value(a)
		if isString(a.typ) {
			// CEL orders strings by their bytes, whatever the database's
			// collation.
			sides[i] = sqlast.Fn{Op: sqlast.FnBytewise, Args: []sqlast.Expr{sides[i]}}
		}
		// SQL orders NaN above every number; CEL has every comparison with
		// it false. Only NaN on the greater side can make SQL true.
		greater := map[string]int{"<": 1, "<=": 1, ">": 0, ">=": 0}[op]
		if i == greater && mayBeNaN(a) {
			guards = append(guards, notNaN(sides[i]))
		}
	}
	return sqlast.AndOf(append(guards, sqlast.Bin{Op: op, L: sides[0], R: sides[1]})...)
}

// in translates x in list: true when x equals an item.
func (b *binder) in(n *celNode, positive bool) sqlast.Expr {
	items := b.list(b.eval(n.args[1]))
	if items == nil {
		return sqlast.Null
	}
	x := b.value(n.args[0])
	var list []sqlast.Expr
	hasNull := false
	for _, item := range items {
		if item == types.NullValue {
			hasNull = true
			continue
		}
		if isNaN(item) {
			continue // equal to nothing in CEL, to NaN in SQL
		}
		if p, ok := param(item); ok && comparable(n.args[0].typ, item) {
			list = append(list, p)
		}
	}
	computed := n.args[0].kind != nodeField
	var e sqlast.Expr = sqlast.False
	if len(list) > 0 {
		e = sqlast.OneOf(x, paramValues(list), list)
	}
	switch {
	case computed:
		if len(list) == 0 {
			return sqlast.Case{Whens: []sqlast.When{{Cond: sqlast.IsNull{X: x}, Then: sqlast.Null}}, Else: sqlast.False}
		}
		return e
	case hasNull:
		return sqlast.OrOf(e, sqlast.IsNull{X: x})
	case positive:
		return e
	}
	if len(list) == 0 {
		return sqlast.False
	}
	return sqlast.Call{Name: "coalesce", Args: []sqlast.Expr{e, sqlast.False}}
}

// paramValues are the values of a list of bound parameters; nil if one of
// them is not a plain parameter.
func paramValues(list []sqlast.Expr) []any {
	values := make([]any, len(list))
	for i, x := range list {
		p, ok := x.(sqlast.Param)
		if !ok {
			return nil
		}
		values[i] = p.Value
	}
	return values
}

// value translates a node that yields a value.
func (b *binder) value(n *celNode) sqlast.Expr {
	switch n.kind {
	case nodeConst:
		v := b.eval(n)
		if v == nil || v == types.NullValue {
			return sqlast.Null
		}
		if p, ok := param(v); ok {
			return p
		}
		return sqlast.Null
	case nodeField:
		return sqlast.Ref{Field: n.wide.Field}
	case nodeComp:
		return b.exactly().cond(n, false, n.hops())
	}
	switch n.fn {
	case operators.LogicalAnd, operators.LogicalOr, operators.LogicalNot, operators.Equals, operators.NotEquals, operators.Less, operators.LessEquals, operators.Greater, operators.GreaterEquals, operators.In, overloads.StartsWith, overloads.EndsWith, overloads.Contains, overloads.Matches:
		return b.exactly().cond(n, false, n.hops())
	case overloads.Size:
		return sqlast.Call{Name: "length", Args: []sqlast.Expr{b.value(n.args[0])}}
	case operators.Negate:
		x := b.operand(n.args[0])
		if isInt(n.typ) {
			return intArith("-", sqlast.Param{Value: int64(0)}, x)
		}
		return sqlast.Bin{Op: "-", L: sqlast.Param{Value: int64(0)}, R: x}
	}
	l, r := b.operand(n.args[0]), b.operand(n.args[1])
	lt, rt := n.args[0].typ, n.args[1].typ
	ints := isInt(lt) && isInt(rt)
	switch n.fn {
	case operators.Add:
		switch {
		case isString(lt):
			return sqlast.Bin{Op: "||", L: l, R: r}
		case ints:
			return intArith("+", l, r)
		}
		return sqlast.Bin{Op: "+", L: l, R: r}
	case operators.Subtract:
		if ints {
			return intArith("-", l, r)
		}
		if isTimestamp(lt) && isTimestamp(rt) {
			// DATE - DATE is a number of days in SQL, a duration in CEL.
			return sqlast.Bin{Op: "-", L: asTimestamp(n.args[0], l), R: asTimestamp(n.args[1], r)}
		}
		return sqlast.Bin{Op: "-", L: l, R: r}
	case operators.Multiply:
		if ints {
			return intArith("*", l, r)
		}
		return sqlast.Bin{Op: "*", L: l, R: r}
	case operators.Divide:
		if ints {
			return intArith("/", l, r)
		}
		return sqlast.Bin{Op: "/", L: l, R: r}
	case operators.Modulo:
		if ints {
			return intArith("%", l, r)
		}
		return sqlast.Bin{Op: "%", L: l, R: r}
	}
	return sqlast.Null
}

// operand is value(n), an integer field widened to BIGINT: CEL's ints are
// 64 bits, and INTEGER * INTEGER overflows at 32 in SQL.
func (b *binder) operand(n *celNode) sqlast.Expr {
	x := b.value(n)
	if n.kind == nodeField && n.wide.Field.Type.Kind == semantic.KindInteger {
		return sqlast.Cast{X: x, Type: sqlast.TypeBigInt}
	}
	return x
}

// intArith is 64-bit integer arithmetic whose overflow is NULL, as it is a
// CEL error, rather than a failed query.
func intArith(op string, l, r sqlast.Expr) sqlast.Expr {
	return sqlast.Fn{Op: sqlast.FnChecked, Arg: op, Args: []sqlast.Expr{l, r}}
}

// asTimestamp widens a DATE field to TIMESTAMP.
func asTimestamp(n *celNode, x sqlast.Expr) sqlast.Expr {
	if n.kind == nodeField && n.wide.Field.Type.Kind == semantic.KindDate {
		return sqlast.Cast{X: x, Type: sqlast.TypeTimestamp}
	}
	return x
}

// list returns the items of a list value (or the keys of a map), or nil.
func (b *binder) list(v ref.Val) []ref.Val {
	var out []ref.Val
	switch l := v.(type) {
	case traits.Lister:
		size, ok := l.Size().(types.Int)
		if !ok {
			return nil
		}
		out = make([]ref.Val, 0, int(size))
		for i := types.Int(0); i < size; i++ {
			out = append(out, l.Get(i))
		}
	case traits.Mapper:
		out = []ref.Val{}
		for it := l.Iterator(); it.HasNext() == types.True; {
			out = append(out, it.Next())
		}
	}
	return out
}

func isString(t *types.Type) bool { return t != nil && baseKind(t) == types.StringKind }

func isInt(t *types.Type) bool { return t != nil && baseKind(t) == types.IntKind }

func isTimestamp(t *types.Type) bool { return t != nil && baseKind(t) == types.TimestampKind }

// mayBeNaN reports whether a node that reads row can be NaN: a FLOAT or
// DOUBLE field, or arithmetic over doubles.
func mayBeNaN(n *celNode) bool {
	switch n.kind {
	case nodeConst:
		return false
	case nodeField:
		return n.wide.Field.Type.Kind == semantic.KindFloat
	}
	return n.typ != nil && baseKind(n.typ) == types.DoubleKind
}

// isNaN reports whether a constant is the double NaN.
func isNaN(v ref.Val) bool {
	d, ok := v.(types.Double)
	return ok && math.IsNaN(float64(d))
}

// notNaN is true for a value that is not NaN, NULL for NULL. SQL orders
// NaN above every number and equal to itself; in CEL every comparison
// with NaN is false.
func notNaN(x sqlast.Expr) sqlast.Expr {
	return sqlast.Not{X: sqlast.Fn{Op: sqlast.FnIsNaN, Args: []sqlast.Expr{x}}}
}

// isNaNOrFalse is isnan(x), FALSE for NULL.
func isNaNOrFalse(x sqlast.Expr) sqlast.Expr {
	return sqlast.Call{Name: "coalesce", Args: []sqlast.Expr{sqlast.Fn{Op: sqlast.FnIsNaN, Args: []sqlast.Expr{x}}, sqlast.False}}
}

// baseKind sees through wrapper (nullable) types.
func baseKind(t *types.Type) types.Kind {
	if t.Kind() == types.OpaqueKind || t.Kind() == types.StructKind {
		switch t.TypeName() {
		case "google.protobuf.Int64Value":
			return types.IntKind
		case "google.protobuf.DoubleValue":
			return types.DoubleKind
		case "google.protobuf.StringValue":
			return types.StringKind
		case "google.protobuf.BoolValue":
			return types.BoolKind
		}
	}
	return t.Kind()
}

// comparable reports whether a value of v's type can equal a value of
// static type t; dyn and error types compare with anything.
func comparable(t *types.Type, v ref.Val) bool {
	if t == nil {
		return true
	}
	k := baseKind(t)
	switch v.Type() {
	case types.IntType, types.UintType, types.DoubleType:
		return k == types.IntKind || k == types.UintKind || k == types.DoubleKind || k == types.DynKind
	case types.StringType:
		return k == types.StringKind || k == types.DynKind
	case types.BoolType:
		return k == types.BoolKind || k == types.DynKind
	case types.TimestampType:
		return k == types.TimestampKind || k == types.DynKind
	case types.DurationType:
		return k == types.DurationKind || k == types.DynKind
	}
	return false
}

// param turns a CEL value into a bound parameter.
func param(v ref.Val) (sqlast.Expr, bool) {
	switch x := v.(type) {
	case types.Int:
		return sqlast.Param{Value: int64(x)}, true
	case types.Uint:
		if uint64(x) > math.MaxInt64 {
			return nil, false
		}
		return sqlast.Param{Value: int64(x)}, true
	case types.Double:
		return sqlast.Param{Value: float64(x)}, true
	case types.String:
		return sqlast.Param{Value: string(x)}, true
	case types.Bool:
		return sqlast.Param{Value: bool(x)}, true
	case types.Timestamp:
		return sqlast.Param{Value: x.Time.UTC()}, true
	case types.Duration:
		return sqlast.Fn{Op: sqlast.FnMicros, Args: []sqlast.Expr{sqlast.Param{Value: x.Duration.Microseconds()}}}, true
	}
	return nil, false
}
