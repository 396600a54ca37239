package benchmarks

import (
	"context"
	"io"
	"net/http"
	"testing"
)

// BenchmarkPing is the floor of an HTTP request over loopback: /healthz
// (routing and a tiny answer, nothing else), and /v1/ping (a JWT verified
// too, and the tables the caller sees counted).
func BenchmarkPing(b *testing.B) {
	e := env(b, 0.01)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	jwt := JWT("analyst@example.com")
	for _, tt := range []struct{ name, path, jwt string }{{"healthz", "/healthz", ""}, {"ping", "/api/agent/v1/ping", jwt}} {
		b.Run(tt.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				req, _ := http.NewRequestWithContext(context.Background(), "GET", e.Server.URL+tt.path, nil)
				if tt.jwt != "" {
					req.Header.Set("Authorization", "Bearer "+tt.jwt)
				}
				resp, err := client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
	}
}
