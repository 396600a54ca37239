package engine

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"sync"
	"time"

	"github.com/agentlayer/agentlayer/internal/lru"
	"github.com/agentlayer/agentlayer/internal/rcache"
	"github.com/agentlayer/agentlayer/permissions"
	"github.com/agentlayer/agentlayer/sqlgen"
)

// The result cache's defaults, as serve uses them.
const (
	DefaultCacheTTL   = 5 * time.Minute
	DefaultCacheBytes = 256 << 20
)

// CacheOptions configure the result cache (docs/operations.md, "The result
// cache"). The zero value turns it off.
//
// An answer is kept under a digest of the SQL the caller's plan runs and
// its bound values, on this model and policy set: the caller's row rules,
// masks and aggregate rules are in that SQL, so two users share an answer
// exactly when what the query reads is the same for both. Data written to
// the database by anyone but Invalidate's caller is seen when the answers
// read before it expire: after TTL at most.
type CacheOptions struct {
	// TTL is how long an answer is kept; 0 turns the cache off.
	TTL time.Duration
	// MaxBytes bounds the memory answers take; 0 means DefaultCacheBytes.
	// The least recently used go first.
	MaxBytes int64
}

// CacheStats count the result cache's work (rcache.Stats): entries and
// bytes kept; hits (waits for another's computation included) and misses;
// evictions for room and entries expired.
type CacheStats = rcache.Stats

// Cache values for Provenance.Cache.
const (
	CacheHit  = "hit"
	CacheMiss = "miss"
)

// Invalidate drops the cached answers that read any of the named tables
// (by model name), or every cached answer when none is named: call it
// after writing to the database. Answers being computed meanwhile are not
// kept. An unknown table name is an error, and drops nothing.
func (e *Engine) Invalidate(tables ...string) error {
	m := e.cur.Load().model
	for _, name := range tables {
		if m.TableByName(name) == nil {
			return fmt.Errorf("engine: Invalidate: no table %q in the model", name)
		}
	}
	if e.cache != nil {
		e.cache.Invalidate(tables...)
	}
	return nil
}

// noCacheKey marks a context whose answers bypass the result cache.
type noCacheKey struct{}

// WithoutCache makes the answers computed under ctx bypass the result
// cache: computed afresh, neither read from the cache nor kept in it (an
// HTTP client asks so with Cache-Control: no-cache).
func WithoutCache(ctx context.Context) context.Context {
	return context.WithValue(ctx, noCacheKey{}, true)
}

// cacheFor is the result cache for what ctx computes: nil when it is off
// or ctx bypasses it.
func (e *Engine) cacheFor(ctx context.Context) *rcache.Cache {
	if e.cache == nil || ctx.Value(noCacheKey{}) != nil {
		return nil
	}
	return e.cache
}

// cacheKind separates the answers of the operations that share the cache.
type cacheKind byte

const (
	kindRows   cacheKind = 'r'
	kindValues cacheKind = 'v'
	kindStats  cacheKind = 's'
	kindSearch cacheKind = 'q'
)

// rendered is a plan's SQL as run, with its bound values and their digest.
type rendered struct {
	plan   *sqlgen.Plan
	sql    string
	args   []any
	digest [32]byte
}

// render renders a plan whole (offset and limit as the plan's).
func render(plan *sqlgen.Plan) rendered {
	sqlText, args := plan.SQL()
	return renderedAs(plan, sqlText, args)
}

func renderedAs(plan *sqlgen.Plan, sqlText string, args []any) rendered {
	return rendered{plan: plan, sql: sqlText, args: args, digest: planDigest(sqlText, args)}
}

// planDigest is a SHA-256 of SQL and its bound values, each part
// length-prefixed and typed, so that no two queries share one whatever
// their values hold (they come from user attributes, and the caches are
// shared between users): the plan's fingerprint, and what the caches'
// keys are made of.
func planDigest(sqlText string, args []any) [32]byte {
	b := make([]byte, 0, 64+len(sqlText))
	b = appendString(b, sqlText)
	b = binary.AppendUvarint(b, uint64(len(args)))
	for _, a := range args {
		b = appendArg(b, a)
	}
	return sha256.Sum256(b)
}

// resultKey is the key of an answer: its kind, the model and policy set,
// how its columns are formatted, and the digest of its SQL with its bound
// values. The mask key, the resolved time of a relative filter and every
// user attribute a rule read are among those values.
func resultKey(kind cacheKind, s *state, cols []Column, digest [32]byte) rcache.Key {
	b := make([]byte, 0, 64+8*len(cols))
	b = append(b, byte(kind))
	b = binary.AppendUvarint(b, uint64(s.version.Generation))
	b = binary.AppendUvarint(b, uint64(len(cols)))
	for _, c := range cols {
		b = binary.AppendUvarint(b, uint64(c.Kind))
		b = binary.AppendUvarint(b, uint64(c.Decimals))
		b = append(b, boolByte(c.Round), boolByte(c.Local))
	}
	b = append(b, digest[:]...)
	return sha256.Sum256(b)
}

