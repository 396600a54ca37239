package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/agentlayer/agentlayer/internal/testsupport/idp"
	"github.com/agentlayer/agentlayer/internal/testsupport/testkit"
)

// TestServe_identityProvider: serve behind an identity provider, reached
// through a proxy at its --public-url: the provider's tokens for the Agent
// API's audience work there, MCP points a client without a token at its
// resource metadata (by the public URL) and takes tokens for its own
// audience, and the key set's state is a metric.
func TestServe_identityProvider(t *testing.T) {
	key := idp.NewKey(t, "k1", "PS256")
	prov := idp.NewProvider(t, key)
	const iss, public = "https://login.example.com/oauth2/default", "https://data.example.com"
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := startServe(t, ctx, "--jwt-jwks-url", prov.URL(), "--jwt-issuer", iss, "--jwt-audience", "api://agentlayer",
		"--public-url", public, "--jwt-attribute-claim", "department", "--metrics-addr", "127.0.0.1:0")
	tok := func(aud string) map[string]string {
		n := time.Now()
		return map[string]string{"Authorization": "Bearer " + key.Sign(t, jwt.MapClaims{"iss": iss, "aud": aud, "email": "sales.tx@example.com",
			"email_verified": true, "scope": "agent:*", "iat": n.Unix(), "exp": n.Add(time.Hour).Unix()})}
	}
	if code, body := get(t, s.base+"/api/agent/v1/ping", tok("api://agentlayer")); code != 200 {
		t.Errorf("the provider's token on the Agent API: %d %s", code, body)
	}
	if code, body := get(t, s.base+"/api/agent/v1/ping", bearer(t, "sales.tx@example.com")); code != 200 {
		t.Errorf("HS256 beside the provider: %d %s", code, body)
	}
	call := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"search","arguments":{"term_queries":["orders"]}}}`
	mcpHeaders := map[string]string{"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
	status, hdr, body := testkit.Call(t, "POST", s.base+"/api/agent/mcp", call, mcpHeaders)
	if want := `Bearer resource_metadata="` + public + `/.well-known/oauth-protected-resource/api/agent/mcp"`; status != 401 || hdr.Get("WWW-Authenticate") != want {
		t.Errorf("MCP without a token: %d %q %s; want %s", status, hdr.Get("WWW-Authenticate"), body, want)
	}
	for k, v := range tok(public + "/api/agent/mcp") {
		mcpHeaders[k] = v
	}
	if status, _, body := testkit.Call(t, "POST", s.base+"/api/agent/mcp", call, mcpHeaders); status != 200 {
		t.Errorf("MCP with a token for its URL: %d %s", status, body)
	}
	if code, body := get(t, s.base+"/.well-known/oauth-protected-resource/api/agent/mcp", nil); code != 200 ||
		!strings.Contains(body, `"resource":"`+public+`/api/agent/mcp"`) || !strings.Contains(body, `"authorization_servers":["`+iss+`"]`) {
		t.Errorf("the resource metadata: %d %s", code, body)
	}
	if _, body := get(t, s.metrics, nil); !strings.Contains(body, "agentlayer_jwks_keys 1") || !strings.Contains(body, "agentlayer_jwks_stale 0") {
		t.Errorf("the key set's metrics: %s", body)
	}
}

// TestServe_identityFlags: flags that do not go together are usage errors
// naming what is missing.
func TestServe_identityFlags(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--jwt-jwks-url", "http://127.0.0.1:1/jwks"}, "--jwt-issuer is required"},
		{[]string{"--jwt-jwks-url", "http://x/jwks", "--jwt-jwks-file", "f", "--jwt-issuer", "i"}, "not both"},
		{[]string{"--public-url", "https://data.example.com"}, "--jwt-jwks-url"},
		{[]string{"--oauth-only"}, "--public-url"},
		{[]string{"--jwt-audience", "a"}, "--jwt-audience applies to an identity provider"},
		{[]string{"--jwt-jwks-file", "f", "--jwt-issuer", "i", "--jwt-identify-by", "name"}, "--jwt-identify-by name"},
		{[]string{"--jwt-jwks-file", "f", "--jwt-issuer", "i", "--public-url", "data.example.com"}, "--public-url"},
		{[]string{"--jwt-jwks-file", "f", "--jwt-issuer", "i", "--public-url", "http://data.example.com"}, "must be https"},
		{[]string{"--jwt-jwks-url", "http://login.example.com/keys", "--jwt-issuer", "i"}, "must be https"},
	} {
		code, _, errOut := runCmd(t, append([]string{"serve"}, tt.args...)...)
		if code != 2 || !strings.Contains(errOut, tt.want) {
			t.Errorf("%v: exit %d, %s; want 2 and %q", tt.args, code, errOut, tt.want)
		}
	}
}
