// Package lru is a bounded least-recently-used cache.
package lru

import (
	"container/list"
	"sync"
)

// Cache is a bounded LRU cache, safe for concurrent use. The zero value is
// not usable: make one with New.
type Cache[K comparable, V any] struct {
	mu    sync.Mutex
	max   int
	items map[K]*list.Element
	order *list.List
}

type lruEntry[K comparable, V any] struct {
	key K
	val V
}

// New returns a cache holding at most max entries.
func New[K comparable, V any](max int) *Cache[K, V] {
	return &Cache[K, V]{max: max, items: map[K]*list.Element{}, order: list.New()}
}

// Get returns the value of k, if cached, and marks it recently used.
func (c *Cache[K, V]) Get(k K) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[k]; ok {
		c.order.MoveToFront(el)
		return el.Value.(*lruEntry[K, V]).val, true
	}
	var zero V
	return zero, false
}

// Put caches v under k, dropping the least recently used entry when full;
// it returns the value dropped or replaced, or the zero value.
func (c *Cache[K, V]) Put(k K, v V) (dropped V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[k]; ok {
		e := el.Value.(*lruEntry[K, V])
		dropped, e.val = e.val, v
		c.order.MoveToFront(el)
		return dropped
	}
	c.items[k] = c.order.PushFront(&lruEntry[K, V]{key: k, val: v})
	for c.order.Len() > c.max {
		last := c.order.Back()
		c.order.Remove(last)
		e := last.Value.(*lruEntry[K, V])
		delete(c.items, e.key)
		dropped = e.val
	}
	return dropped
}
