package benchmarks

import (
	"context"
	"io"
	"net/http"
	"testing"
)

// BenchmarkPing is the floor of an HTTP request over loopback: JWT, routing,
// a tiny answer.
func BenchmarkPing(b *testing.B) {
	e := env(b, 0.01)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	jwt := JWT("analyst@example.com")
	b.ReportAllocs()
	for b.Loop() {
		req, _ := http.NewRequestWithContext(context.Background(), "GET", e.Server.URL+"/api/agent/v1/ping", nil)
		req.Header.Set("Authorization", "Bearer "+jwt)
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}
