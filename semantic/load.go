package semantic

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"slices"

	"gopkg.in/yaml.v3"

	"github.com/agentlayer/agentlayer/internal/suggest"
	"github.com/agentlayer/agentlayer/internal/yamldoc"
)

// Version is the model file format this package reads.
const Version = 1

// Options control how a model is loaded. The zero value checks the model on
// its own, without a database.
type Options struct {
	// Describe returns the columns of a table's source, in order. When set,
	// every field must name an existing column and a declared type must match
	// the column's. When nil, every field must declare its type.
	Describe func(src Source) ([]SourceColumn, error)
	// IDs is the model's id lock (ParseIDLock of model.ids.yaml), which
	// numbers the field ids; nil numbers them by position, so that adding
	// a field moves the ids after it (Model.PositionalIDs). A lock that
	// does not number every field is stale: a problem of the model.
	IDs *IDLock
}

// ErrNotDescribed is what Options.Describe returns for a source it cannot
// describe (a table, when only files can be read): that table's fields are
// checked as without a database, and must declare their types.
var ErrNotDescribed = errors.New("semantic: source not described")

// SourceColumn is a column of a source as the database describes it.
type SourceColumn struct {
	Name string
	Type string
}

// Load reads and validates the model file at path, numbering its field ids
// by the id lock file beside it (LockFile) when there is one and opts has
// none. On failure the error is an *Error listing every problem found.
func Load(path string, opts Options) (*Model, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read model: %w", err)
	}
	if opts.IDs == nil {
		if opts.IDs, err = ReadIDLock(LockFile(path)); err != nil {
			return nil, err
		}
	}
	return Parse(path, data, opts)
}

// ReadIDLock reads the id lock file at path: nil, and no error, when there
// is none.
func ReadIDLock(path string) (*IDLock, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read id lock: %w", err)
	}
	return ParseIDLock(path, data)
}

// Parse reads and validates a model from data; file names it in errors, and
// relative sources resolve against its directory.
func Parse(file string, data []byte, opts Options) (*Model, error) {
	m, err := ParsePartial(file, data, opts)
	if err != nil {
		return nil, err
	}
	return m, nil
}

func newLoader(doc *yamldoc.Doc, file string, opts Options) *loader {
	return &loader{doc: doc, opts: opts, m: &Model{
		File:         file,
		tablesByID:   map[int]*Table{},
		tablesByName: map[string]*Table{},
		segments:     map[int]*Segment{},
		measures:     map[int]*Measure{},
		metrics:      map[int]*Metric{},
	}}
}

// ParsePartial is Parse, but on failure it also returns what loaded: the
// model's tables, those with a problem marked Broken, so that a policy can
// be checked against the rest in the same run (permissions.Compile skips
// what depends on a broken table). Such a model must not serve queries.
func ParsePartial(file string, data []byte, opts Options) (*Model, error) {
	doc, root := yamldoc.Parse(file, data)
	if root == nil {
		return nil, NewError(doc.Problems())
	}
	l := newLoader(doc, file, opts)
	l.model(root)
	err := NewError(doc.Problems())
	if err != nil {
		l.markBroken(doc.Problems())
	}
	return l.m, err
}

// markBroken marks the tables a problem lies in, or that could not load.
func (l *loader) markBroken(problems []Problem) {
	l.m.partial = true
	for i, rt := range l.tables {
		t := rt.t
		end := int(^uint(0) >> 1)
		if i+1 < len(l.tables) {
			end = l.tables[i+1].t.Pos.Line
		}
		t.broken = t.env == nil || t.Name == ""
		for _, p := range problems {
			if p.Pos.File == l.m.File && p.Pos.Line >= t.Pos.Line && p.Pos.Line < end {
				t.broken = true
			}
		}
		if t.Name == "" {
			l.m.unnamed = true
		}
	}
}

