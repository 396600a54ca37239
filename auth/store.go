package auth

import (
	"bufio"
	"bytes"
	"container/heap"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"
)

// DefaultMaxSessions bounds a MemoryStore unless configured.
const DefaultMaxSessions = 100_000

// MaxSessionsPerUser bounds the sessions one user holds at once: a user's
// next session ends their own session that expires first, never another
// user's.
const MaxSessionsPerUser = 100

// MemoryStore is a bounded, in-memory SessionStore. When full, it drops the
// session that expires first. It is safe for concurrent use.
type MemoryStore struct {
	mu       sync.Mutex
	max      int
	sessions map[TokenHash]*entry
	byExpiry expiryHeap
	byUser   map[string]map[*entry]bool
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
	return &MemoryStore{max: max, sessions: map[TokenHash]*entry{}, byUser: map[string]map[*entry]bool{}}
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
		m.remove(e)
	}
	user := userOf(s)
	if mine := m.byUser[user]; len(mine) >= MaxSessionsPerUser {
		var first *entry
		for e := range mine {
			if first == nil || e.sess.Expires.Before(first.sess.Expires) {
				first = e
			}
		}
		m.remove(first)
	}
	for len(m.sessions) >= m.max {
		m.remove(m.byExpiry[0])
	}
	e := &entry{hash: h, sess: s}
	m.sessions[h] = e
	heap.Push(&m.byExpiry, e)
	if m.byUser[user] == nil {
		m.byUser[user] = map[*entry]bool{}
	}
	m.byUser[user][e] = true
}

func userOf(s Session) string {
	if s.Principal == nil {
		return ""
	}
	return s.Principal.Email
}

// remove forgets e everywhere.
func (m *MemoryStore) remove(e *entry) {
	heap.Remove(&m.byExpiry, e.index)
	delete(m.sessions, e.hash)
	user := userOf(e.sess)
	delete(m.byUser[user], e)
	if len(m.byUser[user]) == 0 {
		delete(m.byUser, user)
	}
}

// DeleteUser implements UserSessionsDeleter.
func (m *MemoryStore) DeleteUser(_ context.Context, email string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.deleteUser(email)
	return nil
}

// deleteUser forgets a user's sessions and reports their hashes.
func (m *MemoryStore) deleteUser(email string) []TokenHash {
	var out []TokenHash
	for e := range m.byUser[email] {
		out = append(out, e.hash)
		m.remove(e)
	}
	return out
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
		m.remove(m.byExpiry[0])
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
		m.remove(e)
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
	report  LoadReport
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
	Principal *filePrincipal `json:"principal"`
	Created   time.Time      `json:"created"`
	Expires   time.Time      `json:"expires"`
}

// filePrincipal is a Principal as journaled: its attributes keep their
// types across a restart (an int64 stays exact, 5.0 stays a double), since
// policies compare them.
type filePrincipal struct {
	Email      string
	FirstName  string
	LastName   string
	Groups     []string
	Attributes fileAttributes
	Scopes     []string
}

type fileAttributes map[string]any

// MarshalJSON writes every double with a decimal point or an exponent, so
// that reading it back tells it from an integer.
func (a fileAttributes) MarshalJSON() ([]byte, error) {
	if a == nil {
		return []byte("null"), nil
	}
	b := []byte{'{'}
	for i, k := range slices.Sorted(maps.Keys(a)) {
		if i > 0 {
			b = append(b, ',')
		}
		kb, _ := json.Marshal(k)
		b = append(append(b, kb...), ':')
		var err error
		if b, err = appendAttribute(b, a[k]); err != nil {
			return nil, fmt.Errorf("attribute %q: %w", k, err)
		}
	}
	return append(b, '}'), nil
}

func appendAttribute(b []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, fmt.Errorf("%v is not a JSON number", x)
		}
		n := strconv.AppendFloat(nil, x, 'g', -1, 64)
		if !bytes.ContainsAny(n, ".e") {
			n = append(n, ".0"...)
		}
		return append(b, n...), nil
	case []any:
		b = append(b, '[')
		for i, item := range x {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendAttribute(b, item); err != nil {
				return nil, err
			}
		}
		return append(b, ']'), nil
	case string, bool, int64:
		enc, _ := json.Marshal(x)
		return append(b, enc...), nil
	}
	return nil, fmt.Errorf("unsupported type %T", v)
}

