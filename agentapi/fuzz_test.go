package agentapi

import (
	"bytes"
	"database/sql"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// hiddenFromSales are values of columns the sales persona may not see
// (PEOPLE.EMAIL and PASSWORD), read once: no answer to sales may hold one.
var hiddenFromSales = sync.OnceValues(func() ([]string, error) {
	s, err := sampleServer()
	if err != nil {
		return nil, err
	}
	rows, err := s.db.Query(`SELECT EMAIL, PASSWORD FROM PEOPLE ORDER BY ID LIMIT 20`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var email, password sql.NullString
		rows.Scan(&email, &password)
		out = append(out, email.String, password.String)
	}
	return out, rows.Err()
})

// maskedFromSupport are true values of columns the support persona sees
// only through masks (PEOPLE.EMAIL, NAME, ADDRESS) or not at all
// (PASSWORD): no answer to support may hold one.
var maskedFromSupport = sync.OnceValues(func() ([]string, error) {
	s, err := sampleServer()
	if err != nil {
		return nil, err
	}
	rows, err := s.db.Query(`SELECT EMAIL, NAME, ADDRESS, PASSWORD FROM PEOPLE ORDER BY ID LIMIT 20`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v [4]sql.NullString
		rows.Scan(&v[0], &v[1], &v[2], &v[3])
		for _, x := range v {
			out = append(out, x.String)
		}
	}
	return out, rows.Err()
})

// FuzzHandler drives the whole handler with arbitrary methods, paths,
// bodies and credentials: it never panics, never answers 500 but for a
// query that failed, and never shows the sales persona a value of a column
// hidden from it.
func FuzzHandler(f *testing.F) {
	s, err := sampleServer()
	if err != nil {
		f.Fatal(err)
	}
	hidden, err := hiddenFromSales()
	if err != nil {
		f.Fatal(err)
	}
	masked, err := maskedFromSupport()
	if err != nil {
		f.Fatal(err)
	}
	seeds := []struct {
		method, path, body string
		who                uint8
	}{
		{"GET", "/api/agent/v1/table/2?with-field-values=true", "", 1},
		{"GET", "/api/agent/v1/table/2/field/t2-2/values", "", 1},
		{"POST", "/api/agent/v1/search", `{"term_queries":["people email"]}`, 1},
		{"POST", "/api/agent/v1/query", `{"table_id":2,"fields":[{"field_id":"t2-2"}]}`, 1},
		{"POST", "/api/agent/v1/query", `{"table_id":1,"fields":[{"field_id":"t1-0"},{"field_id":"t1-11"}],"limit":5}`, 1},
		{"POST", "/api/agent/v1/construct-query", `{"metric_id":1,"group_by":[{"field_id":"c1-16"}]}`, 2},
		{"POST", "/api/agent/v1/execute", `{"query":"eyJ2IjoxfQ=="}`, 2},
		{"POST", "/auth/sso", `{"jwt":"x.y.z"}`, 0},
		{"DELETE", "/api/session", "", 3},
		{"GET", "/readyz", "", 0},
		{"POST", "/api/agent/v1/query", `{"table_id":2,"fields":[{"field_id":"EMAIL"},{"field_id":"NAME"},{"field_id":"ADDRESS"}],"limit":50}`, 4},
		{"POST", "/api/agent/v1/query", `{"table_id":2,"aggregations":[{"function":"count"}],"group_by":[{"field_id":"NAME"}],"filters":[{"field_id":"EMAIL","operation":"string-contains","value":"a"}]}`, 4},
		{"GET", "/api/agent/v1/table/2/field/EMAIL/values", "", 4},
		{"POST", "/api/agent/v1/query", `{"table_id":1,"aggregations":[{"function":"count"}],"group_by":[{"field_id":"USER.ADDRESS"}]}`, 4},
	}
	for _, sd := range seeds {
		f.Add(sd.method, sd.path, []byte(sd.body), sd.who)
	}
	handler := s.srv.Config.Handler
	f.Fuzz(func(t *testing.T, method, path string, body []byte, who uint8) {
		req, err := http.NewRequest(method, "http://x"+path, bytes.NewReader(body))
		if err != nil || !strings.HasPrefix(req.URL.Path, "/") {
			return
		}
		switch who % 5 {
		case 1:
			req.Header.Set("Authorization", "Bearer "+hs256(t, jwt.MapClaims{"email": "sales.tx@example.com", "iat": time.Now().Unix()}))
		case 2:
			req.Header.Set("Authorization", "Bearer "+hs256(t, jwt.MapClaims{"email": "admin@example.com", "iat": time.Now().Unix()}))
		case 3:
			req.Header.Set("X-Metabase-Session", string(body))
		case 4:
			req.Header.Set("Authorization", "Bearer "+hs256(t, jwt.MapClaims{"email": "support@example.com", "iat": time.Now().Unix()}))
		}
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		out := rec.Body.String()
		if rec.Code == 500 && !strings.Contains(out, `"query_failed"`) {
			t.Fatalf("%s %s: 500 %s", method, path, out)
		}
		if who%5 == 1 {
			for _, h := range hidden {
				if h != "" && strings.Contains(out, h) {
					t.Fatalf("%s %s %s: the answer to sales holds %q, hidden from them", method, path, body, h)
				}
			}
		}
		if who%5 == 4 {
			for _, h := range masked {
				if h != "" && strings.Contains(out, h) && !strings.Contains(string(body), h) {
					t.Fatalf("%s %s %s: the answer to support holds %q, masked from them", method, path, body, h)
				}
			}
		}
	})
}
