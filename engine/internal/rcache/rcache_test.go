package rcache

import (
	"context"
	"crypto/sha256"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func key(s string) Key { return sha256.Sum256([]byte(s)) }

// clock is a settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// put fills k with v through Get, as a caller that missed does.
func put(t *testing.T, c *Cache, k string, v any, size int64, tables ...string) {
	t.Helper()
	got, fill, err := c.Get(context.Background(), key(k), time.Second)
	if err != nil || got != nil || fill == nil {
		t.Fatalf("Get(%s) = %v, %v, %v; want a fill", k, got, fill, err)
	}
	fill.Finish(v, size, tables)
}

func get(c *Cache, k string) (any, bool) {
	v, fill, _ := c.Get(context.Background(), key(k), time.Second)
	if fill != nil {
		fill.Abandon()
	}
	return v, v != nil
}

func TestCache_hitMissAndTTL(t *testing.T) {
	clk := &clock{t: time.Unix(1e9, 0)}
	c := New(1<<20, time.Minute, clk.now)
	put(t, c, "a", "A", 10, "ORDERS")
	if v, ok := get(c, "a"); !ok || v != "A" {
		t.Fatalf("a = %v, %v", v, ok)
	}
	clk.add(59 * time.Second)
	if _, ok := get(c, "a"); !ok {
		t.Fatal("a expired before its time")
	}
	clk.add(time.Second)
	if _, ok := get(c, "a"); ok {
		t.Fatal("a outlived its time to live")
	}
	st := c.Stats()
	if st.Hits != 2 || st.Misses != 2 || st.Expired != 1 || st.Entries != 0 || st.Bytes != 0 {
		t.Fatalf("stats %+v", st)
	}
}

func TestCache_evictsLeastRecentlyUsedByBytes(t *testing.T) {
	c := New(800, time.Hour, nil)
	for i := range 8 {
		put(t, c, strconv.Itoa(i), i, 100)
	}
	get(c, "0") // 0 is now the most recently used: 1 goes first
	put(t, c, "8", 8, 100)
	if _, ok := get(c, "1"); ok {
		t.Fatal("1, the least recently used, was kept")
	}
	for _, k := range []string{"0", "2", "8"} {
		if _, ok := get(c, k); !ok {
			t.Fatalf("%s was dropped", k)
		}
	}
	if st := c.Stats(); st.Bytes > 800 || st.Evictions < 1 {
		t.Fatalf("stats %+v", st)
	}
	put(t, c, "big", "B", 101) // more than an eighth of the cache
	if _, ok := get(c, "big"); ok {
		t.Fatal("a value over an eighth of the cache was kept")
	}
}

func TestCache_invalidateByTable(t *testing.T) {
	c := New(1<<20, time.Hour, nil)
	put(t, c, "orders", 1, 10, "ORDERS", "PEOPLE")
	put(t, c, "products", 2, 10, "PRODUCTS")
	c.Invalidate("PEOPLE")
	if _, ok := get(c, "orders"); ok {
		t.Fatal("a value read from PEOPLE outlived PEOPLE's invalidation")
	}
	if _, ok := get(c, "products"); !ok {
		t.Fatal("PRODUCTS' value was dropped for PEOPLE")
	}
	c.Invalidate()
	if _, ok := get(c, "products"); ok {
		t.Fatal("Invalidate() kept a value")
	}
}

func TestCache_fillThatPredatesAnInvalidationIsNotKept(t *testing.T) {
	c := New(1<<20, time.Hour, nil)
	_, fill, _ := c.Get(context.Background(), key("q"), time.Second)
	c.Invalidate("OTHER")
	fill.Finish("stale?", 10, []string{"ORDERS"})
	if _, ok := get(c, "q"); ok {
		t.Fatal("a value computed across an invalidation was kept")
	}
}

func TestCache_oneComputationPerKey(t *testing.T) {
	c := New(1<<20, time.Hour, nil)
	var computed atomic.Int64
	var wg sync.WaitGroup
	start := make(chan struct{})
	results := make([]any, 64)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			v, fill, err := c.Get(context.Background(), key("q"), time.Minute)
			if err != nil {
				t.Error(err)
				return
			}
			if fill != nil {
				computed.Add(1)
				time.Sleep(20 * time.Millisecond) // the others ask meanwhile
				v = "answer"
				fill.Finish(v, 10, nil)
			}
			results[i] = v
		}()
	}
	close(start)
	wg.Wait()
	if n := computed.Load(); n != 1 {
		t.Fatalf("computed %d times", n)
	}
	for i, v := range results {
		if v != "answer" {
			t.Fatalf("caller %d got %v", i, v)
		}
	}
}

func TestCache_waitersOfAnAbandonedOrSlowFillComputeThemselves(t *testing.T) {
	c := New(1<<20, time.Hour, nil)
	_, fill, _ := c.Get(context.Background(), key("q"), time.Second)
	done := make(chan any)
	go func() {
		v, f, _ := c.Get(context.Background(), key("q"), time.Minute)
		if f != nil {
			t.Error("a waiter became a second filler")
		}
		done <- v
	}()
	for c.Stats().Waits == 0 { // the waiter is waiting
		runtime.Gosched()
	}
	fill.Abandon()
	if v := <-done; v != nil {
		t.Fatalf("the waiter of an abandoned fill got %v", v)
	}
	// Slow: the waiter stops waiting.
	_, fill, _ = c.Get(context.Background(), key("q"), time.Second)
	defer fill.Abandon()
	v, f, err := c.Get(context.Background(), key("q"), time.Millisecond)
	if v != nil || f != nil || err != nil {
		t.Fatalf("waiting past its wait: %v, %v, %v", v, f, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := c.Get(ctx, key("q"), time.Minute); err == nil {
		t.Fatal("a cancelled waiter had no error")
	}
}