func boolByte(v bool) byte {
	if v {
		return 1
	}
	return 0
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// appendArg appends a bound value, with its type.
func appendArg(b []byte, a any) []byte {
	switch x := a.(type) {
	case nil:
		return append(b, 'z')
	case bool:
		return append(b, 'b', boolByte(x))
	case int64:
		return binary.AppendVarint(append(b, 'i'), x)
	case int:
		return binary.AppendVarint(append(b, 'i'), int64(x))
	case float64:
		return binary.BigEndian.AppendUint64(append(b, 'f'), math.Float64bits(x))
	case string:
		return appendString(append(b, 's'), x)
	case time.Time:
		b = binary.AppendVarint(append(b, 't'), x.Unix())
		b = binary.AppendVarint(b, int64(x.Nanosecond()))
		return appendString(b, x.Location().String())
	case []string:
		b = binary.AppendUvarint(append(b, 'S'), uint64(len(x)))
		for _, s := range x {
			b = appendString(b, s)
		}
		return b
	case []int64:
		b = binary.AppendUvarint(append(b, 'I'), uint64(len(x)))
		for _, v := range x {
			b = binary.AppendVarint(b, v)
		}
		return b
	}
	return appendString(append(b, '?'), fmt.Sprintf("%T:%#v", a, a))
}

// sourceNames are the model names of the tables a plan's SQL reads.
func sourceNames(plan *sqlgen.Plan) []string {
	tables := plan.Sources()
	names := make([]string, len(tables))
	for i, t := range tables {
		names[i] = t.Name
	}
	return names
}

// cachedRows is a query's whole result, kept: each row as JSON, for
// AppendJSON, and its values as scanned, for Next and Row. The JSON is
// written as the first reader wrote it, or, when that reader wrote none (a
// Go caller reading values), by the first hit that asks for it. When the
// first reader wrote the JSON of every row (as the Agent API and MCP do),
// only the JSON is kept, half the memory: Row reads its values back from
// it (decodeRow).
type cachedRows struct {
	width  int     // values per row
	n      int     // rows
	chunks [][]any // chunkRows rows after rows each: growing never copies; nil when only the JSON is kept
	// numbers says, for each column, the type of its numbers as Row gives
	// them (int64, float64 or json.Number), for reading them back from
	// the JSON when only the JSON is kept.
	numbers []byte
	json    struct {
		once  sync.Once
		bytes []byte
		ends  []int32 // where each row's JSON ends
	}
}

// chunkRows is how many rows a chunk of cachedRows holds.
const chunkRows = 256

// row is the values of row i.
func (c *cachedRows) row(i int) []any {
	at := i % chunkRows * c.width
	return c.chunks[i/chunkRows][at : at+c.width]
}

// add appends a row's values.
func (c *cachedRows) add(vals []any) {
	if c.n%chunkRows == 0 {
		c.chunks = append(c.chunks, make([]any, 0, chunkRows*c.width))
	}
	last := len(c.chunks) - 1
	c.chunks[last] = append(c.chunks[last], vals...)
	c.n++
}

// encoded is the JSON of every row, written once.
func (c *cachedRows) encoded(cols []Column, zone *time.Location) ([]byte, []int32) {
	c.json.once.Do(func() {
		w := &Rows{Columns: cols, zone: zone}
		for i := len(c.json.ends); i < c.n; i++ {
			w.vals = c.row(i)
			c.json.bytes = w.appendJSON(c.json.bytes)
			c.json.ends = append(c.json.ends, int32(len(c.json.bytes)))
		}
	})
	return c.json.bytes, c.json.ends
}

// valueSize estimates the memory a scanned value takes besides its slot.
func valueSize(v any) int64 {
	switch x := v.(type) {
	case string:
		return int64(len(x))
	case []byte:
		return int64(len(x)) + 24
	case time.Time:
		return 24
	case *big.Int:
		return 32 + int64(len(x.Bits())*8)
	case nil, bool, int64, int32, int16, int8, float64, float32:
		return 0
	}
	return 48
}

// rowsFill collects a result as its rows are read, for the cache: it is
// kept when the rows were read to their end without error.
type rowsFill struct {
	fill     *rcache.Fill
	ent      *cachedRows
	plan     *sqlgen.Plan
	jsonRows int // rows whose JSON AppendJSON wrote, in order
	complete bool
}

// runCached runs a plan's SQL through the result cache: a hit's rows come
// from memory, a miss's are collected as they are read.
func (e *Engine) runCached(ctx context.Context, s *state, r rendered) (*Rows, error) {
	plan := r.plan
	cache := e.cacheFor(ctx)
	if cache == nil {
		return e.run(ctx, plan, r.sql, r.args)
	}
	k := resultKey(kindRows, s, plan.Outputs, r.digest)
	v, fill, err := cache.Get(ctx, k, e.queueTimeout)
	if err != nil {
		return nil, err
	}
	if v != nil {
		r := &Rows{Columns: plan.Outputs, zone: e.zone, hit: v.(*cachedRows), at: -1, deadline: time.Now().Add(e.queryTimeout)}
		r.Provenance.Cache = CacheHit
		return r, nil
	}
	rows, err := e.run(ctx, plan, r.sql, r.args)
	if err != nil {
		if fill != nil {
			fill.Abandon()
		}
		return nil, err
	}
	if fill != nil {
		rows.fill = &rowsFill{fill: fill, ent: &cachedRows{width: len(plan.Outputs)}, plan: plan}
		// Whoever waits for this answer stops waiting when the query's
		// time runs out or its rows close unread to the end.
		context.AfterFunc(rows.ctx, fill.Abandon)
	}
	rows.Provenance.Cache = CacheMiss
	return rows, nil
}

// valuesSize estimates the memory the kept values take.
func (c *cachedRows) valuesSize() int64 {
	n := int64(c.n*c.width) * 16
	for _, chunk := range c.chunks {
		for _, v := range chunk {
			n += valueSize(v)
		}
	}
	return n
}

// collectJSON keeps the JSON of row n (counted from 1), if every row
// before it has its JSON kept.
func (f *rowsFill) collectJSON(n int, row []byte) {
	if f.jsonRows != n-1 {
		return
	}
	f.ent.json.bytes = append(f.ent.json.bytes, row...)
	f.ent.json.ends = append(f.ent.json.ends, int32(len(f.ent.json.bytes)))
	f.jsonRows++
}

// finish caches the rows collected, if they are the whole result. Rows
// whose JSON the reader did not write (the one past a page, or all of
// them) have theirs written by the first hit that asks for it; their
// size is counted now, as about that of their values. When the reader
// wrote the JSON of every row, only the JSON is kept.
func (f *rowsFill) finish(r *Rows) {
	if !f.complete {
		f.fill.Abandon()
		return
	}
	ent := f.ent
	if f.jsonRows > 0 && ent.n-f.jsonRows <= 16 {
		// A reader that writes JSON left a few rows unwritten: the row past
		// a page (/v1/query reads one more, to know whether another page
		// follows). Write theirs now, and keep only the JSON.
		w := &Rows{Columns: r.Columns, zone: r.zone}
		for i := f.jsonRows; i < ent.n; i++ {
			w.vals = ent.row(i)
			ent.json.bytes = w.appendJSON(ent.json.bytes)
			ent.json.ends = append(ent.json.ends, int32(len(ent.json.bytes)))
		}
		f.jsonRows = ent.n
	}
	size := int64(len(ent.json.bytes)) + 4*int64(ent.n) + 128
	if f.jsonRows == ent.n && ent.n > 0 {
		ent.numbers = numberKinds(r, ent)
		ent.chunks = nil
		ent.json.once.Do(func() {}) // nothing left to write
	} else {
		values := ent.valuesSize()
		size += values
		if f.jsonRows < ent.n {
			size += values * int64(ent.n-f.jsonRows) / int64(ent.n)
		}
	}
	f.fill.Finish(ent, size, sourceNames(f.plan))
}

// numberKinds says, for each column, the type Row gives its numbers: 'i'
// for int64, 'f' for float64, 'n' for json.Number; 0 when it gave none.
func numberKinds(r *Rows, ent *cachedRows) []byte {
	kinds := make([]byte, ent.width)
	for i := 0; i < ent.n; i++ {
		row, left := ent.row(i), 0
		for c, v := range row {
			if kinds[c] != 0 {
				continue
			}
			left++
			switch v.(type) {
			case nil, bool, time.Time, []byte:
				continue // never a number: no need to format it
			case string:
				if !r.Columns[c].Kind.IsNumeric() {
					continue // text, not PostgreSQL's numeric as text
				}
			}
			switch r.value(c, v).(type) {
			case int64:
				kinds[c] = 'i'
			case float64:
				kinds[c] = 'f'
			case json.Number:
				kinds[c] = 'n'
			default:
				continue
			}
			left--
		}
		if left == 0 {
			break
		}
	}
	return kinds
}

// decodeRow reads the values of a row back from its JSON (an array of
// scalars, as appendJSON writes it), as Row gives them.
func decodeRow(js []byte, numbers []byte) []any {
	out := make([]any, 0, len(numbers))
	for i, c := 1, 0; i < len(js) && js[i] != ']'; c++ {
		if js[i] == ',' {
			i++
		}
		start := i
		switch js[i] {
		case '"':
			for i++; js[i] != '"'; i++ {
				if js[i] == '\\' {
					i++
				}
			}
			i++
			var s string
			json.Unmarshal(js[start:i], &s)
			out = append(out, s)
		case 'n':
			i += 4
			out = append(out, nil)
		case 't':
			i += 4
			out = append(out, true)
		case 'f':
			i += 5
			out = append(out, false)
		default:
			for i < len(js) && js[i] != ',' && js[i] != ']' {
				i++
			}
			num := string(js[start:i])
			switch numbers[c] {
			case 'i':
				n, _ := strconv.ParseInt(num, 10, 64)
				out = append(out, n)
			case 'f':
				x, _ := strconv.ParseFloat(num, 64)
				out = append(out, x)
			default:
				out = append(out, json.Number(num))
			}
		}
	}
	return out
}

// cachedQuery runs plan for what read makes of its rows: through the
// result cache when it is on (and ctx does not bypass it), else, when it
// is off, through the set's own cache of field values and statistics,
// kept until the next reload. hit reports whether the answer came from a
// cache.
func cachedQuery[T any](ctx context.Context, e *Engine, s *state, kind cacheKind, local *lru.Cache[[32]byte, T], r rendered, size func(T) int64, read func(*Rows) (T, error)) (T, bool, error) {
	plan := r.plan
	var zero T
	var fill *rcache.Fill
	cache := e.cacheFor(ctx)
	if cache != nil {
		v, f, err := cache.Get(ctx, resultKey(kind, s, plan.Outputs, r.digest), e.queueTimeout)
		if err != nil {
			return zero, false, err
		}
		if v != nil {
			return v.(T), true, nil
		}
		fill = f
	} else if e.cache == nil {
		if v, ok := local.Get(r.digest); ok {
			return v, true, nil
		}
	}
	v, err := runRead(ctx, e, plan, r.sql, r.args, read)
	switch {
	case fill == nil:
	case err != nil:
		fill.Abandon()
	default:
		fill.Finish(v, size(v), sourceNames(plan))
	}
	if err != nil {
		return zero, false, err
	}
	if e.cache == nil {
		local.Put(r.digest, v)
	}
	return v, false, nil
}

func runRead[T any](ctx context.Context, e *Engine, plan *sqlgen.Plan, sqlText string, args []any, read func(*Rows) (T, error)) (T, error) {
	var zero T
	rows, err := e.run(ctx, plan, sqlText, args)
	if err != nil {
		return zero, err
	}
	defer rows.Close()
	v, err := read(rows)
	if err == nil {
		err = rows.Err()
	}
	if err != nil {
		return zero, err
	}
	return v, nil
}

// cacheWord says whether an answer came from a cache, for Provenance.
func cacheWord(hit bool) string {
	if hit {
		return CacheHit
	}
	return CacheMiss
}

// valuesSize and statsSize estimate what field values and statistics take.
func valuesSize(vs []ValueCount) int64 {
	n := int64(64 + 40*len(vs))
	for _, v := range vs {
		n += valueSize(v.Value)
	}
	return n
}

func statsSize(Statistics) int64 { return 512 }

// searchKey is the key of a search: the set, what the caller may see of
// it (users who see the same tables, fields and metrics get the same
// results), and the query strings.
func (s *state) searchKey(g *permissions.Grant, terms, semantics []string) rcache.Key {
	vis, ok := s.visibility.Get(g)
	if !ok {
		vis = s.visibilityOf(g)
		s.visibility.Put(g, vis)
	}
	b := append([]byte{byte(kindSearch)}, vis[:]...)
	b = binary.AppendUvarint(b, uint64(s.version.Generation))
	for _, list := range [][]string{terms, semantics} {
		b = binary.AppendUvarint(b, uint64(len(list)))
		for _, q := range list {
			b = appendString(b, q)
		}
	}
	return sha256.Sum256(b)
}

// visibilityOf is a digest of the tables, fields and metrics g sees.
func (s *state) visibilityOf(g *permissions.Grant) [32]byte {
	var b []byte
	for _, t := range s.model.Tables {
		b = append(b, boolByte(g.Table(t)))
		if !g.Table(t) {
			continue
		}
		for _, f := range t.Fields {
			b = append(b, boolByte(g.Field(f)))
		}
	}
	for _, m := range s.model.Metrics {
		b = append(b, boolByte(s.catalog.MetricVisible(g, m)))
	}
	return sha256.Sum256(b)
}

func searchSize(rs []SearchResult) int64 {
	n := int64(64)
	for _, r := range rs {
		n += 160 + int64(len(r.Name)+len(r.DisplayName)+len(r.Description))
		n += 96 * int64(len(r.Matches))
	}
	return n
}
