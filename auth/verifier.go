package auth

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strings"
	"sync/atomic"
	"time"
	"unicode"

	"github.com/golang-jwt/jwt/v5"

	"github.com/agentlayer/agentlayer/internal/jsontree"
	"github.com/agentlayer/agentlayer/internal/lru"
)

// ErrInvalidToken is the one error a caller sees for any token that does not
// verify, whatever the reason, so that nothing can be learnt about which
// users exist. The wrapped detail is for logs.
var ErrInvalidToken = errors.New("invalid or expired JWT")

// MinSecretLen is the shortest shared secret a Verifier accepts.
const MinSecretLen = 32

// Defaults of VerifierOptions.
const (
	DefaultEmailClaim   = "email"
	DefaultGroupsClaim  = "groups"
	DefaultLeeway       = 5 * time.Second
	DefaultMaxAge       = 180 * time.Second
	DefaultMaxTokenSize = 8 << 10
)

// VerifierOptions configure a Verifier. Only Secret is required; every other
// zero value means the default its comment gives.
type VerifierOptions struct {
	// Secret is the HS256 shared secret, at least MinSecretLen bytes; it
	// may be empty when Provider is set.
	Secret []byte
	// Provider accepts tokens of an identity provider too (asymmetric
	// keys from its JWKS); nil means none.
	Provider *ProviderOptions
	// Logger receives what the verifier must say loudly (a provider
	// token's groups left out); nil means slog.Default().
	Logger *slog.Logger
	// EmailClaim names the claim holding the user's email; "" means "email".
	EmailClaim string
	// GroupsClaim names the claim holding the user's groups; "" means
	// "groups".
	GroupsClaim string
	// GroupMappings maps a group named in a token to the groups it stands
	// for here; a group without a mapping is kept as it is.
	GroupMappings map[string][]string
	// Leeway is the clock skew allowed on iat, exp and nbf; 0 means 5 s.
	// Use a negative value for none.
	Leeway time.Duration
	// MaxAge is how old iat may be; 0 means 180 s.
	MaxAge time.Duration
	// MaxTokenSize caps a token's length in bytes; 0 means 8 KiB.
	MaxTokenSize int
	// Directory supplies groups and attributes of known users and marks
	// users inactive; nil means none.
	Directory *Directory
	// RequireKnownUsers refuses tokens of users not in Directory.
	RequireKnownUsers bool
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Verifier verifies JWTs and maps their claims to a Principal. It is safe
// for concurrent use.
type Verifier struct {
	opts     VerifierOptions
	parser   *jwt.Parser
	provider *provider
	dir      atomic.Pointer[Directory] // swapped by SetDirectory
	// verified caches tokens the secret verified; replaced, empty, with
	// the directory.
	verified atomic.Pointer[lru.Cache[string, verifiedToken]]
}

// NewVerifier returns a Verifier, or an error if the options cannot be used
// (a secret shorter than MinSecretLen bytes).
func NewVerifier(opts VerifierOptions) (*Verifier, error) {
	if (len(opts.Secret) > 0 || opts.Provider == nil) && len(opts.Secret) < MinSecretLen {
		return nil, fmt.Errorf("auth: the JWT shared secret is %d bytes; it must be at least %d (generate one with: openssl rand -hex 32)", len(opts.Secret), MinSecretLen)
	}
	if opts.RequireKnownUsers && opts.Directory == nil {
		return nil, errors.New("auth: requiring known users needs a user directory")
	}
	if opts.EmailClaim == "" {
		opts.EmailClaim = DefaultEmailClaim
	}
	if opts.GroupsClaim == "" {
		opts.GroupsClaim = DefaultGroupsClaim
	}
	switch {
	case opts.Leeway == 0:
		opts.Leeway = DefaultLeeway
	case opts.Leeway < 0:
		opts.Leeway = 0
	}
	if opts.MaxAge == 0 {
		opts.MaxAge = DefaultMaxAge
	}
	if opts.MaxTokenSize == 0 {
		opts.MaxTokenSize = DefaultMaxTokenSize
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	opts.Secret = append([]byte(nil), opts.Secret...)
	v := &Verifier{opts: opts}
	v.dir.Store(opts.Directory)
	v.verified.Store(lru.New[string, verifiedToken](verifiedTokens))
	if opts.Provider != nil {
		pr, err := newProvider(*opts.Provider, &v.opts)
		if err != nil {
			return nil, err
		}
		v.provider = pr
	}
	v.parser = jwt.NewParser(
		jwt.WithValidMethods([]string{"HS256"}),
		jwt.WithLeeway(opts.Leeway),
		jwt.WithTimeFunc(opts.Now),
		jwt.WithIssuedAt(),
		jwt.WithJSONNumber(),
		jwt.WithStrictDecoding(),
	)
	return v, nil
}

// TokenError is a token that does not verify. It wraps ErrInvalidToken;
// Reason is one of a few words, for metrics (never for a response: every
// failure answers alike), and the message says more, for the debug log. It
// never holds the token.
type TokenError struct {
	Reason string
	Detail string
}

func (e *TokenError) Error() string { return ErrInvalidToken.Error() + ": " + e.Detail }

func (e *TokenError) Unwrap() error { return ErrInvalidToken }

// The reasons of a TokenError.
const (
	ReasonMalformed    = "malformed"     // not a JWT, or claims of the wrong JSON types
	ReasonSignature    = "signature"     // the signature does not verify
	ReasonAlgorithm    = "algorithm"     // not HS256
	ReasonExpired      = "expired"       // exp has passed
	ReasonNotYetValid  = "not_yet_valid" // nbf is ahead
	ReasonIssuedAt     = "issued_at"     // iat missing, too old or in the future
	ReasonEmail        = "email"         // no email claim
	ReasonUnknownUser  = "unknown_user"  // not in the directory, where one is required
	ReasonInactiveUser = "inactive_user" // marked inactive in the directory
	ReasonTooLarge     = "too_large"     // longer than MaxTokenSize
	ReasonDuplicate    = "duplicate_key" // a key twice in the header or the payload
	ReasonCritical     = "crit_header"   // a crit header, which nothing here understands
)

func invalid(reason, format string, args ...any) error {
	return &TokenError{Reason: reason, Detail: fmt.Sprintf(format, args...)}
}

// parseReason classifies an error of golang-jwt's parser.
func parseReason(err error) string {
	switch {
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return ReasonSignature
	case errors.Is(err, jwt.ErrTokenUnverifiable):
		return ReasonAlgorithm
	case errors.Is(err, jwt.ErrTokenExpired):
		return ReasonExpired
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		return ReasonNotYetValid
	case errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return ReasonIssuedAt
	}
	return ReasonMalformed
}

// checkSegments refuses a token whose header or payload repeats a key —
// golang-jwt would keep the last, so two readers of one token could see two
// users — or whose header has crit (RFC 7515 §4.1.11: a recipient that does
// not understand the listed extensions must reject the token).
func checkSegments(token string, header map[string]any) error {
	if _, ok := header["crit"]; ok {
		return invalid(ReasonCritical, "the header has crit")
	}
	parts := strings.SplitN(token, ".", 3)
	for i, what := range []string{"header", "payload"} {
		raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[i], "="))
		if err != nil {
			return invalid(ReasonMalformed, "the %s is not base64url", what)
		}
		var je *jsontree.Error
		if err := jsontree.Check(raw, 0); errors.As(err, &je) {
			return invalid(ReasonDuplicate, "the %s: %s", what, je.Message)
		} else if err != nil {
			return invalid(ReasonMalformed, "the %s is not JSON", what)
		}
	}
	return nil
}

