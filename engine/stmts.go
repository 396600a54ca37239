package engine

import (
	"container/list"
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"strings"
	"sync"
)

// The bounds of the prepared-statement cache.
const (
	// defaultStatements is how many prepared statements are kept at most.
	defaultStatements = 256
	// defaultStatementBytes bounds what the kept statements hold, measured
	// by a proxy: the bytes of their SQL text and paramCost per parameter.
	// A plan grows with its expression, and so does its text; values never
	// add to it, since a list of values is one parameter.
	defaultStatementBytes = 4 << 20
	paramCost             = 64
)

// stmtCache keeps prepared statements by SQL text, bounded by count and by
// cost. Every request value is a bound parameter, so every request of one
// shape has one text: DuckDB parses and plans it once. An entry is
// referenced while a query starts on it, so that an eviction never closes a
// statement another query is about to run; once started, the query's rows
// keep the statement alive themselves (database/sql closes it when they
// are done).
type stmtCache struct {
	db       *sql.DB
	max      int
	maxCost  int
	log      *slog.Logger // each statement at debug level; nil: none
	mu       sync.Mutex
	entries  map[string]*stmtEntry
	lru      list.List // of *stmtEntry, most recently used first
	cost     int
	prepares int // statements prepared, for tests and metrics
}

type stmtEntry struct {
	text    string
	stmt    *sql.Stmt
	cost    int
	refs    int
	evicted bool
	elem    *list.Element
}

func newStmtCache(db *sql.DB, max, maxCost int) *stmtCache {
	return &stmtCache{db: db, max: max, maxCost: maxCost, entries: map[string]*stmtEntry{}}
}

// errNotSelect refuses a statement that is not a SELECT, or a SELECT
// followed by another statement (DuckDB runs every statement of a text it
// prepares): the engine sends only the single SELECTs it generates, and
// DuckDB's lockdown does not cover every session-level statement (PRAGMA
// enable_profiling, SET VARIABLE).
var errNotSelect = errors.New("engine: refused a statement that is not a SELECT")

// query runs text with args through its prepared statement.
func (c *stmtCache) query(ctx context.Context, text string, args []any) (*sql.Rows, error) {
	if err := c.admit(ctx, text); err != nil {
		return nil, err
	}
	e, err := c.acquire(ctx, text, len(args))
	if err != nil {
		return nil, err
	}
	defer c.release(e)
	return e.stmt.QueryContext(ctx, args...)
}

func (c *stmtCache) acquire(ctx context.Context, text string, params int) (*stmtEntry, error) {
	c.mu.Lock()
	if e, ok := c.entries[text]; ok {
		e.refs++
		c.lru.MoveToFront(e.elem)
		c.mu.Unlock()
		return e, nil
	}
	c.mu.Unlock()
	stmt, err := c.db.PrepareContext(ctx, text)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.prepares++
	if e, ok := c.entries[text]; ok {
		// Prepared at the same time by another query: keep theirs.
		e.refs++
		c.lru.MoveToFront(e.elem)
		stmt.Close()
		return e, nil
	}
	e := &stmtEntry{text: text, stmt: stmt, cost: len(text) + paramCost*params, refs: 1}
	e.elem = c.lru.PushFront(e)
	c.entries[text] = e
	c.cost += e.cost
	for c.lru.Len() > 1 && (c.lru.Len() > c.max || c.cost > c.maxCost) {
		c.evict(c.lru.Back().Value.(*stmtEntry))
	}
	return e, nil
}

// evict forgets e; its statement closes once no query is starting on it.
// c.mu is held.
func (c *stmtCache) evict(e *stmtEntry) {
	c.lru.Remove(e.elem)
	delete(c.entries, e.text)
	c.cost -= e.cost
	e.evicted = true
	if e.refs == 0 {
		e.stmt.Close()
	}
}

func (c *stmtCache) release(e *stmtEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e.refs--
	if e.evicted && e.refs == 0 {
		e.stmt.Close()
	}
}

// clear evicts every statement: after a reload, no plan of the old model
// is run again.
func (c *stmtCache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for c.lru.Len() > 0 {
		c.evict(c.lru.Back().Value.(*stmtEntry))
	}
}

// stats reports the statements kept, their cost and how many were
// prepared in all.
func (c *stmtCache) stats() (n, cost, prepares int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len(), c.cost, c.prepares
}

// admit is the door of every statement the engine sends its database,
// prepared or read as Arrow: it is logged (at debug level), and refused
// unless it is a single SELECT (errNotSelect).
func (c *stmtCache) admit(ctx context.Context, text string) error {
	if c.log != nil {
		c.log.DebugContext(ctx, "statement", "sql", text)
	}
	if !strings.HasPrefix(text, "SELECT ") || severalStatements(text) {
		return errNotSelect
	}
	return nil
}

// severalStatements reports whether text holds a semicolon outside quoted
// strings and identifiers: more than one statement.
func severalStatements(text string) bool {
	var quote byte
	for i := 0; i < len(text); i++ {
		switch c := text[i]; {
		case quote != 0:
			if c == quote {
				quote = 0 // a doubled quote closes and reopens: the same
			}
		case c == '\'' || c == '"':
			quote = c
		case c == ';':
			return true
		}
	}
	return false
}
