// Package rcache is the engine's result cache: values under 32-byte keys,
// bounded by bytes, each kept for a time to live, the least recently used
// dropped first, and computed once however many ask for a key at once.
//
// It knows nothing of what it holds or of who may see it: the key must
// say everything an answer depends on, users' access included (the
// engine's keys are digests of the SQL a user's plan runs, with its bound
// values). Each entry names the tables it read, so that data written to a
// table drops what was read from it.
package rcache

import (
	"container/list"
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Key identifies a value: a SHA-256 digest of what the value depends on.
type Key [32]byte

// Cache is a result cache, safe for concurrent use. Make one with New.
type Cache struct {
	ttl time.Duration
	max int64
	now func() time.Time

	mu      sync.Mutex
	items   map[Key]*list.Element
	order   *list.List // most recently used first
	bytes   int64
	flights map[Key]*flight
	epoch   uint64 // one more per Invalidate and Clear

	hits, misses, waits, evictions, expired, uncached atomic.Int64
}

type item struct {
	key     Key
	val     any
	size    int64
	tables  []string
	expires time.Time
}

// flight is a key being computed: who asks for it meanwhile waits for
// done, then finds val (nil if the computation was given up).
type flight struct {
	done chan struct{}
	val  any
}

// New returns a cache of at most maxBytes, whose values live ttl. now is
// its clock; nil means time.Now.
func New(maxBytes int64, ttl time.Duration, now func() time.Time) *Cache {
	if now == nil {
		now = time.Now
	}
	return &Cache{ttl: ttl, max: maxBytes, now: now, items: map[Key]*list.Element{}, order: list.New(), flights: map[Key]*flight{}}
}

// MaxEntry is the largest value the cache keeps: an eighth of it.
func (c *Cache) MaxEntry() int64 { return c.max / 8 }

// TTL is how long a value lives.
func (c *Cache) TTL() time.Duration { return c.ttl }

// Get looks k up, and returns one of three:
//
//   - its value, when cached (a hit), or when another caller computing it
//     finished within wait;
//   - a Fill, when the caller is the one to compute it (a miss): it must
//     call the Fill's Finish or Abandon, whatever happens;
//   - neither, when another caller is computing it and did not finish
//     within wait, or gave up: the caller computes it for itself, uncached.
//
// The error is ctx's, when it ends while waiting.
func (c *Cache) Get(ctx context.Context, k Key, wait time.Duration) (any, *Fill, error) {
	c.mu.Lock()
	if v, ok := c.lookup(k); ok {
		c.mu.Unlock()
		c.hits.Add(1)
		return v, nil, nil
	}
	if f, ok := c.flights[k]; ok {
		c.mu.Unlock()
		c.waits.Add(1)
		timer := time.NewTimer(wait)
		defer timer.Stop()
		select {
		case <-f.done:
			if f.val != nil {
				c.hits.Add(1)
				return f.val, nil, nil
			}
		case <-timer.C:
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		}
		c.uncached.Add(1)
		return nil, nil, nil
	}
	f := &flight{done: make(chan struct{})}
	c.flights[k] = f
	epoch := c.epoch
	c.mu.Unlock()
	c.misses.Add(1)
	return nil, &Fill{c: c, key: k, f: f, epoch: epoch}, nil
}

// lookup returns k's value if cached and alive, and marks it used. The
// caller holds mu.
func (c *Cache) lookup(k Key) (any, bool) {
	el, ok := c.items[k]
	if !ok {
		return nil, false
	}
	it := el.Value.(*item)
	if !c.now().Before(it.expires) {
		c.remove(el)
		c.expired.Add(1)
		return nil, false
	}
	c.order.MoveToFront(el)
	return it.val, true
}

func (c *Cache) remove(el *list.Element) {
	it := el.Value.(*item)
	c.order.Remove(el)
	delete(c.items, it.key)
	c.bytes -= it.size
}

// Fill is a miss being computed by the caller that Get gave it to.
type Fill struct {
	c     *Cache
	key   Key
	f     *flight
	epoch uint64
	once  sync.Once
}

// Finish caches val, of about size bytes, read from tables, and hands it
// to whoever waits for it. It is not cached if the cache was invalidated
// since Get (the value may predate the data), or if it would take more
// than an eighth of the cache.
func (f *Fill) Finish(val any, size int64, tables []string) {
	f.once.Do(func() {
		c := f.c
		c.mu.Lock()
		defer c.mu.Unlock()
		delete(c.flights, f.key)
		if c.epoch != f.epoch {
			close(f.f.done) // the waiters compute it again
			return
		}
		f.f.val = val
		close(f.f.done)
		if size > c.max/8 {
			c.uncached.Add(1)
			return
		}
		if el, ok := c.items[f.key]; ok {
			c.remove(el)
		}
		c.items[f.key] = c.order.PushFront(&item{key: f.key, val: val, size: size, tables: tables, expires: c.now().Add(c.ttl)})
		c.bytes += size
		for c.bytes > c.max {
			c.remove(c.order.Back())
			c.evictions.Add(1)
		}
		// What outlived its time goes now rather than when next asked for.
		for el := c.order.Back(); el != nil && !c.now().Before(el.Value.(*item).expires); el = c.order.Back() {
			c.remove(el)
			c.expired.Add(1)
		}
	})
}

// Abandon gives the computation up: nothing is cached, and whoever waits
// for it computes it for itself. After Finish it does nothing.
func (f *Fill) Abandon() {
	f.once.Do(func() {
		c := f.c
		c.mu.Lock()
		delete(c.flights, f.key)
		c.mu.Unlock()
		close(f.f.done)
	})
}

// Invalidate drops the values read from any of tables, or every value
// when none is named. Values being computed meanwhile are not cached.
func (c *Cache) Invalidate(tables ...string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch++
	for el := c.order.Front(); el != nil; {
		next := el.Next()
		it := el.Value.(*item)
		if len(tables) == 0 || slices.ContainsFunc(it.tables, func(t string) bool { return slices.Contains(tables, t) }) {
			c.remove(el)
		}
		el = next
	}
}

// Stats are a cache's counters.
type Stats struct {
	Entries int
	Bytes   int64
	// Hits counts answers from the cache, including those that waited for
	// another caller's computation; Misses, the computations.
	Hits, Misses int64
	// Waits counts callers that waited for another's computation;
	// Uncached, those that computed for themselves after all (the other
	// gave up or took too long) and values too large to keep.
	Waits, Uncached int64
	// Evictions counts values dropped for room, Expired those found past
	// their time to live.
	Evictions, Expired int64
}

// Stats reports the cache's counters.
func (c *Cache) Stats() Stats {
	c.mu.Lock()
	n, b := len(c.items), c.bytes
	c.mu.Unlock()
	return Stats{Entries: n, Bytes: b, Hits: c.hits.Load(), Misses: c.misses.Load(), Waits: c.waits.Load(),
		Uncached: c.uncached.Load(), Evictions: c.evictions.Load(), Expired: c.expired.Load()}
}
