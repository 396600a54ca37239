package sqlgen

import "testing"

// TestError_Error: a refusal's text holds its reason, as its JSON does.
func TestError_Error(t *testing.T) {
	err := Forbidden("table_id", ReasonTable)
	if got := err.Error(); got != MessageForbidden+" "+ReasonTable {
		t.Errorf("got %q", got)
	}
	if got := invalid("limit", "limit must be positive").Error(); got != "limit must be positive" {
		t.Errorf("got %q", got)
	}
}
