package auth_test

import (
	"context"
	"errors"
	"fmt"
	neturl "net/url"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/agentlayer/agentlayer/auth"
	"github.com/agentlayer/agentlayer/internal/testsupport/pgtest"
)

// pgStore opens a PostgresStore in a new database of the test's own.
func pgStore(t *testing.T) (*auth.PostgresStore, string) {
	t.Helper()
	url := pgtest.NewDatabase(t)
	s, err := auth.OpenPostgresStore(context.Background(), pgtest.Open(t, url), auth.PostgresStoreOptions{SweepInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, url
}

// TestPostgresStore_shared: two stores on one table — two processes — see
// one set of sessions: made on one, found on the other with its attributes'
// types intact, ended on either for both; the table holds no token.
func TestPostgresStore_shared(t *testing.T) {
	ctx := context.Background()
	a, url := pgStore(t)
	b, err := auth.OpenPostgresStore(ctx, pgtest.Open(t, url), auth.PostgresStoreOptions{SweepInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	sa := auth.NewSessions(auth.SessionOptions{Store: a, TTL: time.Hour, Now: clock})
	sb := auth.NewSessions(auth.SessionOptions{Store: b, TTL: time.Hour, Now: clock})
	kept := &auth.Principal{Email: "keep@example.com", Groups: []string{"sales"}, Scopes: []string{},
		Attributes: map[string]any{"n": int64(1), "uid": int64(1234567890123456789), "level": 5.0, "on": true, "list": []any{int64(1), 2.0, "x"}}}
	tok, _, err := sa.Create(ctx, kept)
	if err != nil {
		t.Fatal(err)
	}
	if p, err := sb.Lookup(ctx, tok); err != nil || !reflect.DeepEqual(p, kept) {
		t.Fatalf("the other store:\n got %#v, %v\nwant %#v", p, err, kept)
	}
	var stored int
	if err := pgtest.Open(t, url).QueryRow(`SELECT count(*) FROM agentlayer_sessions WHERE position($1::bytea IN token_hash) > 0 OR principal::text LIKE '%' || $2 || '%'`,
		[]byte(tok), tok).Scan(&stored); err != nil || stored != 0 {
		t.Errorf("the table holds the token (%d rows, %v)", stored, err)
	}
	if err := sb.End(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if _, err := sa.Lookup(ctx, tok); !errors.Is(err, auth.ErrNoSession) {
		t.Errorf("ended on one, the other still finds it: %v", err)
	}
}

// TestPostgresStore_expiryAndCap: an expired session is not found and is
// swept; a user minting sessions without end keeps the newest
// MaxSessionsPerUser, and another user's are untouched.
func TestPostgresStore_expiryAndCap(t *testing.T) {
	ctx := context.Background()
	s, _ := pgStore(t)
	old := auth.HashToken("old")
	s.Put(ctx, old, auth.Session{Principal: &auth.Principal{Email: "old@example.com"}, Created: now.Add(-2 * time.Hour), Expires: now.Add(-time.Hour)})
	if _, ok, err := s.Get(ctx, old, now); ok || err != nil {
		t.Errorf("expired session found (%v)", err)
	}
	if n, err := s.Sweep(ctx, now); n != 1 || err != nil {
		t.Errorf("swept %d (%v), want 1", n, err)
	}
	other := auth.HashToken("other")
	s.Put(ctx, other, auth.Session{Principal: &auth.Principal{Email: "other@example.com"}, Expires: now.Add(time.Minute)})
	n := auth.MaxSessionsPerUser + 20
	for i := range n {
		if err := s.Put(ctx, auth.HashToken(fmt.Sprint(i)), auth.Session{Principal: &auth.Principal{Email: "greedy@example.com"}, Expires: now.Add(time.Hour + time.Duration(i)*time.Second)}); err != nil {
			t.Fatal(err)
		}
	}
	if got, _ := s.Len(ctx); got != auth.MaxSessionsPerUser+1 {
		t.Errorf("%d sessions, want %d", got, auth.MaxSessionsPerUser+1)
	}
	keptNewest(t, s, other, n)
}

// TestPostgresStore_concurrent: processes creating the table and one
// user's sessions at once never exceed the cap nor fail.
func TestPostgresStore_concurrent(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewDatabase(t)
	var wg sync.WaitGroup
	stores := make([]*auth.PostgresStore, 4)
	for i := range stores {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := auth.OpenPostgresStore(ctx, pgtest.Open(t, url), auth.PostgresStoreOptions{SweepInterval: -1})
			if err != nil {
				t.Error(err)
				return
			}
			stores[i] = s
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	for i, s := range stores {
		defer s.Close()
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 60 {
				if err := s.Put(ctx, auth.HashToken(fmt.Sprint(i, "-", j)), auth.Session{Principal: &auth.Principal{Email: "same@example.com"}, Expires: now.Add(time.Hour)}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if n, _ := stores[0].Len(ctx); n != auth.MaxSessionsPerUser {
		t.Errorf("%d sessions of one user, want %d", n, auth.MaxSessionsPerUser)
	}
}

// TestPostgresStore_badTable: a table name that is not a plain identifier
// is refused before any SQL.
func TestPostgresStore_badTable(t *testing.T) {
	_, err := auth.OpenPostgresStore(context.Background(), nil, auth.PostgresStoreOptions{Table: `x; DROP TABLE y`})
	if err == nil {
		t.Fatal("accepted")
	}
}

// TestPostgresStore_leastPrivilege: once the table exists, a role that may
// only read and write it — not create anything in its schema — opens the
// store and keeps sessions.
func TestPostgresStore_leastPrivilege(t *testing.T) {
	ctx := context.Background()
	_, url := pgStore(t) // creates the table as the owner
	owner := pgtest.Open(t, url)
	role := fmt.Sprintf("agentlayer_sessions_%d", time.Now().UnixNano())
	for _, stmt := range []string{
		"CREATE ROLE " + role + " LOGIN",
		"REVOKE CREATE ON SCHEMA public FROM PUBLIC",
		"GRANT SELECT, INSERT, UPDATE, DELETE ON agentlayer_sessions TO " + role,
	} {
		if _, err := owner.Exec(stmt); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		if _, err := owner.Exec("DROP OWNED BY " + role + "; DROP ROLE " + role); err != nil {
			t.Error(err)
		}
	})
	u, _ := neturl.Parse(url)
	u.User = neturl.User(role)
	s, err := auth.OpenPostgresStore(ctx, pgtest.Open(t, u.String()), auth.PostgresStoreOptions{SweepInterval: -1})
	if err != nil {
		t.Fatalf("as a role that may only use the table: %v", err)
	}
	defer s.Close()
	sessions := auth.NewSessions(auth.SessionOptions{Store: s, Now: clock})
	tok, _, err := sessions.Create(ctx, &auth.Principal{Email: "a@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sessions.Lookup(ctx, tok); err != nil {
		t.Fatal(err)
	}
}

// TestPostgresStore_DeleteUser: a user's sessions end together, on every
// process sharing the table; another user's stay.
func TestPostgresStore_DeleteUser(t *testing.T) {
	ctx := context.Background()
	st, _ := pgStore(t)
	s := auth.NewSessions(auth.SessionOptions{Store: st, TTL: time.Hour, Now: clock})
	a, _, _ := s.Create(ctx, &auth.Principal{Email: "a@example.com"})
	b, _, _ := s.Create(ctx, &auth.Principal{Email: "b@example.com"})
	if err := s.EndUser(ctx, "a@example.com"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Lookup(ctx, a); !errors.Is(err, auth.ErrNoSession) {
		t.Errorf("a's session: %v", err)
	}
	if _, err := s.Lookup(ctx, b); err != nil {
		t.Errorf("b's session: %v", err)
	}
}
