package agentapi

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/agentlayer/agentlayer/internal/testsupport/testkit"
)

// TestQuery_respondAsync: /v1/query with Prefer: respond-async answers
// 202 with a Location naming /v1/query/{handle} and {"status":
// "running"}; the handle answers 202 running until the answer is ready,
// then the answer /v1/query would have given, once; another user's
// credential finds nothing there.
func TestQuery_respondAsync(t *testing.T) {
	s := server(t)
	body := `{"table_id":1,"aggregations":[{"function":"count"}],"group_by":[{"field_id":"USER.STATE"}]}`
	analyst := personaNamed("analyst").header(t)
	sync := call(t, "POST", s.srv.URL+"/api/agent/v1/query", analyst, body)
	hdr := map[string]string{"Prefer": "respond-async"}
	for k, v := range analyst {
		hdr[k] = v
	}
	status, header, got := testkit.Call(t, "POST", s.srv.URL+"/api/agent/v1/query", body, hdr)
	var started map[string]string
	json.Unmarshal([]byte(got), &started)
	loc := header.Get("Location")
	if status != http.StatusAccepted || started["status"] != "running" || !strings.HasPrefix(loc, "/api/agent/v1/query/") {
		t.Fatalf("%d %s %q", status, got, loc)
	}
	if other := call(t, "GET", s.srv.URL+loc, personaNamed("sales").header(t), ""); other.status != http.StatusNotFound {
		t.Errorf("another user's fetch: %d %s", other.status, other.body)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		res := call(t, "GET", s.srv.URL+loc, analyst, "")
		if res.status == http.StatusAccepted && strings.Contains(res.body, `"running"`) && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
			continue
		}
		norm := regexp.MustCompile(`"running_time":\d+`).ReplaceAllString
		if res.status != sync.status || norm(res.body, "") != norm(sync.body, "") {
			t.Errorf("the answer: %d %s\nwant %d %s", res.status, res.body, sync.status, sync.body)
		}
		break
	}
	if again := call(t, "GET", s.srv.URL+loc, analyst, ""); again.status != http.StatusNotFound {
		t.Errorf("fetched twice: %d", again.status)
	}
}
