// The loader of a table: its fields, source, types, display and time
// dimension.

package semantic

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/agentlayer/agentlayer/internal/suggest"
	"gopkg.in/yaml.v3"
)

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
	byName := make(map[string]SourceColumn, len(cols))
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
