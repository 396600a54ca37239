package auth

import (
	"slices"
	"strings"
	"time"
)

// Principal is an authenticated user.
type Principal struct {
	// Email identifies the user; always lower-case.
	Email     string
	FirstName string
	LastName  string
	// Groups are the user's groups, sorted and without repeats.
	Groups []string
	// Attributes are the user's other claims: strings, int64 or float64
	// numbers, booleans, and lists ([]any) of these.
	Attributes map[string]any
	// Scopes restrict the endpoints the credential may call; nil means
	// unrestricted, an empty list means none.
	Scopes []string
	// expires is when the credential stops being valid (an identity
	// provider's token); zero when it does not say.
	expires time.Time
}

// ValidUntil is when the credential the principal came from stops being
// valid — an identity provider's token, at min(exp, iat + its maximum
// lifetime) — or zero: a session made from it ends then at the latest.
func (p *Principal) ValidUntil() time.Time { return p.expires }

// The scopes of the Agent API's endpoints.
const (
	ScopeTableRead      = "agent:table:read"
	ScopeMetricRead     = "agent:metric:read"
	ScopeSearch         = "agent:search"
	ScopeQueryConstruct = "agent:query:construct"
	ScopeQueryExecute   = "agent:query:execute"
	ScopeQuery          = "agent:query"
)

// Allows reports whether the principal's scopes permit an operation that
// requires scope. A granted scope ending in ":*" matches every scope under
// its prefix ("agent:*" matches all).
func (p *Principal) Allows(scope string) bool {
	if p.Scopes == nil {
		return true
	}
	for _, s := range p.Scopes {
		if s == scope {
			return true
		}
		if prefix, ok := strings.CutSuffix(s, "*"); ok && strings.HasSuffix(prefix, ":") && strings.HasPrefix(scope, prefix) {
			return true
		}
	}
	return false
}

// InGroup reports whether the principal belongs to group.
func (p *Principal) InGroup(group string) bool {
	_, found := slices.BinarySearch(p.Groups, group)
	return found
}

// normalize lower-cases the email and sorts and de-duplicates the groups.
func (p *Principal) normalize() {
	p.Email = strings.ToLower(strings.TrimSpace(p.Email))
	slices.Sort(p.Groups)
	p.Groups = slices.Compact(p.Groups)
}

// Clone returns a deep copy of the principal.
func (p *Principal) Clone() *Principal {
	c := *p
	c.Groups = slices.Clone(p.Groups)
	c.Scopes = slices.Clone(p.Scopes)
	if p.Attributes != nil {
		c.Attributes = make(map[string]any, len(p.Attributes))
		for k, v := range p.Attributes {
			if l, ok := v.([]any); ok {
				v = slices.Clone(l)
			}
			c.Attributes[k] = v
		}
	}
	return &c
}
