package semantic

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

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
	Describe func(src Source) ([]Column, error)
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

// Column is a column of a source as the database describes it.
type Column struct {
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

func (l *loader) table(n *yaml.Node) {
	d := l.doc
	keys := d.Mapping(n, "table", "id", "name", "display_name", "description", "synonyms", "source", "fields", "segments", "measures", "default_time_dimension", "expose")
	if keys == nil {
		return
	}
	t := &Table{model: l.m, Pos: d.Pos(n)}
	rt := &rawTable{t: t, keys: keys, segments: keys["segments"], measures: keys["measures"], expose: keys["expose"]}
	if idn := d.Require(keys, n, "table", "id"); idn != nil {
		if id, ok := d.Int(idn, "table id"); ok {
			switch {
			case id <= 0:
				d.Errorf(idn, "table id must be a positive integer, not %d", id)
			case l.m.tablesByID[id] != nil:
				d.Errorf(idn, "table id %d is already used by table %s (line %d)", id, l.m.tablesByID[id].Name, l.m.tablesByID[id].Pos.Line)
			default:
				t.ID = id
				l.m.tablesByID[id] = t
			}
		}
	}
	if nn := d.Require(keys, n, "table", "name"); nn != nil {
		if name, ok := d.NonEmpty(nn, "table name"); ok {
			if prev := l.m.tablesByName[name]; prev != nil {
				d.Errorf(nn, "table name %s is already used (line %d)", name, prev.Pos.Line)
			} else {
				t.Name = name
				l.m.tablesByName[name] = t
			}
		}
	}
	t.DisplayName, _ = d.String(keys["display_name"], "display_name")
	if t.DisplayName == "" {
		t.DisplayName = Humanize(t.Name)
	}
	t.Description, _ = d.String(keys["description"], "description")
	t.Synonyms = d.Strings(keys["synonyms"], "synonyms")
	t.Source = l.source(keys["source"], t.Name, n)

	fieldNodes := d.Seq(d.Require(keys, n, "table", "fields"), "fields")
	if keys["fields"] != nil && len(fieldNodes) == 0 && keys["fields"].Kind == yaml.SequenceNode {
		d.Errorf(keys["fields"], "table %s has no fields", t.Name)
	}
	for _, fn := range fieldNodes {
		if f, fk := l.field(t, fn); f != nil {
			t.Fields = append(t.Fields, f)
			rt.fields = append(rt.fields, fk)
		}
	}
	l.tables = append(l.tables, rt)
	l.m.Tables = append(l.m.Tables, t)
}

// field decodes a field of table t, with the nodes of its keys for the
// passes that follow.
func (l *loader) field(t *Table, fn *yaml.Node) (*Field, map[string]*yaml.Node) {
	d := l.doc
	fk := d.Mapping(fn, "field", "name", "column", "display_name", "description", "semantic_type", "references", "relationship", "synonyms", "type", "decimals", "currency", "identifying", "bins")
	if fk == nil {
		return nil, nil
	}
	f := &Field{Table: t, Index: len(t.Fields), Pos: d.Pos(fn), Decimals: -1}
	if nn := d.Require(fk, fn, "field", "name"); nn != nil {
		if name, ok := d.NonEmpty(nn, "field name"); ok {
			if prev := t.Field(name); prev != nil {
				d.Errorf(nn, "field %s appears twice in table %s (first on line %d)", name, t.Name, prev.Pos.Line)
			}
			f.Name = name
		}
	}
	f.Column, _ = d.String(fk["column"], "column")
	if f.Column == "" {
		f.Column = f.Name
	}
	f.DisplayName, _ = d.String(fk["display_name"], "display_name")
	if f.DisplayName == "" {
		f.DisplayName = Humanize(f.Name)
	}
	f.Description, _ = d.String(fk["description"], "description")
	f.Synonyms = d.Strings(fk["synonyms"], "synonyms")
	f.identifying, _ = d.Bool(fk["identifying"], "identifying")
	if st := fk["semantic_type"]; st != nil {
		if s, ok := d.String(st, "semantic_type"); ok {
			if slices.Contains(SemanticTypes, s) {
				f.SemanticType = s
			} else if sug := suggest.Closest(s, SemanticTypes); sug != "" {
				d.Errorf(st, "unknown semantic_type %q (did you mean %q?)", s, sug)
			} else {
				d.Errorf(st, "unknown semantic_type %q", s)
			}
		}
	}
	if tn := fk["type"]; tn != nil {
		if s, ok := d.NonEmpty(tn, "type"); ok {
			typ, err := ParseType(s)
			if err != nil {
				d.Errorf(tn, "field %s: %v", f.Name, err)
			}
			f.Type = typ
		}
	}
	l.display(f, fk)
	l.bins(f, fk["bins"])
	return f, fk
}

// maxBins bounds a field's bin edges.
const maxBins = 64

// bins reads a numeric field's bin edges: ascending numbers, the only
// bounds a filter may compare the field with under aggregate-only access.
func (l *loader) bins(f *Field, n *yaml.Node) {
	if n == nil {
		return
	}
	d := l.doc
	items := d.Seq(n, "bins")
	if len(items) == 0 || len(items) > maxBins {
		d.Errorf(n, "field %s: bins must list from 1 to %d ascending numbers (the edges of the bins)", f.Name, maxBins)
		return
	}
	for i, it := range items {
		v, err := strconv.ParseFloat(it.Value, 64)
		if it.Kind != yaml.ScalarNode || err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			d.Errorf(it, "field %s: bins[%d] must be a number, not %q", f.Name, i, it.Value)
			return
		}
		if i > 0 && v <= f.Bins[i-1] {
			d.Errorf(it, "field %s: bins must ascend: %s follows %s", f.Name, it.Value, strconv.FormatFloat(f.Bins[i-1], 'g', -1, 64))
			return
		}
		f.Bins = append(f.Bins, v)
	}
}