// Endpoint says which tokens an endpoint accepts.
type Endpoint struct {
	// Audiences are the aud values a provider token may carry; nil means
	// the provider's Audiences (the Agent API's).
	Audiences []string
	// ProviderOnly refuses HS256 tokens (serve --oauth-only on MCP).
	ProviderOnly bool
}

// Verify checks a token as the Agent API accepts it and returns its
// principal. Every failure wraps ErrInvalidToken; the message says why,
// for logs, and never holds the token.
func (v *Verifier) Verify(token string) (*Principal, error) { return v.VerifyAt(token, Endpoint{}) }

// VerifyAt checks a token presented to an endpoint. An HS256 token is
// verified with the shared secret; a token signed with an asymmetric
// algorithm by the provider's key set. Each path allows its own
// algorithms only, so a token's alg never makes one kind of key verify
// another's.
func (v *Verifier) VerifyAt(token string, at Endpoint) (*Principal, error) {
	if len(token) > v.opts.MaxTokenSize {
		return nil, invalid(ReasonTooLarge, "token of %d bytes exceeds %d", len(token), v.opts.MaxTokenSize)
	}
	if v.provider == nil {
		if at.ProviderOnly {
			return nil, invalid(ReasonAlgorithm, "this endpoint accepts only an identity provider's tokens, and none is configured")
		}
		return v.verifySecret(token)
	}
	alg, ok := headerOf(token)
	switch {
	case !ok:
		return nil, invalid(ReasonMalformed, "not a JWT: its header is not base64url-encoded JSON")
	case v.provider != nil && slices.Contains(ProviderAlgorithms, alg):
		audiences := at.Audiences
		if audiences == nil {
			audiences = v.provider.opts.Audiences
		}
		return v.provider.verify(v, token, audiences)
	case alg != "HS256":
		return nil, invalid(ReasonAlgorithm, "alg %q is not accepted", alg)
	case len(v.opts.Secret) == 0:
		return nil, invalid(ReasonAlgorithm, "alg %q: only an identity provider's tokens are accepted", alg)
	case at.ProviderOnly:
		return nil, invalid(ReasonAlgorithm, "alg %q: this endpoint accepts only the identity provider's tokens", alg)
	}
	return v.verifySecret(token)
}

