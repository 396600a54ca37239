package main

import (
	"encoding/json"
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

// TestPolicySuite_mutations: the sample's suite catches each deliberate
// mistake of testdata/mutations — a mask removed, a row rule negated, a
// column unhidden, a minimum group size lowered, a table granted — and
// passes on the sample policy itself.
func TestPolicySuite_mutations(t *testing.T) {
	files, _ := filepath.Glob("testdata/mutations/*.yaml")
	if len(files) != 5 {
		t.Fatalf("%d mutations, want 5", len(files))
	}
	for _, f := range files {
		code, out, errOut := runCmd(t, "test-policy", "--scale", "0.1", "--policy", f, "../../fixtures/sample/policy_test.yaml")
		if code != 1 || !strings.Contains(out, "FAIL  ") {
			t.Errorf("%s: the suite passed (exit %d)\n%s%s", filepath.Base(f), code, out, errOut)
		}
	}
}

// TestPolicySuite_names: every table and field a suite names is resolved
// against the model before any case runs — a misspelt field, an unknown
// table, a related field that does not exist are errors at their line and
// column, even for an admin who sees everything; related fields and ids
// work in visible, hidden and masked.
func TestPolicySuite_names(t *testing.T) {
	dir := t.TempDir()
	suite := filepath.Join(dir, "suite.yaml")
	os.WriteFile(suite, []byte(`version: 1
cases:
  - name: typos
    user: admin@example.com
    expect:
      hidden: {PEOPLE: [EMAL], PEOPEL: [EMAIL], ORDERS: [USER.EMIAL, t1-99]}
`), 0o644)
	code, _, errOut := runCmd(t, "test-policy", "--scale", "0.05", suite)
	for _, want := range []string{suite + ":6:25: hidden: table PEOPLE has no field EMAL (did you mean EMAIL?)",
		suite + ":6:32: the model has no table PEOPEL (did you mean PEOPLE?)",
		suite + ":6:58: hidden: table ORDERS has no field USER.EMIAL (did you mean USER.EMAIL?)",
		suite + ":6:70: hidden: table ORDERS has no field t1-99"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("missing %q in\n%s", want, errOut)
		}
	}
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	os.WriteFile(suite, []byte(`version: 1
cases:
  - name: related fields and ids, as each persona sees them
    user: support@example.com
    expect:
      visible: {ORDERS: [USER.STATE, t1-16]}
      hidden: {ORDERS: [USER.PASSWORD]}
      masked: {ORDERS: {USER.EMAIL: email_domain, t1-13: redact}}
  - name: a related field hidden, for sales
    user: sales.tx@example.com
    expect:
      hidden: {ORDERS: [user.email, t1-11]}
      visible: {orders: [User → State]}
  - name: the whole answer, every page
    user: analyst@example.com
    request: {table_id: 2, fields: [{field_id: ID}]}
    expect: {status: 202, row_count: 500, every_row: 'row.ID > 0'}
  - name: an answer at its cap cannot be checked
    user: admin@example.com
    request: {table_id: 1, fields: [{field_id: ID}]}
    expect: {status: 202, every_row: 'row.ID > 0'}
`), 0o644)
	code, out, errOut := runCmd(t, "test-policy", "--scale", "0.2", suite) // 500 people in pages of 200; 3,752 orders: past the row cap
	for _, want := range []string{"ok    related fields and ids", "ok    a related field hidden", "ok    the whole answer",
		"FAIL  an answer at its cap", "the answer reached its row cap (2000 rows)", "4 cases, 1 failed"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in\n%s%s", want, out, errOut)
		}
	}
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
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
// columns gained or lost, masks, row rules (old and new, as bound), and
// aggregate grants changed; users it does not touch are not listed. The
// exit status is 1 when anything changed, 0 when nothing did, 2 on an
// error; --json has the same report; --claims adds users as tokens name
// them; --sample-rows lists keys gained and lost.
func TestDiffPolicy(t *testing.T) {
	old, _ := os.ReadFile("../../fixtures/sample/policy.yaml")
	changed := strings.Replace(string(old), "      PEOPLE:\n        hide: [EMAIL, PASSWORD]\n        rows: row.STATE == user.attributes.state",
		"      PEOPLE:\n        hide: [PASSWORD]\n        rows: row.STATE != user.attributes.state\n      REVIEWS: \"*\"", 1)
	changed = strings.Replace(changed, "hide: [EMAIL, PASSWORD, ADDRESS, BIRTH_DATE]", "hide: [EMAIL, PASSWORD, ADDRESS, BIRTH_DATE, CITY]", 1)
	changed = strings.Replace(changed, "          min_group_size: 10\n", "          min_group_size: 2\n", 1)
	changed = strings.Replace(changed, "          ZIP: last4\n", "", 1)
	dir := t.TempDir()
	file := filepath.Join(dir, "new.yaml")
	os.WriteFile(file, []byte(changed), 0o644)
	claims := filepath.Join(dir, "claims.yaml")
	os.WriteFile(claims, []byte("users:\n  - {email: ca@example.com, groups: [sales], attributes: {state: CA}}\n"), 0o644)
	code, out, errOut := runCmd(t, "diff-policy", "--scale", "0.1", "--claims", claims, "--sample-rows", "../../fixtures/sample/policy.yaml", file)
	if code != 1 {
		t.Fatalf("exit %d, want 1 %s", code, errOut)
	}
	for _, want := range []string{"analyst@example.com\n  - column PEOPLE.CITY\n", "sales.tx@example.com\n  + column PEOPLE.EMAIL\n",
		`  ~ row rule of PEOPLE: Rows of PEOPLE are limited to PEOPLE.STATE = "TX". (`, `→ Rows of PEOPLE are limited to PEOPLE.STATE IS DISTINCT FROM "TX". (`,
		"    gained: ", "    lost: ", "  + table REVIEWS (6 columns, ", "ca@example.com\n", `PEOPLE.STATE = "CA"`,
		"support@example.com\n  ~ column PEOPLE.ZIP: masked last4 → true values",
		"benchmark@example.com\n  ~ aggregate grant of ORDERS: Aggregates of ORDERS count every row. Groups of fewer than 10 ORDERS rows are not shown. → Aggregates of ORDERS count every row. Groups of fewer than 2 ORDERS rows are not shown.",
		"5 of 8 users see something else"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
	if strings.Contains(out, "admin@example.com") || strings.Contains(out, "product@example.com") {
		t.Errorf("an untouched user is listed:\n%s", out)
	}
	// Without --sample-rows no key is shown; as JSON, the same report.
	code, out, _ = runCmd(t, "diff-policy", "--scale", "0.1", "--json", "../../fixtures/sample/policy.yaml", file)
	var report struct {
		Users   int `json:"users"`
		Changed []struct {
			Email   string `json:"email"`
			Changes []struct {
				Kind, Change, Table, Column, Old, New string
				Gained                                []string `json:"gained_keys"`
			} `json:"changes"`
		} `json:"changed"`
	}
	if err := json.Unmarshal([]byte(out), &report); err != nil || code != 1 || report.Users != 7 || len(report.Changed) != 4 {
		t.Fatalf("--json: exit %d, %v\n%s", code, err, out)
	}
	for _, u := range report.Changed {
		for _, c := range u.Changes {
			if len(c.Gained) > 0 {
				t.Errorf("keys without --sample-rows: %+v", c)
			}
		}
	}
	// The same policy: nothing changes, exit 0; a bad file: exit 2.
	if code, out, _ := runCmd(t, "diff-policy", "--scale", "0.1", "../../fixtures/sample/policy.yaml", "../../fixtures/sample/policy.yaml"); code != 0 || !strings.Contains(out, "0 of 7 users") {
		t.Errorf("the same policy: exit %d\n%s", code, out)
	}
	os.WriteFile(file, []byte("version: 1\npolicies: [{name: x, tables: {NOPE: \"*\"}}]\n"), 0o644)
	if code, _, errOut := runCmd(t, "diff-policy", "--scale", "0.1", "../../fixtures/sample/policy.yaml", file); code != 2 || !strings.Contains(errOut, "NOPE") {
		t.Errorf("a broken policy: exit %d %s", code, errOut)
	}
	if code, _, _ := runCmd(t, "diff-policy", "--scale", "0.1", "../../fixtures/sample/policy.yaml"); code != 2 {
		t.Errorf("one file: exit %d, want 2", code)
	}
}