// rawTable keeps the nodes of a table that later passes decode.
type rawTable struct {
	t        *Table
	keys     map[string]*yaml.Node
	fields   []map[string]*yaml.Node
	segments *yaml.Node
	measures *yaml.Node
	expose   *yaml.Node
}

type loader struct {
	doc    *yamldoc.Doc
	opts   Options
	m      *Model
	tables []*rawTable
}

var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func (l *loader) model(root *yaml.Node) {
	d := l.doc
	top := d.Mapping(root, "the model", "version", "database", "tables", "metrics")
	if top == nil {
		return
	}
	// The version decides how everything else reads: check it first.
	v := d.Require(top, root, "the model", "version")
	if v == nil {
		return
	}
	version, ok := d.Int(v, "version")
	if !ok {
		return
	}
	if version != Version {
		d.Errorf(v, "unsupported model version %d (this agentlayer reads version %d)", version, Version)
		return
	}
	l.m.Version = version
	if db := d.Mapping(top["database"], "database", "name", "description"); db != nil {
		l.m.Database.Name, _ = d.String(db["name"], "database name")
		l.m.Database.Description, _ = d.String(db["description"], "database description")
	}
	tables := d.Seq(d.Require(top, root, "the model", "tables"), "tables")
	for _, n := range tables {
		l.table(n)
	}
	if top["tables"] != nil && len(tables) == 0 && !d.Failed() {
		d.Errorf(top["tables"], "the model has no tables")
	}
	for _, rt := range l.tables {
		l.references(rt)
	}
	for _, rt := range l.tables {
		l.types(rt)
		l.timeDimension(rt)
		for i, f := range rt.t.Fields {
			if f.Bins != nil && f.Type.Kind != KindUnknown && !f.Type.Kind.IsNumeric() {
				d.Errorf(rt.fields[i]["bins"], "field %s: bins apply to numbers; it is %s", f.Name, f.Type.Kind.Words())
			}
		}
	}
	for _, rt := range l.tables {
		l.relationships(rt)
	}
	for _, rt := range l.tables {
		l.expose(rt)
	}
	l.applyIDs(l.opts.IDs)
	for _, rt := range l.tables {
		l.env(rt)
	}
	for _, rt := range l.tables {
		l.segments(rt)
		l.measures(rt)
	}
	for _, n := range d.Seq(top["metrics"], "metrics") {
		l.metric(n)
	}
}

func (l *loader) unknown(n *yaml.Node, what, name string, candidates []string, msg string) {
	if s := suggest.Closest(name, candidates); s != "" {
		l.doc.Errorf(n, "%s (did you mean %s?)", msg, s)
		return
	}
	l.doc.Errorf(n, "%s", msg)
}

func tableNames(m *Model) []string {
	var out []string
	for name := range m.tablesByName {
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}

func fieldNames(t *Table) []string {
	var out []string
	for _, f := range t.Fields {
		out = append(out, f.Name)
	}
	return out
}

// id decodes a positive, unused id; taken reports a previous owner.
func (l *loader) id(keys map[string]*yaml.Node, n *yaml.Node, what string, taken func(int) (string, bool)) int {
	idn := l.doc.Require(keys, n, what, "id")
	if idn == nil {
		return 0
	}
	id, ok := l.doc.Int(idn, what+" id")
	if !ok {
		return 0
	}
	if id <= 0 {
		l.doc.Errorf(idn, "%s id must be a positive integer, not %d", what, id)
		return 0
	}
	if prev, dup := taken(id); dup {
		l.doc.Errorf(idn, "%s id %d is already used by %s", what, id, prev)
		return 0
	}
	return id
}

func (l *loader) name(keys map[string]*yaml.Node, n *yaml.Node, what string, seen map[string]bool) string {
	nn := l.doc.Require(keys, n, what, "name")
	if nn == nil {
		return ""
	}
	name, ok := l.doc.NonEmpty(nn, what+" name")
	if !ok {
		return ""
	}
	if seen[name] {
		l.doc.Errorf(nn, "%s name %q is already used", what, name)
	}
	seen[name] = true
	return name
}