// verifySecret checks an HS256 token signed with the shared secret.
func (v *Verifier) verifySecret(token string) (*Principal, error) {
	// A token verified before is taken from the cache while it is still
	// valid; the cache empties when the directory changes.
	now := v.opts.Now()
	cache := v.verified.Load()
	if e, ok := cache.Get(token); ok && now.Before(e.until) {
		return e.p.Clone(), nil
	}
	claims := jwt.MapClaims{}
	tok, err := v.parser.ParseWithClaims(token, claims, func(t *jwt.Token) (any, error) {
		return v.opts.Secret, nil
	})
	if err != nil {
		return nil, invalid(parseReason(err), "%v", err)
	}
	if err := checkSegments(token, tok.Header); err != nil {
		return nil, err
	}
	// golang-jwt rejects only a future iat: a missing one and the maximum
	// age are checked here.
	iat, err := numericClaim(claims, "iat")
	if err != nil {
		return nil, invalid(ReasonIssuedAt, "%v", err)
	}
	issued := time.Unix(0, 0).Add(time.Duration(iat * float64(time.Second)))
	if iat < 0 || now.Sub(issued) > v.opts.MaxAge {
		return nil, invalid(ReasonIssuedAt, "iat is more than %v old", v.opts.MaxAge)
	}
	if issued.Sub(now) > v.opts.Leeway {
		return nil, invalid(ReasonIssuedAt, "iat is in the future")
	}
	p, err := v.principal(claims)
	if err != nil {
		return nil, err
	}
	until := issued.Add(v.opts.MaxAge)
	if exp, err := numericClaim(claims, "exp"); err == nil {
		if t := time.Unix(0, 0).Add(time.Duration(exp * float64(time.Second))).Add(v.opts.Leeway); t.Before(until) {
			until = t
		}
	}
	cache.Put(token, verifiedToken{p: p.Clone(), until: until})
	return p, nil
}

// verifiedToken is a token the secret verified, its principal, and when
// it stops being valid (its iat's maximum age, or its exp).
type verifiedToken struct {
	p     *Principal
	until time.Time
}

