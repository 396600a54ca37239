package auth

import (
	"bufio"
	"container/heap"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// DefaultMaxSessions bounds a MemoryStore unless configured.
const DefaultMaxSessions = 100_000

// MemoryStore is a bounded, in-memory SessionStore. When full, it drops the
// session that expires first. It is safe for concurrent use.
type MemoryStore struct {
	mu       sync.Mutex
	max      int
	sessions map[TokenHash]*entry
	byExpiry expiryHeap
}

type entry struct {
	hash  TokenHash
	sess  Session
	index int // in byExpiry
}

// NewMemoryStore returns a store holding at most max sessions; 0 means
// DefaultMaxSessions.
func NewMemoryStore(max int) *MemoryStore {
	if max <= 0 {
		max = DefaultMaxSessions
	}
	return &MemoryStore{max: max, sessions: map[TokenHash]*entry{}}
}

// Put implements SessionStore.
func (m *MemoryStore) Put(_ context.Context, h TokenHash, s Session) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.put(h, s)
	return nil
}

func (m *MemoryStore) put(h TokenHash, s Session) {
	if e, ok := m.sessions[h]; ok {
		e.sess = s
		heap.Fix(&m.byExpiry, e.index)
		return
	}
	for len(m.sessions) >= m.max {
		e := heap.Pop(&m.byExpiry).(*entry)
		delete(m.sessions, e.hash)
	}
	e := &entry{hash: h, sess: s}
	m.sessions[h] = e
	heap.Push(&m.byExpiry, e)
}

// Get implements SessionStore; it drops expired sessions as it goes.
func (m *MemoryStore) Get(_ context.Context, h TokenHash, now time.Time) (Session, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.expire(now)
	e, ok := m.sessions[h]
	if !ok {
		return Session{}, false, nil
	}
	return e.sess, true, nil
}

func (m *MemoryStore) expire(now time.Time) {
	for len(m.byExpiry) > 0 && !m.byExpiry[0].sess.Expires.After(now) {
		e := heap.Pop(&m.byExpiry).(*entry)
		delete(m.sessions, e.hash)
	}
}

// Delete implements SessionStore.
func (m *MemoryStore) Delete(_ context.Context, h TokenHash) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.delete(h)
	return nil
}

func (m *MemoryStore) delete(h TokenHash) {
	if e, ok := m.sessions[h]; ok {
		heap.Remove(&m.byExpiry, e.index)
		delete(m.sessions, h)
	}
}

// Len returns the number of sessions held, expired ones included until
// they are next swept.
func (m *MemoryStore) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.sessions)
}

type expiryHeap []*entry

func (h expiryHeap) Len() int           { return len(h) }
func (h expiryHeap) Less(i, j int) bool { return h[i].sess.Expires.Before(h[j].sess.Expires) }
func (h expiryHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *expiryHeap) Push(x any) {
	e := x.(*entry)
	e.index = len(*h)
	*h = append(*h, e)
}
func (h *expiryHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return e
}

// FileStore is a MemoryStore whose changes are journaled to a file, so that
// sessions survive a restart. The file holds token hashes, never tokens, and
// is created readable by its owner only. It is safe for concurrent use
// within one process.
type FileStore struct {
	mem     *MemoryStore
	mu      sync.Mutex // guards f and writes
	path    string
	f       *os.File
	w       *bufio.Writer
	entries int // journal lines since the last compaction
}

type journalLine struct {
	Op      string     `json:"op"` // put or del
	Hash    string     `json:"hash"`
	Session *fileEntry `json:"session,omitempty"`
}

type fileEntry struct {
	Principal *Principal `json:"principal"`
	Created   time.Time  `json:"created"`
	Expires   time.Time  `json:"expires"`
}

// OpenFileStore loads the sessions journaled at path (creating the file if
// needed), drops the expired ones, and rewrites the journal compactly.
// max bounds the sessions held, as for NewMemoryStore.
func OpenFileStore(path string, max int, now time.Time) (*FileStore, error) {
	fs := &FileStore{mem: NewMemoryStore(max), path: path}
	if err := fs.load(now); err != nil {
		return nil, err
	}
	if err := fs.compact(); err != nil {
		return nil, err
	}
	return fs, nil
}

