package semantic_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/agentlayer/agentlayer/fixtures"
	"github.com/agentlayer/agentlayer/semantic"
)

// FuzzParse feeds arbitrary YAML to the model loader: whatever the input,
// no panic, and either a model or an *Error whose every problem has a
// position. The seeds are the sample model and every golden invalid model;
// scripts/fuzz explores from them.
func FuzzParse(f *testing.F) {
	f.Add(fixtures.Model())
	files, _ := filepath.Glob("testdata/invalid/*/model.yaml")
	for _, file := range files {
		if data, err := os.ReadFile(file); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte("version: 1\ntables: [{id: 1, name: T, fields: [{name: A, type: BIGINT, references: T.A}]}]"))
	f.Add([]byte("version: 1\ntables:\n  - &a {id: 1, name: T, fields: [*a]}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := semantic.Parse("fuzz.yaml", data, semantic.Options{})
		if err == nil {
			if m == nil || len(m.Tables) == 0 {
				t.Fatal("a model without tables loaded")
			}
			return
		}
		var se *semantic.Error
		if !errors.As(err, &se) {
			t.Fatalf("error of type %T: %v", err, err)
		}
		for _, p := range se.Problems {
			if p.Pos.Line == 0 {
				t.Fatalf("problem without a line: %s", p)
			}
		}
	})
}
