package semantic

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/operators"
	"gopkg.in/yaml.v3"

	"github.com/agentlayer/agentlayer/internal/yamldoc"
)

// The bounds on a CEL expression of a model or policy file, checked when it
// loads, and on the work one evaluation may do (with a user's values, which
// a token chooses).
const (
	CELMaxLength   = 16 << 10 // code points of one expression
	CELMaxDepth    = 64       // nesting of the parsed expression
	CELMaxNodes    = 5_000    // nodes, macros expanded
	CELMaxEvalCost = 100_000  // CEL's cost units for one evaluation
)

// EnvOptions are the CEL options every agentlayer expression is checked
// with: numbers of different types compare, macro calls are kept so that
// `exists` and `all` can be translated, and the size and nesting of an
// expression are bounded.
func EnvOptions() []cel.EnvOption {
	return []cel.EnvOption{
		cel.CrossTypeNumericComparisons(true),
		cel.EnableMacroCallTracking(),
		cel.ParserExpressionSizeLimit(CELMaxLength),
		cel.ParserRecursionLimit(CELMaxDepth),
		cel.ExpressionNodeLimit(CELMaxNodes),
	}
}

// ProgramOptions bound the evaluation of every CEL program agentlayer runs:
// past CELMaxEvalCost, evaluation fails, and a failed condition grants
// nothing.
func ProgramOptions() []cel.ProgramOption {
	return []cel.ProgramOption{cel.CostLimit(CELMaxEvalCost)}
}

// CELType is the CEL type of a field's values, or nil when the field cannot
// be used in an expression (times of day). Every value may be null.
func CELType(k Kind) *cel.Type {
	switch {
	case k == KindBoolean:
		return cel.NullableType(cel.BoolType)
	case k.IsInteger():
		return cel.NullableType(cel.IntType)
	case k.IsNumeric():
		return cel.NullableType(cel.DoubleType)
	case k == KindText:
		return cel.NullableType(cel.StringType)
	case k.IsTemporal():
		return cel.TimestampType
	}
	return nil
}

// RowVariable is the CEL variable name of a field: row.FIELD for the
// table's own fields, row.REL.FIELD for a field reached through the foreign
// key whose relationship is REL, row.REL.REL2.FIELD further away.
func RowVariable(w WideField) string { return "row." + w.Name() }

// RowVariables declares `row` for table t: every field of the wide column
// list that has a name CEL can spell and a type CEL can hold.
func RowVariables(t *Table) []cel.EnvOption {
	var opts []cel.EnvOption
	for _, w := range t.wide {
		if !identifier.MatchString(w.Field.Name) {
			continue
		}
		if typ := CELType(w.Field.Type.Kind); typ != nil {
			opts = append(opts, cel.Variable(RowVariable(w), typ))
		}
	}
	return opts
}

func (l *loader) env(rt *rawTable) {
	t := rt.t
	for _, f := range t.Fields {
		if f.Type.Kind == KindUnknown {
			return // a problem was reported; expressions cannot be checked
		}
		if f.References != nil && f.References.Type.Kind == KindUnknown {
			return
		}
	}
	env, err := cel.NewEnv(append(EnvOptions(), RowVariables(t)...)...)
	if err != nil {
		l.doc.ErrorAt(t.Pos, "table %s: cannot build its expression environment: %v", t.Name, err)
		return
	}
	t.env = env
}

// UserVariables declare `user` in a CEL environment: what rules, and
// segments, may read of who asks.
func UserVariables() []cel.EnvOption {
	return []cel.EnvOption{
		cel.Variable("user.email", cel.StringType),
		cel.Variable("user.first_name", cel.StringType),
		cel.Variable("user.last_name", cel.StringType),
		cel.Variable("user.groups", cel.ListType(cel.StringType)),
		cel.Variable("user.attributes", cel.MapType(cel.StringType, cel.DynType)),
	}
}

// expr parses and checks a CEL filter of table t held by node n; a
// segment's (withUser) may read `user`, bound for each caller.
func (l *loader) expr(t *Table, n *yaml.Node, withUser bool) *Expr {
	if n == nil {
		return nil
	}
	src, ok := l.doc.NonEmpty(n, "filter")
	if !ok {
		return nil
	}
	e := &Expr{Source: src, Table: t, span: l.doc.Span(n)}
	if t.env == nil {
		return e
	}
	env, extra := t.env, ""
	if withUser {
		var err error
		if env, err = t.env.Extend(UserVariables()...); err != nil {
			l.doc.Errorf(n, "cannot declare user: %v", err)
			return e
		}
		extra = "user"
	}
	e.Env = env
	checked, problems := CheckExpr(t, env, e.Source, e.span, extra)
	for _, p := range problems {
		l.doc.ErrorAt(p.Pos, "%s", p.Msg)
	}
	e.AST = checked
	return e
}

// Span is re-exported so that other loaders can position CEL problems.
type Span = yamldoc.Span

