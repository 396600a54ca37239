package auth

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"sync"
	"time"
)

// DefaultSweepInterval is how often a PostgresStore deletes the sessions
// that have expired.
const DefaultSweepInterval = time.Minute

// PostgresStore keeps sessions in a PostgreSQL table, so that several
// agentlayer processes sharing it serve one set of sessions: a session
// made by one works on every other, and one ended on any is ended on all.
// The table holds token hashes, never tokens; each user keeps at most
// MaxSessionsPerUser sessions, their next one ending their own that
// expires first; expired rows are swept in the background. It is safe for
// concurrent use, by any number of processes.
type PostgresStore struct {
	db    *sql.DB
	table string // quoted
	log   *slog.Logger
	stop  chan struct{}
	done  sync.WaitGroup
	once  sync.Once
}

// PostgresStoreOptions configure a PostgresStore.
type PostgresStoreOptions struct {
	// Table is the table's name, created if missing; "" means
	// agentlayer_sessions. It may be schema-qualified (schema.table).
	Table string
	// SweepInterval is how often expired sessions are deleted; 0 means
	// DefaultSweepInterval, and a negative value never (call Sweep).
	SweepInterval time.Duration
	// Logger receives a warning when a sweep fails; nil discards.
	Logger *slog.Logger
}

var tableName = regexp.MustCompile(`^([a-z_][a-z0-9_]*\.)?[a-z_][a-z0-9_]*$`)

// OpenPostgresStore creates the session table in db if it is missing and
// starts sweeping. db is a PostgreSQL handle (a driver such as
// github.com/jackc/pgx/v5/stdlib); Close stops the sweeping, not db.
func OpenPostgresStore(ctx context.Context, db *sql.DB, opts PostgresStoreOptions) (*PostgresStore, error) {
	name := opts.Table
	if name == "" {
		name = "agentlayer_sessions"
	}
	if !tableName.MatchString(name) {
		return nil, fmt.Errorf("auth: session table %q: use lower-case letters, digits and _, as schema.table or table", name)
	}
	s := &PostgresStore{db: db, table: name, log: opts.Logger, stop: make(chan struct{})}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if err := s.create(ctx); err != nil {
		return nil, fmt.Errorf("auth: session table %s: %w", name, err)
	}
	interval := opts.SweepInterval
	if interval == 0 {
		interval = DefaultSweepInterval
	}
	if interval > 0 {
		s.done.Add(1)
		go s.sweepEvery(interval)
	}
	return s, nil
}

// create makes the table and its indexes if the table is missing, once
// across processes: two processes creating it at once would otherwise
// collide in the catalog. A table that exists is used as it is, so a role
// that may only read and write it (not create in its schema) can serve.
func (s *PostgresStore) create(ctx context.Context) error {
	exists := func(q interface {
		QueryRowContext(context.Context, string, ...any) *sql.Row
	}) (bool, error) {
		var ok bool
		err := q.QueryRowContext(ctx, "SELECT to_regclass($1) IS NOT NULL", s.table).Scan(&ok)
		return ok, err
	}
	if ok, err := exists(s.db); err != nil || ok {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", "agentlayer:"+s.table); err != nil {
		return err
	}
	if ok, err := exists(tx); err != nil || ok {
		return err // another process made it meanwhile
	}
	for _, stmt := range []string{
		`CREATE TABLE IF NOT EXISTS ` + s.table + ` (
			token_hash BYTEA PRIMARY KEY,
			user_key TEXT NOT NULL,
			principal JSONB NOT NULL,
			created TIMESTAMPTZ NOT NULL,
			expires TIMESTAMPTZ NOT NULL)`,
		`CREATE INDEX IF NOT EXISTS ` + indexName(s.table, "user") + ` ON ` + s.table + ` (user_key, expires)`,
		`CREATE INDEX IF NOT EXISTS ` + indexName(s.table, "expires") + ` ON ` + s.table + ` (expires)`,
	} {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// indexName is the name of one of table's indexes: in its schema, as
// PostgreSQL puts an index, so unqualified.
func indexName(table, what string) string {
	for i := len(table) - 1; i >= 0; i-- {
		if table[i] == '.' {
			table = table[i+1:]
			break
		}
	}
	return table + "_" + what
}

// Put implements SessionStore. Within one transaction, serialised per user
// across processes, it ends the user's sessions beyond
// MaxSessionsPerUser−1 (those that expire first) and stores this one.
func (s *PostgresStore) Put(ctx context.Context, h TokenHash, sess Session) error {
	principal, err := json.Marshal(toFile(sess.Principal))
	if err != nil {
		return err
	}
	user := userOf(sess)
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", "agentlayer:"+s.table+":"+user); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM `+s.table+` WHERE token_hash IN (
		SELECT token_hash FROM `+s.table+` WHERE user_key = $1 AND token_hash <> $2
		ORDER BY expires DESC, token_hash OFFSET $3)`, user, h[:], MaxSessionsPerUser-1); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO `+s.table+` (token_hash, user_key, principal, created, expires)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (token_hash) DO UPDATE SET user_key = $2, principal = $3, created = $4, expires = $5`,
		h[:], user, string(principal), sess.Created, sess.Expires); err != nil {
		return err
	}
	return tx.Commit()
}

// Get implements SessionStore.
func (s *PostgresStore) Get(ctx context.Context, h TokenHash, now time.Time) (Session, bool, error) {
	var principal []byte
	var sess Session
	err := s.db.QueryRowContext(ctx, `SELECT principal, created, expires FROM `+s.table+`
		WHERE token_hash = $1 AND expires > $2`, h[:], now).Scan(&principal, &sess.Created, &sess.Expires)
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, false, nil
	}
	if err != nil {
		return Session{}, false, err
	}
	var fp filePrincipal
	if err := json.Unmarshal(principal, &fp); err != nil {
		return Session{}, false, fmt.Errorf("session record: %w", err)
	}
	sess.Principal = fp.principal()
	return sess, true, nil
}

// Delete implements SessionStore.
func (s *PostgresStore) Delete(ctx context.Context, h TokenHash) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM `+s.table+` WHERE token_hash = $1`, h[:])
	return err
}

// DeleteUser implements UserSessionsDeleter.
func (s *PostgresStore) DeleteUser(ctx context.Context, email string) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM `+s.table+` WHERE user_key = $1`, email)
	return err
}

// Sweep deletes the sessions expired at now and reports how many.
func (s *PostgresStore) Sweep(ctx context.Context, now time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM `+s.table+` WHERE expires <= $1`, now)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// Len counts the sessions stored, expired or not.
func (s *PostgresStore) Len(ctx context.Context) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM `+s.table).Scan(&n)
	return n, err
}

func (s *PostgresStore) sweepEvery(interval time.Duration) {
	defer s.done.Done()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), interval)
			if _, err := s.Sweep(ctx, time.Now()); err != nil {
				s.log.Warn("session store: sweep failed", "err", err.Error())
			}
			cancel()
		}
	}
}

// Close stops sweeping; the table and db stay.
func (s *PostgresStore) Close() error {
	s.once.Do(func() { close(s.stop) })
	s.done.Wait()
	return nil
}