// verifiedTokens is how many verified tokens a verifier keeps.
const verifiedTokens = 4096

func numericClaim(claims jwt.MapClaims, name string) (float64, error) {
	raw, ok := claims[name]
	if !ok {
		return 0, fmt.Errorf("%s is missing", name)
	}
	n, ok := raw.(json.Number)
	if !ok {
		return 0, fmt.Errorf("%s is not a number", name)
	}
	f, err := n.Float64()
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, fmt.Errorf("%s is not a number", name)
	}
	return f, nil
}

// SetDirectory replaces the user directory, for a reload: tokens verified
// from now on read the new one. With RequireKnownUsers, a directory is
// required.
func (v *Verifier) SetDirectory(d *Directory) error {
	if d == nil && v.opts.RequireKnownUsers {
		return errors.New("auth: requiring known users needs a user directory")
	}
	v.dir.Store(d)
	v.verified.Store(lru.New[string, verifiedToken](verifiedTokens))
	return nil
}

// Directory is the user directory the verifier reads now (SetDirectory
// swaps it); nil when there is none.
func (v *Verifier) Directory() *Directory { return v.dir.Load() }

// DirectoryUser is the principal of an active directory user, as a token
// carrying only their email would give it: their name, groups and
// attributes from the directory. It is what a tool that picks a user from
// the directory (the console's picker) acts as.
func (v *Verifier) DirectoryUser(email string) (*Principal, error) {
	dir := v.dir.Load()
	if dir == nil {
		return nil, errors.New("auth: there is no user directory")
	}
	p := &Principal{Email: strings.ToLower(strings.TrimSpace(email)), Attributes: map[string]any{}}
	if _, known := dir.Lookup(p.Email); !known {
		return nil, invalid(ReasonUnknownUser, "user is not in the directory")
	}
	if err := v.applyDirectory(p); err != nil {
		return nil, err
	}
	return p, nil
}

// Deactivated reports whether the user directory marks email inactive: a
// session of theirs must stop working too.
func (v *Verifier) Deactivated(email string) bool {
	dir := v.dir.Load()
	if dir == nil {
		return false
	}
	u, known := dir.Lookup(email)
	return known && !u.Active
}

// registered claims are never user attributes.
var registered = map[string]bool{
	"iss": true, "sub": true, "aud": true, "exp": true, "nbf": true, "iat": true, "jti": true,
	"first_name": true, "last_name": true, "scope": true,
}

func (v *Verifier) principal(claims jwt.MapClaims) (*Principal, error) {
	email, ok := claims[v.opts.EmailClaim].(string)
	if !ok || strings.TrimSpace(email) == "" {
		return nil, invalid(ReasonEmail, "claim %q is missing or not a string", v.opts.EmailClaim)
	}
	if strings.ContainsFunc(email, badEmailRune) {
		// " a@x" is not a@x: a token's email must name its user exactly.
		return nil, invalid(ReasonEmail, "claim %q holds spaces or control characters", v.opts.EmailClaim)
	}
	p := &Principal{Email: email, Attributes: map[string]any{}}
	p.FirstName, _ = claims["first_name"].(string)
	p.LastName, _ = claims["last_name"].(string)
	if raw, ok := claims["scope"]; ok {
		s, ok := raw.(string)
		if !ok {
			return nil, invalid(ReasonMalformed, "scope is not a string")
		}
		p.Scopes = strings.Fields(s)
		if p.Scopes == nil {
			p.Scopes = []string{}
		}
	}
	if raw, ok := claims[v.opts.GroupsClaim]; ok {
		p.Groups = v.mapGroups(groupList(raw))
	}
	for k, raw := range claims {
		if registered[k] || k == v.opts.EmailClaim || k == v.opts.GroupsClaim {
			continue
		}
		if val, ok := attributeValue(raw); ok {
			p.Attributes[k] = val
		}
	}
	p.normalize()
	if err := v.applyDirectory(p); err != nil {
		return nil, err
	}
	return p, nil
}

