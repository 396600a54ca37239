package agentapi

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/agentlayer/agentlayer/auth"
	"github.com/agentlayer/agentlayer/engine"
	"github.com/agentlayer/agentlayer/fixtures"
	"github.com/agentlayer/agentlayer/internal/testsupport/testkit"
)

var testSecret = []byte("agentlayer-test-secret-0123456789abcdef")

// sampleEngine is shared by the tests of the package: the sample dataset
// at a small scale, generated once.
var sampleEngine = sync.OnceValues(func() (*engine.Engine, error) {
	return engine.New(context.Background(), engine.Options{
		ModelFile: fixtures.ModelFile,
		ModelYAML: fixtures.Model(),
		Setup:     fixtures.Setup(0.05),
	})
})

// TestMain runs the tests, then validates every response they received
// against the OpenAPI document, when the whole suite ran.
func TestMain(m *testing.M) {
	code := m.Run()
	if e, err := sampleEngine(); err == nil {
		e.Close()
	}
	if code == 0 && !testing.Short() && runAll() {
		if problems := validateRecorded(); len(problems) > 0 {
			fmt.Fprintf(os.Stderr, "responses that do not match openapi.yaml:\n  %s\n", strings.Join(problems, "\n  "))
			code = 1
		}
	}
	os.Exit(code)
}

// runAll reports whether no -run filter narrowed the tests.
func runAll() bool {
	f := flag.Lookup("test.run")
	return f == nil || f.Value.String() == ""
}

// authServer is a real listener serving the handler, with a settable clock
// for sessions.
type authServer struct {
	*httptest.Server
	mu  sync.Mutex
	now time.Time
}

func (s *authServer) clock() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.now
}

func (s *authServer) advance(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = s.now.Add(d)
}

func newAuthServer(t *testing.T, requireKnown, withSecret bool) *authServer {
	t.Helper()
	e, err := sampleEngine()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := auth.ParseDirectory(fixtures.UsersFile, fixtures.Users())
	if err != nil {
		t.Fatal(err)
	}
	s := &authServer{now: time.Now()}
	opts := Options{Sessions: auth.NewSessions(auth.SessionOptions{TTL: time.Hour, Now: s.clock})}
	if withSecret {
		opts.Verifier, err = auth.NewVerifier(auth.VerifierOptions{Secret: testSecret, Directory: dir, RequireKnownUsers: requireKnown})
		if err != nil {
			t.Fatal(err)
		}
	}
	h := New(e, opts).(*handler)
	// A route per scope, to test the scope check itself.
	for _, scope := range []string{auth.ScopeTableRead, auth.ScopeSearch, auth.ScopeQuery} {
		h.route("GET /api/agent/test/"+strings.ReplaceAll(scope, ":", "-"), scope, h.ping)
	}
	s.Server = httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s
}

