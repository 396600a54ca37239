package fieldexpr

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/agentlayer/agentlayer/semantic"
	"github.com/agentlayer/agentlayer/sqlgen/sqlast"
)

// Names lists the names an expression reads, in order, each once.
func Names(n Node) []*Name {
	var out []*Name
	seen := map[string]bool{}
	walk(n, func(x Node) {
		if nm, ok := x.(*Name); ok && !seen[nm.Name] {
			seen[nm.Name] = true
			out = append(out, nm)
		}
	})
	return out
}

// HasAggregate reports whether the expression calls an aggregate.
func HasAggregate(n Node) bool {
	found := false
	walk(n, func(x Node) {
		if c, ok := x.(*Call); ok && Aggregates[c.Name] {
			found = true
		}
	})
	return found
}

func walk(n Node, fn func(Node)) {
	if n == nil {
		return
	}
	fn(n)
	switch x := n.(type) {
	case *Unary:
		walk(x.X, fn)
	case *Binary:
		walk(x.X, fn)
		walk(x.Y, fn)
	case *IsNull:
		walk(x.X, fn)
	case *In:
		walk(x.X, fn)
		for _, y := range x.List {
			walk(y, fn)
		}
	case *Between:
		walk(x.X, fn)
		walk(x.Lo, fn)
		walk(x.Hi, fn)
	case *Call:
		for _, y := range x.Args {
			walk(y, fn)
		}
	case *Cast:
		walk(x.X, fn)
	case *Case:
		walk(x.Subject, fn)
		for _, w := range x.Whens {
			walk(w.Cond, fn)
			walk(w.Then, fn)
		}
		walk(x.Else, fn)
	}
}

// Resolver gives the SQL of a name (a column of the field's table, masked
// as its reader may see it) and the kind of its values.
type Resolver func(n *Name) (sqlast.Expr, semantic.Kind, error)

// Compile turns an expression into the SQL tree. Constants are written
// into the SQL (they are the model's, not a request's); division is true
// division on every engine; only whitelisted functions are called.
func Compile(n Node, resolve Resolver) (sqlast.Expr, error) {
	e, _, err := (&compiler{resolve: resolve}).node(n)
	return e, err
}

type compiler struct{ resolve Resolver }

var castTypes = map[string]sqlast.Type{
	"bigint": sqlast.TypeBigInt, "integer": sqlast.TypeBigInt, "double": sqlast.TypeDouble,
	"decimal": sqlast.TypeNumeric, "numeric": sqlast.TypeNumeric, "text": sqlast.TypeText,
	"varchar": sqlast.TypeText, "boolean": sqlast.TypeBoolean, "date": sqlast.TypeDate, "timestamp": sqlast.TypeTimestamp,
}

var castKinds = map[string]semantic.Kind{
	"bigint": semantic.KindBigInteger, "integer": semantic.KindInteger, "double": semantic.KindFloat,
	"decimal": semantic.KindDecimal, "numeric": semantic.KindDecimal, "text": semantic.KindText,
	"varchar": semantic.KindText, "boolean": semantic.KindBoolean, "date": semantic.KindDate, "timestamp": semantic.KindDateTime,
}

// The parts EXTRACT takes, as the SQL tree names them.
var extractParts = map[string]string{
	"year": "year", "quarter": "quarter-of-year", "month": "month-of-year", "week": "week-of-year",
	"day": "day-of-month", "hour": "hour-of-day", "minute": "minute-of-hour", "second": "second-of-minute",
	"dow": "day-of-week", "doy": "day-of-year",
}