// currencyCode is an ISO 4217 code: three capital letters.
var currencyCode = regexp.MustCompile(`^[A-Z]{3}$`)

// display reads how answers show a field's numbers: decimals and currency.
func (l *loader) display(f *Field, fk map[string]*yaml.Node) {
	d := l.doc
	if n := fk["currency"]; n != nil {
		if c, ok := d.NonEmpty(n, "currency"); ok {
			if !currencyCode.MatchString(c) {
				d.Errorf(n, "field %s: currency %q is not an ISO 4217 code such as USD or EUR", f.Name, c)
			}
			f.Currency, f.Decimals = c, 2
		}
	}
	if n := fk["decimals"]; n != nil {
		if dec, ok := d.Int(n, "decimals"); ok {
			if dec < 0 || dec > 12 {
				d.Errorf(n, "field %s: decimals must be from 0 to 12, not %d", f.Name, dec)
			} else {
				f.Decimals = dec
			}
		}
	}
}

// timeDimension resolves a table's default_time_dimension, once its
// fields' types are known.
func (l *loader) timeDimension(rt *rawTable) {
	d, t := l.doc, rt.t
	tn := rt.keys["default_time_dimension"]
	if tn == nil {
		return
	}
	name, ok := d.NonEmpty(tn, "default_time_dimension")
	if !ok {
		return
	}
	switch f := t.Field(name); {
	case f == nil:
		l.unknown(tn, "field", name, fieldNames(t), fmt.Sprintf("table %s has no field %s", t.Name, name))
	case f.Type.Kind != KindUnknown && !f.Type.Kind.IsTemporal():
		d.Errorf(tn, "table %s: default_time_dimension %s is %s, not a date or timestamp", t.Name, name, f.Type.Database)
	default:
		t.TimeDimension = f
	}
}

