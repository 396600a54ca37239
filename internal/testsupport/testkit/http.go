package testkit

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
)

// Send sends an HTTP request with body (none when "") and header, and
// returns the response, whose body the caller reads and closes: for an
// answer read as it streams. A request that cannot be sent fails the test.
func Send(t testing.TB, ctx context.Context, method, url, body string, header map[string]string) *http.Response {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, r)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// Call sends a request as Send does and reads the whole answer: its
// status, headers and body.
func Call(t testing.TB, method, url, body string, header map[string]string) (int, http.Header, string) {
	t.Helper()
	resp := Send(t, context.Background(), method, url, body, header)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, string(b)
}

// Bearer is the Authorization header of a token.
func Bearer(token string) map[string]string {
	return map[string]string{"Authorization": "Bearer " + token}
}

// WithHeaders is a transport that adds h to every request before next
// (nil: http.DefaultTransport) sends it.
func WithHeaders(h http.Header, next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	return headerTransport{h, next}
}

type headerTransport struct {
	h    http.Header
	next http.RoundTripper
}

func (t headerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	for k, v := range t.h {
		r.Header[k] = v
	}
	return t.next.RoundTrip(r)
}