func (fs *FileStore) load(now time.Time) error {
	f, err := os.Open(fs.path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("auth: session state: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for line := 1; sc.Scan(); line++ {
		var jl journalLine
		if err := json.Unmarshal(sc.Bytes(), &jl); err != nil {
			// A torn last line after a crash loses only that change.
			continue
		}
		raw, err := hex.DecodeString(jl.Hash)
		if err != nil || len(raw) != len(TokenHash{}) {
			continue
		}
		var h TokenHash
		copy(h[:], raw)
		switch {
		case jl.Op == "put" && jl.Session != nil && jl.Session.Principal != nil:
			fs.mem.put(h, Session{Principal: jl.Session.Principal, Created: jl.Session.Created, Expires: jl.Session.Expires})
		case jl.Op == "del":
			fs.mem.delete(h)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("auth: session state %s: %w", fs.path, err)
	}
	fs.mem.expire(now)
	return nil
}

// compact rewrites the journal with only the live sessions, atomically.
func (fs *FileStore) compact() error {
	tmp, err := os.CreateTemp(filepath.Dir(fs.path), ".sessions-*")
	if err != nil {
		return fmt.Errorf("auth: session state: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("auth: session state: %w", err)
	}
	w := bufio.NewWriter(tmp)
	fs.mem.mu.Lock()
	n := 0
	for h, e := range fs.mem.sessions {
		writeLine(w, "put", h, &e.sess)
		n++
	}
	fs.mem.mu.Unlock()
	if err := w.Flush(); err != nil {
		tmp.Close()
		return fmt.Errorf("auth: session state: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("auth: session state: %w", err)
	}
	if err := os.Rename(tmp.Name(), fs.path); err != nil {
		return fmt.Errorf("auth: session state: %w", err)
	}
	if fs.f != nil {
		fs.f.Close()
	}
	f, err := os.OpenFile(fs.path, os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("auth: session state: %w", err)
	}
	fs.f, fs.w, fs.entries = f, bufio.NewWriter(f), n
	return nil
}

func writeLine(w *bufio.Writer, op string, h TokenHash, s *Session) {
	jl := journalLine{Op: op, Hash: hex.EncodeToString(h[:])}
	if s != nil {
		jl.Session = &fileEntry{Principal: s.Principal, Created: s.Created, Expires: s.Expires}
	}
	b, _ := json.Marshal(jl)
	w.Write(b)
	w.WriteByte('\n')
}

func (fs *FileStore) journal(op string, h TokenHash, s *Session) error {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	writeLine(fs.w, op, h, s)
	if err := fs.w.Flush(); err != nil {
		return fmt.Errorf("auth: session state: %w", err)
	}
	fs.entries++
	if fs.entries > 2*fs.mem.Len()+1000 {
		return fs.compact()
	}
	return nil
}

// Put implements SessionStore.
func (fs *FileStore) Put(ctx context.Context, h TokenHash, s Session) error {
	fs.mem.Put(ctx, h, s)
	return fs.journal("put", h, &s)
}

// Get implements SessionStore.
func (fs *FileStore) Get(ctx context.Context, h TokenHash, now time.Time) (Session, bool, error) {
	return fs.mem.Get(ctx, h, now)
}

// Delete implements SessionStore.
func (fs *FileStore) Delete(ctx context.Context, h TokenHash) error {
	fs.mem.Delete(ctx, h)
	return fs.journal("del", h, nil)
}

// Close flushes and closes the journal.
func (fs *FileStore) Close() error {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fs.f == nil {
		return nil
	}
	err := fs.w.Flush()
	if cerr := fs.f.Close(); err == nil {
		err = cerr
	}
	fs.f = nil
	return err
}

var (
	_ SessionStore = (*MemoryStore)(nil)
	_ SessionStore = (*FileStore)(nil)
)
