package celsql

import (
	"slices"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"

	"github.com/agentlayer/agentlayer/semantic"
)

// Filter is a checked CEL condition over `row` of a table, prepared once
// for translation to SQL. Sub-expressions that do not read `row` are
// compiled to programs; Bind evaluates them with the caller's variables (the
// user) and translates the rest — the residual over `row` — into an Expr.
//
// The translation keeps CEL's meaning exactly, NULLs included: a null field
// is CEL null, a CEL error is SQL NULL (both exclude the row at the top and
// stay so under negation), equality is null-safe where CEL's is. A condition
// on a related table's fields (row.USER.STATE) becomes a semi-join, false
// when there is no related row (CEL fails reading its fields) unless CEL
// decides it without them. Integer arithmetic is 64-bit, its overflow an
// error (NULL) for that row, not a failed query; NaN compares false with
// everything, as in CEL, though SQL orders it above every number.
//
// Supported: comparisons, &&, ||, !, arithmetic, in over a list,
// startsWith, endsWith, contains, matches, size, timestamps and durations,
// exists and all over lists that do not read row, null checks. Anything else
// is refused by Compile, with its position.
type Filter struct {
	table *semantic.Table
	root  *celNode
	reads []string
}

// Problem is a construct Compile cannot translate, at a position in
// the expression (line from 1, column from 0).
type Problem struct {
	Line, Col int
	Msg       string
}

type nodeKind int

const (
	nodeConst nodeKind = iota // does not read row: evaluated by Bind
	nodeField                 // row.X or row.REL.X
	nodeCall                  // an operator or function over row
	nodeComp                  // exists/all over a list that does not read row
)

type celNode struct {
	kind nodeKind
	typ  *types.Type
	// nodeConst: a literal, or a program evaluated at Bind.
	val ref.Val
	prg cel.Program
	// nodeField
	wide semantic.WideField
	// nodeCall
	fn   string
	args []*celNode
	// nodeComp
	iterVar string
	rng     *celNode
	body    *celNode
	all     bool
	// scope is "" for the base table, the relationships followed to the
	// table a node reads (USER, USER.ACCOUNT), or "*" when it reads several.
	scope  string
	hasRow bool
}

// Reads lists the variables other than row the expression reads, as paths
// (user.groups, user.attributes.state): what a cache of Bind's results must
// be keyed by.
func (f *Filter) Reads() []string { return f.reads }

// Fields lists the fields of its table, and of related tables, the
// expression reads (the foreign keys it follows included), in order.
func (f *Filter) Fields() []*semantic.Field {
	var out []*semantic.Field
	add := func(x *semantic.Field) {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	var walk func(n *celNode)
	walk = func(n *celNode) {
		if n == nil {
			return
		}
		if n.kind == nodeField {
			for _, fk := range n.wide.Path {
				add(fk)
			}
			add(n.wide.Field)
		}
		for _, a := range n.args {
			walk(a)
		}
		walk(n.rng)
		walk(n.body)
	}
	walk(f.root)
	return out
}
