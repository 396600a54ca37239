package engine

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"time"
	"unsafe"

	"github.com/agentlayer/agentlayer/engine/internal/rcache"
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
	e.ranges.clear()
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
	digest := planDigest(sqlText, args)
	if guardSQL, guardArgs, ok := plan.Guard(); ok {
		// Two requests can read the same rows yet ask different guards
		// (the aggregate rules check the sets each request's filters name):
		// an answer kept for one is not the other's, whose guard might
		// refuse it.
		digest = planDigest(sqlText+"\x00guard\x00"+guardSQL, append(append([]any{}, args...), guardArgs...))
	}
	return rendered{plan: plan, sql: sqlText, args: args, digest: digest}
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
	case sqlgen.MaskPad:
		// The mask key's: a secret, the same for every plan of the
		// engine, and never part of a fingerprint clients read.
		return append(b, 'k')
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

// runCached runs a plan's SQL through the result cache: a hit's
// rows come from memory; a miss's buffer is kept for the cache when the
// database gave every row and it is small enough.
func (e *Engine) runCached(ctx context.Context, s *state, r rendered) (*Rows, error) {
	plan := r.plan
	cache := e.cacheFor(ctx)
	if cache == nil {
		return e.run(ctx, plan, r.sql, r.args, nil)
	}
	k := resultKey(kindRows, s, plan.Outputs, r.digest)
	v, fill, err := cache.Get(ctx, k, e.queueTimeout)
	if err != nil {
		return nil, err
	}
	if v != nil {
		b := v.(*buffer)
		rows := &Rows{Columns: plan.Outputs, fmt: b.fmt, buf: b, ctx: ctx, shared: true, at: -1,
			deadline: time.Now().Add(e.queryTimeout)}
		rows.Provenance.Cache = CacheHit
		return rows, nil
	}
	var keep func(*buffer, error)
	if fill != nil {
		keep = func(b *buffer, err error) {
			if err != nil {
				fill.Abandon()
				return
			}
			size, ok := b.kept()
			if !ok {
				fill.Abandon()
				return
			}
			fill.Finish(b, size, sourceNames(plan))
		}
	}
	rows, err := e.run(ctx, plan, r.sql, r.args, keep)
	if err != nil {
		if fill != nil {
			fill.Abandon()
		}
		return nil, err
	}
	rows.Provenance.Cache = CacheMiss
	return rows, nil
}

// numberKinds says, for each column, the type Row gives its numbers: 'i'
// for int64, 'f' for float64, 'n' for json.Number; 0 when it gave none.
func numberKinds(f formatter, vals []any, width int) []byte {
	kinds := make([]byte, width)
	for i := 0; i+width <= len(vals); i += width {
		row, left := vals[i:i+width], 0
		for c, v := range row {
			if kinds[c] != 0 {
				continue
			}
			left++
			switch v.(type) {
			case nil, bool, time.Time, []byte:
				continue // never a number: no need to format it
			case string:
				if !f.cols[c].Kind.IsNumeric() {
					continue // text, not PostgreSQL's numeric as text
				}
			}
			switch f.value(c, v).(type) {
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
			if escaped := bytes.IndexByte(js[start+1:i-1], '\\') >= 0; escaped {
				var s string
				json.Unmarshal(js[start:i], &s)
				out = append(out, s)
			} else {
				out = append(out, string(js[start+1:i-1]))
			}
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
			num := js[start:i]
			switch numbers[c] {
			case 'i':
				n, _ := strconv.ParseInt(unsafe.String(unsafe.SliceData(num), len(num)), 10, 64)
				out = append(out, n)
			case 'f':
				x, _ := strconv.ParseFloat(unsafe.String(unsafe.SliceData(num), len(num)), 64)
				out = append(out, x)
			default:
				out = append(out, json.Number(num))
			}
		}
	}
	return out
}

// cachedQuery runs plan for what read makes of its rows, through the
// result cache when it is on and ctx does not bypass it: field values and
// statistics are answers like any other, kept and dropped (Invalidate) with
// them, and computed afresh when the cache is off. hit reports whether the
// answer came from the cache.
func cachedQuery[T any](ctx context.Context, e *Engine, s *state, kind cacheKind, r rendered, size func(T) int64, read func(*Rows) (T, error)) (T, bool, error) {
	plan := r.plan
	var zero T
	var fill *rcache.Fill
	if cache := e.cacheFor(ctx); cache != nil {
		v, f, err := cache.Get(ctx, resultKey(kind, s, plan.Outputs, r.digest), e.queueTimeout)
		if err != nil {
			return zero, false, err
		}
		if v != nil {
			return v.(T), true, nil
		}
		fill = f
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
	return v, false, nil
}

func runRead[T any](ctx context.Context, e *Engine, plan *sqlgen.Plan, sqlText string, args []any, read func(*Rows) (T, error)) (T, error) {
	var zero T
	rows, err := e.run(ctx, plan, sqlText, args, nil)
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
