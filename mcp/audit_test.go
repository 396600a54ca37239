package mcp_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/agentlayer/agentlayer/engine"
	"github.com/agentlayer/agentlayer/fixtures"
	"github.com/agentlayer/agentlayer/internal/testkit"
	"github.com/agentlayer/agentlayer/mcp"
)

// TestProvenanceAndAudit: an answer names the policies that decided it
// and a fingerprint of its plan; the audit log has one line per query that
// read data, over HTTP and MCP alike, with no value and no credential.
func TestProvenanceAndAudit(t *testing.T) {
	var audit testkit.SyncBuffer
	st := newStack(t, engine.Options{ModelFile: fixtures.ModelFile, ModelYAML: fixtures.Model(),
		PolicyFile: fixtures.PolicyFile, PolicyYAML: fixtures.Policy(), Setup: fixtures.Setup(0.05), AuditLog: &audit}, mcp.Options{})
	query := func(email, body string) http.Header {
		t.Helper()
		status, header, _ := st.send(t, "POST", "/api/agent/v1/query", token(t, email, nil), body)
		if status != 202 {
			t.Fatalf("%s: %d", body, status)
		}
		return header
	}
	byCategory := `{"table_id":1,"aggregations":[{"function":"count"}],"group_by":[{"field_id":"PRODUCT.CATEGORY"}]}`
	h1 := query("sales.tx@example.com", byCategory)
	h2 := query("sales.tx@example.com", byCategory)
	h3 := query("sales.tx@example.com", `{"table_id":1,"aggregations":[{"function":"count"}]}`)
	h4 := query("admin@example.com", byCategory)
	fingerprint := regexp.MustCompile(`^[0-9a-f]{16}$`)
	switch {
	case h1.Get("X-Agentlayer-Policies") != "sales" || h4.Get("X-Agentlayer-Policies") != "admins":
		t.Errorf("policies: sales %q, admin %q", h1.Get("X-Agentlayer-Policies"), h4.Get("X-Agentlayer-Policies"))
	case !fingerprint.MatchString(h1.Get("X-Agentlayer-Plan")):
		t.Errorf("plan %q", h1.Get("X-Agentlayer-Plan"))
	case h1.Get("X-Agentlayer-Plan") != h2.Get("X-Agentlayer-Plan"):
		t.Error("the same query, two fingerprints")
	case h1.Get("X-Agentlayer-Plan") == h3.Get("X-Agentlayer-Plan") || h1.Get("X-Agentlayer-Plan") == h4.Get("X-Agentlayer-Plan"):
		t.Error("another query, or another user's row rule, with the same fingerprint")
	}

	cs := st.connect(t, bearer(token(t, "sales.tx@example.com", nil)))
	res, _ := call(t, cs, "query", map[string]any{"table_id": 2, "aggregations": []any{map[string]any{"function": "count"}}})
	if res.IsError {
		t.Fatal("the MCP query failed")
	}
	if fmt.Sprint(res.Meta["agentlayer/policies"]) != "[sales]" || !fingerprint.MatchString(fmt.Sprint(res.Meta["agentlayer/plan"])) {
		t.Errorf("MCP _meta %v", res.Meta)
	}
	cs.Close()

	// Field values name their policies too.
	req, _ := http.NewRequest("GET", st.srv.URL+"/api/agent/v1/table/2/field/STATE/values", nil)
	req.Header.Set("Authorization", "Bearer "+token(t, "sales.tx@example.com", nil))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("X-Agentlayer-Policies") != "sales" || !fingerprint.MatchString(resp.Header.Get("X-Agentlayer-Plan")) {
		t.Errorf("field values headers %v", resp.Header)
	}

	// An answer under a minimum group size records the groups it left out.
	byCity := `{"table_id":1,"aggregations":[{"function":"count"}],"group_by":[{"field_id":"USER.CITY"}],"limit":10000}`
	query("benchmark@example.com", byCity)
	small := 0
	sizes := `{"table_id":1,"aggregations":[{"function":"count"},{"function":"count-distinct","field_id":"USER_ID"}],"group_by":[{"field_id":"USER.CITY"}],"limit":10000}`
	_, all := st.post(t, "POST", "/api/agent/v1/query", token(t, "admin@example.com", nil), sizes)
	for _, r := range all["data"].(map[string]any)["rows"].([]any) {
		// Groups of fewer than 10 orders, or of fewer than 10 customers
		// (PEOPLE is aggregate-only for the persona).
		if r.([]any)[1].(float64) < 10 || r.([]any)[2].(float64) < 10 {
			small++
		}
	}

	var records []engine.AuditRecord
	sc := bufio.NewScanner(strings.NewReader(audit.String()))
	for sc.Scan() {
		var rec engine.AuditRecord
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("an audit line that is not JSON: %s", sc.Text())
		}
		records = append(records, rec)
	}
	if len(records) != 8 {
		t.Fatalf("%d audit records, want 8:\n%s", len(records), audit.String())
	}
	first, last := records[0], records[4]
	if fv := records[5]; fv.Endpoint != "GET /api/agent/v1/table/{id}/field/{field_id}/values" || fv.Rows == 0 {
		t.Errorf("the field values record %+v", fv)
	}
	if bench := records[6]; bench.User != "benchmark@example.com" || bench.SuppressedGroups != small || small == 0 {
		t.Errorf("the benchmark record %+v, want %d suppressed groups", bench, small)
	}
	if first.User != "sales.tx@example.com" || first.Endpoint != "POST /api/agent/v1/query" || strings.Join(first.Tables, ",") != "ORDERS,PRODUCTS" ||
		strings.Join(first.Policies, ",") != "sales" || first.Plan != h1.Get("X-Agentlayer-Plan") || first.Rows == 0 || first.Outcome != "completed" {
		t.Errorf("first record %+v", first)
	}
	if last.Endpoint != "mcp query" || strings.Join(last.Tables, ",") != "PEOPLE" || last.Rows != 1 {
		t.Errorf("the MCP record %+v", last)
	}
	// No value of the data, no rule's bound value, no credential.
	for _, bad := range []string{"TX", "Bearer", "eyJ", "Gizmo", "SELECT"} {
		if strings.Contains(audit.String(), bad) {
			t.Errorf("the audit log holds %q:\n%s", bad, audit.String())
		}
	}
}