func (c *compiler) node(n Node) (sqlast.Expr, semantic.Kind, error) {
	switch x := n.(type) {
	case *Name:
		return c.resolve(x)
	case *Number:
		if i, err := strconv.ParseInt(x.Text, 10, 64); err == nil {
			return sqlast.Int(i), semantic.KindInteger, nil
		}
		f, _ := strconv.ParseFloat(x.Text, 64)
		return sqlast.Float(f), semantic.KindFloat, nil
	case *String:
		return sqlast.Constant(x.Value), semantic.KindText, nil
	case *Bool:
		if x.Value {
			return sqlast.True, semantic.KindBoolean, nil
		}
		return sqlast.False, semantic.KindBoolean, nil
	case *Null:
		return sqlast.Null, semantic.KindUnknown, nil
	case *Unary:
		e, k, err := c.node(x.X)
		if err != nil {
			return nil, 0, err
		}
		if x.Op == "NOT" {
			return sqlast.Not{X: e}, semantic.KindBoolean, nil
		}
		return sqlast.Bin{Op: "-", L: sqlast.Int(0), R: e}, k, nil
	case *Binary:
		return c.binary(x)
	case *IsNull:
		e, _, err := c.node(x.X)
		return sqlast.IsNull{X: e, Not: x.Not}, semantic.KindBoolean, err
	case *In:
		e, _, err := c.node(x.X)
		if err != nil {
			return nil, 0, err
		}
		list, err := c.all(x.List)
		var in sqlast.Expr = sqlast.In{X: e, List: list}
		if x.Not {
			in = sqlast.Not{X: in}
		}
		return in, semantic.KindBoolean, err
	case *Between:
		args, err := c.all([]Node{x.X, x.Lo, x.Hi})
		if err != nil {
			return nil, 0, err
		}
		var b sqlast.Expr = sqlast.AndOf(sqlast.Bin{Op: ">=", L: args[0], R: args[1]}, sqlast.Bin{Op: "<=", L: args[0], R: args[2]})
		if x.Not {
			b = sqlast.Not{X: b}
		}
		return b, semantic.KindBoolean, nil
	case *Cast:
		e, _, err := c.node(x.X)
		return sqlast.Cast{X: e, Type: castTypes[x.Type]}, castKinds[x.Type], err
	case *Case:
		return c.caseExpr(x)
	case *Call:
		return c.call(x)
	}
	return nil, 0, &Error{Offset: n.Pos(), Message: fmt.Sprintf("%T cannot be compiled", n)}
}

func (c *compiler) all(ns []Node) ([]sqlast.Expr, error) {
	out := make([]sqlast.Expr, len(ns))
	for i, n := range ns {
		e, _, err := c.node(n)
		if err != nil {
			return nil, err
		}
		out[i] = e
	}
	return out, nil
}

func (c *compiler) binary(x *Binary) (sqlast.Expr, semantic.Kind, error) {
	l, lk, err := c.node(x.X)
	if err != nil {
		return nil, 0, err
	}
	r, rk, err := c.node(x.Y)
	if err != nil {
		return nil, 0, err
	}
	switch x.Op {
	case "AND":
		return sqlast.AndOf(l, r), semantic.KindBoolean, nil
	case "OR":
		return sqlast.OrOf(l, r), semantic.KindBoolean, nil
	case "=", "<>", "<", "<=", ">", ">=":
		return sqlast.Bin{Op: x.Op, L: l, R: r}, semantic.KindBoolean, nil
	case "||":
		return sqlast.Call{Name: "concat", Args: []sqlast.Expr{l, r}}, semantic.KindText, nil
	case "/":
		// True division everywhere: PostgreSQL divides integers whole.
		return sqlast.Bin{Op: "/", L: sqlast.Cast{X: l, Type: sqlast.TypeDouble}, R: r}, semantic.KindFloat, nil
	}
	kind := lk
	if !lk.IsInteger() || !rk.IsInteger() {
		kind = semantic.KindFloat
		if lk == semantic.KindDecimal || rk == semantic.KindDecimal {
			kind = semantic.KindDecimal
		}
	}
	return sqlast.Bin{Op: x.Op, L: l, R: r}, kind, nil
}