// CheckExpr parses and type-checks a boolean CEL expression in env, which
// declares `row` for table t, and returns its problems positioned in the
// file. A reference to a field the table does not have is reported with a
// suggestion. extra names other variables the expression may use
// ("user"), for messages. The checked AST is nil when there are problems.
func CheckExpr(t *Table, env *cel.Env, src string, span Span, extra string) (*cel.Ast, []Problem) {
	at := func(line, col int, format string, args ...any) Problem {
		return span.Problem(line, col, fmt.Sprintf(format, args...))
	}
	parsed, iss := env.Parse(src)
	if iss.Err() != nil {
		var out []Problem
		for _, e := range iss.Errors() {
			out = append(out, at(e.Location.Line(), e.Location.Column(), "invalid expression: %s", e.Message))
		}
		return nil, out
	}
	native := parsed.NativeRep()
	var out []Problem
	var far []cel.EnvOption // the variables of fields more than one relationship away
	declared := map[string]bool{}
	VisitCEL(native.Expr(), func(e ast.Expr, _ []string) bool {
		path, root := selectPath(e)
		if root == nil {
			return true
		}
		loc := native.SourceInfo().GetStartLocation(root.ID())
		if root.AsIdent() == "user" && extra == "" {
			out = append(out, at(loc.Line(), loc.Column(), "measure and metric filters hold for every user and cannot use user (a segment may: it is bound for whoever asks); put rules about users in the policy file"))
			return false
		}
		if root.AsIdent() != "row" {
			return true
		}
		w, msg, bad := checkRowPathAt(t, path)
		if msg != "" {
			out = append(out, at(loc.Line(), nameColumn(loc.Column(), path, bad), "%s", msg))
			return false
		}
		if name := RowVariable(w); len(w.Path) > 1 && !declared[name] && !t.widens(name) {
			declared[name] = true
			far = append(far, cel.Variable(name, CELType(w.Field.Type.Kind)))
		}
		return false
	})
	if len(out) > 0 {
		return nil, out
	}
	if len(far) > 0 {
		var err error
		if env, err = env.Extend(far...); err != nil {
			loc := native.SourceInfo().GetStartLocation(native.Expr().ID())
			return nil, []Problem{at(loc.Line(), loc.Column(), "cannot declare the fields this expression reads: %v", err)}
		}
	}
	checked, iss := env.Check(parsed)
	if iss.Err() != nil {
		for _, e := range iss.Errors() {
			msg := HumanizeCELMessage(e.Message)
			if strings.HasPrefix(msg, "undeclared reference") {
				vars := "row"
				if extra != "" {
					vars += " and " + extra
				}
				msg += " (expressions here may use " + vars + ")"
			}
			out = append(out, at(e.Location.Line(), e.Location.Column(), "%s", msg))
		}
		return nil, out
	}
	if !checked.OutputType().IsExactType(cel.BoolType) {
		loc := native.SourceInfo().GetStartLocation(native.Expr().ID())
		return nil, []Problem{at(loc.Line(), loc.Column(), "expression must be true or false, not %s", checked.OutputType())}
	}
	return checked, nil
}

var (
	celOverload = regexp.MustCompile(`found no matching overload for '([^']*)' applied to '(?:([^'(]*)\.)?\((.*)\)'`)
	celWrapper  = regexp.MustCompile(`wrapper\(([a-z]+)\)`)
)

// HumanizeCELMessage rewrites a CEL checker message in the words of a model
// author: operators as written, nullable types by their value type.
func HumanizeCELMessage(msg string) string {
	msg = celWrapper.ReplaceAllString(msg, "$1")
	msg = strings.NewReplacer("google.protobuf.Timestamp", "timestamp", "google.protobuf.Duration", "duration").Replace(msg)
	if m := celOverload.FindStringSubmatch(msg); m != nil {
		op := m[1]
		if strings.HasPrefix(op, "_") && strings.HasSuffix(op, "_") && len(op) > 2 {
			op = strings.Trim(op, "_")
		}
		if op == operators.In {
			op = "in"
		}
		args := strings.ReplaceAll(m[3], ", ", " and ")
		switch {
		case m[2] != "" && args == "":
			msg = fmt.Sprintf("%s cannot be applied to %s", op, m[2])
		case m[2] != "":
			msg = fmt.Sprintf("%s of %s cannot take %s", op, m[2], args)
		default:
			msg = fmt.Sprintf("%s cannot be applied to %s", op, args)
		}
	}
	return msg
}

// checkRowPath checks a selection row.A[.B…] against table t: "" and the
// field it reaches, or a message saying what is wrong and what is there.
func checkRowPath(t *Table, path []string) (WideField, string) {
	w, msg, _ := checkRowPathAt(t, path)
	return w, msg
}

