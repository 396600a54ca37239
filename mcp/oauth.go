package mcp

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	sdkauth "github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/oauthex"

	"github.com/agentlayer/agentlayer/internal/httpapi"
)

// MetadataPrefix is where RFC 9728 places a protected resource's
// metadata: this path, followed by the resource's own path.
const MetadataPrefix = "/.well-known/oauth-protected-resource"

// OAuthOptions make the MCP endpoint an OAuth 2.1 protected resource, as
// the MCP authorization spec asks: its metadata names the authorization
// server, a 401 points at the metadata, and the access tokens it accepts
// are the provider's with the endpoint's URL as their audience (RFC 8707).
type OAuthOptions struct {
	// Resource is the MCP endpoint's public URL (serve --public-url with
	// /api/agent/mcp): its resource identifier and the audience its
	// tokens carry.
	Resource string
	// AuthorizationServers are the issuers of its tokens.
	AuthorizationServers []string
	// Scopes are the scopes the metadata lists; nil means every scope a
	// tool needs.
	Scopes []string
	// Only refuses HS256 tokens and sessions: the provider's tokens only.
	Only bool
}

// Check says what is wrong with the options, naming the flag.
func (o *OAuthOptions) Check() error {
	u, err := url.Parse(o.Resource)
	switch {
	case err != nil || !u.IsAbs() || u.Host == "":
		return fmt.Errorf("mcp: the resource URL %q is not an absolute URL (--public-url)", o.Resource)
	case u.Scheme != "https" && !loopback(u.Hostname()):
		return fmt.Errorf("mcp: the resource URL %q must be https (OAuth 2.1), but for a loopback host", o.Resource)
	case u.RawQuery != "" || u.Fragment != "":
		return fmt.Errorf("mcp: the resource URL %q may have no query or fragment (RFC 8707)", o.Resource)
	case len(o.AuthorizationServers) == 0:
		return errors.New("mcp: OAuth needs the authorization server's issuer (--oauth-issuer or --jwt-issuer)")
	}
	return nil
}

func loopback(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}

// MetadataURL is where the resource's metadata is served.
func (o *OAuthOptions) MetadataURL() string {
	u, err := url.Parse(o.Resource)
	if err != nil {
		return ""
	}
	return u.Scheme + "://" + u.Host + MetadataPrefix + strings.TrimSuffix(u.Path, "/")
}

// MetadataPath is the path of MetadataURL, where serve mounts
// MetadataHandler (and at MetadataPrefix itself, which clients that do
// not insert the resource's path ask).
func (o *OAuthOptions) MetadataPath() string {
	u, _ := url.Parse(o.MetadataURL())
	if u == nil {
		return MetadataPrefix
	}
	return u.Path
}

// MetadataHandler serves the resource's RFC 9728 metadata, with the SDK's
// handler (CORS for browser-based clients, GET only).
func (o *OAuthOptions) MetadataHandler() http.Handler {
	scopes := o.Scopes
	if scopes == nil {
		seen := map[string]bool{}
		for _, def := range (&tools{}).definitions() {
			for _, s := range def.scopes {
				if !seen[s] {
					seen[s] = true
					scopes = append(scopes, s)
				}
			}
		}
	}
	meta := sdkauth.ProtectedResourceMetadataHandler(&oauthex.ProtectedResourceMetadata{
		Resource:               o.Resource,
		AuthorizationServers:   o.AuthorizationServers,
		ScopesSupported:        scopes,
		BearerMethodsSupported: []string{"header"},
		ResourceName:           "agentlayer MCP",
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead && r.Method != http.MethodOptions {
			w.Header().Set("Allow", "GET, OPTIONS")
			httpapi.Write(w, &httpapi.Error{Status: http.StatusMethodNotAllowed, Code: "method_not_allowed",
				Message: "the resource metadata is read with GET"})
			return
		}
		meta.ServeHTTP(w, r)
	})
}
