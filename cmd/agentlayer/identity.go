package main

import (
	"flag"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/agentlayer/agentlayer/auth"
	"github.com/agentlayer/agentlayer/mcp"
)

// identityFlags configure tokens from an identity provider and MCP's
// OAuth (docs/operations.md, "Behind an identity provider").
type identityFlags struct {
	jwksURL, jwksFile, issuer, identifyBy, subjectClaim string
	providerGroupsClaim, oauthIssuer, publicURL         string
	audiences, scopeClaims, attributeClaims             list
	claimsOverDirectory, oauthOnly                      bool
	maxLifetime, minRefresh, maxRefresh                 time.Duration
}

func (f *identityFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.jwksURL, "jwt-jwks-url", "", "`URL` of an identity provider's key set (JWKS): accept its RS/PS/ES/EdDSA-signed tokens, iss and aud checked (refreshed as its Cache-Control says, and when a token names an unknown kid)")
	fs.StringVar(&f.jwksFile, "jwt-jwks-file", "", "`file` holding an identity provider's key set, instead of --jwt-jwks-url")
	fs.StringVar(&f.issuer, "jwt-issuer", "", "the exact iss of the identity provider's tokens (required with a key set)")
	fs.Var(&f.audiences, "jwt-audience", "an aud the Agent API accepts in provider tokens (repeatable); MCP accepts its own URL (--public-url)")
	fs.StringVar(&f.identifyBy, "jwt-identify-by", auth.IdentifyByEmail, "how a provider token names its user: email (the verified email claim) or subject (iss and sub matched to a directory user's identities)")
	fs.StringVar(&f.subjectClaim, "jwt-subject-claim", auth.DefaultSubjectClaim, "the claim --jwt-identify-by subject reads (Entra ID: oid)")
	fs.StringVar(&f.providerGroupsClaim, "jwt-provider-groups-claim", "", "the claim holding a provider token's groups (default: --jwt-groups-claim); --group-mapping maps its ids")
	fs.Var(&f.scopeClaims, "jwt-scope-claim", "a claim a provider token's scopes are read from, the first present winning (repeatable; default: scope, then scp)")
	fs.Var(&f.attributeClaims, "jwt-attribute-claim", "a provider token claim that becomes a user attribute (repeatable; no other does)")
	fs.BoolVar(&f.claimsOverDirectory, "jwt-claims-over-directory", false, "let a provider token's attribute claims win over the directory's attributes (default: the directory wins)")
	fs.DurationVar(&f.maxLifetime, "jwt-max-lifetime", auth.DefaultMaxLifetime, "a provider token is refused after min(exp, iat + this)")
	fs.DurationVar(&f.minRefresh, "jwt-jwks-min-refresh", auth.DefaultMinRefresh, "the key set is refreshed no more often than this, whatever its Cache-Control says")
	fs.DurationVar(&f.maxRefresh, "jwt-jwks-max-refresh", auth.DefaultMaxRefresh, "the key set is refreshed at least this often")
	fs.StringVar(&f.publicURL, "public-url", "", "the `URL` clients reach this server at (behind a proxy it cannot be derived): MCP becomes an OAuth protected resource at URL/api/agent/mcp, its tokens' audience")
	fs.StringVar(&f.oauthIssuer, "oauth-issuer", "", "the authorization server MCP's resource metadata names (default: --jwt-issuer)")
	fs.BoolVar(&f.oauthOnly, "oauth-only", false, "MCP accepts only the provider's tokens: no HS256 token, no session")
}

