package semantic

import (
	"bytes"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/agentlayer/agentlayer/internal/yamldoc"
)

// The id lock file keeps field ids stable across model edits. A field id
// t<table>-<n> names entry n of the table's wide column list; without a
// lock, n is the entry's position, so adding a field moves the ids of the
// fields after it. With one, n is the number the lock gives the field's
// name (CREATED_AT, USER.STATE, USER.ACCOUNT.REGION): a field keeps its
// number, a new one gets the table's next number, and a removed field's
// number is never given again.

// IDLock is a parsed id lock file.
type IDLock struct {
	File   string
	Tables map[string]*LockedTable // by table name
}

// LockedTable is the ids of one table's wide column list.
type LockedTable struct {
	// Next is the number the next new field gets: above every number ever
	// given, removed fields' included.
	Next int
	// IDs numbers each field by its name from the table: ID, USER.STATE.
	IDs map[string]int
}

// LockFile is the path of a model's id lock file: model.ids.yaml beside
// model.yaml.
func LockFile(model string) string {
	ext := filepath.Ext(model)
	return strings.TrimSuffix(model, ext) + ".ids.yaml"
}

// ParseIDLock reads an id lock file; file names it in errors.
func ParseIDLock(file string, data []byte) (*IDLock, error) {
	doc, root := yamldoc.Parse(file, data)
	if root == nil {
		return nil, NewError(doc.Problems())
	}
	lock := &IDLock{File: file, Tables: map[string]*LockedTable{}}
	top := doc.Mapping(root, "the id lock file", "version", "tables")
	if top == nil {
		return nil, NewError(doc.Problems())
	}
	if v := doc.Require(top, root, "the id lock file", "version"); v != nil {
		if n, ok := doc.Int(v, "version"); ok && n != 1 {
			doc.Errorf(v, "unsupported id lock version %d (this agentlayer reads version 1)", n)
		}
	}
	tables := doc.Require(top, root, "the id lock file", "tables")
	if tables != nil && tables.Kind != 4 { // yaml.MappingNode
		doc.Errorf(tables, "tables must be a mapping of table names")
		tables = nil
	}
	for i := 0; tables != nil && i+1 < len(tables.Content); i += 2 {
		name, tn := tables.Content[i].Value, tables.Content[i+1]
		keys := doc.Mapping(tn, "table "+name, "next", "ids")
		if keys == nil {
			continue
		}
		lt := &LockedTable{IDs: map[string]int{}}
		if n := doc.Require(keys, tn, "table "+name, "next"); n != nil {
			lt.Next, _ = doc.Int(n, "next")
		}
		ids := doc.Require(keys, tn, "table "+name, "ids")
		if ids != nil && ids.Kind != 4 {
			doc.Errorf(ids, "ids of table %s must be a mapping of field names to numbers", name)
			ids = nil
		}
		used := map[int]string{}
		for j := 0; ids != nil && j+1 < len(ids.Content); j += 2 {
			field, vn := ids.Content[j].Value, ids.Content[j+1]
			n, ok := doc.Int(vn, "id")
			switch {
			case !ok:
			case n < 0 || n >= lt.Next:
				doc.Errorf(vn, "table %s, %s: id %d is not below next (%d)", name, field, n, lt.Next)
			case used[n] != "":
				doc.Errorf(vn, "table %s: %s and %s have the same id %d", name, used[n], field, n)
			default:
				used[n] = field
				lt.IDs[field] = n
			}
		}
		lock.Tables[name] = lt
	}
	if err := NewError(doc.Problems()); err != nil {
		return nil, err
	}
	return lock, nil
}

// IDChanges is what updating a lock does: the fields given a number, and
// those whose number is retired (their field left the model).
type IDChanges struct {
	Added   []string // TABLE.FIELD t<table>-<n>
	Retired []string
}

// Empty reports whether nothing changes.
func (c IDChanges) Empty() bool { return len(c.Added) == 0 && len(c.Retired) == 0 }

