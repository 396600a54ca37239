package celsql

// The first half of the CEL translator: a checked CEL AST becomes a tree
// of celNodes, once, when a model or policy file loads. What does not read
// row is prepared as a program for Bind to evaluate.

import (
	"fmt"
	"slices"
	"strings"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/operators"
	"cel.dev/cel-go/common/overloads"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/parser"

	"github.com/agentlayer/agentlayer/semantic"
	"github.com/agentlayer/agentlayer/sqlgen/sqlast"
)

// Compile prepares a checked boolean expression over `row` of table t,
// for rendering through dialect d (nil: DuckDB). env is the environment it
// was checked in. Problems list the constructs that cannot be translated
// to SQL, or not to d's with the same meaning.
func Compile(t *semantic.Table, env *cel.Env, checked *cel.Ast, d sqlast.Dialect) (*Filter, []Problem) {
	c := &celCompiler{t: t, env: env, native: checked.NativeRep(), fields: map[string]semantic.WideField{}, reads: map[string]bool{},
		portable: d != nil && d.Name() != sqlast.DuckDB{}.Name()}
	for _, w := range t.Wide() {
		c.fields[semantic.RowVariable(w)] = w
	}
	root := c.node(c.native.Expr(), iterVars{})
	if len(c.problems) > 0 {
		return nil, c.problems
	}
	f := &Filter{table: t, root: root}
	for r := range c.reads {
		f.reads = append(f.reads, r)
	}
	slices.Sort(f.reads)
	return f, nil
}

type celCompiler struct {
	// portable asks that regular expressions be checked against what
	// PostgreSQL can express.
	portable bool
	t        *semantic.Table
	env      *cel.Env
	native   *ast.AST
	fields   map[string]semantic.WideField
	problems []Problem
	reads    map[string]bool
}

func (c *celCompiler) fail(e ast.Expr, format string, args ...any) {
	loc := c.native.SourceInfo().GetStartLocation(e.ID())
	c.problems = append(c.problems, Problem{Line: loc.Line(), Col: loc.Column(), Msg: fmt.Sprintf(format, args...)})
}

// field resolves a row variable: a field of the table's wide column list,
// or one further away (row.USER.ACCOUNT.REGION).
func (c *celCompiler) field(name string) (semantic.WideField, bool) {
	if w, ok := c.fields[name]; ok {
		return w, true
	}
	if !strings.HasPrefix(name, "row.") {
		return semantic.WideField{}, false
	}
	w, ok := semantic.RowPath(c.t, name)
	if ok {
		c.fields[name] = w
	}
	return w, ok
}

// readsRow reports whether e reads a field of row.
func (c *celCompiler) readsRow(e ast.Expr) bool {
	found := false
	semantic.VisitCEL(e, func(x ast.Expr, _ []string) bool {
		if x.Kind() == ast.IdentKind {
			if _, ok := c.field(x.AsIdent()); ok {
				found = true
			}
		}
		return !found
	})
	return found
}

// iterVars are the comprehension variables in scope, with their types.
type iterVars struct {
	names []string
	decls []cel.EnvOption
}

func (c *celCompiler) node(e ast.Expr, iters iterVars) *celNode {
	typ := c.native.GetType(e.ID())
	if !c.readsRow(e) {
		return c.constant(e, typ, iters)
	}
	switch e.Kind() {
	case ast.IdentKind:
		w, _ := c.field(e.AsIdent())
		return &celNode{kind: nodeField, typ: typ, wide: w, scope: w.Relationships(), hasRow: true}
	case ast.CallKind:
		return c.call(e, typ, iters)
	case ast.ComprehensionKind:
		return c.comprehension(e, typ, iters)
	case ast.ListKind:
		c.fail(e, "a list that reads row cannot be translated to SQL; compare fields one by one")
	default:
		c.fail(e, "this expression cannot be translated to SQL")
	}
	return &celNode{kind: nodeConst, val: types.False}
}

