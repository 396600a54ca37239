package auth_test

import (
	"testing"
	"time"

	"github.com/agentlayer/agentlayer/auth"
	"github.com/agentlayer/agentlayer/internal/testsupport/testkit"
)

// FuzzVerify feeds arbitrary tokens to the verifier: no panic, and a token
// that verifies has an email and was signed with the secret.
func FuzzVerify(f *testing.F) {
	secret := []byte("agentlayer-fuzz-secret-0123456789abcdef")
	at := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	good, _ := auth.Sign(secret, auth.Claims{Email: "a@example.com", Groups: []string{"sales"}, Attributes: map[string]any{"state": "TX"}, IssuedAt: at})
	f.Add(good)
	f.Add(testkit.SignRawHS256(secret, `{"alg":"HS256"}`, `{"email":"a@example.com","iat":1796040000,"email":"b@example.com"}`))
	f.Add(testkit.SignRawHS256(secret, `{"alg":"HS256","crit":["x"]}`, `{"email":"a@example.com","iat":1796040000}`))
	f.Add(testkit.SignRawHS256(secret, `{"alg":"none"}`, `{"email":"a@example.com","iat":1796040000}`))
	f.Add(testkit.SignRawHS256(secret, `{"alg":"HS256"}`, `{"email":"a@example.com","iat":1e400,"groups":[[["x"]]],"scope":5}`))
	f.Add("a.b.c")
	v, err := auth.NewVerifier(auth.VerifierOptions{Secret: secret, Now: func() time.Time { return at }})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, token string) {
		p, err := v.Verify(token)
		if err != nil {
			return
		}
		if p.Email == "" {
			t.Fatalf("verified without an email: %q", token)
		}
	})
}
