package semantic_test

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/agentlayer/agentlayer/semantic"
)

// withField inserts a field at the top of table's fields in a model file
// written in block style, as the samples are.
func withField(t *testing.T, model []byte, table, field string) []byte {
	t.Helper()
	s := string(model)
	at := strings.Index(s, "    name: "+table+"\n")
	if at < 0 {
		t.Fatalf("no table %s", table)
	}
	f := strings.Index(s[at:], "    fields:\n")
	if f < 0 {
		t.Fatalf("table %s has no fields", table)
	}
	cut := at + f + len("    fields:\n")
	return []byte(s[:cut] + field + s[cut:])
}

// ids maps every table's field names (USER.STATE) to their ids.
func ids(m *semantic.Model) map[string]string {
	out := map[string]string{}
	for _, t := range m.Tables {
		for _, w := range t.Wide() {
			out[t.Name+"."+w.Name()] = semantic.TablePrefix(t.ID).ID(w.Index)
		}
	}
	return out
}

// TestIDs_addingAFieldMovesNothing: in both samples, a column added at the
// top of any table — which moves every positional id after it, in that
// table and in every table related to it — makes the lock stale, and once
// updated moves no existing id; the new field gets a number never given.
func TestIDs_addingAFieldMovesNothing(t *testing.T) {
	for _, file := range []string{"../fixtures/sample/model.yaml", "../fixtures/saas/model.yaml"} {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		lock, err := semantic.ReadIDLock(semantic.LockFile(file))
		if err != nil || lock == nil {
			t.Fatalf("%s: lock %v, %v", file, lock, err)
		}
		before, err := semantic.Parse(file, data, semantic.Options{IDs: lock})
		if err != nil {
			t.Fatal(err)
		}
		positional, err := semantic.Parse(file, data, semantic.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if !positional.PositionalIDs || before.PositionalIDs {
			t.Errorf("%s: PositionalIDs %v without the lock, %v with it", file, positional.PositionalIDs, before.PositionalIDs)
		}
		old := ids(before)
		for k, v := range ids(positional) {
			if old[k] != v {
				t.Errorf("%s: the checked-in lock moved %s from %s to %s", file, k, v, old[k])
			}
		}
		for _, table := range before.Tables {
			edited := withField(t, data, table.Name, "      - name: ADDED\n        type: VARCHAR\n")
			_, err := semantic.Parse(file, edited, semantic.Options{IDs: lock})
			var me *semantic.Error
			if !errors.As(err, &me) || !strings.Contains(err.Error(), table.Name+".ADDED") ||
				!strings.Contains(err.Error(), "run agentlayer ids update --model "+file) {
				t.Errorf("%s, %s: a field without an id: %v", file, table.Name, err)
				continue
			}
			unlocked, err := semantic.Parse(file, edited, semantic.Options{})
			if err != nil {
				t.Fatal(err)
			}
			next, changes := semantic.UpdateIDs(unlocked, lock)
			if len(changes.Added) == 0 || len(changes.Retired) != 0 {
				t.Errorf("%s, %s: changes %+v", file, table.Name, changes)
			}
			after, err := semantic.Parse(file, edited, semantic.Options{IDs: next})
			if err != nil {
				t.Fatal(err)
			}
			now := ids(after)
			for k, v := range old {
				if now[k] != v {
					t.Errorf("%s, %s added: %s moved from %s to %s", file, table.Name, k, v, now[k])
				}
			}
			want := semantic.TablePrefix(table.ID).ID(lock.Tables[table.Name].Next)
			if got := now[table.Name+".ADDED"]; got != want {
				t.Errorf("%s: the new field of %s is %s, want %s", file, table.Name, got, want)
			}
			// And what the engine resolves by id is the same field.
			w, ok := after.TableByName(table.Name).WideField(lock.Tables[table.Name].Next)
			if !ok || w.Name() != "ADDED" {
				t.Errorf("%s: WideField(next) of %s = %v, %v", file, table.Name, w.Name(), ok)
			}
		}
	}
}

// TestIDs_removedNumberNeverReused: a removed field's number is retired;
// a field added afterwards gets a new one, even under the removed name.
func TestIDs_removedNumberNeverReused(t *testing.T) {
	const model = `version: 1
tables:
  - id: 1
    name: T
    fields:
      - {name: ID, type: BIGINT, semantic_type: type/PK}
      - {name: A, type: VARCHAR}
      - {name: B, type: VARCHAR}
`
	m1, err := semantic.Parse("m.yaml", []byte(model), semantic.Options{})
	if err != nil {
		t.Fatal(err)
	}
	lock, _ := semantic.UpdateIDs(m1, nil)
	m2, err := semantic.Parse("m.yaml", []byte(strings.Replace(model, "      - {name: A, type: VARCHAR}\n", "", 1)), semantic.Options{})
	if err != nil {
		t.Fatal(err)
	}
	lock2, ch := semantic.UpdateIDs(m2, lock)
	if strings.Join(ch.Retired, ",") != "T.A t1-1" || len(ch.Added) != 0 {
		t.Fatalf("removing A: %+v", ch)
	}
	m3, err := semantic.Parse("m.yaml", []byte(model+"      - {name: C, type: VARCHAR}\n"), semantic.Options{IDs: mustReparse(t, lock2.Marshal(m2))})
	if err == nil {
		t.Fatalf("a lock without A and C numbered them: %v", ids(m3))
	}
	m3, _ = semantic.Parse("m.yaml", []byte(model+"      - {name: C, type: VARCHAR}\n"), semantic.Options{})
	lock3, ch := semantic.UpdateIDs(m3, lock2)
	if strings.Join(ch.Added, ",") != "T.A t1-3,T.C t1-4" {
		t.Errorf("adding A back and C: %+v", ch)
	}
	got, err := semantic.Parse("m.yaml", []byte(model+"      - {name: C, type: VARCHAR}\n"), semantic.Options{IDs: lock3})
	if err != nil {
		t.Fatal(err)
	}
	if f := got.TableByName("T").Field("B"); f.ID() != "t1-2" {
		t.Errorf("B is %s, want t1-2", f.ID())
	}
	if _, ok := got.TableByName("T").WideField(1); ok {
		t.Error("the retired number 1 names a field")
	}
}

func mustReparse(t *testing.T, data []byte) *semantic.IDLock {
	t.Helper()
	l, err := semantic.ParseIDLock("m.ids.yaml", data)
	if err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	return l
}

func TestParseIDLock_problems(t *testing.T) {
	for _, c := range []struct{ name, data, want string }{
		{"same number", "version: 1\ntables:\n  T:\n    next: 3\n    ids:\n      A: 1\n      B: 1\n", "m.ids.yaml:7:10: table T: A and B have the same id 1"},
		{"above next", "version: 1\ntables:\n  T:\n    next: 2\n    ids:\n      A: 2\n", "m.ids.yaml:6:10: table T, A: id 2 is not below next (2)"},
		{"version", "version: 2\ntables: {}\n", "m.ids.yaml:1:10: unsupported id lock version 2"},
		{"no next", "version: 1\ntables:\n  T:\n    ids: {}\n", `m.ids.yaml:4:5: table T needs "next"`},
	} {
		_, err := semantic.ParseIDLock("m.ids.yaml", []byte(c.data))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
}