func (c *compiler) caseExpr(x *Case) (sqlast.Expr, semantic.Kind, error) {
	out := sqlast.Case{}
	var subject sqlast.Expr
	if x.Subject != nil {
		s, _, err := c.node(x.Subject)
		if err != nil {
			return nil, 0, err
		}
		subject = s
	}
	kind := semantic.KindUnknown
	for _, w := range x.Whens {
		cond, _, err := c.node(w.Cond)
		if err != nil {
			return nil, 0, err
		}
		if subject != nil {
			cond = sqlast.Bin{Op: "=", L: subject, R: cond}
		}
		then, k, err := c.node(w.Then)
		if err != nil {
			return nil, 0, err
		}
		if kind == semantic.KindUnknown {
			kind = k
		}
		out.Whens = append(out.Whens, sqlast.When{Cond: cond, Then: then})
	}
	if x.Else != nil {
		e, k, err := c.node(x.Else)
		if err != nil {
			return nil, 0, err
		}
		if kind == semantic.KindUnknown {
			kind = k
		}
		out.Else = e
	}
	return out, kind, nil
}

func (c *compiler) call(x *Call) (sqlast.Expr, semantic.Kind, error) {
	if x.Star {
		return sqlast.Agg{Func: "count"}, semantic.KindBigInteger, nil
	}
	args := make([]sqlast.Expr, len(x.Args))
	kinds := make([]semantic.Kind, len(x.Args))
	for i, a := range x.Args {
		e, k, err := c.node(a)
		if err != nil {
			return nil, 0, err
		}
		args[i], kinds[i] = e, k
	}
	first := semantic.KindUnknown
	if len(kinds) > 0 {
		first = kinds[0]
	}
	switch x.Name {
	case "date_trunc":
		if !kinds[1].IsTemporal() {
			return nil, 0, &Error{Offset: x.Args[1].Pos(), Message: "date_trunc truncates a date or a timestamp"}
		}
		unit := x.Part
		if unit == "dow" || unit == "doy" {
			return nil, 0, &Error{Offset: x.Args[0].Pos(), Message: fmt.Sprintf("date_trunc cannot truncate to %s", unit)}
		}
		return sqlast.Fn{Op: sqlast.FnTrunc, Args: args[1:], Arg: unit, Kind: kinds[1]}, kinds[1], nil
	case "extract":
		if !first.IsTemporal() {
			return nil, 0, &Error{Offset: x.Args[0].Pos(), Message: "EXTRACT reads a date or a timestamp"}
		}
		return sqlast.Fn{Op: sqlast.FnExtract, Args: args, Arg: extractParts[x.Part], Kind: first}, semantic.KindInteger, nil
	case "round":
		places := "0"
		if len(x.Args) == 2 {
			n, ok := x.Args[1].(*Number)
			if !ok {
				return nil, 0, &Error{Offset: x.Args[1].Pos(), Message: "round's places are a whole number"}
			}
			if _, err := strconv.Atoi(n.Text); err != nil {
				return nil, 0, &Error{Offset: n.At, Message: "round's places are a whole number"}
			}
			places = n.Text
		} else if len(x.Args) != 1 {
			return nil, 0, &Error{Offset: x.At, Message: "round takes a number and, optionally, its places"}
		}
		return sqlast.Fn{Op: sqlast.FnRound, Args: args[:1], Arg: places, Kind: first}, first, nil
	case "substr":
		if len(args) != 2 && len(args) != 3 {
			return nil, 0, &Error{Offset: x.At, Message: "substr takes a text, a start and, optionally, a length"}
		}
		return sqlast.Call{Name: "substr", Args: args}, semantic.KindText, nil
	case "median":
		return sqlast.Fn{Op: sqlast.FnQuantile, Args: args, Arg: "0.5"}, semantic.KindFloat, nil
	case "sum", "count", "avg", "min", "max":
		kind := first
		switch x.Name {
		case "count":
			kind = semantic.KindBigInteger
		case "avg":
			kind = semantic.KindFloat
		}
		return sqlast.Agg{Func: x.Name, Arg: args[0], Distinct: x.Distinct}, kind, nil
	case "lower", "upper", "trim", "replace", "concat":
		return sqlast.Call{Name: x.Name, Args: args}, semantic.KindText, nil
	case "length", "sign":
		return sqlast.Call{Name: x.Name, Args: args}, semantic.KindInteger, nil
	}
	// coalesce, nullif, abs, floor, ceil, greatest, least: the kind of
	// their first argument.
	return sqlast.Call{Name: strings.ToLower(x.Name), Args: args}, first, nil
}
