package auth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Defaults of ProviderOptions.
const (
	DefaultMaxLifetime   = 2 * time.Hour
	DefaultMinRefresh    = time.Minute
	DefaultMaxRefresh    = 24 * time.Hour
	DefaultPerKIDRefresh = 5 * time.Minute
	DefaultRefreshFloor  = time.Second
	DefaultSubjectClaim  = "sub"
)

// How a provider token names its user (ProviderOptions.IdentifyBy).
const (
	// IdentifyByEmail takes the token's email claim, refused when the
	// token says it is not verified (email_verified false).
	IdentifyByEmail = "email"
	// IdentifyBySubject maps iss and sub (or SubjectClaim) to a directory
	// user's identities; a token whose subject no user lists is refused.
	IdentifyBySubject = "subject"
)

// ProviderOptions configure tokens signed by an identity provider (Okta,
// Entra ID, Auth0, Keycloak, Google): asymmetric keys published as a JWKS,
// iss and aud checked exactly.
type ProviderOptions struct {
	// Issuer is the exact iss the provider's tokens carry. Required.
	Issuer string
	// JWKSURL is where the provider publishes its keys; JWKSFile reads
	// them from a file instead. Exactly one is required.
	JWKSURL  string
	JWKSFile string
	// Audiences are the aud values the Agent API accepts (Verify). An
	// endpoint with its own audience (MCP's resource URL) passes it to
	// VerifyFor.
	Audiences []string
	// IdentifyBy is IdentifyByEmail (the default) or IdentifyBySubject.
	IdentifyBy string
	// SubjectClaim names the claim IdentifyBySubject reads; "" means sub
	// (Entra ID's stable user id is oid).
	SubjectClaim string
	// GroupsClaim names the claim holding groups; "" means the
	// verifier's GroupsClaim. VerifierOptions.GroupMappings apply.
	GroupsClaim string
	// ScopeClaims name the claims scopes are read from, the first present
	// winning: a space-separated string or a list. nil means scope, then
	// scp. A token with none of them has no scopes (it may call nothing
	// that needs one).
	ScopeClaims []string
	// AttributeClaims are the only claims that become user attributes;
	// nil means none. The directory's attributes win over them unless
	// ClaimsOverDirectory.
	AttributeClaims     []string
	ClaimsOverDirectory bool
	// MaxLifetime caps a token's life at iat + MaxLifetime, whatever its
	// exp says; 0 means 2 h.
	MaxLifetime time.Duration
	// MinRefresh and MaxRefresh bound the refresh interval a key set's
	// Cache-Control max-age asks for; 0 means 1 min and 24 h.
	MinRefresh, MaxRefresh time.Duration
	// PerKIDRefresh is how often one unknown kid may cause a refresh; 0
	// means 5 min. RefreshFloor is the least time between two refreshes
	// caused by unknown kids; 0 means 1 s.
	PerKIDRefresh, RefreshFloor time.Duration
	// HTTPClient fetches the key set; nil means a client with a 10 s
	// timeout.
	HTTPClient *http.Client
	// StartWait is how long the first fetch may take before serving
	// begins without keys; 0 means 10 s.
	StartWait time.Duration
	// Logger receives the key set's events; nil means slog.Default().
	Logger *slog.Logger
}

// provider verifies provider tokens.
type provider struct {
	opts   ProviderOptions
	keys   *keySet
	parser *jwt.Parser
	// reserved claims never become attributes, even when listed.
	reserved map[string]bool
}