// UpdateIDs is the lock of model m after prev: every field prev numbers
// keeps its number, each new one gets its table's next, and the numbers of
// fields m no longer has are retired, never given again. With no prev, the
// numbers are today's positions, so nothing moves for existing users.
func UpdateIDs(m *Model, prev *IDLock) (*IDLock, IDChanges) {
	out := &IDLock{Tables: map[string]*LockedTable{}}
	var ch IDChanges
	for _, t := range m.Tables {
		lt := &LockedTable{IDs: map[string]int{}}
		var old *LockedTable
		if prev != nil {
			old = prev.Tables[t.Name]
		}
		if old != nil {
			lt.Next = old.Next
		}
		for i, w := range t.wide {
			name := w.Name()
			n, ok := 0, false
			if old != nil {
				n, ok = old.IDs[name]
			}
			switch {
			case ok:
			case prev == nil:
				n = i // seeded from the positional ids
				lt.Next = max(lt.Next, i+1)
			default:
				n = lt.Next
				lt.Next++
				ch.Added = append(ch.Added, fmt.Sprintf("%s.%s %s", t.Name, name, TablePrefix(t.ID).ID(n)))
			}
			lt.IDs[name] = n
		}
		if old != nil {
			for name, n := range old.IDs {
				if _, ok := lt.IDs[name]; !ok {
					ch.Retired = append(ch.Retired, fmt.Sprintf("%s.%s %s", t.Name, name, TablePrefix(t.ID).ID(n)))
				}
			}
		}
		out.Tables[t.Name] = lt
	}
	slices.Sort(ch.Retired)
	return out, ch
}

// Marshal writes the lock for model m: its tables in model order, each
// table's fields in wide-list order.
func (l *IDLock) Marshal(m *Model) []byte {
	var b bytes.Buffer
	b.WriteString(`# The field ids of the model beside this file: t<table>-<n> is field n of
# table <table> (own fields, then those of related tables, then those it
# exposes). Written by agentlayer ids update; check it in with the model.
# A field keeps its number across edits, a new field gets its table's next
# number, and a removed field's number is never given again.
version: 1
tables:
`)
	for _, t := range m.Tables {
		lt := l.Tables[t.Name]
		if lt == nil {
			continue
		}
		fmt.Fprintf(&b, "  %s:\n    next: %d\n    ids:\n", yamlKey(t.Name), lt.Next)
		for _, w := range t.wide {
			if n, ok := lt.IDs[w.Name()]; ok {
				fmt.Fprintf(&b, "      %s: %d\n", yamlKey(w.Name()), n)
			}
		}
	}
	return b.Bytes()
}

// yamlKey writes a name as a YAML key, quoted unless it is plainly safe.
func yamlKey(s string) string {
	for _, r := range s {
		if !(r == '_' || r == '.' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			return strconv.Quote(s)
		}
	}
	if s == "" || s[0] >= '0' && s[0] <= '9' {
		return strconv.Quote(s)
	}
	switch strings.ToLower(s) {
	case "true", "false", "yes", "no", "on", "off", "null", "y", "n":
		return strconv.Quote(s)
	}
	return s
}

// applyIDs numbers the wide column lists as lock says, or by position
// without a lock; a field the lock does not number makes the lock stale,
// which is a problem of the model, with the command that fixes it.
func (l *loader) applyIDs(lock *IDLock) {
	var missing []string
	var at *Table // the first table with a field the lock does not number
	for _, rt := range l.tables {
		t := rt.t
		t.byIndex = make(map[int]int, len(t.wide))
		if lock == nil {
			for i := range t.wide {
				t.wide[i].Index = i
				t.byIndex[i] = i
			}
			continue
		}
		lt := lock.Tables[t.Name]
		for i := range t.wide {
			name := t.wide[i].Name()
			n, ok := 0, false
			if lt != nil {
				n, ok = lt.IDs[name]
			}
			if !ok {
				if at == nil {
					at = t
				}
				missing = append(missing, t.Name+"."+name)
				continue
			}
			t.wide[i].Index = n
			t.byIndex[n] = i
		}
	}
	if len(missing) > 0 {
		what := "field " + missing[0] + " has"
		switch {
		case len(missing) > 5:
			what = fmt.Sprintf("fields %s and %d more have", strings.Join(missing[:5], ", "), len(missing)-5)
		case len(missing) > 1:
			what = "fields " + strings.Join(missing, ", ") + " have"
		}
		l.doc.ErrorAt(at.Pos, "%s no id in %s, which is stale: run agentlayer ids update --model %s, and check in the lock file with the model",
			what, lock.File, l.m.File)
	}
	l.m.PositionalIDs = lock == nil
}
