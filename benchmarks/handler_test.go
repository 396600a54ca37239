package benchmarks

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
)

// BenchmarkHandler runs /v1/execute in process, without the network: the
// handler's own cost over the engine's.
func BenchmarkHandler(b *testing.B) {
	e := env(b, 1)
	p, err := e.Prepare(context.Background(), queryNamed(b, "2,000-row detail page"))
	if err != nil {
		b.Fatal(err)
	}
	h := e.Server.Config.Handler
	jwt := JWT(p.Persona)
	body := `{"query":"` + p.Token + `"}`
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest("POST", "/api/agent/v1/execute", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+jwt)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != 202 {
			b.Fatal(w.Code, w.Body.String())
		}
	}
}

func queryNamed(b *testing.B, name string) Query {
	for _, q := range Queries {
		if q.Name == name {
			return q
		}
	}
	b.Fatalf("no benchmark query %q", name)
	return Query{}
}
