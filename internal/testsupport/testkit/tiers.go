package testkit

import (
	"os"
	"testing"
)

// The tests run in two tiers. The full tier (./scripts/test, what CI
// runs) runs everything under the race detector. The fast tier
// (./scripts/test --fast, go test -short) is the edit loop: pure
// packages, goldens and the engine's own tests at a small size, without
// external servers and clients (PostgreSQL, browsers, the built binary)
// or tests that wait out timeouts.

// FullTier skips the test in the fast tier, saying what it needs; the
// full tier runs it.
func FullTier(t testing.TB, needs string) {
	t.Helper()
	if testing.Short() {
		t.Skip(needs + ": in the full tier only (./scripts/test)")
	}
}

// Size is n in the full tier and fast in the fast one: how many generated
// cases a differential or property test checks.
func Size(n, fast int) int {
	if testing.Short() {
		return fast
	}
	return n
}

// Missing ends a test whose tool or package is not installed: in CI (CI
// set), where the test command installs it, a failure; elsewhere a skip.
// Both say what is missing and how it is installed.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf(format+" (the test command installs it in CI)", args...)
	}
	t.Skipf(format, args...)
}
