package permissions_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/agentlayer/agentlayer/auth"
	"github.com/agentlayer/agentlayer/fixtures"
	"github.com/agentlayer/agentlayer/permissions"
)

// FuzzCompile feeds arbitrary YAML to the policy compiler over the sample
// model: no panic; either policies, which then give every sample persona a
// grant without panicking, or an *Error whose problems have positions.
func FuzzCompile(f *testing.F) {
	f.Add(fixtures.Policy())
	files, _ := filepath.Glob("testdata/invalid/*/policy.yaml")
	for _, file := range files {
		if data, err := os.ReadFile(file); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte("version: 1\npolicies:\n  - {name: p, when: 'user.attributes.x.exists(v, v == row)', tables: '*'}\n"))
	m := sampleModel(f)
	users := []*auth.Principal{
		{Email: "a@example.com", Groups: []string{"admin"}},
		{Email: "s@example.com", Groups: []string{"sales"}, Attributes: map[string]any{"state": "TX", "n": int64(3), "l": []any{"a", int64(1)}}},
		{Email: "n@example.com"},
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ps, err := permissions.Compile("fuzz.yaml", data, m, permissions.Options{})
		if err == nil {
			for _, u := range users {
				ps.For(u)
			}
			return
		}
		var pe *permissions.Error
		if !errors.As(err, &pe) {
			t.Fatalf("error of type %T: %v", err, err)
		}
		for _, p := range pe.Problems {
			if p.Pos.Line == 0 {
				t.Fatalf("problem without a line: %s", p)
			}
		}
	})
}