// check refuses flags that do not go together.
func (f *identityFlags) check(explicit map[string]bool) error {
	provider := f.jwksURL != "" || f.jwksFile != ""
	switch {
	case f.jwksURL != "" && f.jwksFile != "":
		return usagef("give --jwt-jwks-url or --jwt-jwks-file, not both")
	case provider && f.issuer == "":
		return usagef("--jwt-issuer is required with a key set: a provider token's iss is checked exactly")
	case f.publicURL != "" && !provider:
		return usagef("--public-url makes MCP an OAuth resource, whose tokens come from an identity provider: give --jwt-jwks-url and --jwt-issuer")
	case f.oauthOnly && f.publicURL == "":
		return usagef("--oauth-only needs --public-url (MCP as an OAuth resource)")
	case f.identifyBy != auth.IdentifyByEmail && f.identifyBy != auth.IdentifyBySubject:
		return usagef("--jwt-identify-by %s: want %s or %s", f.identifyBy, auth.IdentifyByEmail, auth.IdentifyBySubject)
	}
	if f.publicURL != "" {
		u, err := url.Parse(f.publicURL)
		if err != nil || !u.IsAbs() || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			return usagef("--public-url %q: want an absolute URL without query or fragment, such as https://data.example.com", f.publicURL)
		}
		if err := f.oauth().Check(); err != nil {
			return usagef("--public-url: %v", err)
		}
	}
	if f.jwksURL != "" {
		// Keys fetched in clear could be anyone's: https, but on this
		// machine.
		u, err := url.Parse(f.jwksURL)
		if err != nil || !u.IsAbs() || u.Host == "" {
			return usagef("--jwt-jwks-url %q is not an absolute URL", f.jwksURL)
		}
		if host := u.Hostname(); u.Scheme != "https" && !(u.Scheme == "http" && (host == "localhost" || host == "127.0.0.1" || host == "::1")) {
			return usagef("--jwt-jwks-url %q must be https (keys fetched in clear could be anyone's), but for a loopback address", f.jwksURL)
		}
	}
	if !provider {
		for _, name := range []string{"jwt-audience", "jwt-identify-by", "jwt-subject-claim", "jwt-provider-groups-claim", "jwt-scope-claim",
			"jwt-attribute-claim", "jwt-claims-over-directory", "jwt-max-lifetime", "jwt-jwks-min-refresh", "jwt-jwks-max-refresh", "oauth-issuer"} {
			if explicit[name] {
				return usagef("--%s applies to an identity provider's tokens: give --jwt-jwks-url (or --jwt-jwks-file) and --jwt-issuer", name)
			}
		}
	}
	return nil
}

// provider is the verifier's provider options; nil without a key set.
func (f *identityFlags) provider(log *slog.Logger) *auth.ProviderOptions {
	if f.jwksURL == "" && f.jwksFile == "" {
		return nil
	}
	return &auth.ProviderOptions{
		Issuer: f.issuer, JWKSURL: f.jwksURL, JWKSFile: f.jwksFile, Audiences: f.audiences,
		IdentifyBy: f.identifyBy, SubjectClaim: f.subjectClaim, GroupsClaim: f.providerGroupsClaim,
		ScopeClaims: f.scopeClaims, AttributeClaims: f.attributeClaims, ClaimsOverDirectory: f.claimsOverDirectory,
		MaxLifetime: f.maxLifetime, MinRefresh: f.minRefresh, MaxRefresh: f.maxRefresh,
		HTTPClient: &http.Client{Timeout: 10 * time.Second}, Logger: log,
	}
}

// oauth is MCP's OAuth options; nil without --public-url.
func (f *identityFlags) oauth() *mcp.OAuthOptions {
	if f.publicURL == "" {
		return nil
	}
	issuer := f.oauthIssuer
	if issuer == "" {
		issuer = f.issuer
	}
	return &mcp.OAuthOptions{Resource: strings.TrimSuffix(f.publicURL, "/") + MCPPath,
		AuthorizationServers: []string{issuer}, Only: f.oauthOnly}
}

// keySetMetrics exports how the provider's key set stands.
func keySetMetrics(reg prometheus.Registerer, v *auth.Verifier) {
	if reg == nil {
		return
	}
	if _, ok := v.KeySet(); !ok {
		return
	}
	status := func() auth.KeySetStatus { st, _ := v.KeySet(); return st }
	reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "agentlayer_jwks_keys", Help: "Usable keys in the identity provider's key set."},
			func() float64 { return float64(status().Keys) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "agentlayer_jwks_stale", Help: "1 when the last fetch of the identity provider's key set failed (the last good set stays in use)."},
			func() float64 {
				if status().Stale {
					return 1
				}
				return 0
			}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "agentlayer_jwks_age_seconds", Help: "Seconds since the key set in use was fetched (-1: never)."},
			func() float64 {
				st := status()
				if st.FetchedAt.IsZero() {
					return -1
				}
				return time.Since(st.FetchedAt).Seconds()
			}),
	)
}