// checkRowPathAt is checkRowPath, and the index of the name a problem is
// about (-1: the whole path).
func checkRowPathAt(t *Table, path []string) (WideField, string, int) {
	if len(path) == 0 {
		if len(t.Fields) == 0 {
			return WideField{}, "row must be followed by a field name, as in row.NAME", -1
		}
		return WideField{}, "row must be followed by a field name, as in row." + t.Fields[0].Name, -1
	}
	fks, f, msg, bad := walkPathAt(t, path, "row.", false)
	if msg != "" {
		return WideField{}, msg, bad
	}
	last := len(path) - 1
	if CELType(f.Type.Kind) == nil {
		return WideField{}, fmt.Sprintf("field %s of table %s is %s and cannot be used in an expression", f.Name, f.Table.Name, f.Type.Database), last
	}
	if !identifier.MatchString(f.Name) {
		return WideField{}, fmt.Sprintf("field %q of table %s cannot be named in an expression", f.Name, f.Table.Name), last
	}
	w := WideField{Index: -1, Field: f, Path: fks}
	if len(fks) > 0 {
		w.Via = fks[0]
	}
	return w, "", -1
}

// widens reports whether the table's environment declares variable.
func (t *Table) widens(variable string) bool {
	for _, w := range t.wide {
		if RowVariable(w) == variable {
			return true
		}
	}
	return false
}

// RowPath resolves a row variable of table t (row.USER.ACCOUNT.REGION) to
// the field it names, with the relationships it follows: an entry of the
// wide column list when the table has it, else one with Index -1.
func RowPath(t *Table, variable string) (WideField, bool) {
	for _, w := range t.wide {
		if RowVariable(w) == variable {
			return w, true
		}
	}
	rest, ok := strings.CutPrefix(variable, "row.")
	if !ok {
		return WideField{}, false
	}
	w, msg := checkRowPath(t, strings.Split(rest, "."))
	return w, msg == ""
}

// selectPath unwinds a chain of field selections a.b.c into its root
// identifier and the names selected from it, outermost last.
func selectPath(e ast.Expr) ([]string, ast.Expr) {
	var path []string
	for e.Kind() == ast.SelectKind {
		sel := e.AsSelect()
		if sel.IsTestOnly() {
			return nil, nil
		}
		path = append(path, sel.FieldName())
		e = sel.Operand()
	}
	if e.Kind() != ast.IdentKind {
		return nil, nil
	}
	for i, j := 0, len(path)-1; i < j; i, j = i+1, j-1 {
		path[i], path[j] = path[j], path[i]
	}
	return path, e
}

// VisitCEL walks a CEL expression depth first, calling visit on each node
// before its children with the comprehension variables in scope there;
// visit returns false to skip the node's children. It is the one walker of
// CEL trees in agentlayer: cel-go's ast.PreOrderVisit neither prunes nor
// tracks scope, and finding the variables an expression reads needs both.
func VisitCEL(e ast.Expr, visit func(e ast.Expr, scope []string) bool) {
	visitCEL(e, nil, visit)
}

func visitCEL(e ast.Expr, scope []string, visit func(ast.Expr, []string) bool) {
	if e == nil || !visit(e, scope) {
		return
	}
	switch e.Kind() {
	case ast.CallKind:
		c := e.AsCall()
		if c.IsMemberFunction() {
			visitCEL(c.Target(), scope, visit)
		}
		for _, a := range c.Args() {
			visitCEL(a, scope, visit)
		}
	case ast.SelectKind:
		visitCEL(e.AsSelect().Operand(), scope, visit)
	case ast.ListKind:
		for _, x := range e.AsList().Elements() {
			visitCEL(x, scope, visit)
		}
	case ast.MapKind:
		for _, ent := range e.AsMap().Entries() {
			me := ent.AsMapEntry()
			visitCEL(me.Key(), scope, visit)
			visitCEL(me.Value(), scope, visit)
		}
	case ast.StructKind:
		for _, f := range e.AsStruct().Fields() {
			visitCEL(f.AsStructField().Value(), scope, visit)
		}
	case ast.ComprehensionKind:
		c := e.AsComprehension()
		visitCEL(c.IterRange(), scope, visit)
		inner := append(slices.Clip(scope), c.IterVar(), c.AccuVar())
		if v2 := c.IterVar2(); v2 != "" {
			inner = append(inner, v2)
		}
		visitCEL(c.AccuInit(), inner, visit)
		visitCEL(c.LoopCondition(), inner, visit)
		visitCEL(c.LoopStep(), inner, visit)
		visitCEL(c.Result(), inner, visit)
	}
}

// nameColumn is the column of the name that is wrong in a path read from
// row (bad: its index, -1 for the whole path) that starts at col: clinc in
// row.appointment.patient.clinc, the path written without spaces, as
// paths are.
func nameColumn(col int, path []string, bad int) int {
	if bad < 0 {
		return col
	}
	col += len("row.")
	for _, name := range path[:bad] {
		col += len(name) + 1
	}
	return col
}
