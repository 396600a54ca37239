package semantic_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/agentlayer/agentlayer/internal/testsupport/golden"
	"github.com/agentlayer/agentlayer/semantic"
)

const sampleModel = "../fixtures/sample/model.yaml"

// describeFrom simulates a database from a columns.yaml file: a mapping of
// source table name to an ordered mapping of column name to DuckDB type.
func describeFrom(t *testing.T, path string) func(semantic.Source) ([]semantic.SourceColumn, error) {
	t.Helper()
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	tables := map[string][]semantic.SourceColumn{}
	m := root.Content[0]
	for i := 0; i < len(m.Content); i += 2 {
		var cols []semantic.SourceColumn
		cm := m.Content[i+1]
		for j := 0; j < len(cm.Content); j += 2 {
			cols = append(cols, semantic.SourceColumn{Name: cm.Content[j].Value, Type: cm.Content[j+1].Value})
		}
		tables[m.Content[i].Value] = cols
	}
	return func(src semantic.Source) ([]semantic.SourceColumn, error) {
		cols, ok := tables[src.Text]
		if !ok {
			return nil, fmt.Errorf("Catalog Error: Table with name %s does not exist!", src.Text)
		}
		return cols, nil
	}
}

// TestLoad_invalid loads every model under testdata/invalid and compares the
// error with want.err (testdata/README).
func TestLoad_invalid(t *testing.T) {
	golden.Run(t, "testdata/invalid/*", 25, []string{"want.err"}, func(t *testing.T, dir string) (string, string) {
		opts := semantic.Options{Describe: describeFrom(t, filepath.Join(dir, "columns.yaml"))}
		_, err := semantic.Load(filepath.Join(dir, "model.yaml"), opts)
		if err == nil {
			t.Fatal("Load succeeded, want an error")
		}
		var serr *semantic.Error
		if !errors.As(err, &serr) {
			t.Fatalf("error is %T, want *semantic.Error: %v", err, err)
		}
		for _, p := range serr.Problems {
			if p.Pos.Line == 0 || p.Pos.Col == 0 {
				t.Errorf("problem without line and column: %s", p)
			}
		}
		return err.Error() + "\n", "want.err"
	})
}

