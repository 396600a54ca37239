package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"time"
)

// ErrNoSession is returned for a session token that is unknown or expired.
var ErrNoSession = errors.New("no such session")

// StoreError is a session store that failed (a PostgreSQL store whose
// server cannot be reached): not an answer about the session. Retry later.
type StoreError struct {
	Op  string // "store", "look up" or "end"
	Err error
}

func (e *StoreError) Error() string { return "auth: " + e.Op + " session: " + e.Err.Error() }

func (e *StoreError) Unwrap() error { return e.Err }

// DefaultSessionTTL is how long a session lasts unless configured.
const DefaultSessionTTL = 14 * 24 * time.Hour

// TokenHash is the SHA-256 of a session token: what a SessionStore keeps in
// place of the token.
type TokenHash [sha256.Size]byte

// HashToken hashes a session token.
func HashToken(token string) TokenHash { return sha256.Sum256([]byte(token)) }

// Session is a session as stored.
type Session struct {
	Principal *Principal
	Created   time.Time
	Expires   time.Time
}

// SessionStore keeps sessions by the hash of their token. Implementations
// must be safe for concurrent use. Get must not return an expired session.
type SessionStore interface {
	Put(ctx context.Context, h TokenHash, s Session) error
	Get(ctx context.Context, h TokenHash, now time.Time) (Session, bool, error)
	Delete(ctx context.Context, h TokenHash) error
}

// SessionOptions configure Sessions; the zero value means every default.
type SessionOptions struct {
	// Store keeps the sessions; nil means a MemoryStore of default size.
	Store SessionStore
	// TTL is how long a session lasts; 0 means 14 days.
	TTL time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Sessions exchanges principals for session tokens and back. It is safe for
// concurrent use.
type Sessions struct {
	store SessionStore
	ttl   time.Duration
	now   func() time.Time
}

// NewSessions returns a session manager.
func NewSessions(opts SessionOptions) *Sessions {
	s := &Sessions{store: opts.Store, ttl: opts.TTL, now: opts.Now}
	if s.store == nil {
		s.store = NewMemoryStore(0)
	}
	if s.ttl <= 0 {
		s.ttl = DefaultSessionTTL
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// Create starts a session for p and returns its token: 256 random bits,
// base64url. The session keeps a copy of p as it is now.
func (s *Sessions) Create(ctx context.Context, p *Principal) (string, Session, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", Session{}, fmt.Errorf("auth: session token: %w", err)
	}
	token := base64.RawURLEncoding.EncodeToString(b[:])
	now := s.now()
	sess := Session{Principal: p.Clone(), Created: now, Expires: now.Add(s.ttl)}
	if until := p.ValidUntil(); !until.IsZero() && until.Before(sess.Expires) {
		// A provider's token makes a session no longer-lived than itself.
		sess.Expires = until
	}
	if err := s.store.Put(ctx, HashToken(token), sess); err != nil {
		return "", Session{}, &StoreError{Op: "store", Err: err}
	}
	return token, sess, nil
}

// Lookup returns the principal of a live session, or ErrNoSession.
func (s *Sessions) Lookup(ctx context.Context, token string) (*Principal, error) {
	if token == "" || len(token) > 256 {
		return nil, ErrNoSession
	}
	sess, ok, err := s.store.Get(ctx, HashToken(token), s.now())
	if err != nil {
		return nil, &StoreError{Op: "look up", Err: err}
	}
	if !ok {
		return nil, ErrNoSession
	}
	return sess.Principal.Clone(), nil
}

// UserSessionsDeleter is a SessionStore that can delete every session of
// one user (by the email of the Principal it keeps). The stores of this
// package are.
type UserSessionsDeleter interface {
	DeleteUser(ctx context.Context, email string) error
}

// EndUser ends every session of the user with this email, for good: a
// deactivated user's sessions do not come back when the directory makes
// them active again. A store that cannot delete by user is an error.
func (s *Sessions) EndUser(ctx context.Context, email string) error {
	d, ok := s.store.(UserSessionsDeleter)
	if !ok {
		return &StoreError{Op: "end", Err: fmt.Errorf("the session store %T cannot end a user's sessions", s.store)}
	}
	if err := d.DeleteUser(ctx, email); err != nil {
		return &StoreError{Op: "end", Err: err}
	}
	return nil
}

// End ends a session. Ending an unknown session is ErrNoSession.
func (s *Sessions) End(ctx context.Context, token string) error {
	if _, err := s.Lookup(ctx, token); err != nil {
		return err
	}
	if err := s.store.Delete(ctx, HashToken(token)); err != nil {
		return &StoreError{Op: "end", Err: err}
	}
	return nil
}