// constant compiles a sub-expression that does not read row.
func (c *celCompiler) constant(e ast.Expr, typ *types.Type, iters iterVars) *celNode {
	n := &celNode{kind: nodeConst, typ: typ}
	if e.Kind() == ast.LiteralKind {
		n.val = e.AsLiteral()
		return n
	}
	c.collectReads(e, iters.names)
	src, err := parser.Unparse(e, c.native.SourceInfo())
	if err != nil {
		c.fail(e, "cannot prepare this expression: %v", err)
		return n
	}
	env := c.env
	if len(iters.decls) > 0 {
		if env, err = c.env.Extend(iters.decls...); err != nil {
			c.fail(e, "cannot prepare this expression: %v", err)
			return n
		}
	}
	checked, iss := env.Compile(src)
	if iss.Err() != nil {
		c.fail(e, "cannot prepare this expression: %v", iss.Err())
		return n
	}
	n.prg, err = env.Program(checked, semantic.ProgramOptions()...)
	if err != nil {
		c.fail(e, "cannot prepare this expression: %v", err)
	}
	return n
}

// collectReads records the paths of variables e reads (user.attributes.state),
// but for the comprehension variables in scope.
func (c *celCompiler) collectReads(e ast.Expr, iterNames []string) {
	variableReads(e, iterNames, c.reads)
}

// VariableReads lists the paths of the variables a checked expression reads:
// user.groups, user.attributes.state. A map read whole (user.attributes[k])
// is listed whole, so a cache keyed by these paths never conflates users a
// condition tells apart.
func VariableReads(checked *cel.Ast) []string {
	reads := map[string]bool{}
	variableReads(checked.NativeRep().Expr(), nil, reads)
	out := make([]string, 0, len(reads))
	for r := range reads {
		out = append(out, r)
	}
	slices.Sort(out)
	return out
}

func variableReads(e ast.Expr, iterNames []string, reads map[string]bool) {
	semantic.VisitCEL(e, func(x ast.Expr, scope []string) bool {
		if x.Kind() != ast.SelectKind && x.Kind() != ast.IdentKind {
			return true
		}
		// A chain of selections a.b.c: the path read is its root variable
		// and what is selected from it.
		var path []string
		y := x
		for y.Kind() == ast.SelectKind {
			path = append([]string{y.AsSelect().FieldName()}, path...)
			y = y.AsSelect().Operand()
		}
		if y.Kind() != ast.IdentKind {
			return true // a selection from a computed value: look inside
		}
		name := strings.TrimPrefix(y.AsIdent(), ".")
		if !strings.HasPrefix(name, "@") && !slices.Contains(scope, name) && !slices.Contains(iterNames, name) {
			reads[strings.Join(append([]string{name}, path...), ".")] = true
		}
		return false
	})
}

// The operators and functions over row that translate to SQL.
var celOperators = map[string]bool{
	operators.LogicalAnd: true, operators.LogicalOr: true, operators.LogicalNot: true,
	operators.Equals: true, operators.NotEquals: true, operators.Less: true, operators.LessEquals: true, operators.Greater: true, operators.GreaterEquals: true,
	operators.Add: true, operators.Subtract: true, operators.Multiply: true, operators.Divide: true, operators.Modulo: true, operators.Negate: true,
	operators.In: true, overloads.Size: true, overloads.StartsWith: true, overloads.EndsWith: true, overloads.Contains: true, overloads.Matches: true,
}

func (c *celCompiler) call(e ast.Expr, typ *types.Type, iters iterVars) *celNode {
	call := e.AsCall()
	fn := call.FunctionName()
	if !celOperators[fn] {
		switch fn {
		case operators.Conditional:
			c.fail(e, "conditional expressions (a ? b : c) cannot be translated to SQL; combine conditions with && and ||")
		case operators.Index:
			c.fail(e, "indexing cannot be translated to SQL")
		default:
			c.fail(e, "function %s cannot be translated to SQL (supported over row: comparisons, &&, ||, !, arithmetic, in, startsWith, endsWith, contains, matches, size)", strings.Trim(fn, "_"))
		}
		return &celNode{kind: nodeConst, val: types.False}
	}
	var args []ast.Expr
	if call.IsMemberFunction() {
		args = append(args, call.Target())
	}
	args = append(args, call.Args()...)
	n := &celNode{kind: nodeCall, fn: fn, typ: typ, hasRow: true}
	for _, a := range args {
		n.args = append(n.args, c.node(a, iters))
	}
	if fn == operators.In && n.args[1].hasRow {
		c.fail(e, "the list of in must not read row")
	}
	if fn == overloads.Matches && n.args[1].hasRow {
		c.fail(e, "the pattern of matches must not read row: a pattern from the data could be invalid and fail every query")
	}
	if fn == overloads.Matches && c.portable {
		c.portablePattern(e, n.args[1])
	}
	n.scope = joinScopes(n.args)
	if n.scope == "*" && !isLogical(fn) {
		c.fail(e, "a condition cannot mix fields of %s; write one condition per table and join them with && or ||", c.tablesOf(n.args))
	}
	return n
}