func signed(t *testing.T, method jwt.SigningMethod, key any, claims jwt.MapClaims) string {
	t.Helper()
	tok, err := jwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func hs256(t *testing.T, claims jwt.MapClaims) string {
	return signed(t, jwt.SigningMethodHS256, testSecret, claims)
}

type response struct {
	status int
	header http.Header
	body   string
}

func call(t *testing.T, method, url string, header map[string]string, body string) response {
	t.Helper()
	status, h, b := testkit.Call(t, method, url, body, header)
	record(method, url, status, b)
	return response{status, h, strings.TrimSpace(b)}
}

const (
	pong          = `{"message":"pong","tables":0,"metrics":0}`
	bodyMissing   = `{"error":"missing_authorization","message":"Authentication required. Use X-Metabase-Session header or Authorization: Bearer <jwt>."}`
	bodyFormat    = `{"error":"invalid_authorization_format","message":"Authorization header must use Bearer scheme: Authorization: Bearer <jwt>"}`
	bodyInvalid   = `{"error":"invalid_jwt","message":"Invalid or expired JWT token."}`
	bodyNoSecret  = `{"error":"jwt_not_configured","message":"JWT authentication is not configured. Set the JWT shared secret in admin settings."}`
	bodyScope     = `{"error":"unsupported_scope","message":"Insufficient scope for this operation."}`
	pingPath      = "/api/agent/v1/ping"
	currentPath   = "/api/user/current"
	tableReadPath = "/api/agent/test/agent-table-read"
	queryPath     = "/api/agent/test/agent-query"
)

// TestAuthentication covers every credential docs/api.md names, each with its
// exact status and body, over a real listener with real JWTs.
func TestAuthentication(t *testing.T) {
	srv := newAuthServer(t, false, true)
	strict := newAuthServer(t, true, true)
	unconfigured := newAuthServer(t, false, false)
	now := time.Now().Unix()
	claims := func(extra jwt.MapClaims) jwt.MapClaims {
		c := jwt.MapClaims{"email": "analyst@example.com", "iat": now}
		for k, v := range extra {
			if v == nil {
				delete(c, k)
			} else {
				c[k] = v
			}
		}
		return c
	}
	good := hs256(t, claims(nil))
	parts := strings.Split(good, ".")
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	bearer := func(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }

	tests := []struct {
		name   string
		srv    *authServer
		path   string
		header map[string]string
		status int
		body   string
	}{
		{"valid token", srv, pingPath, bearer(good), 200, pong},
		{"mixed-case email of a known user", strict, pingPath, bearer(hs256(t, claims(jwt.MapClaims{"email": "Analyst@Example.COM"}))), 200, pong},
		{"upper-case email", srv, pingPath, bearer(hs256(t, claims(jwt.MapClaims{"email": "ANALYST@EXAMPLE.COM"}))), 200, pong},
		{"scheme BEARER", srv, pingPath, map[string]string{"Authorization": "BEARER " + good}, 200, pong},
		{"scheme BeArEr", srv, pingPath, map[string]string{"Authorization": "BeArEr " + good}, 200, pong},
		{"no header", srv, pingPath, nil, 401, bodyMissing},
		{"Basic scheme", srv, pingPath, map[string]string{"Authorization": "Basic YWxhZGRpbjpvcGVuc2VzYW1l"}, 401, bodyFormat},
		{"Bearer without token", srv, pingPath, map[string]string{"Authorization": "Bearer"}, 401, bodyFormat},
		{"token without scheme", srv, pingPath, map[string]string{"Authorization": good}, 401, bodyFormat},
		{"alg none", srv, pingPath, bearer(signed(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, claims(nil))), 401, bodyInvalid},
		{"HS384", srv, pingPath, bearer(signed(t, jwt.SigningMethodHS384, testSecret, claims(nil))), 401, bodyInvalid},
		{"HS512", srv, pingPath, bearer(signed(t, jwt.SigningMethodHS512, testSecret, claims(nil))), 401, bodyInvalid},
		{"RS256", srv, pingPath, bearer(signed(t, jwt.SigningMethodRS256, rsaKey, claims(nil))), 401, bodyInvalid},
		{"wrong secret", srv, pingPath, bearer(signed(t, jwt.SigningMethodHS256, []byte("some-other-secret-0123456789abcdef"), claims(nil))), 401, bodyInvalid},
		{"iat missing", srv, pingPath, bearer(hs256(t, claims(jwt.MapClaims{"iat": nil}))), 401, bodyInvalid},
		{"iat 181 s old", srv, pingPath, bearer(hs256(t, claims(jwt.MapClaims{"iat": now - 181}))), 401, bodyInvalid},
		{"iat 60 s in the future", srv, pingPath, bearer(hs256(t, claims(jwt.MapClaims{"iat": now + 60}))), 401, bodyInvalid},
		{"iat a string", srv, pingPath, bearer(hs256(t, claims(jwt.MapClaims{"iat": fmt.Sprint(now)}))), 401, bodyInvalid},
		{"iat negative", srv, pingPath, bearer(hs256(t, claims(jwt.MapClaims{"iat": -5}))), 401, bodyInvalid},
		{"exp in the past", srv, pingPath, bearer(hs256(t, claims(jwt.MapClaims{"exp": now - 30}))), 401, bodyInvalid},
		{"nbf in the future", srv, pingPath, bearer(hs256(t, claims(jwt.MapClaims{"nbf": now + 60}))), 401, bodyInvalid},
		{"email missing", srv, pingPath, bearer(hs256(t, claims(jwt.MapClaims{"email": nil}))), 401, bodyInvalid},
		{"email empty", srv, pingPath, bearer(hs256(t, claims(jwt.MapClaims{"email": ""}))), 401, bodyInvalid},
		{"email a number", srv, pingPath, bearer(hs256(t, claims(jwt.MapClaims{"email": 12345}))), 401, bodyInvalid},
		{"two segments", srv, pingPath, bearer(parts[0] + "." + parts[1]), 401, bodyInvalid},
		{"bad base64", srv, pingPath, bearer(parts[0] + ".@@@." + parts[2]), 401, bodyInvalid},
		{"trailing garbage", srv, pingPath, bearer(good + ".extra"), 401, bodyInvalid},
		{"100 KB token", srv, pingPath, bearer(good + strings.Repeat("x", 100<<10)), 401, bodyInvalid},
		{"inactive user", srv, pingPath, bearer(hs256(t, claims(jwt.MapClaims{"email": "former@example.com"}))), 401, bodyInvalid},
		{"unknown user", srv, pingPath, bearer(hs256(t, claims(jwt.MapClaims{"email": "stranger@example.com"}))), 200, pong},
		{"unknown user, known users required", strict, pingPath, bearer(hs256(t, claims(jwt.MapClaims{"email": "stranger@example.com"}))), 401, bodyInvalid},
		{"JWT not configured", unconfigured, pingPath, bearer(good), 401, bodyNoSecret},
		{"random session", srv, pingPath, map[string]string{SessionHeader: "c2Vzc2lvbi10aGF0LWRvZXMtbm90LWV4aXN0"}, 401, bodyMissing},
		{"random session and a valid token", srv, pingPath, map[string]string{SessionHeader: "nope", "Authorization": "Bearer " + good}, 200, pong},
		{"scope allowed", srv, tableReadPath, bearer(hs256(t, claims(jwt.MapClaims{"scope": "agent:table:read"}))), 200, pong},
		{"scope wildcard", srv, tableReadPath, bearer(hs256(t, claims(jwt.MapClaims{"scope": "agent:*"}))), 200, pong},
		{"scope missing", srv, tableReadPath, bearer(hs256(t, claims(jwt.MapClaims{"scope": "agent:search"}))), 403, bodyScope},
		{"scope empty", srv, tableReadPath, bearer(hs256(t, claims(jwt.MapClaims{"scope": ""}))), 403, bodyScope},
		{"no scope claim", srv, tableReadPath, bearer(good), 200, pong},
		{"construct scope does not grant query", srv, queryPath, bearer(hs256(t, claims(jwt.MapClaims{"scope": "agent:query:construct agent:query:execute"}))), 403, bodyScope},
		{"ping needs no scope", srv, pingPath, bearer(hs256(t, claims(jwt.MapClaims{"scope": "agent:search"}))), 200, pong},
		{"unauthenticated unknown path", srv, "/api/agent/v1/nope", nil, 401, bodyMissing},
		{"unknown path", srv, "/api/agent/v1/nope", bearer(good), 404, `{"error":"not_found","message":"Not found."}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := call(t, "GET", tt.srv.URL+tt.path, tt.header, "")
			if got.status != tt.status || got.body != tt.body {
				t.Errorf("got %d %s\nwant %d %s", got.status, got.body, tt.status, tt.body)
			}
			if got.status >= 400 && got.header.Get("Content-Type") != "application/json" {
				t.Errorf("error Content-Type = %q", got.header.Get("Content-Type"))
			}
		})
	}
}

func TestCurrentUser_directoryGroups(t *testing.T) {
	srv := newAuthServer(t, false, true)
	tests := []struct {
		claims jwt.MapClaims
		want   string
	}{
		{jwt.MapClaims{"email": "Sales.TX@example.com", "iat": time.Now().Unix()},
			`{"email":"sales.tx@example.com","first_name":"Sam","last_name":"Seller","common_name":"Sam Seller","groups":["sales"],"login_attributes":{"state":"TX"},"scopes":null}`},
		{jwt.MapClaims{"email": "someone@example.com", "iat": time.Now().Unix(), "groups": []string{"analyst"}, "region": "west", "scope": "agent:*"},
			`{"email":"someone@example.com","first_name":"","last_name":"","common_name":"","groups":["analyst"],"login_attributes":{"region":"west"},"scopes":["agent:*"]}`},
	}
	for _, tt := range tests {
		got := call(t, "GET", srv.URL+currentPath, map[string]string{"Authorization": "Bearer " + hs256(t, tt.claims)}, "")
		if got.status != 200 || got.body != tt.want {
			t.Errorf("got %d %s\nwant %s", got.status, got.body, tt.want)
		}
	}
}

func TestSessions(t *testing.T) {
	srv := newAuthServer(t, false, true)
	tok := func() string {
		return hs256(t, jwt.MapClaims{"email": "sales.tx@example.com", "iat": time.Now().Unix()})
	}
	exchange := []struct {
		name, method, path, body string
	}{
		{"POST /auth/sso", "POST", "/auth/sso", `{"jwt":"%s"}`},
		{"POST /auth/sso/to_session", "POST", "/auth/sso/to_session", `{"jwt":"%s"}`},
		{"GET /auth/sso", "GET", "/auth/sso?jwt=%s", ""},
	}
	for _, ex := range exchange {
		t.Run(ex.name, func(t *testing.T) {
			path, body := ex.path, ex.body
			if body != "" {
				body = fmt.Sprintf(body, tok())
			} else {
				path = fmt.Sprintf(path, url.QueryEscape(tok()))
			}
			got := call(t, ex.method, srv.URL+path, map[string]string{"Content-Type": "application/json"}, body)
			if got.status != 200 {
				t.Fatalf("exchange: %d %s", got.status, got.body)
			}
			var resp struct {
				Status       string `json:"status"`
				ID           string `json:"id"`
				SessionToken string `json:"session_token"`
				Exp, Iat     int64
			}
			if err := json.Unmarshal([]byte(got.body), &resp); err != nil {
				t.Fatal(err)
			}
			if resp.Status != "ok" || resp.ID == "" || resp.ID != resp.SessionToken || resp.Exp-resp.Iat != 3600 {
				t.Fatalf("exchange response %s", got.body)
			}
			session := map[string]string{SessionHeader: resp.SessionToken}
			if got := call(t, "GET", srv.URL+currentPath, session, ""); got.status != 200 || !strings.Contains(got.body, `"groups":["sales"]`) {
				t.Errorf("use session: %d %s", got.status, got.body)
			}
			if got := call(t, "DELETE", srv.URL+"/api/session", session, ""); got.status != 204 || got.body != "" {
				t.Errorf("logout: %d %s", got.status, got.body)
			}
			if got := call(t, "GET", srv.URL+pingPath, session, ""); got.status != 401 || got.body != bodyMissing {
				t.Errorf("after logout: %d %s", got.status, got.body)
			}
		})
	}
	t.Run("expiry", func(t *testing.T) {
		got := call(t, "POST", srv.URL+"/auth/sso", nil, `{"jwt":"`+tok()+`"}`)
		var resp struct{ ID string }
		json.Unmarshal([]byte(got.body), &resp)
		session := map[string]string{SessionHeader: resp.ID}
		if got := call(t, "GET", srv.URL+pingPath, session, ""); got.status != 200 {
			t.Fatalf("fresh session: %d %s", got.status, got.body)
		}
		srv.advance(61 * time.Minute)
		if got := call(t, "GET", srv.URL+pingPath, session, ""); got.status != 401 || got.body != bodyMissing {
			t.Errorf("expired session: %d %s", got.status, got.body)
		}
	})
	refusals := []struct {
		name, method, path, body string
		status                   int
		want                     string
	}{
		{"exchange a bad token", "POST", "/auth/sso", `{"jwt":"not.a.jwt"}`, 401, bodyInvalid},
		{"exchange without jwt", "POST", "/auth/sso", `{}`, 400, `{"error":"invalid_request","message":"jwt is required","path":"jwt"}`},
		{"exchange with a broken body", "POST", "/auth/sso", `{"jwt":`, 400, `{"error":"invalid_request","message":"request body must be a JSON object: invalid JSON at byte 7"}`},
		{"exchange with an empty body", "POST", "/auth/sso", " ", 400, `{"error":"invalid_request","message":"request body must be a JSON object: the body is empty"}`},
		{"exchange with two objects", "POST", "/auth/sso", `{"jwt":"a"} {}`, 400, `{"error":"invalid_request","message":"request body must be a JSON object: invalid JSON at byte 13"}`},
		{"exchange with a number for jwt", "POST", "/auth/sso", `{"jwt":5}`, 400, `{"error":"invalid_request","message":"request body must be a JSON object: jwt must be a string, not number"}`},
		{"logout without session", "DELETE", "/api/session", "", 401, bodyMissing},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			got := call(t, tt.method, srv.URL+tt.path, nil, tt.body)
			if got.status != tt.status || got.body != tt.want {
				t.Errorf("got %d %s\nwant %d %s", got.status, got.body, tt.status, tt.want)
			}
		})
	}
	t.Run("exchange needs a configured secret", func(t *testing.T) {
		un := newAuthServer(t, false, false)
		if got := call(t, "POST", un.URL+"/auth/sso", nil, `{"jwt":"`+tok()+`"}`); got.status != 401 || got.body != bodyNoSecret {
			t.Errorf("got %d %s", got.status, got.body)
		}
	})
}

func TestRequestBodyLimit(t *testing.T) {
	srv := newAuthServer(t, false, true)
	big := `{"jwt":"` + strings.Repeat("a", MaxBodyBytes) + `"}`
	got := call(t, "POST", srv.URL+"/auth/sso", nil, big)
	if got.status != 413 || !strings.Contains(got.body, `"error":"request_too_large"`) {
		t.Errorf("got %d %s", got.status, got.body)
	}
}

// TestAuthentication_logs shows why a JWT failed in the debug log, never in
// the response, and never logs the token.
func TestAuthentication_logs(t *testing.T) {
	e, err := sampleEngine()
	if err != nil {
		t.Fatal(err)
	}
	var logs testkit.SyncBuffer
	v, _ := auth.NewVerifier(auth.VerifierOptions{Secret: testSecret})
	srv := httptest.NewServer(New(e, Options{Verifier: v, Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}))
	defer srv.Close()
	old := hs256(t, jwt.MapClaims{"email": "a@example.com", "iat": time.Now().Unix() - 600})
	got := call(t, "GET", srv.URL+pingPath, map[string]string{"Authorization": "Bearer " + old}, "")
	if got.body != bodyInvalid {
		t.Fatalf("got %d %s", got.status, got.body)
	}
	out := logs.String()
	if !strings.Contains(out, "iat is more than 3m0s old") {
		t.Errorf("the debug log does not say why:\n%s", out)
	}
	if strings.Contains(out, old) || strings.Contains(out, strings.Split(old, ".")[2]) {
		t.Errorf("the log holds the token:\n%s", out)
	}
	if !strings.Contains(out, "status=401") {
		t.Errorf("no request line:\n%s", out)
	}
}

// TestSessions_deactivated: a session ends when its user is deactivated in
// the directory, even though it was exchanged while they were active.
func TestSessions_deactivated(t *testing.T) {
	e, err := sampleEngine()
	if err != nil {
		t.Fatal(err)
	}
	sessions := auth.NewSessions(auth.SessionOptions{})
	active, _ := auth.ParseDirectory("users.yaml", []byte("users:\n  - {email: temp@example.com, groups: [analyst]}\n"))
	inactive, _ := auth.ParseDirectory("users.yaml", []byte("users:\n  - {email: temp@example.com, groups: [analyst], active: false}\n"))
	serve := func(dir *auth.Directory) *httptest.Server {
		v, _ := auth.NewVerifier(auth.VerifierOptions{Secret: testSecret, Directory: dir})
		srv := httptest.NewServer(New(e, Options{Verifier: v, Sessions: sessions}))
		t.Cleanup(srv.Close)
		return srv
	}
	before := serve(active)
	got := call(t, "POST", before.URL+"/auth/sso", nil, `{"jwt":"`+hs256(t, jwt.MapClaims{"email": "temp@example.com", "iat": time.Now().Unix()})+`"}`)
	var resp struct{ ID string }
	json.Unmarshal([]byte(got.body), &resp)
	session := map[string]string{SessionHeader: resp.ID}
	if got := call(t, "GET", before.URL+pingPath, session, ""); got.status != 200 {
		t.Fatalf("session while active: %d %s", got.status, got.body)
	}
	// The same sessions, served after the directory deactivated the user.
	after := serve(inactive)
	if got := call(t, "GET", after.URL+pingPath, session, ""); got.status != 401 || got.body != bodyMissing {
		t.Errorf("session after deactivation: %d %s", got.status, got.body)
	}
	// Made active again, the user does not get the session back: it
	// ended with the deactivation, for good.
	again := serve(active)
	if got := call(t, "GET", again.URL+pingPath, session, ""); got.status != 401 || got.body != bodyMissing {
		t.Errorf("session after reactivation: %d %s", got.status, got.body)
	}
}