// badEmailRune is a rune no email of a token may hold: " a@x" is not a@x.
func badEmailRune(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }

// mapGroups applies the group mappings to a token's groups.
func (v *Verifier) mapGroups(groups []string) []string {
	var out []string
	for _, g := range groups {
		if mapped, ok := v.opts.GroupMappings[g]; ok {
			out = append(out, mapped...)
		} else {
			out = append(out, g)
		}
	}
	return out
}

func (o *VerifierOptions) logger() *slog.Logger {
	if o.Logger != nil {
		return o.Logger
	}
	return slog.Default()
}

// KeySet says how the provider's key set stands; ok is false without a
// provider.
func (v *Verifier) KeySet() (KeySetStatus, bool) {
	if v.provider == nil {
		return KeySetStatus{}, false
	}
	return v.provider.keys.Status(), true
}

// Close stops the provider key set's refreshes.
func (v *Verifier) Close() {
	if v.provider != nil {
		v.provider.keys.close()
	}
}

// applyDirectory merges what the directory knows of the user: its groups
// join the token's, its attributes fill those the token does not carry.
func (v *Verifier) applyDirectory(p *Principal) error { return v.applyDirectoryOver(p, true) }

// applyDirectoryOver merges the directory's knowledge of the user; its
// attributes win over the token's unless claimsWin.
func (v *Verifier) applyDirectoryOver(p *Principal, claimsWin bool) error {
	return v.applyDirectoryFrom(v.dir.Load(), p, claimsWin)
}

// applyDirectoryFrom is applyDirectoryOver with the directory given.
func (v *Verifier) applyDirectoryFrom(dir *Directory, p *Principal, claimsWin bool) error {
	if dir == nil {
		return nil
	}
	u, known := dir.Lookup(p.Email)
	switch {
	case !known && v.opts.RequireKnownUsers:
		return invalid(ReasonUnknownUser, "user is not in the directory")
	case !known:
		return nil
	case !u.Active:
		return invalid(ReasonInactiveUser, "user is inactive")
	}
	if p.FirstName == "" {
		p.FirstName = u.FirstName
	}
	if p.LastName == "" {
		p.LastName = u.LastName
	}
	p.Groups = append(p.Groups, u.Groups...)
	for k, val := range u.Attributes {
		if _, set := p.Attributes[k]; !set || !claimsWin {
			p.Attributes[k] = val
		}
	}
	p.normalize()
	return nil
}

// groupList reads a groups claim: a list of strings, or one string.
func groupList(raw any) []string {
	switch g := raw.(type) {
	case string:
		return strings.Fields(g)
	case []any:
		var out []string
		for _, x := range g {
			if s, ok := x.(string); ok && s != "" {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// ParseAttribute reads an attribute written as text (a command's --attr
// key=value) as a token's claim would arrive: JSON when it parses as a
// value an attribute may hold (5 is an int64, 5.0 a float64, true a bool,
// ["a","b"] a list), the text itself otherwise.
func ParseAttribute(text string) any {
	d := json.NewDecoder(strings.NewReader(text))
	d.UseNumber()
	var raw any
	if err := d.Decode(&raw); err == nil && !d.More() {
		if v, ok := attributeValue(raw); ok {
			return v
		}
	}
	return text
}

// attributeValue keeps strings, numbers, booleans and lists of these; a
// whole number becomes an int64.
func attributeValue(raw any) (any, bool) {
	switch x := raw.(type) {
	case string, bool:
		return x, true
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i, true
		}
		if f, err := x.Float64(); err == nil && !math.IsInf(f, 0) {
			return f, true
		}
	case []any:
		out := make([]any, 0, len(x))
		for _, item := range x {
			if _, nested := item.([]any); nested {
				return nil, false
			}
			v, ok := attributeValue(item)
			if !ok {
				return nil, false
			}
			out = append(out, v)
		}
		return out, true
	}
	return nil, false
}
