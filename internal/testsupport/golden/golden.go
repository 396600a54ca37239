// Package golden is the one harness of agentlayer's golden tests: each
// case is a directory under testdata holding its inputs (and, if it needs
// them, options) and the expected output; go test -update rewrites the
// expected outputs, to be reviewed as a diff.
package golden

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// Updating reports whether the test run rewrites golden files.
func Updating() bool { return *update }

// Run runs check as a subtest on every directory matching pattern (a
// filepath.Glob, as "testdata/plan/*"), failing if there are fewer than
// least: a glob that matches nothing must not pass unnoticed. check returns
// the case's output and the file it is compared with, one of outputs (a
// case either plans, want.sql, or fails, want.err); with -update the file
// is written and the case's other outputs removed.
func Run(t *testing.T, pattern string, least int, outputs []string, check func(t *testing.T, dir string) (got, file string)) {
	t.Helper()
	dirs, err := filepath.Glob(pattern)
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) < least {
		t.Fatalf("%s: %d cases, want at least %d", pattern, len(dirs), least)
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			got, file := check(t, dir)
			Compare(t, dir, file, got, outputs...)
		})
	}
}

// Compare compares got with the golden file dir/file; with -update it
// writes it, and removes the case's other outputs.
func Compare(t *testing.T, dir, file, got string, others ...string) {
	t.Helper()
	path := filepath.Join(dir, file)
	if *update {
		for _, o := range others {
			if o != file {
				os.Remove(filepath.Join(dir, o))
			}
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to write it)\ngot:\n%s", err, got)
	}
	if got != string(want) {
		t.Errorf("%s differs\n--- got\n%s--- want\n%s", path, got, want)
	}
}

// Absent checks that a case has no golden file dir/file (an output it
// does not produce, as the PostgreSQL plan of a request that fails); with
// -update it removes one left from before.
func Absent(t *testing.T, dir, file string) {
	t.Helper()
	path := filepath.Join(dir, file)
	if *update {
		os.Remove(path)
		return
	}
	if _, err := os.Stat(path); err == nil {
		t.Errorf("%s is left from before: this case produces no such output (run go test -update to remove it)", path)
	}
}
