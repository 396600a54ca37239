package main

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/agentlayer/agentlayer/internal/suggest"
	"github.com/agentlayer/agentlayer/semantic"
)

// A suite's expectations name tables and fields; every name is resolved
// against the model — not against what a user sees — before any case
// runs, so that a misspelt name fails the suite rather than passing a
// hidden: expectation vacuously.

// namedAt is a name a suite gives, and where.
type namedAt struct {
	name      string
	line, col int
}

// expectNames are the names of a case's expectations, with their
// positions: the tables of tables, and each table's fields of visible,
// hidden and masked.
type expectNames struct {
	tables []namedAt
	fields map[string][]tableFields // by key: visible, hidden, masked
}

type tableFields struct {
	table  namedAt
	fields []namedAt
}

// namesOf reads the names a case's expect node holds, with their
// positions.
func namesOf(expect *yaml.Node) expectNames {
	out := expectNames{fields: map[string][]tableFields{}}
	if expect == nil || expect.Kind != yaml.MappingNode {
		return out
	}
	at := func(n *yaml.Node) namedAt { return namedAt{name: n.Value, line: n.Line, col: n.Column} }
	for i := 0; i+1 < len(expect.Content); i += 2 {
		key, val := expect.Content[i].Value, expect.Content[i+1]
		switch key {
		case "tables":
			for _, n := range val.Content {
				out.tables = append(out.tables, at(n))
			}
		case "visible", "hidden", "masked":
			if val.Kind != yaml.MappingNode {
				continue
			}
			for j := 0; j+1 < len(val.Content); j += 2 {
				tf := tableFields{table: at(val.Content[j])}
				fields := val.Content[j+1]
				switch fields.Kind {
				case yaml.SequenceNode:
					for _, n := range fields.Content {
						tf.fields = append(tf.fields, at(n))
					}
				case yaml.MappingNode: // masked: {FIELD: mask}
					for k := 0; k+1 < len(fields.Content); k += 2 {
						tf.fields = append(tf.fields, at(fields.Content[k]))
					}
				}
				out.fields[key] = append(out.fields[key], tf)
			}
		}
	}
	return out
}

// resolveField finds a field of table t by a suite's reference: an id of
// the table (t1-16), a field of the table (STATE), a related field
// (USER.STATE), or a display name, without regard to case.
func resolveField(t *semantic.Table, ref string) (semantic.WideField, bool) {
	if prefix, n, ok := semantic.ParseFieldID(ref); ok {
		if prefix != semantic.TablePrefix(t.ID) {
			return semantic.WideField{}, false
		}
		return t.WideField(n)
	}
	for _, match := range []func(w semantic.WideField) bool{
		func(w semantic.WideField) bool { return strings.EqualFold(w.Name(), ref) },
		func(w semantic.WideField) bool { return strings.EqualFold(w.DisplayName(), ref) },
	} {
		for _, w := range t.Wide() {
			if match(w) {
				return w, true
			}
		}
	}
	return semantic.WideField{}, false
}

// checkSuiteNames resolves every table and field a suite names against
// the model, and reports each that names nothing, at its line and column
// with the nearest name.
func checkSuiteNames(file string, cases []policyCase, m *semantic.Model) error {
	var problems []string
	bad := func(n namedAt, format string, args ...any) {
		problems = append(problems, fmt.Sprintf("%s:%d:%d: %s", file, n.line, n.col, fmt.Sprintf(format, args...)))
	}
	var tableNames []string
	for _, t := range m.Tables {
		tableNames = append(tableNames, t.Name)
	}
	table := func(n namedAt) *semantic.Table {
		if t := tableNamed(m, n.name); t != nil {
			return t
		}
		msg := fmt.Sprintf("the model has no table %s", n.name)
		if near := suggest.Closest(n.name, tableNames); near != "" {
			msg += fmt.Sprintf(" (did you mean %s?)", near)
		}
		bad(n, "%s", msg)
		return nil
	}
	for _, c := range cases {
		for _, n := range c.names.tables {
			table(n)
		}
		for _, key := range []string{"visible", "hidden", "masked"} {
			for _, tf := range c.names.fields[key] {
				t := table(tf.table)
				if t == nil {
					continue
				}
				var fieldNames []string
				for _, w := range t.Wide() {
					fieldNames = append(fieldNames, w.Name())
				}
				for _, f := range tf.fields {
					if _, ok := resolveField(t, f.name); ok {
						continue
					}
					msg := fmt.Sprintf("%s: table %s has no field %s", key, t.Name, f.name)
					if near := suggest.Closest(f.name, fieldNames); near != "" {
						msg += fmt.Sprintf(" (did you mean %s?)", near)
					}
					bad(f, "%s", msg)
				}
			}
		}
	}
	if len(problems) == 0 {
		return nil
	}
	return fmt.Errorf("the suite names what the model does not hold:\n%s", strings.Join(problems, "\n"))
}

// tableNamed is the model's table of that name, matched without regard to
// case when no table has it exactly.
func tableNamed(m *semantic.Model, name string) *semantic.Table {
	if t := m.TableByName(name); t != nil {
		return t
	}
	for _, t := range m.Tables {
		if strings.EqualFold(t.Name, name) {
			return t
		}
	}
	return nil
}
