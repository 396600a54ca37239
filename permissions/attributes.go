package permissions

import (
	"fmt"
	"slices"
	"strings"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/types"
	"gopkg.in/yaml.v3"

	"github.com/agentlayer/agentlayer/auth"
	"github.com/agentlayer/agentlayer/internal/suggest"
	"github.com/agentlayer/agentlayer/semantic"
)

// attributeTypes are the types an attribute may be declared with.
var attributeTypes = []string{"string", "int", "double", "bool", "list(string)", "list(int)", "list(double)"}

// attributes reads the policy file's attributes section: the user
// attributes its rules may read, with their types. Without it, rules may
// read any attribute (and one a user lacks fails closed at run time).
func (c *compiler) attributes(n *yaml.Node) {
	if n == nil {
		return
	}
	d := c.doc
	if n.Kind != yaml.MappingNode {
		d.Errorf(n, "attributes must map each attribute name to its type (%s)", strings.Join(attributeTypes, ", "))
		return
	}
	c.attrs = map[string]string{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		typ := strings.ReplaceAll(v.Value, " ", "")
		if v.Kind != yaml.ScalarNode || !slices.Contains(attributeTypes, typ) {
			d.Errorf(v, "attribute %s: the type must be one of %s, not %q", k.Value, strings.Join(attributeTypes, ", "), v.Value)
			continue
		}
		c.attrs[k.Value] = typ
		c.declared = append(c.declared, k.Value)
	}
	slices.Sort(c.declared)
}

// checkAttributes refuses, in a compiled condition, an attribute the file
// does not declare (a typo that would otherwise give the user no rows) and
// a list attribute compared with == or != (which matches nothing: `in` is
// meant).
func (c *compiler) checkAttributes(n *yaml.Node, checked *cel.Ast) {
	if c.attrs == nil {
		return
	}
	span := c.doc.Span(n)
	info := checked.NativeRep().SourceInfo()
	report := func(id int64, back int, msg string) {
		loc := info.GetStartLocation(id)
		p := span.Problem(loc.Line(), max(0, loc.Column()-back), msg)
		c.doc.ErrorAt(p.Pos, "%s", p.Msg)
	}
	semantic.VisitCEL(checked.NativeRep().Expr(), func(e ast.Expr, _ []string) bool {
		if name, ok := attributeRead(e); ok {
			if _, known := c.attrs[name]; known {
				if !slices.Contains(c.readers[name], c.current) {
					c.readers[name] = append(c.readers[name], c.current)
				}
			} else {
				msg := fmt.Sprintf("user.attributes.%s is not a declared attribute (attributes: %s)", name, strings.Join(c.declared, ", "))
				if s := suggest.Closest(name, c.declared); s != "" {
					msg = fmt.Sprintf("user.attributes.%s is not a declared attribute (did you mean %s?)", name, s)
				}
				// The checker keeps user.attributes as one name, placed
				// at its dot: the text starts at "user".
				report(rootID(e), len("user"), msg)
			}
			return false
		}
		if e.Kind() == ast.CallKind {
			call := e.AsCall()
			c.checkAttributeTypes(checked, call, func(msg string) { report(e.ID(), 0, msg) }, func(msg string) {
				loc := info.GetStartLocation(e.ID())
				c.warnings = append(c.warnings, span.Problem(loc.Line(), loc.Column(), msg))
			})
			if fn := call.FunctionName(); fn == "_==_" || fn == "_!=_" {
				args := call.Args()
				for i, arg := range args {
					name, ok := attributeRead(arg)
					if !ok || !strings.HasPrefix(c.attrs[name], "list(") || len(args) != 2 {
						continue
					}
					other := "the value"
					switch o := args[1-i]; {
					case o.Kind() == ast.IdentKind:
						other = strings.TrimPrefix(o.AsIdent(), ".")
					case o.Kind() == ast.SelectKind && o.AsSelect().Operand().Kind() == ast.IdentKind:
						other = o.AsSelect().Operand().AsIdent() + "." + o.AsSelect().FieldName()
					}
					report(e.ID(), 0, fmt.Sprintf("user.attributes.%s is a list, so %s compares the whole list and matches nothing: write %s in user.attributes.%s",
						name, strings.Trim(call.FunctionName(), "_"), other, name))
				}
			}
		}
		return true
	})
}

// comparisons are the CEL functions that compare their two arguments.
var comparisons = map[string]string{"_==_": "==", "_!=_": "!=", "_<_": "<", "_<=_": "<=", "_>_": ">", "_>=_": ">="}

// attributeKinds are the CEL kinds of the values a declared type holds.
var attributeKinds = map[string]types.Kind{"string": types.StringKind, "int": types.IntKind, "double": types.DoubleKind, "bool": types.BoolKind,
	"list(string)": types.StringKind, "list(int)": types.IntKind, "list(double)": types.DoubleKind}

