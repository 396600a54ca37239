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
	"github.com/agentlayer/agentlayer/internal/testsupport/testkit"
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
	_, h, _ := testkit.Call(t, "GET", st.srv.URL+"/api/agent/v1/table/2/field/STATE/values", "", testkit.Bearer(token(t, "sales.tx@example.com", nil)))
	if h.Get("X-Agentlayer-Policies") != "sales" || !fingerprint.MatchString(h.Get("X-Agentlayer-Plan")) {
		t.Errorf("field values headers %v", h)
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

	// Details that list field values read data too: one record each,
	// over HTTP (table, with related tables; metric) and MCP.
	for _, path := range []string{"/api/agent/v1/table/2?with-field-values=true", "/api/agent/v1/table/1?with-field-values=true&with-related-tables=true",
		"/api/agent/v1/metric/1?with-field-values=true&with-queryable-dimensions=true"} {
		if status, _, _ := st.send(t, "GET", path, token(t, "sales.tx@example.com", nil), ""); status != 200 {
			t.Fatalf("%s: %d", path, status)
		}
	}
	cs = st.connect(t, bearer(token(t, "sales.tx@example.com", nil)))
	if res, _ := call(t, cs, "get_table", map[string]any{"table_id": 2, "with_field_values": true}); res.IsError {
		t.Fatal("get_table with values failed")
	}
	// Refusals by the aggregate rules are recorded: when planned, and
	// after counting a filter's rows.
	// A day of a few orders not of Texans: too few to single out.
	_, days := st.post(t, "POST", "/api/agent/v1/query", token(t, "admin@example.com", nil), `{"table_id":1,"aggregations":[{"function":"count"}],"group_by":[{"field_id":"CREATED_AT","field_granularity":"day"}],"filters":[{"field_id":"USER.STATE","operation":"not-equals","value":"TX"}],"limit":10000}`)
	day := ""
	for _, r := range days["data"].(map[string]any)["rows"].([]any) {
		if n := r.([]any)[1].(float64); n > 0 && n < 10 {
			day = r.([]any)[0].(string)[:10]
			break
		}
	}
	for _, body := range []string{`{"table_id":1,"aggregations":[{"function":"sum","field_id":"USER_ID"}]}`,
		`{"table_id":1,"aggregations":[{"function":"count"}],"filters":[{"field_id":"CREATED_AT","operation":"equals","value":"` + day + `"}]}`} {
		if status, _, _ := st.send(t, "POST", "/api/agent/v1/query", token(t, "benchmark@example.com", nil), body); status != 403 {
			t.Fatalf("%s as benchmark: %d", body, status)
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
	if len(records) != 15 {
		t.Fatalf("%d audit records, want 15:\n%s", len(records), audit.String())
	}
	for i, want := range []struct{ endpoint, tables string }{
		{"GET /api/agent/v1/table/{id}", "PEOPLE"}, {"GET /api/agent/v1/table/{id}", "ORDERS,PEOPLE,PRODUCTS"},
		{"GET /api/agent/v1/metric/{id}", "ORDERS,PEOPLE,PRODUCTS"}, {"mcp get_table", "PEOPLE"},
	} {
		rec := records[8+i]
		if rec.Endpoint != want.endpoint || strings.Join(rec.Tables, ",") != want.tables || rec.Rows == 0 || rec.Outcome != "completed" || rec.Policies[0] != "sales" {
			t.Errorf("record %d %+v, want %s of %s", 8+i, rec, want.endpoint, want.tables)
		}
	}
	for _, rec := range records[13:] {
		if rec.User != "benchmark@example.com" || rec.Outcome != "refused" || rec.Rule != "aggregate-only" || rec.Rows != 0 {
			t.Errorf("refusal record %+v", rec)
		}
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
	for _, bad := range []string{"TX", "WY", "Bearer", "eyJ", "Gizmo", "SELECT"} {
		if strings.Contains(audit.String(), bad) {
			t.Errorf("the audit log holds %q:\n%s", bad, audit.String())
		}
	}
}
