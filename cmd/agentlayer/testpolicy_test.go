package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPolicySuites runs the samples' policy test suites, as the test
// command must: every persona's expectations hold.
func TestPolicySuites(t *testing.T) {
	for _, c := range [][]string{
		{"--scale", "0.1", "../../fixtures/sample/policy_test.yaml"},
		{"--sample", "saas", "--scale", "0.1", "../../fixtures/saas/policy_test.yaml"},
	} {
		code, out, errOut := runCmd(t, append([]string{"test-policy"}, c...)...)
		if code != 0 || strings.Contains(out, "FAIL") {
			t.Errorf("test-policy %v: exit %d\n%s%s", c, code, out, errOut)
		}
	}
}

// TestPolicySuite_failures: a case whose expectations do not hold fails,
// saying what it got, the SQL that ran and the policies that applied; a
// malformed suite is refused with its line.
func TestPolicySuite_failures(t *testing.T) {
	dir := t.TempDir()
	suite := filepath.Join(dir, "suite.yaml")
	os.WriteFile(suite, []byte(`version: 1
cases:
  - name: sales sees Californians
    user: sales.tx@example.com
    request: {table_id: 2, aggregations: [{function: count}], group_by: [{field_id: STATE}]}
    expect: {status: 202, every_row: 'row.STATE == "CA"'}
  - name: sales sees reviews
    user: sales.tx@example.com
    expect: {tables: [ORDERS, PEOPLE, PRODUCTS, REVIEWS]}
`), 0o644)
	code, out, _ := runCmd(t, "test-policy", "--scale", "0.05", suite)
	for _, want := range []string{"FAIL  sales sees Californians (" + suite + ":3)", `does not meet every_row row.STATE == "CA"`,
		"policies: sales", "SQL: SELECT", "FAIL  sales sees reviews", "sees tables [ORDERS PEOPLE PRODUCTS], want [ORDERS PEOPLE PRODUCTS REVIEWS]", "2 cases, 2 failed"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	os.WriteFile(suite, []byte("version: 1\ncases:\n  - name: x\n    user: a@b.c\n    claims: {email: a@b.c}\n"), 0o644)
	if code, _, errOut := runCmd(t, "test-policy", "--scale", "0.05", suite); code != 1 || !strings.Contains(errOut, "suite.yaml:3: case \"x\": give user") {
		t.Errorf("a malformed case: exit %d %s", code, errOut)
	}
}

// TestDiffPolicy: a policy change is reported user by user: tables and
// columns gained or lost, row counts changed; users it does not touch are
// not listed.
func TestDiffPolicy(t *testing.T) {
	old, _ := os.ReadFile("../../fixtures/sample/policy.yaml")
	changed := strings.Replace(string(old), "      PEOPLE:\n        hide: [EMAIL, PASSWORD]\n        rows: row.STATE == user.attributes.state",
		"      PEOPLE:\n        hide: [PASSWORD]\n      REVIEWS: \"*\"", 1)
	changed = strings.Replace(changed, "hide: [EMAIL, PASSWORD, ADDRESS, BIRTH_DATE]", "hide: [EMAIL, PASSWORD, ADDRESS, BIRTH_DATE, CITY]", 1)
	file := filepath.Join(t.TempDir(), "new.yaml")
	os.WriteFile(file, []byte(changed), 0o644)
	code, out, errOut := runCmd(t, "diff-policy", "--scale", "0.1", "../../fixtures/sample/policy.yaml", file)
	if code != 0 {
		t.Fatalf("exit %d %s", code, errOut)
	}
	for _, want := range []string{"analyst@example.com\n  - column PEOPLE.CITY\n", "sales.tx@example.com\n  + column PEOPLE.EMAIL\n",
		"  ~ table PEOPLE: ", "  + table REVIEWS (6 columns, ", "2 of 7 users see something else"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
	if strings.Contains(out, "admin@example.com") || strings.Contains(out, "product@example.com") {
		t.Errorf("an untouched user is listed:\n%s", out)
	}
}