// UnmarshalJSON reads attributes back with the verifier's rules: a number
// without a fraction or exponent is an int64.
func (a *fileAttributes) UnmarshalJSON(data []byte) error {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	var raw map[string]any
	if err := d.Decode(&raw); err != nil {
		return err
	}
	if raw == nil {
		*a = nil
		return nil
	}
	out := make(fileAttributes, len(raw))
	for k, v := range raw {
		x, ok := attributeValue(v)
		if !ok {
			return fmt.Errorf("attribute %q: unsupported value", k)
		}
		out[k] = x
	}
	*a = out
	return nil
}

func toFile(p *Principal) *filePrincipal {
	return &filePrincipal{Email: p.Email, FirstName: p.FirstName, LastName: p.LastName,
		Groups: p.Groups, Attributes: p.Attributes, Scopes: p.Scopes}
}

func (fp *filePrincipal) principal() *Principal {
	return &Principal{Email: fp.Email, FirstName: fp.FirstName, LastName: fp.LastName,
		Groups: fp.Groups, Attributes: fp.Attributes, Scopes: fp.Scopes}
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

// maxJournalLine bounds a journal line: a longer one cannot be a session
// and is skipped as damaged.
const maxJournalLine = 1 << 20

// LoadReport says what OpenFileStore made of the journal it read.
type LoadReport struct {
	// Sessions is how many live sessions were restored.
	Sessions int
	// Damaged lists the journal lines (from 1) that could not be read: a
	// record torn by a crash, or garbage. Each loses one change.
	Damaged []int
}

// LoadReport returns what was restored from the journal and what was lost.
func (fs *FileStore) LoadReport() LoadReport { return fs.report }

func (fs *FileStore) load(now time.Time) error {
	f, err := os.Open(fs.path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("auth: session state: %w", err)
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 64<<10)
	for line := 1; ; line++ {
		data, err := readLine(r)
		if len(data) > 0 && !fs.apply(data) {
			fs.report.Damaged = append(fs.report.Damaged, line)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("auth: session state %s: %w", fs.path, err)
		}
	}
	fs.mem.expire(now)
	fs.report.Sessions = fs.mem.Len()
	return nil
}

// readLine reads one line without its newline; a line longer than
// maxJournalLine comes back as a marker that never parses, and is consumed
// whole.
func readLine(r *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		chunk, err := r.ReadSlice('\n')
		if len(line)+len(chunk) <= maxJournalLine {
			line = append(line, chunk...)
		} else {
			line = []byte{0} // too long: damaged
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if n := len(line); n > 0 && line[n-1] == '\n' {
			line = line[:n-1]
		}
		return line, err
	}
}

// apply replays one journal line; false if it is damaged.
func (fs *FileStore) apply(data []byte) bool {
	var jl journalLine
	if err := json.Unmarshal(data, &jl); err != nil {
		return false
	}
	raw, err := hex.DecodeString(jl.Hash)
	if err != nil || len(raw) != len(TokenHash{}) {
		return false
	}
	var h TokenHash
	copy(h[:], raw)
	switch {
	case jl.Op == "put" && jl.Session != nil && jl.Session.Principal != nil:
		fs.mem.put(h, Session{Principal: jl.Session.Principal.principal(), Created: jl.Session.Created, Expires: jl.Session.Expires})
	case jl.Op == "del":
		fs.mem.delete(h)
	default:
		return false
	}
	return true
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
		jl.Session = &fileEntry{Principal: toFile(s.Principal), Created: s.Created, Expires: s.Expires}
	}
	b, err := json.Marshal(jl)
	if err != nil {
		// Only a Principal not made by the verifier can fail here; the
		// session then lives in memory only.
		return
	}
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

// DeleteUser implements UserSessionsDeleter.
func (fs *FileStore) DeleteUser(ctx context.Context, email string) error {
	fs.mem.mu.Lock()
	hashes := fs.mem.deleteUser(email)
	fs.mem.mu.Unlock()
	for _, h := range hashes {
		if err := fs.journal("del", h, nil); err != nil {
			return err
		}
	}
	return nil
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
