package auth

import (
	"errors"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Claims describe a token for Sign.
type Claims struct {
	Email      string
	FirstName  string
	LastName   string
	Groups     []string
	Attributes map[string]any
	// Scope is the space-separated scope claim; "" leaves it out
	// (unrestricted).
	Scope string
	// IssuedAt is the iat claim; zero means now.
	IssuedAt time.Time
	// ExpiresIn sets exp after IssuedAt; 0 leaves exp out.
	ExpiresIn time.Duration
}

// Sign mints an HS256 token with secret, as a host application signs tokens
// for its users. Attribute names must not clash with the claims above.
func Sign(secret []byte, c Claims) (string, error) {
	if c.Email == "" {
		return "", errors.New("auth: a token needs an email")
	}
	iat := c.IssuedAt
	if iat.IsZero() {
		iat = time.Now()
	}
	claims := jwt.MapClaims{}
	for k, v := range c.Attributes {
		claims[k] = v
	}
	claims[DefaultEmailClaim] = c.Email
	claims["iat"] = iat.Unix()
	if c.FirstName != "" {
		claims["first_name"] = c.FirstName
	}
	if c.LastName != "" {
		claims["last_name"] = c.LastName
	}
	if len(c.Groups) > 0 {
		claims[DefaultGroupsClaim] = c.Groups
	}
	if c.Scope != "" {
		claims["scope"] = c.Scope
	}
	if c.ExpiresIn > 0 {
		claims["exp"] = iat.Add(c.ExpiresIn).Unix()
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(secret)
}
