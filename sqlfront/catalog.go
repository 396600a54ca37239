// Package sqlfront maps a SQL statement onto the engine's logical request:
// the semantic SQL that the PostgreSQL wire adapter (pgwire) serves. It
// parses with PostgreSQL's own parser (pg_query, cgo), resolves every name
// against what one caller sees (a Catalog), and gives a construct request
// with the columns the statement returns. It decides nothing about access:
// the request is then constructed, planned, authorised and run by the
// engine exactly as the same JSON request is. It serves the SQL adapter;
// semantic, permissions and sqlgen link no C and never import it.
package sqlfront

import (
	"strings"
)

// Type is a column's type as a SQL client sees it.
type Type int

// The types.
const (
	TypeText Type = iota
	TypeBool
	TypeInt8
	TypeFloat8
	TypeNumeric
	TypeDate
	TypeTimestamp   // a wall-clock time (a bucketed timestamp)
	TypeTimestampTZ // an instant
)

// Catalog is what one caller sees of the model, by model names: the
// relations of SQL.
type Catalog struct {
	Tables []*Table
}

// Table is a table the caller sees.
type Table struct {
	ID          int
	Name        string
	Description string
	// Fields are the table's own fields the caller sees, in model order.
	Fields        []Field
	Relationships []Relationship
	Measures      []Named
	Segments      []Named
	Metrics       []Named
}

// Field is a field of a table, as the caller sees it.
type Field struct {
	Name        string
	Description string
	Type        Type
	Key         bool // the table's primary key
}

// Relationship leads from a table, by its foreign key, to another table
// the caller sees.
type Relationship struct {
	Name  string // USER, as in USER.STATE
	By    string // the foreign key field of the table: USER_ID
	Table string // the table reached: PEOPLE
}

// Named is a measure, segment or metric.
type Named struct {
	ID   int
	Name string
}

// Table finds a table by name, case-insensitively.
func (c *Catalog) Table(name string) *Table {
	for _, t := range c.Tables {
		if strings.EqualFold(t.Name, name) {
			return t
		}
	}
	return nil
}

// Field finds a field by name, case-insensitively.
func (t *Table) Field(name string) (Field, bool) {
	for _, f := range t.Fields {
		if strings.EqualFold(f.Name, name) {
			return f, true
		}
	}
	return Field{}, false
}

// Key is the table's primary key field, if it has one the caller sees.
func (t *Table) Key() (Field, bool) {
	for _, f := range t.Fields {
		if f.Key {
			return f, true
		}
	}
	return Field{}, false
}

func names[T any](xs []T, name func(T) string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = name(x)
	}
	return out
}

func find(xs []Named, name string) (Named, bool) {
	for _, x := range xs {
		if strings.EqualFold(x.Name, name) {
			return x, true
		}
	}
	return Named{}, false
}
