package main

import (
	"strings"
	"testing"

	"github.com/agentlayer/agentlayer/semantic"
)

// TestSQLNames: once SQL is on, two tables, or two fields of a table,
// whose names differ only in case are refused, naming both.
func TestSQLNames(t *testing.T) {
	model := func(second, field string) []byte {
		return []byte(`version: 1
tables:
  - id: 1
    name: ORDERS
    source: {sql: 'SELECT 1 AS ID, 2 AS id2'}
    fields:
      - {name: ID, type: BIGINT, semantic_type: type/PK}
      - {name: ` + field + `, column: id2, type: BIGINT}
  - id: 2
    name: ` + second + `
    source: {sql: 'SELECT 1 AS ID'}
    fields:
      - {name: ID, type: BIGINT, semantic_type: type/PK}
`)
	}
	for _, c := range []struct{ second, field, want string }{
		{"PEOPLE", "TOTAL", ""},
		{"orders", "TOTAL", "tables ORDERS and orders differ only in case"},
		{"PEOPLE", "id", "fields ORDERS.ID and ORDERS.id differ only in case"},
	} {
		m, err := semantic.Parse("m.yaml", model(c.second, c.field), semantic.Options{})
		if err != nil {
			t.Fatal(err)
		}
		err = sqlNames(m)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s/%s: %v", c.second, c.field, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s/%s: %v, want %q", c.second, c.field, err, c.want)
		}
	}
}
