// The loader of relationships: foreign keys, what a table exposes of its
// related tables, and the paths CEL reads through them.

package semantic

import (
	"fmt"
	"strings"

	"github.com/agentlayer/agentlayer/internal/suggest"
)

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
