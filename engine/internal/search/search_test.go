package search

import (
	"context"
	"reflect"
	"testing"

	"github.com/agentlayer/agentlayer/semantic"
)

func TestTokenize(t *testing.T) {
	for in, want := range map[string][]string{
		"Orders by category":   {"order", "category"},
		"createdAt boxes":      {"created", "at", "box"},
		"What is the revenue?": {"revenue"},
		"status":               {"status"},
	} {
		if got := tokenize(in); !reflect.DeepEqual(got, want) {
			t.Errorf("tokenize(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestSearch: a word, its plural, a typo and a prefix find a table; a
// field's name finds it only for a caller who sees the field; what a
// caller may not see is never found.
func TestSearch(t *testing.T) {
	m, err := semantic.Parse("m.yaml", []byte(`version: 1
tables:
  - id: 1
    name: ORDERS
    synonyms: [purchases]
    fields:
      - {name: ID, type: BIGINT, semantic_type: type/PK}
      - {name: SECRET_MARGIN, type: DOUBLE}
  - id: 2
    name: PEOPLE
    description: Our customers.
    fields:
      - {name: ID, type: BIGINT, semantic_type: type/PK}
metrics:
  - {id: 1, name: Order count, table: ORDERS, aggregation: {function: count}}
`), semantic.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ix, err := New(context.Background(), m, nil)
	if err != nil {
		t.Fatal(err)
	}
	all := access{tables: map[string]bool{"ORDERS": true, "PEOPLE": true}, fields: true}
	noMargin := access{tables: map[string]bool{"ORDERS": true, "PEOPLE": true}}
	people := access{tables: map[string]bool{"PEOPLE": true}}
	for _, tt := range []struct {
		a     access
		terms []string
		want  []string
	}{
		{all, []string{"purchase"}, []string{"ORDERS"}},
		{all, []string{"orders"}, []string{"ORDERS", "Order count"}},
		{all, []string{"custmers"}, []string{"PEOPLE"}},
		{all, []string{"margin"}, []string{"ORDERS"}},
		{noMargin, []string{"margin"}, nil},
		{people, []string{"orders"}, nil},
		{people, nil, []string{"PEOPLE"}},
		{all, nil, []string{"ORDERS", "PEOPLE", "Order count"}},
	} {
		hits, err := ix.Search(context.Background(), tt.a, tt.terms, nil)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, h := range hits {
			got = append(got, name(h))
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%v as %v: %q, want %q", tt.terms, tt.a.tables, got, tt.want)
		}
	}
}

// TestSearch_matches says why a result matched, never naming a field the
// caller may not see.
func TestSearch_matches(t *testing.T) {
	m, err := semantic.Parse("m.yaml", []byte(`version: 1
tables:
  - id: 1
    name: ORDERS
    synonyms: [purchases]
    description: Every order placed.
    fields:
      - {name: ID, type: BIGINT, semantic_type: type/PK}
      - {name: SECRET_MARGIN, type: DOUBLE}
`), semantic.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ix, err := New(context.Background(), m, nil)
	if err != nil {
		t.Fatal(err)
	}
	all := access{tables: map[string]bool{"ORDERS": true}, fields: true}
	keys := access{tables: map[string]bool{"ORDERS": true}}
	for _, tt := range []struct {
		a    access
		q    string
		want []Match
	}{
		{all, "purchases placed margin", []Match{{Where: "synonyms", Words: []string{"purchase"}}, {Where: "description", Words: []string{"placed"}}, {Where: "field SECRET_MARGIN", Words: []string{"margin"}}}},
		{keys, "purchases margin", []Match{{Where: "synonyms", Words: []string{"purchase"}}}},
	} {
		hits, err := ix.Search(context.Background(), tt.a, []string{tt.q}, nil)
		if err != nil || len(hits) != 1 {
			t.Fatalf("%q: %v %v", tt.q, hits, err)
		}
		if !reflect.DeepEqual(hits[0].Matches, tt.want) {
			t.Errorf("%q: matches %+v, want %+v", tt.q, hits[0].Matches, tt.want)
		}
	}
}

type access struct {
	tables map[string]bool
	fields bool // every field, or only keys
}

func (a access) Table(t *semantic.Table) bool { return a.tables[t.Name] }
func (a access) Field(f *semantic.Field) bool {
	return a.tables[f.Table.Name] && (a.fields || f.Name == "ID")
}
func (a access) Metric(m *semantic.Metric) bool { return a.tables[m.Table.Name] }