func TestLoad_sample(t *testing.T) {
	m, err := semantic.Load(sampleModel, semantic.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tab := range m.Tables {
		names = append(names, tab.Name)
	}
	if got := strings.Join(names, " "); got != "ORDERS PEOPLE PRODUCTS REVIEWS" {
		t.Errorf("tables = %s", got)
	}
	if len(m.Metrics) != 4 {
		t.Errorf("%d metrics, want 4", len(m.Metrics))
	}
	tests := []struct {
		table  string
		fields int
		wide   int
	}{
		{"ORDERS", 9, 9 + 13 + 8},
		{"PEOPLE", 13, 13},
		{"PRODUCTS", 8, 8},
		{"REVIEWS", 6, 6 + 8},
	}
	for _, tt := range tests {
		tab := m.TableByName(tt.table)
		if tab == nil {
			t.Fatalf("table %s missing", tt.table)
		}
		if got := len(tab.Fields); got != tt.fields {
			t.Errorf("%s has %d fields, want %d", tt.table, got, tt.fields)
		}
		if got := len(tab.Wide()); got != tt.wide {
			t.Errorf("%s has %d wide fields, want %d", tt.table, got, tt.wide)
		}
		for i, w := range tab.Wide() {
			if w.Index != i {
				t.Errorf("%s wide[%d].Index = %d", tt.table, i, w.Index)
			}
		}
	}
	orders := m.Table(1)
	if orders.Name != "ORDERS" || orders.DisplayName != "Orders" {
		t.Errorf("table 1 = %s (%s), want ORDERS (Orders)", orders.Name, orders.DisplayName)
	}
	if f := orders.Fields[5]; f.Name != "TOTAL" || f.ID() != "t1-5" {
		t.Errorf("t1-5 = %s (%s)", f.Name, f.ID())
	}
	w, _ := orders.WideField(9 + 7) // USER → STATE
	if w.Via == nil || w.Via.Name != "USER_ID" || w.Field.Name != "STATE" {
		t.Errorf("t1-16 = %+v, want PEOPLE.STATE via USER_ID", w)
	}
	if got := w.DisplayName(); got != "User → State" {
		t.Errorf("t1-16 display name = %q", got)
	}
	if got := orders.Field("USER_ID").SemanticType; got != "type/FK" {
		t.Errorf("USER_ID semantic type = %q", got)
	}
	if s := m.Segment(1); s == nil || s.Table != orders || s.Filter.AST == nil {
		t.Errorf("segment 1 = %+v", s)
	}
	rev := m.Metric(1)
	if rev.Name != "Revenue" || rev.Aggregation.Func != semantic.AggSum || rev.Aggregation.Field.Name != "TOTAL" || rev.TimeDimension.Name != "CREATED_AT" {
		t.Errorf("metric 1 = %+v", rev)
	}
	if d := m.Metric(4); d.Measure == nil || len(d.Filters()) != 1 {
		t.Errorf("metric 4 should take measure 2 and its filter: %+v", d)
	}
	if got := orders.Field("QUANTITY").Type.Kind.BaseType(); got != "type/Integer" {
		t.Errorf("QUANTITY base type = %s", got)
	}
}

func TestLoad_describe(t *testing.T) {
	data, err := os.ReadFile(sampleModel)
	if err != nil {
		t.Fatal(err)
	}
	// Without declared types, the database's types are taken.
	stripped := regexp.MustCompile(`(?m)^\s*type: (BIGINT|DOUBLE)\n`).ReplaceAllString(string(data), "")
	describe := func(src semantic.Source) ([]semantic.SourceColumn, error) {
		m, err := semantic.Parse("sample.yaml", data, semantic.Options{})
		if err != nil {
			return nil, err
		}
		var cols []semantic.SourceColumn
		for _, f := range m.TableByName(src.Text).Fields {
			cols = append(cols, semantic.SourceColumn{Name: f.Column, Type: f.Type.Database})
		}
		return cols, nil
	}
	m, err := semantic.Parse("stripped.yaml", []byte(stripped), semantic.Options{Describe: describe})
	if err != nil {
		t.Fatal(err)
	}
	if got := m.TableByName("ORDERS").Field("TOTAL").Type; got.Kind != semantic.KindFloat || got.Database != "DOUBLE" {
		t.Errorf("TOTAL type = %+v", got)
	}
}

func TestHumanize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"ORDERS", "Orders"},
		{"USER_ID", "User ID"},
		{"CREATED_AT", "Created At"},
		{"createdAt", "Created At"},
		{"ean", "EAN"},
		{"order-items", "Order Items"},
	}
	for _, tt := range tests {
		if got := semantic.Humanize(tt.in); got != tt.want {
			t.Errorf("Humanize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseType(t *testing.T) {
	tests := []struct {
		in   string
		kind semantic.Kind
		err  bool
	}{
		{"BIGINT", semantic.KindBigInteger, false},
		{"integer", semantic.KindInteger, false},
		{"DECIMAL(10,2)", semantic.KindDecimal, false},
		{"TIMESTAMP WITH TIME ZONE", semantic.KindDateTimeTZ, false},
		{"timestamptz", semantic.KindDateTimeTZ, false},
		{"VARCHAR", semantic.KindText, false},
		{"DATE", semantic.KindDate, false},
		{"TIME", semantic.KindTime, false},
		{"INTEGER[]", 0, true},
		{"STRUCT(a INTEGER)", 0, true},
		{"BLOB", 0, true},
	}
	for _, tt := range tests {
		got, err := semantic.ParseType(tt.in)
		if (err != nil) != tt.err {
			t.Errorf("ParseType(%q) error = %v, want error %v", tt.in, err, tt.err)
			continue
		}
		if got.Kind != tt.kind {
			t.Errorf("ParseType(%q) kind = %v, want %v", tt.in, got.Kind, tt.kind)
		}
	}
}
