package semantic

import (
	"slices"
	"strings"
	"unicode"

	"cel.dev/cel-go/cel"

	"github.com/agentlayer/agentlayer/internal/yamldoc"
)

// Pos is a position in a model file.
type Pos = yamldoc.Pos

// Problem is one thing wrong with a model file.
type Problem = yamldoc.Problem

// Error lists every problem found in a model file, sorted by position.
// Load returns one, wrapped in nothing, so errors.As(err, new(*Error)) finds
// it; a policy's problems are a *permissions.Error instead.
type Error struct{ yamldoc.List }

// NewError returns an *Error holding problems, sorted, or nil if there are
// none.
func NewError(problems []Problem) error {
	if len(problems) == 0 {
		return nil
	}
	return &Error{yamldoc.Sorted(problems)}
}

// Model is a loaded, validated semantic model. It is immutable and safe for
// concurrent use.
type Model struct {
	Version  int
	Database Database
	Tables   []*Table  // in file order
	Metrics  []*Metric // in file order
	// File is the path the model was read from; relative sources resolve
	// against its directory.
	File string
	// PositionalIDs is set when no id lock numbered the field ids: they
	// are positions in the wide column lists, and move when fields are
	// added (semantic.LockFile, agentlayer ids update).
	PositionalIDs bool

	// partial marks a model ParsePartial returned with its problems;
	// unnamed, that some table's name could not be read.
	partial, unnamed bool

	tablesByID   map[int]*Table
	tablesByName map[string]*Table
	segments     map[int]*Segment
	measures     map[int]*Measure
	metrics      map[int]*Metric
}

// Database describes the data the model covers.
type Database struct {
	Name        string
	Description string
}

// Partial reports whether the model is what ParsePartial loaded of a model
// with problems: fit for checking a policy against, not for queries.
func (m *Model) Partial() bool { return m.partial }

// Incomplete reports whether a partial model may lack a table the file
// has: one whose name could not be read.
func (m *Model) Incomplete() bool { return m.unnamed }

// Table returns the table with the given id, or nil.
func (m *Model) Table(id int) *Table { return m.tablesByID[id] }

// TableByName returns the table with the given physical name, or nil.
func (m *Model) TableByName(name string) *Table { return m.tablesByName[name] }

// Segment returns the segment with the given id, or nil.
func (m *Model) Segment(id int) *Segment { return m.segments[id] }

// Measure returns the measure with the given id, or nil.
func (m *Model) Measure(id int) *Measure { return m.measures[id] }

// Metric returns the metric with the given id, or nil.
func (m *Model) Metric(id int) *Metric { return m.metrics[id] }

// Table is a queryable table: a DuckDB table or view, a SELECT, or a file.
type Table struct {
	ID          int
	Name        string // the physical name
	DisplayName string
	Description string
	Synonyms    []string
	Source      Source
	Fields      []*Field // in model order
	Segments    []*Segment
	Measures    []*Measure
	// TimeDimension is the date or timestamp a question about "when"
	// means by default; nil when the model names none.
	TimeDimension *Field
	Pos           Pos

	model   *Model
	wide    []WideField
	byIndex map[int]int // field id number → position in wide
	rels    []*Field    // the foreign keys, in field order
	env     *cel.Env
	broken  bool
}

// Broken reports whether the table, in a partial model, has a problem:
// nothing about it can be checked.
func (t *Table) Broken() bool { return t.broken }

// Model returns the model the table belongs to.
func (t *Table) Model() *Model { return t.model }

// Field returns the field with the given name, or nil.
func (t *Table) Field(name string) *Field {
	for _, f := range t.Fields {
		if f.Name == name {
			return f
		}
	}
	return nil
}

// Wide is the table's wide column list (docs/api.md, "Field ids"): its own
// fields in model order, then for each foreign key in order, the fields of
// the table it references, then the fields it exposes from further away.
// WideField.Index is the n of the field id t<id>-<n>: the number the id
// lock gives it, or its position without one.
func (t *Table) Wide() []WideField { return t.wide }

// WideField returns the entry of the wide column list whose field id
// number is n.
func (t *Table) WideField(n int) (WideField, bool) {
	i, ok := t.byIndex[n]
	if !ok {
		return WideField{}, false
	}
	return t.wide[i], true
}

