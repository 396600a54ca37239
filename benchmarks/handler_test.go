package benchmarks

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
)

// BenchmarkHandler runs /v1/execute in process, without the network, for
// each query at scale 1: the handler's own cost over the engine's.
func BenchmarkHandler(b *testing.B) {
	e := env(b, 1)
	for _, q := range Queries {
		p, err := e.Prepare(context.Background(), q)
		if err != nil {
			b.Fatal(err)
		}
		h := e.Server.Config.Handler
		jwt := JWT(p.Persona)
		body := `{"query":"` + p.Token + `"}`
		b.Run(strings.ReplaceAll(q.Name, " ", "_"), func(b *testing.B) {
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
		})
	}
}