// checkAttributeTypes compares a declared attribute's type with what a
// rule compares it with (a row field, typed by the model): text against an
// int matches no row, and is an error; an int against a double, which CEL
// compares exactly but SQL would coerce, a warning.
func (c *compiler) checkAttributeTypes(checked *cel.Ast, call ast.CallExpr, bad, warn func(string)) {
	args := call.Args()
	if len(args) != 2 {
		return
	}
	fn := call.FunctionName()
	var attr, other ast.Expr
	switch {
	case comparisons[fn] != "":
		for i, a := range args {
			if name, ok := attributeRead(a); ok && !strings.HasPrefix(c.attrs[name], "list(") {
				attr, other = a, args[1-i]
			}
		}
	case fn == "@in": // x in user.attributes.list
		if name, ok := attributeRead(args[1]); ok && strings.HasPrefix(c.attrs[name], "list(") {
			attr, other = args[1], args[0]
		}
	}
	if attr == nil {
		return
	}
	name, _ := attributeRead(attr)
	want := attributeKinds[c.attrs[name]]
	t := checked.NativeRep().GetType(other.ID())
	if t == nil {
		return
	}
	got, typeName := t.Kind(), t.TypeName() // a row field's: its value's, or null
	switch {
	case got == want || got == types.DynKind || got == types.AnyKind || got == types.NullTypeKind:
	case (got == types.IntKind || got == types.UintKind || got == types.DoubleKind) && (want == types.IntKind || want == types.DoubleKind):
		warn(fmt.Sprintf("user.attributes.%s is declared %s and compared with %s: CEL compares them exactly, SQL converts one to the other first; declare it %s",
			name, c.attrs[name], typeName, typeName))
	default:
		bad(fmt.Sprintf("user.attributes.%s is declared %s, and compared with %s: no row can match; declare it as the field's type, or compare it with a field of its own",
			name, c.attrs[name], typeName))
	}
}

// rootID is the id of the leftmost node of a selection or index, where
// its text starts.
func rootID(e ast.Expr) int64 {
	for {
		switch e.Kind() {
		case ast.SelectKind:
			e = e.AsSelect().Operand()
			continue
		case ast.CallKind:
			if args := e.AsCall().Args(); len(args) > 0 {
				e = args[0]
				continue
			}
		}
		return e.ID()
	}
}

// attributeRead recognises user.attributes.NAME and user.attributes["NAME"].
func attributeRead(e ast.Expr) (string, bool) {
	switch e.Kind() {
	case ast.SelectKind:
		s := e.AsSelect()
		if isAttributesMap(s.Operand()) && !s.IsTestOnly() {
			return s.FieldName(), true
		}
	case ast.CallKind:
		call := e.AsCall()
		if call.FunctionName() == "_[_]" && len(call.Args()) == 2 && isAttributesMap(call.Args()[0]) {
			if k := call.Args()[1]; k.Kind() == ast.LiteralKind {
				if s, ok := k.AsLiteral().Value().(string); ok {
					return s, true
				}
			}
		}
	}
	return "", false
}

// isAttributesMap recognises user.attributes in a checked expression,
// where the checker has made it one name (a declared variable).
func isAttributesMap(e ast.Expr) bool {
	return e.Kind() == ast.IdentKind && strings.TrimPrefix(e.AsIdent(), ".") == "user.attributes"
}

// attributeReaders is a declared attribute some policy reads, with the
// policies that read it.
type attributeReaders struct {
	name     string
	readers  []string // the policies that read it
	policies string   // the same, comma-separated, for the log
}

// readAttributes lists the declared attributes the policies read, by
// name, once the file is compiled.
func (c *compiler) readAttributes() []attributeReaders {
	var out []attributeReaders
	for _, name := range c.declared {
		if ps := c.readers[name]; len(ps) > 0 {
			out = append(out, attributeReaders{name, ps, strings.Join(ps, ", ")})
		}
	}
	return out
}

// MissingAttributes counts the users seen (each once) without a declared
// attribute that a policy reads: they get nothing from the rules that read
// it.
func (ps *Policies) MissingAttributes() int64 { return ps.missing.Load() }

// checkMissing warns, once per user (of the last DefaultCacheSize seen),
// of each declared attribute that a policy concerning the user reads and
// the user's claims lack, and counts the user once. A policy concerns the
// user when it applies, or when its when failed for want of an attribute;
// an attribute read only by policies whose when excludes the user (a
// group they are not in) is not missing: it would decide nothing.
func (ps *Policies) checkMissing(p *auth.Principal, applied []string) {
	if _, seen := ps.warned.Get(p.Email); seen {
		return
	}
	ps.warned.Put(p.Email, struct{}{})
	missing := false
	for _, a := range ps.attrs {
		if !slices.ContainsFunc(a.readers, func(pol string) bool { return slices.Contains(applied, pol) }) {
			continue
		}
		if _, ok := p.Attributes[a.name]; !ok {
			missing = true
			ps.log.Warn("user lacks a declared attribute: the rules that read it grant nothing",
				"user", p.Email, "attribute", a.name, "policies", a.policies)
		}
	}
	if missing {
		ps.missing.Add(1)
	}
}
