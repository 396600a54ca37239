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
		switch who % 4 {
		case 1:
			req.Header.Set("Authorization", "Bearer "+hs256(t, jwt.MapClaims{"email": "sales.tx@example.com", "iat": time.Now().Unix()}))
		case 2:
			req.Header.Set("Authorization", "Bearer "+hs256(t, jwt.MapClaims{"email": "admin@example.com", "iat": time.Now().Unix()}))
		case 3:
			req.Header.Set("X-Metabase-Session", string(body))
		}
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		out := rec.Body.String()
		if rec.Code == 500 && !strings.Contains(out, `"query_failed"`) {
			t.Fatalf("%s %s: 500 %s", method, path, out)
		}
		if who%4 == 1 {
			for _, h := range hidden {
				if h != "" && strings.Contains(out, h) {
					t.Fatalf("%s %s %s: the answer to sales holds %q, hidden from them", method, path, body, h)
				}
			}
		}
	})
}
