package sqlgen_test

import (
	"strings"
	"testing"

	"github.com/agentlayer/agentlayer/semantic"
	"github.com/agentlayer/agentlayer/sqlgen"
)

// TestNewCatalog_failingConstant: a model filter with a part that fails
// whatever the row (no user can supply what it lacks) is a load error at
// its position, not a filter that silently matches nothing.
func TestNewCatalog_failingConstant(t *testing.T) {
	m, err := semantic.Parse("m.yaml", []byte(`version: 1
tables:
  - id: 1
    name: T
    fields:
      - {name: ID, type: BIGINT, semantic_type: type/PK}
      - {name: N, type: BIGINT}
    segments:
      - {id: 1, name: Broken, filter: "row.N > 1 / 0"}
`), semantic.Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = sqlgen.NewCatalog(m, nil)
	if err == nil || !strings.Contains(err.Error(), "m.yaml:9:40") || !strings.Contains(err.Error(), "fails for every row") {
		t.Errorf("got %v", err)
	}
}
