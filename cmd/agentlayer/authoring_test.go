package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFixturesExport_saas: the SaaS sample exports with its id lock, and
// validate checks its columns against the files without a database, and
// says so.
func TestFixturesExport_saas(t *testing.T) {
	dir := t.TempDir()
	code, out, errOut := runCmd(t, "fixtures", "export", "--sample", "saas", "--scale", "0.1", "--out", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "PARTNERS 12, ACCOUNTS 50, USERS 500,") {
		t.Errorf("output %q", out)
	}
	model := filepath.Join(dir, "model.yaml")
	code, out, errOut = runCmd(t, "validate", model, "../../fixtures/saas/policy.yaml")
	if code != 0 {
		t.Fatalf("validate: exit %d\n%s", code, errOut)
	}
	for _, want := range []string{"field ids: numbered by " + filepath.Join(dir, "model.ids.yaml"),
		"columns: checked against their files for ACCOUNTS, USERS, SUBSCRIPTIONS, INVOICES, EVENTS, PARTNERS"} {
		if !strings.Contains(out, want) {
			t.Errorf("validate said\n%s\nwant %q", out, want)
		}
	}
	// A column the files lack is found without --db.
	data, _ := os.ReadFile(model)
	os.WriteFile(model, []byte(strings.Replace(string(data), "      - name: INDUSTRY\n", "      - name: INDUSTRY\n        column: SECTOR\n", 1)), 0o644)
	code, _, errOut = runCmd(t, "validate", model)
	if code != 1 || !strings.Contains(errOut, `has no column "SECTOR"`) {
		t.Errorf("a missing column: exit %d\n%s", code, errOut)
	}
}

// TestValidate_saysWhatItChecked: without --db, the columns of tables read
// from a database are not checked, and validate says so plainly.
func TestValidate_saysWhatItChecked(t *testing.T) {
	code, out, errOut := runCmd(t, "validate", "../../fixtures/sample/model.yaml")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	if !strings.Contains(out, "columns: NOT checked for ORDERS, PEOPLE, PRODUCTS, REVIEWS (read from a database: give --db") {
		t.Errorf("validate said\n%s", out)
	}
}

// TestIDs: ids update seeds a lock that moves nothing, check passes; a
// field added makes check fail and update give it the next number.
func TestIDs(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "model.yaml")
	data, _ := os.ReadFile("../../fixtures/saas/model.yaml")
	os.WriteFile(model, data, 0o644)
	if code, _, errOut := runCmd(t, "ids", "check", "--model", model); code != 1 || !strings.Contains(errOut, "missing or stale") {
		t.Errorf("check without a lock: exit %d %s", code, errOut)
	}
	code, out, errOut := runCmd(t, "ids", "update", "--model", model)
	if code != 0 || !strings.Contains(out, "seeded it from today's positional ids") {
		t.Fatalf("update: exit %d %s %s", code, out, errOut)
	}
	lock, _ := os.ReadFile(filepath.Join(dir, "model.ids.yaml"))
	checkedIn, _ := os.ReadFile("../../fixtures/saas/model.ids.yaml")
	if string(lock) != string(checkedIn) {
		t.Errorf("the seeded lock differs from the checked-in one")
	}
	if code, out, _ := runCmd(t, "ids", "check", "--model", model); code != 0 || !strings.Contains(out, "up to date") {
		t.Errorf("check: exit %d %s", code, out)
	}
	os.WriteFile(model, []byte(strings.Replace(string(data), "      - name: ROLE\n", "      - name: TEAM\n        type: VARCHAR\n      - name: ROLE\n", 1)), 0o644)
	if code, out, _ := runCmd(t, "ids", "check", "--model", model); code != 1 || !strings.Contains(out, "USERS.TEAM t2-18") {
		t.Errorf("check after adding TEAM: exit %d %s", code, out)
	}
	if code, _, errOut := runCmd(t, "validate", model); code != 1 || !strings.Contains(errOut, "run agentlayer ids update --model "+model) {
		t.Errorf("validate with a stale lock: exit %d %s", code, errOut)
	}
	if code, out, _ := runCmd(t, "ids", "update", "--model", model); code != 0 || !strings.Contains(out, "new ids: USERS.TEAM t2-18") {
		t.Errorf("update after adding TEAM: exit %d %s", code, out)
	}
	if code, out, errOut := runCmd(t, "validate", model); code != 0 || !strings.Contains(out, "numbered by") {
		t.Errorf("validate after update: exit %d %s %s", code, out, errOut)
	}
}
