// Package idp is a small identity provider for tests: real keys (RSA,
// ECDSA, Ed25519), a key set served over real HTTP that can be rotated and
// taken down, and tokens signed with golang-jwt. It stands in for Okta or
// Entra ID where a test needs to control keys; the end-to-end test runs a
// real OpenID provider (npm oidc-provider) instead.
package idp

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/golang-jwt/jwt/v5"
)

// Key is a signing key with its kid and algorithm.
type Key struct {
	KID     string
	Alg     string // RS256, PS256, ES256, ES384, EdDSA
	Private crypto.Signer
	// JWK overrides fields of the published JWK (use, alg, kty), for
	// tests of keys that must be ignored.
	JWK map[string]any
}

// NewKey makes a key for alg.
func NewKey(t testing.TB, kid, alg string) *Key {
	t.Helper()
	var (
		signer crypto.Signer
		err    error
	)
	switch alg {
	case "RS256", "RS384", "RS512", "PS256", "PS384", "PS512":
		signer, err = rsa.GenerateKey(rand.Reader, 2048)
	case "ES256":
		signer, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "ES384":
		signer, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case "EdDSA":
		_, signer, err = ed25519.GenerateKey(rand.Reader)
	default:
		t.Fatalf("idp: no key for %s", alg)
	}
	if err != nil {
		t.Fatal(err)
	}
	return &Key{KID: kid, Alg: alg, Private: signer}
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// pad writes a big integer as exactly n bytes, as RFC 7518 asks of EC
// coordinates.
func pad(i *big.Int, n int) []byte {
	out := make([]byte, n)
	return i.FillBytes(out)
}

// PublicJWK is the key's public JWK.
func (k *Key) PublicJWK() map[string]any {
	m := map[string]any{"kid": k.KID, "use": "sig", "alg": k.Alg}
	switch pub := k.Private.Public().(type) {
	case *rsa.PublicKey:
		m["kty"], m["n"], m["e"] = "RSA", b64(pub.N.Bytes()), b64(big.NewInt(int64(pub.E)).Bytes())
	case *ecdsa.PublicKey:
		size := (pub.Curve.Params().BitSize + 7) / 8
		m["kty"], m["crv"] = "EC", pub.Curve.Params().Name
		m["x"], m["y"] = b64(pad(pub.X, size)), b64(pad(pub.Y, size))
	case ed25519.PublicKey:
		m["kty"], m["crv"], m["x"] = "OKP", "Ed25519", b64(pub)
	}
	for f, v := range k.JWK {
		if v == nil {
			delete(m, f)
		} else {
			m[f] = v
		}
	}
	return m
}

// Sign signs claims with the key, its kid in the header.
func (k *Key) Sign(t testing.TB, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.GetSigningMethod(k.Alg), claims)
	tok.Header["kid"] = k.KID
	s, err := tok.SignedString(k.Private)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Provider serves a key set over HTTP.
type Provider struct {
	Server *httptest.Server
	mu     sync.Mutex
	keys   []*Key
	extra  []map[string]any // raw JWKs published beside the keys
	down   bool
	cache  string // Cache-Control of the key set
	// Fetches counts the key set's fetches.
	Fetches atomic.Int64
}

// NewProvider serves keys at its URL; Close it with the test.
func NewProvider(t testing.TB, keys ...*Key) *Provider {
	p := &Provider{keys: keys}
	p.Server = httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(p.Server.Close)
	return p
}

// URL is the key set's URL.
func (p *Provider) URL() string { return p.Server.URL + "/jwks" }

func (p *Provider) serve(w http.ResponseWriter, r *http.Request) {
	p.Fetches.Add(1)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.down {
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	keys := []map[string]any{}
	for _, k := range p.keys {
		keys = append(keys, k.PublicJWK())
	}
	keys = append(keys, p.extra...)
	if p.cache != "" {
		w.Header().Set("Cache-Control", p.cache)
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"keys": keys})
}

// SetKeys replaces the published keys.
func (p *Provider) SetKeys(keys ...*Key) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.keys = keys
}

// SetExtra publishes raw JWKs beside the keys.
func (p *Provider) SetExtra(jwks ...map[string]any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.extra = jwks
}

// SetDown makes the key set answer 503 (down) or serve again.
func (p *Provider) SetDown(down bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = down
}

// SetCacheControl sets the key set's Cache-Control header.
func (p *Provider) SetCacheControl(v string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cache = v
}
