package mcp_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/agentlayer/agentlayer/agentapi"
	"github.com/agentlayer/agentlayer/auth"
	"github.com/agentlayer/agentlayer/fixtures"
	"github.com/agentlayer/agentlayer/internal/testsupport/idp"
	"github.com/agentlayer/agentlayer/internal/testsupport/testkit"
	"github.com/agentlayer/agentlayer/mcp"
)

const oauthIssuer = "https://idp.example.com/"

// oauthSetup says how oauthStack verifies tokens.
type oauthSetup struct {
	issuer, jwksURL string
	// mcpOnAPI lets the Agent API accept MCP's audience too.
	mcpOnAPI, only     bool
	leeway, minRefresh time.Duration
}

// oauthStack serves the sample engine's MCP as an OAuth protected resource
// whose tokens come from a provider, beside the Agent API, as serve mounts
// them; it returns the base URL and the verifier.
func oauthStack(t *testing.T, s oauthSetup) (string, *auth.Verifier) {
	t.Helper()
	st := sampleStack(t)
	dir, err := auth.ParseDirectory(fixtures.UsersFile, fixtures.Users())
	if err != nil {
		t.Fatal(err)
	}
	// The server's address is known before it serves: its handler, which
	// names its URL, is set before it starts.
	srv := httptest.NewUnstartedServer(nil)
	t.Cleanup(srv.Close)
	base := "http://" + srv.Listener.Addr().String()
	resource := base + "/api/agent/mcp"
	audiences := []string{base + "/api/agent"}
	if s.mcpOnAPI {
		audiences = append(audiences, resource)
	}
	v, err := auth.NewVerifier(auth.VerifierOptions{Secret: testSecret, Directory: dir, Leeway: s.leeway, Provider: &auth.ProviderOptions{
		Issuer: s.issuer, JWKSURL: s.jwksURL, Audiences: audiences, RefreshFloor: 10 * time.Millisecond, MinRefresh: s.minRefresh,
		Logger: slog.New(slog.DiscardHandler)}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(v.Close)
	oauth := &mcp.OAuthOptions{Resource: resource, AuthorizationServers: []string{s.issuer}, Only: s.only}
	if err := oauth.Check(); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/api/agent/mcp", mcp.New(st.e, mcp.Options{Verifier: v, OAuth: oauth}))
	mux.Handle(oauth.MetadataPath(), oauth.MetadataHandler())
	mux.Handle(mcp.MetadataPrefix, oauth.MetadataHandler())
	mux.Handle("/", agentapi.New(st.e, agentapi.Options{Verifier: v}))
	srv.Config.Handler = mux
	srv.Start()
	return srv.URL, v
}

func providerToken(t *testing.T, k *idp.Key, aud, email, scope string) string {
	n := time.Now()
	return k.Sign(t, jwt.MapClaims{"iss": oauthIssuer, "aud": aud, "sub": email, "email": email, "email_verified": true,
		"scope": scope, "iat": n.Unix(), "exp": n.Add(time.Hour).Unix()})
}

func send(t *testing.T, method, url, tok, body string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp, data
}

// TestOAuth_protectedResource: MCP as an OAuth 2.1 protected resource —
// its metadata at both RFC 9728 paths, a 401 pointing at it (with the
// Agent API's JSON body), tokens accepted for the MCP URL's audience only,
// and the same provider's token for the Agent API's audience working
// there.
func TestOAuth_protectedResource(t *testing.T) {
	key := idp.NewKey(t, "k1", "ES256")
	prov := idp.NewProvider(t, key)
	base, _ := oauthStack(t, oauthSetup{issuer: oauthIssuer, jwksURL: prov.URL()})
	resource := base + "/api/agent/mcp"
	metaURL := base + "/.well-known/oauth-protected-resource/api/agent/mcp"

	for _, u := range []string{metaURL, base + "/.well-known/oauth-protected-resource"} {
		resp, data := send(t, http.MethodGet, u, "", "")
		var meta struct {
			Resource             string   `json:"resource"`
			AuthorizationServers []string `json:"authorization_servers"`
			Scopes               []string `json:"scopes_supported"`
		}
		if err := json.Unmarshal(data, &meta); err != nil || resp.StatusCode != 200 {
			t.Fatalf("%s: %d %s", u, resp.StatusCode, data)
		}
		if meta.Resource != resource || !slices.Equal(meta.AuthorizationServers, []string{oauthIssuer}) ||
			!slices.Contains(meta.Scopes, auth.ScopeQuery) || !slices.Contains(meta.Scopes, auth.ScopeSearch) {
			t.Errorf("%s: %+v", u, meta)
		}
	}

	call := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"search","arguments":{"term_queries":["orders"]}}}`
	resp, data := send(t, http.MethodPost, resource, "", call)
	if resp.StatusCode != 401 || resp.Header.Get("WWW-Authenticate") != `Bearer resource_metadata="`+metaURL+`"` ||
		!strings.Contains(string(data), `"error":"missing_authorization"`) {
		t.Errorf("no token: %d %q %s", resp.StatusCode, resp.Header.Get("WWW-Authenticate"), data)
	}
	apiTok := providerToken(t, key, base+"/api/agent", "sales.tx@example.com", "agent:query agent:search")
	resp, data = send(t, http.MethodPost, resource, apiTok, call)
	if resp.StatusCode != 401 || resp.Header.Get("WWW-Authenticate") != `Bearer error="invalid_token", resource_metadata="`+metaURL+`"` ||
		!strings.Contains(string(data), `"error":"invalid_jwt"`) {
		t.Errorf("the Agent API's audience at MCP: %d %q %s", resp.StatusCode, resp.Header.Get("WWW-Authenticate"), data)
	}
	if resp, data := send(t, http.MethodGet, base+"/api/agent/v1/ping", apiTok, ""); resp.StatusCode != 200 {
		t.Errorf("the Agent API's audience at the Agent API: %d %s", resp.StatusCode, data)
	}

	mcpTok := providerToken(t, key, resource, "sales.tx@example.com", "agent:search")
	c := sdk.NewClient(&sdk.Implementation{Name: "test", Version: "1"}, nil)
	cs, err := c.Connect(context.Background(), &sdk.StreamableClientTransport{Endpoint: resource,
		HTTPClient: &http.Client{Transport: testkit.WithHeaders(bearer(mcpTok), nil)}, MaxRetries: -1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	res, err := cs.CallTool(context.Background(), &sdk.CallToolParams{Name: "search", Arguments: map[string]any{"term_queries": []string{"orders"}}})
	if err != nil || res.IsError {
		t.Fatalf("search with the provider's token: %v %+v", err, res)
	}
	// Step-up: query needs a scope the token lacks.
	resp, _ = send(t, http.MethodPost, resource, mcpTok, `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"query","arguments":{}}}`)
	if want := `Bearer error="insufficient_scope", scope="agent:query", resource_metadata="` + metaURL + `"`; resp.StatusCode != 403 || resp.Header.Get("WWW-Authenticate") != want {
		t.Errorf("step-up: %d %q; want 403 %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"), want)
	}
	// HS256 stays accepted on MCP without --oauth-only.
	if resp, data := send(t, http.MethodPost, resource, token(t, "sales.tx@example.com", nil), call); resp.StatusCode != 200 {
		t.Errorf("HS256 on MCP: %d %s", resp.StatusCode, data)
	}
}

// TestOAuth_only: with Only, MCP refuses HS256 tokens and sessions; the
// Agent API still takes them.
func TestOAuth_only(t *testing.T) {
	key := idp.NewKey(t, "k1", "RS256")
	base, _ := oauthStack(t, oauthSetup{issuer: oauthIssuer, jwksURL: idp.NewProvider(t, key).URL(), only: true})
	call := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"search","arguments":{"term_queries":["orders"]}}}`
	hs := token(t, "sales.tx@example.com", nil)
	if resp, data := send(t, http.MethodPost, base+"/api/agent/mcp", hs, call); resp.StatusCode != 401 || !strings.Contains(string(data), "invalid_jwt") {
		t.Errorf("HS256 on MCP with OAuth only: %d %s", resp.StatusCode, data)
	}
	if resp, data := send(t, http.MethodGet, base+"/api/agent/v1/ping", hs, ""); resp.StatusCode != 200 {
		t.Errorf("HS256 on the Agent API: %d %s", resp.StatusCode, data)
	}
	if resp, data := send(t, http.MethodPost, base+"/api/agent/mcp", providerToken(t, key, base+"/api/agent/mcp", "sales.tx@example.com", "agent:*"), call); resp.StatusCode != 200 {
		t.Errorf("the provider's token: %d %s", resp.StatusCode, data)
	}
}