// Own returns the entry of the wide column list of one of the table's own
// fields.
func (t *Table) Own(f *Field) WideField { return t.wide[f.Index] }

// ForeignKeys returns the table's foreign-key fields in model order.
func (t *Table) ForeignKeys() []*Field { return t.rels }

// Env returns the CEL environment in which the table's expressions are
// checked: `row` holds the table's fields and, under each foreign key's
// relationship name, the fields of the referenced table.
func (t *Table) Env() *cel.Env { return t.env }

// Relationship returns the foreign key with the given relationship name.
func (t *Table) Relationship(name string) *Field {
	for _, f := range t.rels {
		if f.Relationship == name {
			return f
		}
	}
	return nil
}

// SourceKind says where a table's rows come from.
type SourceKind int

// The kinds of table source.
const (
	SourceTable   SourceKind = iota // a table or view in the database
	SourceSQL                       // a SELECT statement
	SourceParquet                   // Parquet file(s), path relative to the model
	SourceCSV                       // CSV file(s), path relative to the model
)

func (k SourceKind) String() string {
	return [...]string{"table", "sql", "parquet", "csv"}[k]
}

// Source is where a table's rows come from.
type Source struct {
	Kind SourceKind
	// Text is the table name, the SELECT statement, or the file path
	// (absolute, or relative to the working directory when the model was
	// given as bytes without a file name).
	Text string
	Pos  Pos
}

func (s Source) String() string { return s.Kind.String() + " " + s.Text }

// Field is a column of a table.
type Field struct {
	Table        *Table
	Index        int // position in Table.Fields
	Name         string
	Column       string // the physical column name
	DisplayName  string
	Description  string
	SemanticType string // e.g. type/PK, type/Category; "" when none
	Synonyms     []string
	// References is the primary key this foreign key points to, or nil.
	References *Field
	// Relationship names the reference in expressions: row.<Relationship>.<FIELD>.
	Relationship string
	Type         Type
	// Decimals is how many decimals answers show of the field's values and
	// sums (rounded in the answer, never in the data); -1 when the model
	// says nothing. A currency without decimals means 2.
	Decimals int
	// Currency is the ISO 4217 code of a money field ("USD"); "" for none.
	Currency string
	// Bins are the edges of a numeric field's bins, ascending (the model's
	// bins): under aggregate-only access, the only bounds a filter may
	// compare a floating-point or decimal field with. nil for none.
	Bins []float64
	// identifying is the model's identifying: true.
	identifying bool
	Pos         Pos
}

// personTypes are the semantic types that name or locate a person.
var personTypes = []string{"type/Email", "type/Name", "type/Address", "type/Phone", "type/Birthdate", "type/ZipCode"}

// Identifying reports whether the field identifies a row or a person: a
// key (primary or foreign), a field whose semantic type names or locates a
// person (email, name, address, phone, birth date, zip code), or one the
// model marks identifying: true. Aggregate-only access never groups or
// filters by one.
func (f *Field) Identifying() bool {
	return f.identifying || f.SemanticType == "type/PK" || f.References != nil || slices.Contains(personTypes, f.SemanticType)
}

// ID returns the field's wide id within its own table: t<table>-<n>.
func (f *Field) ID() string { return TablePrefix(f.Table.ID).ID(f.Table.wide[f.Index].Index) }

func (f *Field) String() string { return f.Table.Name + "." + f.Name }

// WideField is one entry of a table's wide column list.
type WideField struct {
	Index int
	Field *Field
	// Via is the foreign key of the base table through which Field is
	// reached, or nil for the base table's own fields.
	Via *Field
	// Path is every foreign key followed from the base table to Field's
	// table, Via first: one for a related field, up to MaxHops for a field
	// a table exposes from further away (expose: [USER.ACCOUNT]); nil for
	// the base table's own fields.
	Path []*Field
}

// MaxHops is how many relationships an expression or an exposed field may
// follow from its table.
const MaxHops = 4

// Name is the field's name as expressions and requests spell it from the
// base table: CREATED_AT, USER.STATE, USER.ACCOUNT.REGION.
func (w WideField) Name() string {
	var b strings.Builder
	for _, fk := range w.Path {
		b.WriteString(fk.Relationship)
		b.WriteByte('.')
	}
	b.WriteString(w.Field.Name)
	return b.String()
}

// Relationships is the path's relationship names, dotted: USER.ACCOUNT;
// "" for the base table's own fields.
func (w WideField) Relationships() string { return relationshipPath(w.Path) }

