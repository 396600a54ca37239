package auth_test

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/agentlayer/agentlayer/auth"
	"github.com/agentlayer/agentlayer/internal/testsupport/idp"
)

const (
	issuer   = "https://login.example.com/"
	audience = "https://data.example.com/api/agent"
)

// providerVerifier is a verifier of the provider's tokens (and HS256 with
// the test secret), on the real clock.
func providerVerifier(t *testing.T, p *idp.Provider, mutate func(*auth.VerifierOptions)) *auth.Verifier {
	t.Helper()
	opts := auth.VerifierOptions{Secret: secret, Provider: &auth.ProviderOptions{
		Issuer: issuer, JWKSURL: p.URL(), Audiences: []string{audience},
		RefreshFloor: 10 * time.Millisecond, StartWait: 5 * time.Second,
		Logger: slog.New(slog.DiscardHandler),
	}, Logger: slog.New(slog.DiscardHandler)}
	if mutate != nil {
		mutate(&opts)
	}
	v, err := auth.NewVerifier(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(v.Close)
	return v
}

// claims are a provider token's claims, issued now, for an hour.
func claims(extra jwt.MapClaims) jwt.MapClaims {
	n := time.Now()
	c := jwt.MapClaims{"iss": issuer, "aud": audience, "sub": "00u1", "email": "sales.tx@example.com",
		"email_verified": true, "iat": n.Unix(), "exp": n.Add(time.Hour).Unix()}
	for k, v := range extra {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	return c
}

func refused(t *testing.T, v *auth.Verifier, tok, reason string) {
	t.Helper()
	p, err := v.Verify(tok)
	var te *auth.TokenError
	if !errors.As(err, &te) || !errors.Is(err, auth.ErrInvalidToken) {
		t.Fatalf("Verify = %+v, %v; want a TokenError", p, err)
	}
	if te.Reason != reason {
		t.Errorf("refused as %s (%v); want %s", te.Reason, err, reason)
	}
}

// TestProvider_algorithms: a token of each asymmetric algorithm verifies
// with its key from the set, and names its user by the verified email.
func TestProvider_algorithms(t *testing.T) {
	var keys []*idp.Key
	for _, alg := range []string{"RS256", "RS512", "PS256", "ES256", "ES384", "EdDSA"} {
		keys = append(keys, idp.NewKey(t, "k-"+alg, alg))
	}
	v := providerVerifier(t, idp.NewProvider(t, keys...), nil)
	for _, k := range keys {
		p, err := v.Verify(k.Sign(t, claims(jwt.MapClaims{"scp": []any{"agent:query", "agent:search"}})))
		if err != nil {
			t.Fatalf("%s: %v", k.Alg, err)
		}
		if p.Email != "sales.tx@example.com" || fmt.Sprint(p.Scopes) != "[agent:query agent:search]" {
			t.Errorf("%s: principal %+v", k.Alg, p)
		}
	}
}

// TestProvider_refusals: each way a provider token can be wrong is
// refused, with the reason for the log; none says which to the client.
func TestProvider_refusals(t *testing.T) {
	rs, es, ed := idp.NewKey(t, "rs", "RS256"), idp.NewKey(t, "es", "ES256"), idp.NewKey(t, "ed", "EdDSA")
	outsider := idp.NewKey(t, "rs", "RS256") // a key not in the set, under a kid that is
	stranger := idp.NewKey(t, "nope", "RS256")
	prov := idp.NewProvider(t, rs, es, ed)
	// Keys a set may publish but that never verify: a shared secret, an
	// encryption key, one whose alg does not fit it.
	enc := idp.NewKey(t, "enc", "RS256")
	enc.JWK = map[string]any{"use": "enc"}
	wrongAlg := idp.NewKey(t, "wrongalg", "ES256")
	wrongAlg.JWK = map[string]any{"alg": "RS256"}
	hmacKey := []byte("a-secret-an-attacker-also-knows-0123456789")
	prov.SetExtra(enc.PublicJWK(), wrongAlg.PublicJWK(),
		map[string]any{"kty": "oct", "kid": "oct", "k": base64.RawURLEncoding.EncodeToString(hmacKey), "alg": "HS256"})
	v := providerVerifier(t, prov, nil)
	if _, err := v.Verify(rs.Sign(t, claims(nil))); err != nil {
		t.Fatal(err)
	}
	n := time.Now()
	pubDER, _ := x509.MarshalPKIXPublicKey(rs.Private.Public().(*rsa.PublicKey))
	hsWith := func(key []byte, kid string) string {
		tok := jwt.NewWithClaims(jwt.SigningMethodHS256, claims(nil))
		tok.Header["kid"] = kid
		s, err := tok.SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	none := func() string {
		tok := jwt.NewWithClaims(jwt.SigningMethodNone, claims(nil))
		tok.Header["kid"] = "rs"
		s, _ := tok.SignedString(jwt.UnsafeAllowNoneSignatureType)
		return s
	}
	withHeader := func(k *idp.Key, h map[string]any) string {
		tok := jwt.NewWithClaims(jwt.GetSigningMethod(k.Alg), claims(nil))
		for name, val := range h {
			tok.Header[name] = val
		}
		s, err := tok.SignedString(k.Private)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	for _, tt := range []struct{ name, token, reason string }{
		{"another audience", rs.Sign(t, claims(jwt.MapClaims{"aud": "https://other.example.com"})), auth.ReasonAudience},
		{"no audience", rs.Sign(t, claims(jwt.MapClaims{"aud": nil})), auth.ReasonAudience},
		{"another issuer", rs.Sign(t, claims(jwt.MapClaims{"iss": "https://login.example.com"})), auth.ReasonIssuer},
		{"expired", rs.Sign(t, claims(jwt.MapClaims{"exp": n.Add(-time.Minute).Unix()})), auth.ReasonExpired},
		{"no exp", rs.Sign(t, claims(jwt.MapClaims{"exp": nil})), auth.ReasonLifetime},
		{"no iat", rs.Sign(t, claims(jwt.MapClaims{"iat": nil})), auth.ReasonIssuedAt},
		{"past its maximum lifetime", rs.Sign(t, claims(jwt.MapClaims{"iat": n.Add(-3 * time.Hour).Unix(), "exp": n.Add(time.Hour).Unix()})), auth.ReasonLifetime},
		{"a key not in the set, under a kid that is", outsider.Sign(t, claims(nil)), auth.ReasonSignature},
		{"a kid not in the set", stranger.Sign(t, claims(nil)), auth.ReasonUnknownKey},
		{"no kid", withHeader(rs, map[string]any{"kid": nil}), auth.ReasonUnknownKey},
		{"its key given in the header (jwk)", withHeader(stranger, map[string]any{"kid": "nope", "jwk": stranger.PublicJWK()}), auth.ReasonUnknownKey},
		{"its key's URL in the header (jku)", withHeader(stranger, map[string]any{"kid": "nope", "jku": prov.URL()}), auth.ReasonUnknownKey},
		{"HS256 signed with the RSA public key", hsWith(pubDER, "rs"), auth.ReasonSignature},
		{"HS256 signed with a published symmetric key", hsWith(hmacKey, "oct"), auth.ReasonSignature},
		{"alg none", none(), auth.ReasonAlgorithm},
		{"an RSA kid with ES256", withHeader(es, map[string]any{"kid": "rs"}), auth.ReasonAlgorithm},
		{"an encryption key", enc.Sign(t, claims(nil)), auth.ReasonUnknownKey},
		{"a key whose alg does not fit it", wrongAlg.Sign(t, claims(nil)), auth.ReasonUnknownKey},
		{"email not verified", rs.Sign(t, claims(jwt.MapClaims{"email_verified": false})), auth.ReasonUnverified},
		{"no email", rs.Sign(t, claims(jwt.MapClaims{"email": nil})), auth.ReasonEmail},
		{"groups left out (Entra overage)", rs.Sign(t, claims(jwt.MapClaims{"_claim_names": map[string]any{"groups": "src1"}})), auth.ReasonOverage},
		{"groups left out (hasgroups)", rs.Sign(t, claims(jwt.MapClaims{"hasgroups": true})), auth.ReasonOverage},
		{"a duplicate claim", dupClaim(t, rs), auth.ReasonDuplicate},
	} {
		t.Run(tt.name, func(t *testing.T) { refused(t, v, tt.token, tt.reason) })
	}
	// An endpoint with its own audience (MCP's URL) accepts only it.
	mcpAud := "https://data.example.com/api/agent/mcp"
	if _, err := v.VerifyAt(rs.Sign(t, claims(jwt.MapClaims{"aud": []any{"x", mcpAud}})), auth.Endpoint{Audiences: []string{mcpAud}}); err != nil {
		t.Errorf("MCP's audience: %v", err)
	}
	if _, err := v.VerifyAt(rs.Sign(t, claims(nil)), auth.Endpoint{Audiences: []string{mcpAud}}); err == nil {
		t.Error("the Agent API's audience verified at MCP")
	}
	// ProviderOnly refuses HS256 with the right secret.
	hs := sign(t, jwt.MapClaims{"email": "a@example.com", "iat": n.Unix()})
	if _, err := v.Verify(hs); err != nil {
		t.Errorf("HS256 beside the provider: %v", err)
	}
	if _, err := v.VerifyAt(hs, auth.Endpoint{ProviderOnly: true}); err == nil {
		t.Error("HS256 verified where only the provider's tokens are accepted")
	}
}

// dupClaim is a token whose payload names email twice, signed.
func dupClaim(t *testing.T, k *idp.Key) string {
	t.Helper()
	good := k.Sign(t, claims(nil))
	parts := strings.Split(good, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	payload = []byte(strings.Replace(string(payload), `"email":`, `"email":"admin@example.com","email":`, 1))
	signing := parts[0] + "." + base64.RawURLEncoding.EncodeToString(payload)
	sig, err := jwt.GetSigningMethod(k.Alg).Sign(signing, k.Private)
	if err != nil {
		t.Fatal(err)
	}
	return signing + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// TestProvider_withoutSecret: with only a provider, HS256 is refused
// whatever it is signed with.
func TestProvider_withoutSecret(t *testing.T) {
	rs := idp.NewKey(t, "rs", "RS256")
	v := providerVerifier(t, idp.NewProvider(t, rs), func(o *auth.VerifierOptions) { o.Secret = nil })
	if _, err := v.Verify(rs.Sign(t, claims(nil))); err != nil {
		t.Fatal(err)
	}
	refused(t, v, sign(t, jwt.MapClaims{"email": "a@example.com", "iat": time.Now().Unix()}), auth.ReasonAlgorithm)
}

// TestProvider_whoTheTokenNames: attributes only from the listed claims,
// the directory's winning; groups mapped from a provider's ids; scopes
// from scope or scp; a token without scopes has none; users by subject.
func TestProvider_whoTheTokenNames(t *testing.T) {
	rs := idp.NewKey(t, "rs", "RS256")
	prov := idp.NewProvider(t, rs)
	dir, err := auth.ParseDirectory("users.yaml", []byte(`users:
  - email: sales.tx@example.com
    groups: [sales]
    attributes: {state: TX}
    identities: [{issuer: "`+issuer+`", subject: "oid-1"}]
  - email: gone@example.com
    active: false
    identities: [{issuer: "`+issuer+`", subject: "oid-2"}]
`))
	if err != nil {
		t.Fatal(err)
	}
	v := providerVerifier(t, prov, func(o *auth.VerifierOptions) {
		o.Directory = dir
		o.GroupMappings = map[string][]string{"6f1c0b7e-guid": {"analysts"}}
		o.Provider.AttributeClaims = []string{"state", "department"}
	})
	p, err := v.Verify(rs.Sign(t, claims(jwt.MapClaims{"state": "CA", "department": "ops", "title": "admin",
		"groups": []any{"6f1c0b7e-guid"}, "scope": "agent:search"})))
	if err != nil {
		t.Fatal(err)
	}
	if p.Attributes["state"] != "TX" || p.Attributes["department"] != "ops" || p.Attributes["title"] != nil {
		t.Errorf("attributes %v: want the directory's state, the listed department, no title", p.Attributes)
	}
	if fmt.Sprint(p.Groups) != "[analysts sales]" || fmt.Sprint(p.Scopes) != "[agent:search]" {
		t.Errorf("groups %v, scopes %v", p.Groups, p.Scopes)
	}
	p, err = v.Verify(rs.Sign(t, claims(jwt.MapClaims{"email": "new@example.com", "email_verified": nil})))
	if err != nil {
		t.Fatal(err)
	}
	if p.Scopes == nil || len(p.Scopes) != 0 || p.Allows(auth.ScopeSearch) {
		t.Errorf("a token without scopes: %v (want none, not unrestricted)", p.Scopes)
	}
	refused(t, v, rs.Sign(t, claims(jwt.MapClaims{"email": "gone@example.com"})), auth.ReasonInactiveUser)
	if _, err := auth.NewVerifier(auth.VerifierOptions{Provider: &auth.ProviderOptions{Issuer: issuer, JWKSURL: prov.URL(),
		AttributeClaims: []string{"email"}}}); err == nil || !strings.Contains(err.Error(), `"email"`) {
		t.Errorf("email as an attribute claim: %v", err)
	}

	bySub := providerVerifier(t, prov, func(o *auth.VerifierOptions) {
		o.Directory = dir
		o.Provider.IdentifyBy = auth.IdentifyBySubject
		o.Provider.SubjectClaim = "oid"
	})
	// The email claim, however it reads, is not who the token names.
	p, err = bySub.Verify(rs.Sign(t, claims(jwt.MapClaims{"oid": "oid-1", "email": "ceo@example.com", "email_verified": nil})))
	if err != nil || p.Email != "sales.tx@example.com" {
		t.Fatalf("by subject: %+v, %v", p, err)
	}
	refused(t, bySub, rs.Sign(t, claims(jwt.MapClaims{"oid": "oid-9"})), auth.ReasonUnknownUser)
	refused(t, bySub, rs.Sign(t, claims(jwt.MapClaims{"oid": "oid-2"})), auth.ReasonInactiveUser)
}

// TestProvider_rotation: a token signed with a key published after the
// set was fetched verifies once the unknown kid refreshes the set; a
// retired key stops verifying at the next refresh; made-up kids each
// refresh once per interval, and cannot keep a real new kid out.
func TestProvider_rotation(t *testing.T) {
	old, next := idp.NewKey(t, "2026-01", "RS256"), idp.NewKey(t, "2026-02", "ES256")
	prov := idp.NewProvider(t, old)
	v := providerVerifier(t, prov, nil)
	if _, err := v.Verify(old.Sign(t, claims(nil))); err != nil {
		t.Fatal(err)
	}
	prov.SetKeys(old, next)
	if _, err := v.Verify(next.Sign(t, claims(nil))); err != nil {
		t.Fatalf("a new key: %v", err)
	}
	// Made-up kids: one refresh each, then none for the interval.
	before := prov.Fetches.Load()
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fake := idp.NewKey(t, fmt.Sprintf("fake-%d", i%5), "ES256")
			for range 4 {
				v.Verify(fake.Sign(t, claims(nil)))
			}
		}()
	}
	// A real new key published while the fakes ask.
	third := idp.NewKey(t, "2026-03", "EdDSA")
	prov.SetKeys(old, next, third)
	if _, err := v.Verify(third.Sign(t, claims(nil))); err != nil {
		t.Errorf("a real new kid among made-up ones: %v", err)
	}
	wg.Wait()
	if got := prov.Fetches.Load() - before; got > 6 {
		t.Errorf("%d fetches for 5 made-up kids and one real one (at most one each)", got)
	}
	// Retire the old key: once a refresh has happened, it verifies no
	// more.
	prov.SetKeys(next, third)
	v.Verify(idp.NewKey(t, "trigger", "ES256").Sign(t, claims(nil)))
	refused(t, v, old.Sign(t, claims(nil)), auth.ReasonUnknownKey)
}

// TestProvider_downAndBack: a provider that goes down keeps the last good
// set in use, marked stale; one down at the start refuses its tokens until
// its set arrives, while HS256 works throughout.
func TestProvider_downAndBack(t *testing.T) {
	rs := idp.NewKey(t, "rs", "RS256")
	prov := idp.NewProvider(t, rs)
	v := providerVerifier(t, prov, nil)
	prov.SetDown(true)
	v.Verify(idp.NewKey(t, "new", "RS256").Sign(t, claims(nil))) // a refresh, which fails
	st, _ := v.KeySet()
	if !st.Stale || st.Keys != 1 || st.LastError == "" {
		t.Errorf("status while down: %+v", st)
	}
	if _, err := v.Verify(rs.Sign(t, claims(nil))); err != nil {
		t.Errorf("the last good set while down: %v", err)
	}

	down := idp.NewProvider(t, rs)
	down.SetDown(true)
	cold := providerVerifier(t, down, func(o *auth.VerifierOptions) { o.Provider.StartWait = 200 * time.Millisecond })
	refused(t, cold, rs.Sign(t, claims(nil)), auth.ReasonUnknownKey)
	if _, err := cold.Verify(sign(t, jwt.MapClaims{"email": "a@example.com", "iat": time.Now().Unix()})); err != nil {
		t.Errorf("HS256 while the provider is down: %v", err)
	}
	down.SetDown(false)
	// The next unknown kid refreshes; the per-kid interval keeps rs from
	// asking again at once, so another kid brings the set.
	cold.Verify(idp.NewKey(t, "other", "RS256").Sign(t, claims(nil)))
	if _, err := cold.Verify(rs.Sign(t, claims(nil))); err != nil {
		t.Errorf("after the provider is back: %v", err)
	}
	if st, _ := cold.KeySet(); st.Stale || st.Keys != 1 {
		t.Errorf("status after: %+v", st)
	}
}

// TestProvider_cacheControl: the set is refreshed when its max-age says,
// within the bounds, without an unknown kid asking.
func TestProvider_cacheControl(t *testing.T) {
	rs := idp.NewKey(t, "rs", "RS256")
	prov := idp.NewProvider(t, rs)
	prov.SetCacheControl("public, max-age=1")
	providerVerifier(t, prov, func(o *auth.VerifierOptions) { o.Provider.MinRefresh = time.Second })
	deadline := time.Now().Add(20 * time.Second)
	for prov.Fetches.Load() < 3 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if n := prov.Fetches.Load(); n < 3 {
		t.Errorf("%d fetches in 20 s of a set whose max-age is 1 s", n)
	}
}

// TestProvider_keySetFile: a key set from a file, and what a set that
// cannot be used says.
func TestProvider_keySetFile(t *testing.T) {
	rs := idp.NewKey(t, "rs", "RS256")
	dir := t.TempDir()
	file := filepath.Join(dir, "jwks.json")
	write := func(keys ...*idp.Key) {
		var jwks []any
		for _, k := range keys {
			jwks = append(jwks, k.PublicJWK())
		}
		data, _ := json.Marshal(map[string]any{"keys": jwks})
		if err := os.WriteFile(file, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(rs)
	v, err := auth.NewVerifier(auth.VerifierOptions{Provider: &auth.ProviderOptions{Issuer: issuer, JWKSFile: file,
		Audiences: []string{audience}, RefreshFloor: time.Millisecond, MinRefresh: 100 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(v.Close)
	if _, err := v.Verify(rs.Sign(t, claims(nil))); err != nil {
		t.Fatal(err)
	}
	es := idp.NewKey(t, "es", "ES384")
	write(rs, es)
	if _, err := v.Verify(es.Sign(t, claims(nil))); err != nil {
		t.Errorf("a key added to the file: %v", err)
	}
	// A key removed from the file stops verifying at the next reading
	// (every MinRefresh), with no unknown kid asking.
	write(es)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := v.Verify(rs.Sign(t, claims(nil))); err != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a key removed from the file still verifies 10 s later")
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, tt := range []struct{ body, want string }{
		{`{"keys": `, "not JSON"},
		{`{"kty": "RSA"}`, `no "keys" list`},
	} {
		os.WriteFile(file, []byte(tt.body), 0o600)
		_, err := auth.NewVerifier(auth.VerifierOptions{Provider: &auth.ProviderOptions{Issuer: issuer, JWKSFile: file}})
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), file) {
			t.Errorf("%s: %v", tt.body, err)
		}
	}
	for _, tt := range []struct {
		opts auth.ProviderOptions
		want string
	}{
		{auth.ProviderOptions{JWKSFile: file}, "issuer"},
		{auth.ProviderOptions{Issuer: issuer}, "exactly one"},
		{auth.ProviderOptions{Issuer: issuer, JWKSFile: file, IdentifyBy: "name"}, `"name"`},
		{auth.ProviderOptions{Issuer: issuer, JWKSFile: file, IdentifyBy: auth.IdentifyBySubject}, "directory"},
	} {
		if _, err := auth.NewVerifier(auth.VerifierOptions{Provider: &tt.opts}); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: %v; want it to name %s", tt.opts, err, tt.want)
		}
	}
}

// TestProvider_newKeyAtOnce: requests arriving together with a token of a
// key the set does not hold yet all verify — those after the first wait
// for its refresh — and a set served empty for a moment keeps the keys
// held.
func TestProvider_newKeyAtOnce(t *testing.T) {
	old, next := idp.NewKey(t, "a", "RS256"), idp.NewKey(t, "b", "ES256")
	prov := idp.NewProvider(t, old)
	v := providerVerifier(t, prov, nil)
	prov.SetKeys(old, next)
	tok := next.Sign(t, claims(nil))
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := v.Verify(tok)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("a request beside the first with the new key: %v", err)
		}
	}
	prov.SetKeys()
	v.Verify(idp.NewKey(t, "c", "ES256").Sign(t, claims(nil))) // a refresh, which finds no key
	if _, err := v.Verify(old.Sign(t, claims(nil))); err != nil {
		t.Errorf("after an empty set was served: %v", err)
	}
	if st, _ := v.KeySet(); !st.Stale || st.Keys != 2 {
		t.Errorf("status after an empty set: %+v", st)
	}
}

// TestProvider_sessionEndsWithToken: a session made from a provider's
// token ends when the token would have, not after the session TTL.
func TestProvider_sessionEndsWithToken(t *testing.T) {
	rs := idp.NewKey(t, "rs", "RS256")
	v := providerVerifier(t, idp.NewProvider(t, rs), nil)
	n := time.Now()
	p, err := v.Verify(rs.Sign(t, claims(jwt.MapClaims{"iat": n.Unix(), "exp": n.Add(90 * time.Second).Unix()})))
	if err != nil {
		t.Fatal(err)
	}
	_, sess, err := auth.NewSessions(auth.SessionOptions{}).Create(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Unix(n.Add(90*time.Second).Unix(), 0); !sess.Expires.Equal(want) {
		t.Errorf("the session ends %v; want the token's exp %v", sess.Expires, want)
	}
	hs, err := v.Verify(sign(t, jwt.MapClaims{"email": "a@example.com", "iat": n.Unix()}))
	if err != nil || !hs.ValidUntil().IsZero() {
		t.Errorf("an HS256 principal: %v, valid until %v (its sessions keep their TTL)", err, hs.ValidUntil())
	}
}
