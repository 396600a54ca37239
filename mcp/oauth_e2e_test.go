package mcp_test

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/agentlayer/agentlayer/internal/testsupport/idp"
	"github.com/agentlayer/agentlayer/internal/testsupport/testkit"
)

// nodeScripts finds Node and the npm package pkg of the tests' own folder
// (scripts/test runs npm ci in testdata/tsclient); in CI their absence is
// a failure.
func nodeScripts(t *testing.T, pkg string) (node, dir string) {
	t.Helper()
	testkit.FullTier(t, "Node and "+pkg)
	dir = filepath.Join("testdata", "tsclient")
	node, err := exec.LookPath("node")
	if err == nil {
		_, err = os.Stat(filepath.Join(dir, "node_modules", pkg))
	}
	if err != nil {
		testkit.Missing(t, "%s is not installed (npm ci in %s): %v", pkg, dir, err)
	}
	return node, dir
}

// oidcProvider runs testdata/tsclient/oidc.mjs on port, its keys named by
// prefix, until the test ends or stop is called.
func oidcProvider(t *testing.T, node, dir string, port int, resource, prefix string) (issuer string, stop func()) {
	t.Helper()
	cmd := exec.Command(node, "oidc.mjs")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), fmt.Sprintf("PORT=%d", port), "RESOURCE="+resource, "KEY_PREFIX="+prefix,
		"SCOPES=agent:search agent:table:read agent:metric:read agent:query agent:query:construct agent:query:execute")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cmd.Process.Kill()
			cmd.Wait()
		})
	}
	t.Cleanup(stop)
	line, err := bufio.NewReader(out).ReadString('\n')
	var started struct{ Issuer string }
	if err != nil || json.Unmarshal([]byte(line), &started) != nil {
		stop()
		t.Fatalf("the OpenID provider did not start: %v %q\n%s", err, line, stderr.String())
	}
	go io.Copy(io.Discard, out)
	return started.Issuer, stop
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// TestOAuth_realProviderAndClient: a real OpenID provider (oidc-provider)
// issues JWT access tokens for the MCP URL; the official TypeScript SDK
// client meets a 401, discovers the metadata, registers, and runs the
// authorization code flow with PKCE while this test logs in and consents
// as sales.tx; its search and query answer as sales.tx (Texas only), and
// its token works on the Agent API. Tokens for another audience, expired,
// signed by a key not in the set, HS256 signed with the provider's public
// key, alg none, and signed by a retired key are each refused with the
// same 401.
func TestOAuth_realProviderAndClient(t *testing.T) {
	node, dir := nodeScripts(t, "oidc-provider")
	port := freePort(t)
	issuer := fmt.Sprintf("http://127.0.0.1:%d", port)
	base, _ := oauthStack(t, oauthSetup{issuer: issuer, jwksURL: issuer + "/jwks", mcpOnAPI: true, leeway: time.Second})
	resource := base + "/api/agent/mcp"
	_, stopProvider := oidcProvider(t, node, dir, port, resource, "k1")

	byState := `{"table_id":1,"aggregations":[{"function":"count"}],"group_by":[{"field_id":"USER.STATE"}]}`
	client := exec.Command(node, "oauth_client.mjs", resource, byState)
	client.Dir = dir
	stdout, _ := client.StdoutPipe()
	var clientErr strings.Builder
	client.Stderr = &clientErr
	if err := client.Start(); err != nil {
		t.Fatal(err)
	}
	defer client.Process.Kill()
	lines := bufio.NewReader(stdout)
	first, err := lines.ReadString('\n')
	var authz struct{ Authorize string }
	if err != nil || json.Unmarshal([]byte(first), &authz) != nil || authz.Authorize == "" {
		client.Wait()
		t.Fatalf("the client printed no authorization URL: %v %q\n%s", err, first, clientErr.String())
	}
	u, _ := url.Parse(authz.Authorize)
	if u.Query().Get("code_challenge_method") != "S256" || u.Query().Get("resource") != resource {
		t.Errorf("the authorization request: %s (want PKCE S256 and resource %s)", authz.Authorize, resource)
	}
	actAsUser(t, authz.Authorize, "sales.tx@example.com")
	last, err := lines.ReadString('\n')
	if werr := client.Wait(); werr != nil || err != nil {
		t.Fatalf("the client: %v %v\n%s\n%s", werr, err, last, clientErr.String())
	}
	var got struct {
		Token, Scope string
		Tools        []string
		SearchError  bool `json:"search_error"`
		QueryError   bool `json:"query_error"`
		Rows         [][]any
		QueryText    string `json:"query_text"`
	}
	if err := json.Unmarshal([]byte(last), &got); err != nil {
		t.Fatalf("%v: %s", err, last)
	}
	if got.SearchError || got.QueryError || len(got.Tools) != 9 {
		t.Fatalf("the client's calls: %s", last)
	}
	if len(got.Rows) != 1 || got.Rows[0][0] != "TX" {
		t.Errorf("sales.tx's orders by state: %v, want Texas only", got.Rows)
	}

	// The same token on the Agent API: the same answer.
	resp, data := send(t, http.MethodPost, base+"/api/agent/v1/query", got.Token, byState)
	var api struct{ Data struct{ Rows [][]any } }
	if json.Unmarshal(data, &api); resp.StatusCode != http.StatusAccepted || fmt.Sprint(api.Data.Rows) != fmt.Sprint(got.Rows) {
		t.Errorf("the token on the Agent API: %d %s; want the rows %v", resp.StatusCode, data, got.Rows)
	}

	call := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"search","arguments":{"term_queries":["orders"]}}}`
	if resp, data := send(t, http.MethodPost, resource, got.Token, call); resp.StatusCode != 200 {
		t.Fatalf("the client's token: %d %s", resp.StatusCode, data)
	}
	bad := forgeries(t, issuer, resource, got.Token)
	bad["expired"] = clientCredentials(t, issuer, "short", resource)
	time.Sleep(4 * time.Second) // its 2 s, and the 1 s leeway
	// Retire the keys: the provider restarts with new ones; a token of a
	// new key makes agentlayer refresh its set.
	stopProvider()
	oidcProvider(t, node, dir, port, resource, "k2")
	if resp, data := send(t, http.MethodPost, resource, clientCredentials(t, issuer, "short", resource), call); resp.StatusCode != 200 {
		t.Fatalf("a token of the new key: %d %s", resp.StatusCode, data)
	}
	bad["signed by a retired key"] = got.Token
	var want string
	for name, tok := range bad {
		resp, data := send(t, http.MethodPost, resource, tok, call)
		answer := fmt.Sprintf("%d %s %s", resp.StatusCode, resp.Header.Get("WWW-Authenticate"), data)
		if want == "" {
			want = answer
		}
		if resp.StatusCode != 401 || answer != want {
			t.Errorf("%s: %s; want the same 401 as the others: %s", name, answer, want)
		}
	}
	if !strings.Contains(want, `error="invalid_token"`) {
		t.Errorf("the refusal: %s", want)
	}
}

// actAsUser plays the user in a browser: it opens the authorization URL,
// logs in as email and consents at the provider, and follows the
// redirects to the client's callback.
func actAsUser(t *testing.T, authorize, email string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	resp, err := browser.Get(authorize)
	for step := 0; ; step++ {
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		at := resp.Request.URL
		if at.Path == "/callback" {
			if resp.StatusCode != 200 {
				t.Fatalf("the callback: %d %s", resp.StatusCode, data)
			}
			return
		}
		var prompt struct{ Prompt string }
		if step > 4 || !strings.HasPrefix(at.Path, "/interaction/") || json.Unmarshal(data, &prompt) != nil {
			t.Fatalf("at %s: %d %s", at, resp.StatusCode, data)
		}
		switch prompt.Prompt {
		case "login":
			resp, err = browser.PostForm(at.String()+"/login", url.Values{"login": {email}})
		case "consent":
			resp, err = browser.PostForm(at.String()+"/confirm", nil)
		default:
			t.Fatalf("the provider asks %q: %s", prompt.Prompt, data)
		}
	}
}

// clientCredentials gets a token of a static client of oidc.mjs.
func clientCredentials(t *testing.T, issuer, client, resource string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, issuer+"/token", strings.NewReader(url.Values{
		"grant_type": {"client_credentials"}, "resource": {resource}, "scope": {"agent:search"}}.Encode()))
	req.SetBasicAuth(client, client+"-secret")
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || tok.AccessToken == "" {
		t.Fatalf("client credentials of %s: %d %v", client, resp.StatusCode, err)
	}
	return tok.AccessToken
}

// forgeries are tokens made from a real one that must be refused: for
// another audience (the provider's own, for another resource), signed by a
// key not in the set under the real kid, HS256 with the provider's public
// RSA key as the secret, and alg none.
func forgeries(t *testing.T, issuer, resource, real string) map[string]string {
	t.Helper()
	parts := strings.Split(real, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var claims jwt.MapClaims
	json.Unmarshal(payload, &claims)
	var header map[string]any
	h, _ := base64.RawURLEncoding.DecodeString(parts[0])
	json.Unmarshal(h, &header)

	stranger, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	other := jwt.NewWithClaims(jwt.SigningMethodES256, claims)
	other.Header["kid"] = header["kid"]
	notInSet, _ := other.SignedString(stranger)

	resp, err := http.Get(issuer + "/jwks")
	if err != nil {
		t.Fatal(err)
	}
	var set struct {
		Keys []map[string]string `json:"keys"`
	}
	json.NewDecoder(resp.Body).Decode(&set)
	resp.Body.Close()
	var pemKey []byte
	var rsaKID string
	for _, k := range set.Keys {
		if k["kty"] == "RSA" {
			n, _ := base64.RawURLEncoding.DecodeString(k["n"])
			e, _ := base64.RawURLEncoding.DecodeString(k["e"])
			der, _ := x509.MarshalPKIXPublicKey(&rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())})
			pemKey, rsaKID = pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), k["kid"]
		}
	}
	if pemKey == nil {
		t.Fatal("the provider publishes no RSA key")
	}
	hs := jwt.NewWithClaims(jwt.SigningMethodHS256, claims)
	hs.Header["kid"] = rsaKID
	confused, _ := hs.SignedString(pemKey)
	none := jwt.NewWithClaims(jwt.SigningMethodNone, claims)
	none.Header["kid"] = header["kid"]
	unsigned, _ := none.SignedString(jwt.UnsafeAllowNoneSignatureType)
	return map[string]string{
		"another audience":                  clientCredentials(t, issuer, "other", "https://other.example.com/api"),
		"a key not in the set":              notInSet,
		"HS256 with the public key":         confused,
		"alg none":                          unsigned,
		"the client's token, its aud moved": resign(t, claims, resource),
	}
}

// resign is the real token's claims with another aud, signed by a key not
// the provider's: refused for its signature whatever its aud.
func resign(t *testing.T, claims jwt.MapClaims, resource string) string {
	c := jwt.MapClaims{}
	for k, v := range claims {
		c[k] = v
	}
	c["aud"] = []string{resource, "https://other.example.com/api"}
	return idp.NewKey(t, "k1-es256", "ES256").Sign(t, c)
}

// post sends a JSON body with a bearer token, for goroutines (no t).
func post(url, tok, body string) (int, []byte, error) {
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return resp.StatusCode, data, err
}

// TestOAuth_rotationUnderLoad: as providers rotate, the new key is
// published, agentlayer's set refreshes (on its Cache-Control), tokens are
// signed with it, and the old key is retired, while 16 clients query over
// MCP and the Agent API: no request with a valid token fails.
func TestOAuth_rotationUnderLoad(t *testing.T) {
	testkit.FullTier(t, "16 clients for seconds")
	old, next := idp.NewKey(t, "2026-11", "RS256"), idp.NewKey(t, "2026-12", "ES256")
	prov := idp.NewProvider(t, old)
	prov.SetCacheControl("max-age=1")
	base, v := oauthStack(t, oauthSetup{issuer: oauthIssuer, jwksURL: prov.URL(), mcpOnAPI: true, minRefresh: time.Second})
	resource := base + "/api/agent/mcp"
	var signing atomic.Pointer[idp.Key]
	signing.Store(old)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var failed atomic.Int64
	answered := map[string]*atomic.Int64{old.KID: {}, next.KID: {}}
	var firstFailure atomic.Pointer[string]
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				k := signing.Load()
				tok := providerToken(t, k, resource, "sales.tx@example.com", "agent:*")
				url, body := resource, `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"query","arguments":{"table_id":1,"aggregations":[{"function":"count"}]}}}`
				if i%2 == 1 {
					url, body = base+"/api/agent/v1/query", `{"table_id":1,"aggregations":[{"function":"count"}]}`
				}
				status, data, err := post(url, tok, body)
				if err == nil && status/100 == 2 && !strings.Contains(string(data), `"isError":true`) {
					answered[k.KID].Add(1)
					continue
				}
				failed.Add(1)
				msg := fmt.Sprintf("client %d, key %s: %d %s %v", i, k.KID, status, data, err)
				firstFailure.CompareAndSwap(nil, &msg)
			}
		}()
	}
	wait := func(what string, done func() bool) {
		deadline := time.Now().Add(30 * time.Second)
		for !done() {
			if time.Now().After(deadline) {
				t.Fatalf("waited 30 s for %s", what)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	time.Sleep(time.Second)
	prov.SetKeys(old, next)
	wait("the set to hold the new key", func() bool { st, _ := v.KeySet(); return st.Keys == 2 })
	signing.Store(next)
	time.Sleep(2 * time.Second) // the requests signed with the old key are answered

	prov.SetKeys(next)
	wait("the set to drop the old key", func() bool { st, _ := v.KeySet(); return st.Keys == 1 })
	time.Sleep(time.Second)
	cancel()
	wg.Wait()
	t.Logf("%d requests answered with the old key, %d with the new, %d failed, %d key set fetches",
		answered[old.KID].Load(), answered[next.KID].Load(), failed.Load(), prov.Fetches.Load())
	if failed.Load() > 0 {
		t.Errorf("%d requests with a valid token failed; the first: %s", failed.Load(), *firstFailure.Load())
	}
	for kid, n := range answered {
		if n.Load() == 0 {
			t.Errorf("no request signed with %s was answered: the rotation was not under load", kid)
		}
	}
	if _, err := v.Verify(providerToken(t, old, base+"/api/agent", "sales.tx@example.com", "agent:*")); err == nil {
		t.Error("the retired key still verifies")
	}
}
