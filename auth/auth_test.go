package auth_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/agentlayer/agentlayer/auth"
)

var (
	secret = []byte("0123456789abcdef0123456789abcdef")
	now    = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
)

func clock() time.Time { return now }

func sign(t *testing.T, claims jwt.MapClaims) string {
	t.Helper()
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(secret)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func verifier(t *testing.T, opts auth.VerifierOptions) *auth.Verifier {
	t.Helper()
	opts.Secret = secret
	opts.Now = clock
	v, err := auth.NewVerifier(opts)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

const directoryYAML = `users:
  - email: Sales.TX@example.com
    first_name: Sam
    groups: [sales]
    attributes: {state: TX, regions: [south, west], quota: 5}
  - email: gone@example.com
    groups: [admin]
    active: false
`

func TestVerifier_Verify(t *testing.T) {
	dir, err := auth.ParseDirectory("users.yaml", []byte(directoryYAML))
	if err != nil {
		t.Fatal(err)
	}
	v := verifier(t, auth.VerifierOptions{Directory: dir, GroupMappings: map[string][]string{"sso-sales": {"sales", "crm"}}})
	iat := now.Unix()
	tests := []struct {
		name   string
		claims jwt.MapClaims
		want   *auth.Principal // nil: must fail
	}{
		{"email and iat", jwt.MapClaims{"email": "a@example.com", "iat": iat},
			&auth.Principal{Email: "a@example.com", Attributes: map[string]any{}}},
		{"mixed-case email", jwt.MapClaims{"email": "A@Example.COM", "iat": iat},
			&auth.Principal{Email: "a@example.com", Attributes: map[string]any{}}},
		{"claims become attributes", jwt.MapClaims{"email": "a@example.com", "iat": iat, "first_name": "Ann", "groups": []string{"b", "a", "a"},
			"state": "CA", "level": 3, "ratio": 0.5, "beta": true, "tags": []any{"x", 1}, "nested": map[string]any{"x": 1}, "sub": "123"},
			&auth.Principal{Email: "a@example.com", FirstName: "Ann", Groups: []string{"a", "b"},
				Attributes: map[string]any{"state": "CA", "level": int64(3), "ratio": 0.5, "beta": true, "tags": []any{"x", int64(1)}}}},
		{"group mapping", jwt.MapClaims{"email": "a@example.com", "iat": iat, "groups": "sso-sales other"},
			&auth.Principal{Email: "a@example.com", Groups: []string{"crm", "other", "sales"}, Attributes: map[string]any{}}},
		{"scopes", jwt.MapClaims{"email": "a@example.com", "iat": iat, "scope": "agent:search  agent:table:read"},
			&auth.Principal{Email: "a@example.com", Scopes: []string{"agent:search", "agent:table:read"}, Attributes: map[string]any{}}},
		{"empty scope", jwt.MapClaims{"email": "a@example.com", "iat": iat, "scope": ""},
			&auth.Principal{Email: "a@example.com", Scopes: []string{}, Attributes: map[string]any{}}},
		{"directory user with email only", jwt.MapClaims{"email": "sales.tx@EXAMPLE.com", "iat": iat},
			&auth.Principal{Email: "sales.tx@example.com", FirstName: "Sam", Groups: []string{"sales"},
				Attributes: map[string]any{"state": "TX", "regions": []any{"south", "west"}, "quota": int64(5)}}},
		{"token attributes win over the directory's", jwt.MapClaims{"email": "sales.tx@example.com", "iat": iat, "state": "OK", "groups": []string{"x"}},
			&auth.Principal{Email: "sales.tx@example.com", FirstName: "Sam", Groups: []string{"sales", "x"},
				Attributes: map[string]any{"state": "OK", "regions": []any{"south", "west"}, "quota": int64(5)}}},
		{"iat 179 s old", jwt.MapClaims{"email": "a@example.com", "iat": iat - 179}, &auth.Principal{Email: "a@example.com", Attributes: map[string]any{}}},
		{"iat 4 s ahead", jwt.MapClaims{"email": "a@example.com", "iat": iat + 4}, &auth.Principal{Email: "a@example.com", Attributes: map[string]any{}}},
		{"inactive user", jwt.MapClaims{"email": "gone@example.com", "iat": iat}, nil},
		{"iat missing", jwt.MapClaims{"email": "a@example.com"}, nil},
		{"iat 181 s old", jwt.MapClaims{"email": "a@example.com", "iat": iat - 181}, nil},
		{"iat 60 s ahead", jwt.MapClaims{"email": "a@example.com", "iat": iat + 60}, nil},
		{"iat a string", jwt.MapClaims{"email": "a@example.com", "iat": fmt.Sprint(iat)}, nil},
		{"iat negative", jwt.MapClaims{"email": "a@example.com", "iat": -1}, nil},
		{"exp past", jwt.MapClaims{"email": "a@example.com", "iat": iat, "exp": iat - 10}, nil},
		{"nbf future", jwt.MapClaims{"email": "a@example.com", "iat": iat, "nbf": iat + 60}, nil},
		{"email missing", jwt.MapClaims{"iat": iat}, nil},
		{"email empty", jwt.MapClaims{"email": " ", "iat": iat}, nil},
		{"email a number", jwt.MapClaims{"email": 42, "iat": iat}, nil},
		{"email with a trailing space", jwt.MapClaims{"email": "sales.tx@example.com ", "iat": iat}, nil},
		{"email with a tab inside", jwt.MapClaims{"email": "sales.tx\t@example.com", "iat": iat}, nil},
		{"email with a NUL", jwt.MapClaims{"email": "sales.tx@example.com\x00", "iat": iat}, nil},
		{"scope a list", jwt.MapClaims{"email": "a@example.com", "iat": iat, "scope": []string{"agent:*"}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := v.Verify(sign(t, tt.claims))
			if tt.want == nil {
				if !errors.Is(err, auth.ErrInvalidToken) {
					t.Fatalf("Verify = %+v, %v; want ErrInvalidToken", got, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %#v\nwant %#v", got, tt.want)
			}
		})
	}
}

func TestVerifier_forgeries(t *testing.T) {
	v := verifier(t, auth.VerifierOptions{})
	good := sign(t, jwt.MapClaims{"email": "a@example.com", "iat": now.Unix()})
	if _, err := v.Verify(good); err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(good, ".")
	other := func(method jwt.SigningMethod, key any) string {
		tok, err := jwt.NewWithClaims(method, jwt.MapClaims{"email": "a@example.com", "iat": now.Unix()}).SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	tests := map[string]string{
		"alg none":          other(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType),
		"HS384":             other(jwt.SigningMethodHS384, secret),
		"HS512":             other(jwt.SigningMethodHS512, secret),
		"wrong secret":      other(jwt.SigningMethodHS256, []byte("another secret of at least 32 bytes!")),
		"two segments":      parts[0] + "." + parts[1],
		"four segments":     good + ".x",
		"bad base64":        parts[0] + ".!!!." + parts[2],
		"trailing garbage":  good + "garbage",
		"padded":            good + "==",
		"empty":             "",
		"not a jwt":         "hello",
		"100 KB":            good + strings.Repeat("A", 100<<10),
		"swapped signature": parts[0] + "." + parts[1] + "." + strings.Split(other(jwt.SigningMethodHS256, []byte("another secret of at least 32 bytes!")), ".")[2],
	}
	for name, tok := range tests {
		t.Run(name, func(t *testing.T) {
			if p, err := v.Verify(tok); !errors.Is(err, auth.ErrInvalidToken) {
				t.Errorf("Verify = %+v, %v; want ErrInvalidToken", p, err)
			}
		})
	}
}

func TestVerifier_requireKnownUsers(t *testing.T) {
	dir, err := auth.ParseDirectory("users.yaml", []byte(directoryYAML))
	if err != nil {
		t.Fatal(err)
	}
	v := verifier(t, auth.VerifierOptions{Directory: dir, RequireKnownUsers: true})
	if _, err := v.Verify(sign(t, jwt.MapClaims{"email": "stranger@example.com", "iat": now.Unix()})); !errors.Is(err, auth.ErrInvalidToken) {
		t.Errorf("unknown user: %v", err)
	}
	if _, err := v.Verify(sign(t, jwt.MapClaims{"email": "sales.tx@example.com", "iat": now.Unix()})); err != nil {
		t.Errorf("known user: %v", err)
	}
}

func TestNewVerifier_shortSecret(t *testing.T) {
	_, err := auth.NewVerifier(auth.VerifierOptions{Secret: []byte("short")})
	if err == nil || !strings.Contains(err.Error(), "at least 32") {
		t.Fatalf("NewVerifier = %v", err)
	}
}

func TestSign_roundTrip(t *testing.T) {
	v := verifier(t, auth.VerifierOptions{})
	tok, err := auth.Sign(secret, auth.Claims{Email: "x@example.com", Groups: []string{"sales"}, Attributes: map[string]any{"state": "TX"}, Scope: "agent:*", IssuedAt: now, ExpiresIn: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	p, err := v.Verify(tok)
	if err != nil {
		t.Fatal(err)
	}
	if p.Email != "x@example.com" || !p.InGroup("sales") || p.Attributes["state"] != "TX" || !p.Allows(auth.ScopeQuery) {
		t.Errorf("principal = %+v", p)
	}
}

func TestPrincipal_Allows(t *testing.T) {
	tests := []struct {
		scopes []string
		scope  string
		want   bool
	}{
		{nil, auth.ScopeSearch, true},
		{[]string{}, auth.ScopeSearch, false},
		{[]string{"agent:*"}, auth.ScopeQueryExecute, true},
		{[]string{"agent:query:*"}, auth.ScopeQueryExecute, true},
		{[]string{"agent:query:*"}, auth.ScopeSearch, false},
		{[]string{"agent:search"}, auth.ScopeSearch, true},
		{[]string{"agent:query:construct"}, auth.ScopeQuery, false},
		{[]string{"*"}, auth.ScopeQuery, false},
	}
	for _, tt := range tests {
		p := &auth.Principal{Scopes: tt.scopes}
		if got := p.Allows(tt.scope); got != tt.want {
			t.Errorf("%v allows %s = %v, want %v", tt.scopes, tt.scope, got, tt.want)
		}
	}
}

func TestParseDirectory_errors(t *testing.T) {
	_, err := auth.ParseDirectory("users.yaml", []byte("users:\n  - email: a@x\n    grups: [x]\n  - email: A@X\n  - first_name: no email\n"))
	if err == nil {
		t.Fatal("want errors")
	}
	for _, want := range []string{"users.yaml:3:5: unknown key \"grups\" in user (did you mean \"groups\"?)", "users.yaml:4:12: user a@x appears twice", "users.yaml:5:5: user needs \"email\""} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%s", want, err)
		}
	}
}

func TestSessions(t *testing.T) {
	ctx := context.Background()
	at := now
	s := auth.NewSessions(auth.SessionOptions{TTL: time.Hour, Now: func() time.Time { return at }})
	p := &auth.Principal{Email: "a@example.com", Groups: []string{"g"}}
	tok, sess, err := s.Create(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if len(tok) != 43 || !sess.Expires.Equal(now.Add(time.Hour)) {
		t.Errorf("token %q, session %+v", tok, sess)
	}
	p.Groups[0] = "changed" // the session keeps its own copy
	got, err := s.Lookup(ctx, tok)
	if err != nil || got.Email != "a@example.com" || got.Groups[0] != "g" {
		t.Fatalf("Lookup = %+v, %v", got, err)
	}
	if _, err := s.Lookup(ctx, tok+"x"); !errors.Is(err, auth.ErrNoSession) {
		t.Errorf("wrong token: %v", err)
	}
	at = now.Add(time.Hour)
	if _, err := s.Lookup(ctx, tok); !errors.Is(err, auth.ErrNoSession) {
		t.Errorf("expired session: %v", err)
	}
	at = now
	tok2, _, _ := s.Create(ctx, p)
	if err := s.End(ctx, tok2); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Lookup(ctx, tok2); !errors.Is(err, auth.ErrNoSession) {
		t.Errorf("ended session: %v", err)
	}
}

func TestMemoryStore_bounded(t *testing.T) {
	ctx := context.Background()
	m := auth.NewMemoryStore(3)
	for i := range 5 {
		h := auth.HashToken(fmt.Sprint(i))
		m.Put(ctx, h, auth.Session{Principal: &auth.Principal{}, Expires: now.Add(time.Duration(i) * time.Hour)})
	}
	if m.Len() != 3 {
		t.Fatalf("len %d, want 3", m.Len())
	}
	// The sessions expiring first were dropped.
	for i, want := range []bool{false, false, true, true, true} {
		_, ok, _ := m.Get(ctx, auth.HashToken(fmt.Sprint(i)), now)
		if ok != want {
			t.Errorf("session %d present = %v, want %v", i, ok, want)
		}
	}
}

// TestMemoryStore_perUser: one user minting sessions without end ends only
// their own oldest ones, never another user's.
func TestMemoryStore_perUser(t *testing.T) {
	ctx := context.Background()
	m := auth.NewMemoryStore(auth.MaxSessionsPerUser + 10)
	other := auth.HashToken("other")
	m.Put(ctx, other, auth.Session{Principal: &auth.Principal{Email: "other@example.com"}, Expires: now.Add(time.Minute)})
	n := 3 * auth.MaxSessionsPerUser
	for i := range n {
		m.Put(ctx, auth.HashToken(fmt.Sprint(i)), auth.Session{Principal: &auth.Principal{Email: "greedy@example.com"}, Expires: now.Add(time.Hour + time.Duration(i)*time.Second)})
	}
	if m.Len() != auth.MaxSessionsPerUser+1 {
		t.Errorf("len %d, want %d", m.Len(), auth.MaxSessionsPerUser+1)
	}
	keptNewest(t, m, other, n)
}

// keptNewest checks a store after one user put n sessions (the token of
// session i is its number) beside another user's (other): the other's is
// kept, and only the greedy user's newest MaxSessionsPerUser.
func keptNewest(t *testing.T, s auth.SessionStore, other auth.TokenHash, n int) {
	t.Helper()
	ctx := context.Background()
	if _, ok, _ := s.Get(ctx, other, now); !ok {
		t.Error("another user's session was ended")
	}
	for _, i := range []int{0, n - auth.MaxSessionsPerUser - 1, n - auth.MaxSessionsPerUser, n - 1} {
		_, ok, _ := s.Get(ctx, auth.HashToken(fmt.Sprint(i)), now)
		if want := i >= n-auth.MaxSessionsPerUser; ok != want {
			t.Errorf("greedy session %d present = %v, want %v", i, ok, want)
		}
	}
}

// TestMemoryStore_concurrent runs under -race in the test command.
func TestMemoryStore_concurrent(t *testing.T) {
	ctx := context.Background()
	s := auth.NewSessions(auth.SessionOptions{Store: auth.NewMemoryStore(500), Now: clock})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				p := &auth.Principal{Email: fmt.Sprintf("u%d-%d@example.com", g, i)}
				tok, _, err := s.Create(ctx, p)
				if err != nil {
					t.Error(err)
					return
				}
				got, err := s.Lookup(ctx, tok)
				if err != nil {
					continue // evicted by another goroutine: allowed by the bound
				}
				if got.Email != p.Email {
					t.Errorf("session of %s returned %s", p.Email, got.Email)
				}
				if i%3 == 0 {
					s.End(ctx, tok)
				}
			}
		}()
	}
	wg.Wait()
}

func TestFileStore_survivesRestart(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sessions")
	fs, err := auth.OpenFileStore(path, 0, now)
	if err != nil {
		t.Fatal(err)
	}
	s := auth.NewSessions(auth.SessionOptions{Store: fs, TTL: time.Hour, Now: clock})
	kept := &auth.Principal{Email: "keep@example.com", Groups: []string{"sales"}, Scopes: []string{},
		Attributes: map[string]any{
			"n": int64(1), "uid": int64(1234567890123456789), "level": 5.0, "ratio": 0.1, "big": 1e300,
			"on": true, "state": "TX", "list": []any{int64(1), 2.0, "x", false},
		}}
	keep, _, _ := s.Create(ctx, kept)
	gone, _, _ := s.Create(ctx, &auth.Principal{Email: "gone@example.com"})
	if err := s.End(ctx, gone); err != nil {
		t.Fatal(err)
	}
	fs.Close()
	data, _ := os.ReadFile(path)
	if strings.Contains(string(data), keep) {
		t.Fatal("the state file holds a session token")
	}
	if info, _ := os.Stat(path); info.Mode().Perm() != 0o600 {
		t.Errorf("state file mode %v, want 0600", info.Mode().Perm())
	}
	fs2, err := auth.OpenFileStore(path, 0, now)
	if err != nil {
		t.Fatal(err)
	}
	defer fs2.Close()
	s2 := auth.NewSessions(auth.SessionOptions{Store: fs2, Now: clock})
	if p, err := s2.Lookup(ctx, keep); err != nil || !reflect.DeepEqual(p, kept) {
		t.Errorf("kept session after restart:\n got %#v, %v\nwant %#v", p, err, kept)
	}
	if _, err := s2.Lookup(ctx, gone); !errors.Is(err, auth.ErrNoSession) {
		t.Errorf("ended session after restart: %v", err)
	}
	// Expired sessions are dropped on load.
	fs3, err := auth.OpenFileStore(path, 0, now.Add(2*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	defer fs3.Close()
	if _, ok, _ := fs3.Get(ctx, auth.HashToken(keep), now.Add(2*time.Hour)); ok {
		t.Error("expired session survived a restart")
	}
}

// TestFileStore_damaged: a journal with a garbage line past 1 MiB, a
// garbage line and a record torn by a crash still opens; what is intact is
// kept, and the report names the lines lost.
func TestFileStore_damaged(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sessions")
	fs, err := auth.OpenFileStore(path, 0, now)
	if err != nil {
		t.Fatal(err)
	}
	s := auth.NewSessions(auth.SessionOptions{Store: fs, TTL: time.Hour, Now: clock})
	first, _, _ := s.Create(ctx, &auth.Principal{Email: "first@example.com"})
	fs.Close()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(strings.Repeat("x", 3<<20) + "\n") // line 2
	f.WriteString("{not json}\n")                    // line 3
	f.Close()
	fs, err = auth.OpenFileStore(path, 0, now)
	if err != nil {
		t.Fatal(err)
	}
	s = auth.NewSessions(auth.SessionOptions{Store: fs, TTL: time.Hour, Now: clock})
	second, _, _ := s.Create(ctx, &auth.Principal{Email: "second@example.com"})
	fs.Close()
	// A crash tears the last record.
	data, _ := os.ReadFile(path)
	os.WriteFile(path, append(data, []byte(`{"op":"put","hash":"ab`)...), 0o600)

	fs, err = auth.OpenFileStore(path, 0, now)
	if err != nil {
		t.Fatalf("a damaged journal stops the store: %v", err)
	}
	defer fs.Close()
	if r := fs.LoadReport(); r.Sessions != 2 || len(r.Damaged) != 1 {
		t.Errorf("report %+v, want 2 sessions and the torn line", r)
	}
	s = auth.NewSessions(auth.SessionOptions{Store: fs, Now: clock})
	for _, tok := range []string{first, second} {
		if _, err := s.Lookup(ctx, tok); err != nil {
			t.Errorf("an intact session was lost: %v", err)
		}
	}
}

// TestFileStore_damagedReport: the first open of a journal with garbage
// reports each damaged line.
func TestFileStore_damagedReport(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sessions")
	os.WriteFile(path, []byte("garbage\n"+strings.Repeat("y", 2<<20)+"\n\n{\"op\":\"nope\"}\n"), 0o600)
	fs, err := auth.OpenFileStore(path, 0, now)
	if err != nil {
		t.Fatal(err)
	}
	defer fs.Close()
	if r := fs.LoadReport(); r.Sessions != 0 || !reflect.DeepEqual(r.Damaged, []int{1, 2, 4}) {
		t.Errorf("report %+v, want lines 1, 2 and 4 damaged", r)
	}
}

// TestParseAttribute: an attribute written as text reads as a token's
// claim would arrive.
func TestParseAttribute(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want any
	}{
		{"TX", "TX"},
		{"5", int64(5)},
		{"5.0", 5.0},
		{"true", true},
		{`["EMEA","APAC"]`, []any{"EMEA", "APAC"}},
		{`"quoted"`, "quoted"},
		{"5 6", "5 6"},
		{"{}", "{}"},
		{"null", "null"},
	} {
		if got := auth.ParseAttribute(tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseAttribute(%q) = %#v, want %#v", tt.in, got, tt.want)
		}
	}
}

// TestSessions_EndUser: ending a user's sessions ends every one of theirs,
// in every store, across a restart of a file store, and no one else's.
func TestSessions_EndUser(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sessions")
	fs, err := auth.OpenFileStore(path, 0, now)
	if err != nil {
		t.Fatal(err)
	}
	for name, store := range map[string]auth.SessionStore{"memory": auth.NewMemoryStore(0), "file": fs} {
		s := auth.NewSessions(auth.SessionOptions{Store: store, TTL: time.Hour, Now: clock})
		a1, _, _ := s.Create(ctx, &auth.Principal{Email: "a@example.com"})
		a2, _, _ := s.Create(ctx, &auth.Principal{Email: "a@example.com"})
		b, _, _ := s.Create(ctx, &auth.Principal{Email: "b@example.com"})
		if err := s.EndUser(ctx, "a@example.com"); err != nil {
			t.Fatal(err)
		}
		for _, tok := range []string{a1, a2} {
			if _, err := s.Lookup(ctx, tok); !errors.Is(err, auth.ErrNoSession) {
				t.Errorf("%s: a's session after EndUser: %v", name, err)
			}
		}
		if _, err := s.Lookup(ctx, b); err != nil {
			t.Errorf("%s: b's session: %v", name, err)
		}
		if name == "file" {
			fs.Close()
			again, err := auth.OpenFileStore(path, 0, now)
			if err != nil {
				t.Fatal(err)
			}
			if _, ok, _ := again.Get(ctx, auth.HashToken(a1), now); ok {
				t.Error("a's session came back after a restart")
			}
			again.Close()
		}
	}
}

// TestVerifier_cachedTokens: a token verified again is taken from the
// cache as long as it is valid, and no longer: past its iat's maximum
// age or its exp it is refused, and a new directory (a user deactivated)
// empties the cache.
func TestVerifier_cachedTokens(t *testing.T) {
	at := now
	dir, err := auth.ParseDirectory("users.yaml", []byte(directoryYAML))
	if err != nil {
		t.Fatal(err)
	}
	v, err := auth.NewVerifier(auth.VerifierOptions{Secret: secret, Directory: dir, Now: func() time.Time { return at }})
	if err != nil {
		t.Fatal(err)
	}
	tok := sign(t, jwt.MapClaims{"email": "sales.tx@example.com", "iat": now.Unix(), "exp": now.Add(100 * time.Second).Unix()})
	for range 2 {
		p, err := v.Verify(tok)
		if err != nil || p.Attributes["state"] != "TX" {
			t.Fatalf("Verify = %+v, %v", p, err)
		}
		p.Attributes["state"] = "CA" // a caller's change stays its own
	}
	at = now.Add(106 * time.Second) // past exp and the leeway
	if _, err := v.Verify(tok); !errors.Is(err, auth.ErrInvalidToken) {
		t.Errorf("past its exp: %v", err)
	}
	at = now.Add(10 * time.Second)
	if _, err := v.Verify(tok); err != nil {
		t.Fatal(err)
	}
	gone, _ := auth.ParseDirectory("users.yaml", []byte(strings.Replace(directoryYAML, "attributes: {state: TX", "active: false\n    attributes: {state: TX", 1)))
	if err := v.SetDirectory(gone); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(tok); !errors.Is(err, auth.ErrInvalidToken) {
		t.Errorf("deactivated since it was cached: %v", err)
	}
	noExp := sign(t, jwt.MapClaims{"email": "a@example.com", "iat": now.Unix()})
	at = now
	if _, err := v.Verify(noExp); err != nil {
		t.Fatal(err)
	}
	at = now.Add(181 * time.Second)
	if _, err := v.Verify(noExp); !errors.Is(err, auth.ErrInvalidToken) {
		t.Errorf("past its iat's maximum age: %v", err)
	}
}