func relationshipPath(path []*Field) string {
	names := make([]string, len(path))
	for i, fk := range path {
		names[i] = fk.Relationship
	}
	return strings.Join(names, ".")
}

// DisplayName is the field's display name, prefixed for a related field by
// its relationships ("Product → Category", "User → Account → Region").
func (w WideField) DisplayName() string {
	var b strings.Builder
	for _, fk := range w.Path {
		b.WriteString(relationshipLabel(fk))
		b.WriteString(" → ")
	}
	b.WriteString(w.Field.DisplayName)
	return b.String()
}

func relationshipLabel(fk *Field) string {
	label := strings.TrimSuffix(fk.DisplayName, " ID")
	if label == "" {
		return fk.References.Table.DisplayName
	}
	return label
}

// Segment is a named filter on a table.
type Segment struct {
	ID          int
	Name        string
	Description string
	Table       *Table
	Filter      *Expr
	Pos         Pos
}

// AggFunc is an aggregation function.
type AggFunc string

// The aggregation functions.
const (
	AggCount         AggFunc = "count"
	AggSum           AggFunc = "sum"
	AggAvg           AggFunc = "avg"
	AggMin           AggFunc = "min"
	AggMax           AggFunc = "max"
	AggCountDistinct AggFunc = "count-distinct"
)

// AggFuncs lists every aggregation function.
var AggFuncs = []AggFunc{AggCount, AggSum, AggAvg, AggMin, AggMax, AggCountDistinct}

// Aggregation is a function over a field (no field for count).
type Aggregation struct {
	Func  AggFunc
	Field *Field
}

// Measure is a named aggregation of a table, optionally filtered.
type Measure struct {
	ID          int
	Name        string
	Description string
	Table       *Table
	Aggregation Aggregation
	Filter      *Expr
	Pos         Pos
}

// Metric is a named, reusable aggregation over a table.
type Metric struct {
	ID          int
	Name        string
	Description string
	Verified    bool
	Synonyms    []string
	Table       *Table
	Aggregation Aggregation
	// Measure is the measure the metric is defined by, if any; its
	// aggregation and filter are the metric's.
	Measure *Measure
	Filter  *Expr
	// TimeDimension is the default time field, or nil.
	TimeDimension *Field
	Pos           Pos
}

// Filters returns every filter that applies to the metric: its measure's and
// its own.
func (m *Metric) Filters() []*Expr {
	var out []*Expr
	if m.Measure != nil && m.Measure.Filter != nil {
		out = append(out, m.Measure.Filter)
	}
	if m.Filter != nil {
		out = append(out, m.Filter)
	}
	return out
}

// Expr is a CEL expression over `row`, checked against its table.
type Expr struct {
	Source string
	AST    *cel.Ast // checked; its output type is bool
	Table  *Table
	// Env is the environment it was checked in: its table's, with `user`
	// for a segment (whose filter may read who asks, as a rule does).
	Env  *cel.Env
	span yamldoc.Span
}

// Pos returns the position of the expression in its file.
func (e *Expr) Pos() Pos { return e.span.Start }

// Problem returns a problem at a position inside the expression, as CEL
// reports it (line from 1, column from 0), positioned in the file.
func (e *Expr) Problem(line, col int, msg string) Problem { return e.span.Problem(line, col, msg) }

// Humanize turns a physical name into a display name: ORDERS → Orders,
// USER_ID → User ID, createdAt → Created At.
func Humanize(name string) string {
	var words []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			words = append(words, string(cur))
			cur = cur[:0]
		}
	}
	runes := []rune(name)
	for i, r := range runes {
		switch {
		case r == '_' || r == '-' || r == ' ' || r == '.':
			flush()
		case unicode.IsUpper(r) && i > 0 && unicode.IsLower(runes[i-1]):
			flush()
			cur = append(cur, r)
		default:
			cur = append(cur, r)
		}
	}
	flush()
	for i, w := range words {
		lw := strings.ToLower(w)
		switch lw {
		case "id", "url", "uuid", "ean", "sku", "ip":
			words[i] = strings.ToUpper(lw)
		default:
			r := []rune(lw)
			r[0] = unicode.ToUpper(r[0])
			words[i] = string(r)
		}
	}
	return strings.Join(words, " ")
}