// tablesOf names the tables args read fields of, for messages: "ORDERS
// and PEOPLE (row.USER)".
func (c *celCompiler) tablesOf(args []*celNode) string {
	var names []string
	seen := map[string]bool{}
	for _, a := range args {
		a.walk(func(x *celNode) {
			if x.kind != nodeField || seen[x.scope] {
				return
			}
			seen[x.scope] = true
			name := x.wide.Field.Table.Name
			if x.scope != "" {
				name += " (row." + x.scope + ")"
			}
			names = append(names, name)
		})
	}
	return strings.Join(names, " and ")
}

func isLogical(fn string) bool {
	return fn == operators.LogicalAnd || fn == operators.LogicalOr || fn == operators.LogicalNot
}

// joinScopes is the scope of a node over args: "" or one relationship, or
// "*" for several.
func joinScopes(args []*celNode) string {
	scope, set := "", false
	for _, a := range args {
		if !a.hasRow {
			continue
		}
		if !set {
			scope, set = a.scope, true
		} else if a.scope != scope {
			return "*"
		}
	}
	return scope
}

func (c *celCompiler) comprehension(e ast.Expr, typ *types.Type, iters iterVars) *celNode {
	comp := e.AsComprehension()
	macro, ok := c.native.SourceInfo().GetMacroCall(e.ID())
	name := ""
	if ok && macro.Kind() == ast.CallKind {
		name = macro.AsCall().FunctionName()
	}
	if name != operators.Exists && name != operators.All {
		c.fail(e, "only exists and all over lists that do not read row can be translated to SQL")
		return &celNode{kind: nodeConst, val: types.False}
	}
	if c.readsRow(comp.IterRange()) {
		c.fail(comp.IterRange(), "%s over a list that reads row cannot be translated to SQL", name)
		return &celNode{kind: nodeConst, val: types.False}
	}
	// The body is the second argument of the loop step: @result || body
	// for exists, @result && body for all.
	step := comp.LoopStep()
	if step.Kind() != ast.CallKind || len(step.AsCall().Args()) != 2 {
		c.fail(e, "cannot translate this %s", name)
		return &celNode{kind: nodeConst, val: types.False}
	}
	bodyExpr := step.AsCall().Args()[1]
	rangeType := c.native.GetType(comp.IterRange().ID())
	elem := types.DynType
	if rangeType != nil && len(rangeType.Parameters()) > 0 {
		elem = rangeType.Parameters()[0]
	}
	inner := iterVars{
		names: append(slices.Clone(iters.names), comp.IterVar()),
		decls: append(slices.Clone(iters.decls), cel.Variable(comp.IterVar(), elem)),
	}
	n := &celNode{kind: nodeComp, typ: typ, iterVar: comp.IterVar(), all: name == operators.All, hasRow: true}
	n.rng = c.constant(comp.IterRange(), rangeType, iters)
	n.body = c.node(bodyExpr, inner)
	n.scope = n.body.scope
	return n
}

// portablePattern refuses a pattern of matches, written in the expression,
// that PostgreSQL cannot express (PostgresPattern). A pattern from a
// user's attribute is translated when the query is built; one that cannot
// be is a CEL error there, and the condition is false.
func (c *celCompiler) portablePattern(e ast.Expr, n *celNode) {
	lit, ok := n.val.(types.String)
	if n.kind != nodeConst || n.prg != nil || !ok {
		return
	}
	if _, err := sqlast.PostgresPattern(string(lit)); err != nil {
		c.fail(e, "on PostgreSQL this pattern cannot mean what it means in CEL: %v", err)
	}
}