func (l *loader) source(n *yaml.Node, name string, table *yaml.Node) Source {
	d := l.doc
	if n == nil {
		return Source{Kind: SourceTable, Text: name, Pos: d.Pos(table)}
	}
	keys := d.Mapping(n, "source", "table", "sql", "parquet", "csv")
	if keys == nil {
		return Source{}
	}
	var src Source
	found := 0
	for _, k := range []struct {
		key  string
		kind SourceKind
	}{{"table", SourceTable}, {"sql", SourceSQL}, {"parquet", SourceParquet}, {"csv", SourceCSV}} {
		v := keys[k.key]
		if v == nil {
			continue
		}
		found++
		text, ok := d.NonEmpty(v, "source "+k.key)
		if !ok {
			continue
		}
		src = Source{Kind: k.kind, Text: text, Pos: d.Pos(v)}
		switch k.kind {
		case SourceSQL:
			upper := strings.ToUpper(strings.TrimSpace(text))
			if !strings.HasPrefix(upper, "SELECT") && !strings.HasPrefix(upper, "WITH") && !strings.HasPrefix(upper, "FROM") {
				d.Errorf(v, "source sql must be a SELECT statement")
			}
			if strings.Contains(strings.TrimRight(strings.TrimSpace(text), ";"), ";") {
				d.Errorf(v, "source sql must be a single statement")
			}
			src.Text = strings.TrimRight(strings.TrimSpace(text), ";")
		case SourceParquet, SourceCSV:
			if !filepath.IsAbs(text) && l.m.File != "" {
				src.Text = filepath.Join(filepath.Dir(l.m.File), text)
			}
		}
	}
	if found != 1 {
		d.Errorf(n, "source needs exactly one of table, sql, parquet or csv")
	}
	return src
}