func newProvider(opts ProviderOptions, v *VerifierOptions) (*provider, error) {
	switch {
	case opts.Issuer == "":
		return nil, errors.New("auth: a provider needs its issuer (--jwt-issuer)")
	case (opts.JWKSURL == "") == (opts.JWKSFile == ""):
		return nil, errors.New("auth: a provider needs exactly one of a key set URL (--jwt-jwks-url) and a key set file (--jwt-jwks-file)")
	}
	if opts.IdentifyBy == "" {
		opts.IdentifyBy = IdentifyByEmail
	}
	switch opts.IdentifyBy {
	case IdentifyByEmail:
	case IdentifyBySubject:
		if v.Directory == nil {
			return nil, errors.New("auth: identifying provider users by subject needs a user directory listing their identities")
		}
	default:
		return nil, fmt.Errorf("auth: identify provider users by %q: want %s or %s", opts.IdentifyBy, IdentifyByEmail, IdentifyBySubject)
	}
	if opts.SubjectClaim == "" {
		opts.SubjectClaim = DefaultSubjectClaim
	}
	if opts.GroupsClaim == "" {
		opts.GroupsClaim = v.GroupsClaim
	}
	if opts.ScopeClaims == nil {
		opts.ScopeClaims = []string{"scope", "scp"}
	}
	defaults := []struct {
		d   *time.Duration
		def time.Duration
	}{{&opts.MaxLifetime, DefaultMaxLifetime}, {&opts.MinRefresh, DefaultMinRefresh}, {&opts.MaxRefresh, DefaultMaxRefresh},
		{&opts.PerKIDRefresh, DefaultPerKIDRefresh}, {&opts.RefreshFloor, DefaultRefreshFloor}, {&opts.StartWait, 10 * time.Second}}
	for _, d := range defaults {
		if *d.d == 0 {
			*d.d = d.def
		}
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	p := &provider{opts: opts, reserved: map[string]bool{}}
	for k := range registered {
		p.reserved[k] = true
	}
	for _, k := range []string{v.EmailClaim, "email_verified", opts.GroupsClaim, opts.SubjectClaim, "given_name", "family_name", "scp", "azp", "client_id", "nonce", "auth_time", "acr", "amr", "sid", "_claim_names", "_claim_sources", "hasgroups"} {
		p.reserved[k] = true
	}
	for _, k := range opts.AttributeClaims {
		if p.reserved[k] {
			return nil, fmt.Errorf("auth: the claim %q cannot be a user attribute (it says who the user is or how the token may be used)", k)
		}
	}
	p.parser = jwt.NewParser(
		jwt.WithValidMethods(ProviderAlgorithms),
		jwt.WithLeeway(v.Leeway),
		jwt.WithTimeFunc(v.Now),
		jwt.WithIssuedAt(),
		jwt.WithExpirationRequired(),
		jwt.WithIssuer(opts.Issuer),
		jwt.WithJSONNumber(),
		jwt.WithStrictDecoding(),
	)
	keys, err := newKeySet(context.Background(), keySetOptions{
		url: opts.JWKSURL, file: opts.JWKSFile, minRefresh: opts.MinRefresh, maxRefresh: opts.MaxRefresh,
		perKID: opts.PerKIDRefresh, floor: opts.RefreshFloor, waitMax: 5 * time.Second,
		client: opts.HTTPClient, log: opts.Logger, now: v.Now, fetchTimeout: 10 * time.Second, startWait: opts.StartWait,
	})
	if err != nil {
		return nil, err
	}
	p.keys = keys
	return p, nil
}

// More reasons of a TokenError, for provider tokens.
const (
	ReasonUnknownKey = "unknown_key"      // no key of the set has the token's kid
	ReasonIssuer     = "issuer"           // iss is not the provider's
	ReasonAudience   = "audience"         // aud names none of the endpoint's audiences
	ReasonLifetime   = "lifetime"         // exp missing, or older than the maximum lifetime
	ReasonUnverified = "email_unverified" // the provider says the email is not verified
	ReasonOverage    = "groups_overage"   // groups were left out of the token (Entra ID)
	ReasonSubject    = "subject"          // no subject claim, where users are identified by it
)

// headerOf decodes a token's header without verifying it: only to choose
// which verifier tries the token, each of which allows its own algorithms
// only.
func headerOf(token string) (alg string, ok bool) {
	seg, _, found := strings.Cut(token, ".")
	if !found {
		return "", false
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(seg, "="))
	if err != nil {
		return "", false
	}
	var h struct {
		Alg string `json:"alg"`
	}
	if json.Unmarshal(raw, &h) != nil {
		return "", false
	}
	return h.Alg, true
}

// verify checks a provider token for an endpoint accepting audiences.
func (pr *provider) verify(v *Verifier, token string, audiences []string) (*Principal, error) {
	claims := jwt.MapClaims{}
	var keyErr error
	tok, err := pr.parser.ParseWithClaims(token, claims, func(t *jwt.Token) (any, error) {
		// The key comes from the provider's set by kid, never from the
		// token (jku, x5u, jwk and x5c are not read).
		kid, _ := t.Header["kid"].(string)
		if kid == "" {
			keyErr = invalid(ReasonUnknownKey, "the token has no kid")
			return nil, keyErr
		}
		k, ok := pr.keys.key(kid)
		if !ok {
			keyErr = invalid(ReasonUnknownKey, "no key of the provider's set has kid %q", kid)
			return nil, keyErr
		}
		if !slices.Contains(k.algs, t.Method.Alg()) {
			keyErr = invalid(ReasonAlgorithm, "the key %q verifies %s, not %s", kid, strings.Join(k.algs, ", "), t.Method.Alg())
			return nil, keyErr
		}
		return k.key, nil
	})
	switch {
	case keyErr != nil:
		return nil, keyErr
	case errors.Is(err, jwt.ErrTokenInvalidIssuer), errors.Is(err, jwt.ErrTokenRequiredClaimMissing) && claims["iss"] == nil:
		return nil, invalid(ReasonIssuer, "%v", err)
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return nil, invalid(ReasonLifetime, "%v", err)
	case err != nil:
		return nil, invalid(parseReason(err), "%v", err)
	}
	if err := checkSegments(token, tok.Header); err != nil {
		return nil, err
	}
	aud, err := claims.GetAudience()
	if err != nil || !slices.ContainsFunc(aud, func(a string) bool { return a != "" && slices.Contains(audiences, a) }) {
		return nil, invalid(ReasonAudience, "aud %q names none of %q", []string(aud), audiences)
	}
	iat, err := numericClaim(claims, "iat")
	if err != nil {
		return nil, invalid(ReasonIssuedAt, "%v", err)
	}
	issued := time.Unix(0, 0).Add(time.Duration(iat * float64(time.Second)))
	if v.opts.Now().Sub(issued) > pr.opts.MaxLifetime+v.opts.Leeway {
		return nil, invalid(ReasonLifetime, "issued more than %v ago", pr.opts.MaxLifetime)
	}
	p, err := pr.principal(v, claims)
	if err != nil {
		return nil, err
	}
	p.expires = issued.Add(pr.opts.MaxLifetime)
	if exp, err := claims.GetExpirationTime(); err == nil && exp != nil && exp.Before(p.expires) {
		p.expires = exp.Time
	}
	return p, nil
}

// principal maps a verified provider token onto a user.
func (pr *provider) principal(v *Verifier, claims jwt.MapClaims) (*Principal, error) {
	if claims["_claim_names"] != nil || claims["hasgroups"] != nil {
		// Entra ID leaves the groups out of a token when there are too
		// many (overage) and says where to fetch them: reading "no
		// groups" would drop every rule a group grants, or worse.
		v.opts.logger().Error("a provider token's groups were left out (Entra ID overage); the token is refused — emit group ids for the application's groups only, or use app roles",
			"iss", pr.opts.Issuer)
		return nil, invalid(ReasonOverage, "the token's groups are given elsewhere (_claim_names or hasgroups)")
	}
	p := &Principal{Attributes: map[string]any{}, Scopes: []string{}}
	dir := v.dir.Load() // once: a reload between two reads could tell two stories
	switch pr.opts.IdentifyBy {
	case IdentifyBySubject:
		sub, _ := claims[pr.opts.SubjectClaim].(string)
		if sub == "" {
			return nil, invalid(ReasonSubject, "claim %q is missing or not a string", pr.opts.SubjectClaim)
		}
		var u User
		var ok bool
		if dir != nil {
			u, ok = dir.LookupIdentity(pr.opts.Issuer, sub)
		}
		if !ok {
			return nil, invalid(ReasonUnknownUser, "no directory user has the identity %s %s", pr.opts.Issuer, sub)
		}
		p.Email = u.Email
	default:
		email, ok := claims[v.opts.EmailClaim].(string)
		if !ok || strings.TrimSpace(email) == "" || strings.ContainsFunc(email, badEmailRune) {
			return nil, invalid(ReasonEmail, "claim %q is missing, not a string, or holds spaces", v.opts.EmailClaim)
		}
		if ev, set := claims["email_verified"]; set && ev != true && ev != "true" {
			return nil, invalid(ReasonUnverified, "email_verified is %v", ev)
		}
		p.Email = email
	}
	p.FirstName, _ = claims["given_name"].(string)
	p.LastName, _ = claims["family_name"].(string)
	for _, name := range pr.opts.ScopeClaims {
		raw, ok := claims[name]
		if !ok {
			continue
		}
		scopes, ok := scopeList(raw)
		if !ok {
			return nil, invalid(ReasonMalformed, "%s is neither a string nor a list of strings", name)
		}
		p.Scopes = scopes
		break
	}
	if raw, ok := claims[pr.opts.GroupsClaim]; ok {
		p.Groups = v.mapGroups(groupList(raw))
	}
	for _, name := range pr.opts.AttributeClaims {
		if val, ok := attributeValue(claims[name]); ok {
			p.Attributes[name] = val
		}
	}
	p.normalize()
	if err := v.applyDirectoryFrom(dir, p, pr.opts.ClaimsOverDirectory); err != nil {
		return nil, err
	}
	return p, nil
}

// scopeList reads scope or scp: a space-separated string, or a list.
func scopeList(raw any) ([]string, bool) {
	switch s := raw.(type) {
	case string:
		out := strings.Fields(s)
		if out == nil {
			out = []string{}
		}
		return out, true
	case []any:
		out := make([]string, 0, len(s))
		for _, x := range s {
			str, ok := x.(string)
			if !ok {
				return nil, false
			}
			out = append(out, strings.Fields(str)...)
		}
		return out, true
	}
	return nil, false
}