func (l *loader) references(rt *rawTable) {
	d := l.doc
	for i, f := range rt.t.Fields {
		ref := rt.fields[i]["references"]
		if ref == nil {
			continue
		}
		text, ok := d.NonEmpty(ref, "references")
		if !ok {
			continue
		}
		tableName, fieldName, found := strings.Cut(text, ".")
		if !found {
			d.Errorf(ref, "references must be TABLE.FIELD, not %q", text)
			continue
		}
		target := l.m.tablesByName[tableName]
		if target == nil {
			l.unknown(ref, "table", tableName, tableNames(l.m), fmt.Sprintf("field %s references unknown table %s", f.Name, tableName))
			continue
		}
		tf := target.Field(fieldName)
		if tf == nil {
			l.unknown(ref, "field", fieldName, fieldNames(target), fmt.Sprintf("field %s references unknown field %s.%s", f.Name, tableName, fieldName))
			continue
		}
		if tf.SemanticType != "type/PK" {
			d.Errorf(ref, "field %s references %s.%s, which is not a key: a foreign key must reference a field with semantic_type type/PK", f.Name, tableName, fieldName)
			continue
		}
		if f.SemanticType != "" && f.SemanticType != "type/FK" {
			d.Errorf(ref, "field %s has semantic_type %s but references %s: a foreign key's semantic_type is type/FK", f.Name, f.SemanticType, text)
			continue
		}
		f.SemanticType = "type/FK"
		f.References = tf
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

// types checks fields against the database, or requires declared types when
// there is none.
func (l *loader) types(rt *rawTable) {
	d := l.doc
	t := rt.t
	declared := func() {
		for i, f := range t.Fields {
			if f.Type.Kind == KindUnknown && rt.fields[i]["type"] == nil {
				d.ErrorAt(f.Pos, "field %s.%s has no type: declare one (type: BIGINT) or check the model against its database", t.Name, f.Name)
			}
		}
	}
	if l.opts.Describe == nil {
		declared()
		return
	}
	if t.Source.Text == "" {
		return // already reported
	}
	cols, err := l.opts.Describe(t.Source)
	if errors.Is(err, ErrNotDescribed) {
		declared()
		return
	}
	if err != nil {
		d.ErrorAt(t.Source.Pos, "table %s: cannot read source %s: %v", t.Name, t.Source, oneLine(err))
		return
	}
	byName := make(map[string]Column, len(cols))
	var names []string
	for _, c := range cols {
		byName[c.Name] = c
		names = append(names, c.Name)
	}
	for i, f := range t.Fields {
		c, ok := byName[f.Column]
		if !ok {
			at := rt.fields[i]["column"]
			if at == nil {
				at = rt.fields[i]["name"]
			}
			l.unknown(at, "column", f.Column, names, fmt.Sprintf("table %s, field %s: source %s has no column %q", t.Name, f.Name, t.Source, f.Column))
			continue
		}
		actual, err := ParseType(c.Type)
		if err != nil {
			d.ErrorAt(f.Pos, "table %s, field %s: column %q: %v", t.Name, f.Name, f.Column, err)
			continue
		}
		if tn := rt.fields[i]["type"]; tn != nil && f.Type.Kind != KindUnknown && !sameType(f.Type, actual) {
			d.Errorf(tn, "table %s, field %s is declared %s but column %q is %s", t.Name, f.Name, f.Type.Database, f.Column, actual.Database)
			continue
		}
		f.Type = actual
	}
}

func oneLine(err error) string {
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

// relationships names each foreign key and builds the wide column list.
func (l *loader) relationships(rt *rawTable) {
	d := l.doc
	t := rt.t
	t.wide = t.wide[:0]
	for _, f := range t.Fields {
		t.wide = append(t.wide, WideField{Index: len(t.wide), Field: f})
	}
	taken := map[string]bool{}
	for _, f := range t.Fields {
		taken[f.Name] = true
	}
	for i, f := range t.Fields {
		if f.References == nil {
			continue
		}
		rn := rt.fields[i]["relationship"]
		name, _ := d.String(rn, "relationship")
		switch {
		case name != "":
			if !identifier.MatchString(name) {
				d.Errorf(rn, "relationship %q must be an identifier (letters, digits and _)", name)
				continue
			}
		default:
			name = defaultRelationship(f, taken)
			if name == "" {
				d.ErrorAt(f.Pos, "field %s.%s: cannot name its relationship; add relationship: NAME", t.Name, f.Name)
				continue
			}
		}
		if taken[name] {
			at := rn
			if at == nil {
				at = rt.fields[i]["references"]
			}
			d.Errorf(at, "relationship %s of field %s clashes with a field or relationship of table %s", name, f.Name, t.Name)
			continue
		}
		taken[name] = true
		f.Relationship = name
		t.rels = append(t.rels, f)
		for _, rf := range f.References.Table.Fields {
			t.wide = append(t.wide, WideField{Index: len(t.wide), Field: rf, Via: f, Path: []*Field{f}})
		}
	}
	for i, f := range t.Fields {
		// A field whose references is wrong was reported there already.
		if f.References == nil && rt.fields[i]["relationship"] != nil && rt.fields[i]["references"] == nil {
			d.Errorf(rt.fields[i]["relationship"], "field %s has a relationship but no references", f.Name)
		}
	}
}

// expose adds to the wide column list the fields at the end of each path
// of relationships the table exposes: expose: [USER.ACCOUNT] adds every
// field of the account of an event's user; USER.ACCOUNT.REGION adds that
// one field.
func (l *loader) expose(rt *rawTable) {
	d := l.doc
	t := rt.t
	seen := map[string]bool{}
	for _, w := range t.wide {
		seen[w.Name()] = true
	}
	for _, n := range d.Seq(rt.expose, "expose") {
		text, ok := d.NonEmpty(n, "expose")
		if !ok {
			continue
		}
		path, field, msg := walkPath(t, strings.Split(text, "."), "", true)
		if msg == "" && len(path) < 2 {
			msg = fmt.Sprintf("the fields of %s are fields of %s already; expose paths of two to %d relationships", relationshipPath(path), t.Name, MaxHops)
		}
		if msg != "" {
			d.Errorf(n, "expose %s: %s", text, msg)
			continue
		}
		fields := path[len(path)-1].References.Table.Fields
		if field != nil {
			fields = []*Field{field}
		}
		added := make([]WideField, 0, len(fields))
		for _, f := range fields {
			w := WideField{Field: f, Via: path[0], Path: path}
			if seen[w.Name()] {
				d.Errorf(n, "expose %s: %s is exposed already", text, w.Name())
				added = nil
				break
			}
			added = append(added, w)
		}
		for _, w := range added {
			seen[w.Name()] = true
			w.Index = len(t.wide)
			t.wide = append(t.wide, w)
		}
	}
}

func fieldName(f *Field) string {
	if f == nil {
		return ""
	}
	return f.Name
}

// walkPath follows names from table t: relationships, then at most one
// field, as in USER.ACCOUNT.REGION. It returns the foreign keys followed
// and the field (nil when the path ends at a relationship and
// endAtRelationship allows it), or a message naming what is available
// where the path goes wrong.
func walkPath(t *Table, names []string, prefix string, endAtRelationship bool) (path []*Field, field *Field, msg string) {
	path, field, msg, _ = walkPathAt(t, names, prefix, endAtRelationship)
	return path, field, msg
}

// walkPathAt is walkPath, and the index of the name a problem is about.
func walkPathAt(t *Table, names []string, prefix string, endAtRelationship bool) (path []*Field, field *Field, msg string, at int) {
	cur := t
	for i, name := range names {
		where := "table " + cur.Name
		if len(path) > 0 {
			where = fmt.Sprintf("table %s (%s%s)", cur.Name, prefix, relationshipPath(path))
		}
		if rel := cur.Relationship(name); rel != nil {
			if len(path) == MaxHops {
				return nil, nil, fmt.Sprintf("%s%s follows more than %d relationships", prefix, strings.Join(names, "."), MaxHops), i
			}
			path = append(path, rel)
			cur = rel.References.Table
			continue
		}
		if f := cur.Field(name); f != nil {
			if i < len(names)-1 {
				if f.References != nil && f.Relationship != "" {
					return nil, nil, fmt.Sprintf("%s is a field of %s, not a relationship: follow the relationship %s instead", name, where, f.Relationship), i
				}
				return nil, nil, fmt.Sprintf("%s is a field of %s, not a relationship; %s", name, where, relationshipsAt(cur)), i
			}
			return path, f, "", -1
		}
		what := "field"
		candidates := fieldNames(cur)
		for _, r := range cur.rels {
			candidates = append(candidates, r.Relationship)
			what = "field or relationship"
		}
		msg := fmt.Sprintf("%s has no %s %s", where, what, name)
		if s := suggest.Closest(name, candidates); s != "" {
			msg += fmt.Sprintf(" (did you mean %s?)", s)
		}
		if len(cur.rels) > 0 {
			msg += "; " + relationshipsAt(cur)
		}
		return nil, nil, msg, i
	}
	if !endAtRelationship {
		at := prefix + strings.Join(names, ".")
		return nil, nil, fmt.Sprintf("%s is the relationship to %s: name one of its fields, as in %s.%s", at, cur.Name, at, cur.Fields[0].Name), len(names) - 1
	}
	return path, nil, "", -1
}

// relationshipsAt says which relationships table t has, for messages.
func relationshipsAt(t *Table) string {
	if len(t.rels) == 0 {
		return fmt.Sprintf("table %s has no relationships", t.Name)
	}
	var rels []string
	for _, r := range t.rels {
		rels = append(rels, r.Relationship+" → "+r.References.Table.Name)
	}
	return fmt.Sprintf("the relationships of %s are %s", t.Name, strings.Join(rels, ", "))
}

// defaultRelationship names a foreign key's relationship: USER_ID → USER,
// productId → product; else the referenced table's name.
func defaultRelationship(f *Field, taken map[string]bool) string {
	for _, suffix := range []string{"_ID", "_id", "Id", "ID"} {
		if base, ok := strings.CutSuffix(f.Name, suffix); ok && base != "" && identifier.MatchString(base) && !taken[base] {
			return base
		}
	}
	if name := f.References.Table.Name; identifier.MatchString(name) && !taken[name] {
		return name
	}
	return ""
}

func (l *loader) segments(rt *rawTable) {
	d := l.doc
	t := rt.t
	names := map[string]bool{}
	for _, n := range d.Seq(rt.segments, "segments") {
		keys := d.Mapping(n, "segment", "id", "name", "description", "filter")
		if keys == nil {
			continue
		}
		s := &Segment{Table: t, Pos: d.Pos(n)}
		s.ID = l.id(keys, n, "segment", func(id int) (string, bool) {
			if prev := l.m.segments[id]; prev != nil {
				return fmt.Sprintf("segment %s (line %d)", prev.Name, prev.Pos.Line), true
			}
			return "", false
		})
		s.Name = l.name(keys, n, "segment", names)
		s.Description, _ = d.String(keys["description"], "description")
		s.Filter = l.expr(t, d.Require(keys, n, "segment", "filter"), true)
		if s.ID > 0 {
			l.m.segments[s.ID] = s
		}
		t.Segments = append(t.Segments, s)
	}
}

func (l *loader) measures(rt *rawTable) {
	d := l.doc
	t := rt.t
	names := map[string]bool{}
	for _, n := range d.Seq(rt.measures, "measures") {
		keys := d.Mapping(n, "measure", "id", "name", "description", "aggregation", "filter")
		if keys == nil {
			continue
		}
		ms := &Measure{Table: t, Pos: d.Pos(n)}
		ms.ID = l.id(keys, n, "measure", func(id int) (string, bool) {
			if prev := l.m.measures[id]; prev != nil {
				return fmt.Sprintf("measure %s (line %d)", prev.Name, prev.Pos.Line), true
			}
			return "", false
		})
		ms.Name = l.name(keys, n, "measure", names)
		ms.Description, _ = d.String(keys["description"], "description")
		ms.Aggregation = l.aggregation(t, d.Require(keys, n, "measure", "aggregation"))
		if f := keys["filter"]; f != nil {
			ms.Filter = l.expr(t, f, false)
		}
		if ms.ID > 0 {
			l.m.measures[ms.ID] = ms
		}
		t.Measures = append(t.Measures, ms)
	}
}

func (l *loader) metric(n *yaml.Node) {
	d := l.doc
	keys := d.Mapping(n, "metric", "id", "name", "description", "verified", "synonyms", "table", "aggregation", "measure", "filter", "default_time_dimension")
	if keys == nil {
		return
	}
	mt := &Metric{Pos: d.Pos(n)}
	mt.ID = l.id(keys, n, "metric", func(id int) (string, bool) {
		if prev := l.m.metrics[id]; prev != nil {
			return fmt.Sprintf("metric %s (line %d)", prev.Name, prev.Pos.Line), true
		}
		return "", false
	})
	names := map[string]bool{}
	for _, other := range l.m.Metrics {
		names[other.Name] = true
	}
	mt.Name = l.name(keys, n, "metric", names)
	mt.Description, _ = d.String(keys["description"], "description")
	mt.Verified, _ = d.Bool(keys["verified"], "verified")
	mt.Synonyms = d.Strings(keys["synonyms"], "synonyms")
	if tn := d.Require(keys, n, "metric", "table"); tn != nil {
		if name, ok := d.NonEmpty(tn, "table"); ok {
			mt.Table = l.m.tablesByName[name]
			if mt.Table == nil {
				l.unknown(tn, "table", name, tableNames(l.m), fmt.Sprintf("metric %s: unknown table %s", mt.Name, name))
			}
		}
	}
	agg, meas := keys["aggregation"], keys["measure"]
	switch {
	case agg != nil && meas != nil:
		d.Errorf(meas, "metric %s has both an aggregation and a measure: give one", mt.Name)
	case agg == nil && meas == nil:
		d.Errorf(n, "metric %s needs an aggregation or a measure", mt.Name)
	case mt.Table == nil:
		// Reported above; nothing to resolve fields against.
	case agg != nil:
		mt.Aggregation = l.aggregation(mt.Table, agg)
	default:
		if id, ok := d.Int(meas, "measure"); ok {
			ms := l.m.measures[id]
			switch {
			case ms == nil:
				d.Errorf(meas, "metric %s: unknown measure %d", mt.Name, id)
			case ms.Table != mt.Table:
				d.Errorf(meas, "metric %s is on table %s but measure %d (%s) is on table %s", mt.Name, mt.Table.Name, id, ms.Name, ms.Table.Name)
			default:
				mt.Measure = ms
				mt.Aggregation = ms.Aggregation
			}
		}
	}
	if mt.Table != nil {
		if f := keys["filter"]; f != nil {
			mt.Filter = l.expr(mt.Table, f, false)
		}
		if tn := keys["default_time_dimension"]; tn != nil {
			if name, ok := d.NonEmpty(tn, "default_time_dimension"); ok {
				f := mt.Table.Field(name)
				switch {
				case f == nil:
					l.unknown(tn, "field", name, fieldNames(mt.Table), fmt.Sprintf("metric %s: table %s has no field %s", mt.Name, mt.Table.Name, name))
				case f.Type.Kind != KindUnknown && !f.Type.Kind.IsTemporal():
					d.Errorf(tn, "metric %s: default_time_dimension %s is %s, not a date or timestamp", mt.Name, name, f.Type.Database)
				default:
					mt.TimeDimension = f
				}
			}
		}
	}
	if mt.ID > 0 {
		l.m.metrics[mt.ID] = mt
	}
	l.m.Metrics = append(l.m.Metrics, mt)
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

func (l *loader) aggregation(t *Table, n *yaml.Node) Aggregation {
	d := l.doc
	keys := d.Mapping(n, "aggregation", "function", "field")
	if keys == nil {
		return Aggregation{}
	}
	var agg Aggregation
	fn := d.Require(keys, n, "aggregation", "function")
	if fn == nil {
		return agg
	}
	name, ok := d.String(fn, "function")
	if !ok {
		return agg
	}
	if !slices.Contains(AggFuncs, AggFunc(name)) {
		var all []string
		for _, f := range AggFuncs {
			all = append(all, string(f))
		}
		if sug := suggest.Closest(name, all); sug != "" {
			d.Errorf(fn, "unknown aggregation function %q (did you mean %s?)", name, sug)
		} else {
			d.Errorf(fn, "unknown aggregation function %q (expected one of %s)", name, strings.Join(all, ", "))
		}
		return agg
	}
	agg.Func = AggFunc(name)
	fieldNode := keys["field"]
	if agg.Func == AggCount {
		if fieldNode != nil {
			d.Errorf(fieldNode, "count takes no field (use count-distinct to count values)")
		}
		return agg
	}
	if fieldNode == nil {
		d.Errorf(n, "aggregation %s needs a field", name)
		return agg
	}
	fname, ok := d.NonEmpty(fieldNode, "field")
	if !ok {
		return agg
	}
	f := t.Field(fname)
	if f == nil {
		l.unknown(fieldNode, "field", fname, fieldNames(t), fmt.Sprintf("table %s has no field %s", t.Name, fname))
		return agg
	}
	if err := CheckAggregation(agg.Func, f); err != nil {
		d.Errorf(fieldNode, "%v", err)
		return agg
	}
	agg.Field = f
	return agg
}

// CheckAggregation reports whether fn can aggregate field f.
func CheckAggregation(fn AggFunc, f *Field) error {
	k := f.Type.Kind
	switch fn {
	case AggSum, AggAvg:
		if k != KindUnknown && !k.IsNumeric() {
			return fmt.Errorf("%s needs a numeric field; %s is %s", fn, f.Name, k.Words())
		}
	case AggMin, AggMax:
		if k == KindBoolean {
			return fmt.Errorf("%s cannot aggregate boolean field %s", fn, f.Name)
		}
	}
	return nil
}

// SemanticTypes lists the semantic types a field may declare.
var SemanticTypes = []string{
	"type/PK", "type/FK", "type/Category", "type/Name", "type/Title", "type/Description",
	"type/Comment", "type/Email", "type/URL", "type/ImageURL", "type/AvatarURL", "type/City",
	"type/State", "type/Country", "type/ZipCode", "type/Address", "type/Latitude",
	"type/Longitude", "type/Company", "type/Product", "type/Source", "type/User", "type/Owner",
	"type/Author", "type/Price", "type/Currency", "type/Income", "type/Discount", "type/Cost",
	"type/GrossMargin", "type/Quantity", "type/Score", "type/Share", "type/Percentage",
	"type/Duration", "type/Number", "type/Enum", "type/SerializedJSON", "type/Subscription",
	"type/CreationTimestamp", "type/CreationDate", "type/CreationTime", "type/UpdatedTimestamp",
	"type/UpdatedDate", "type/UpdatedTime", "type/DeletionTimestamp", "type/DeletionDate",
	"type/JoinTimestamp", "type/JoinDate", "type/CancelationTimestamp", "type/CancelationDate",
	"type/Birthdate",
}
