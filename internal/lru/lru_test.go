package lru

import "testing"

func TestCache(t *testing.T) {
	c := New[string, int](2)
	c.Put("a", 1)
	c.Put("b", 2)
	c.Get("a") // b is now the least recently used
	c.Put("c", 3)
	if _, ok := c.Get("b"); ok {
		t.Error("b should have been dropped")
	}
	for k, want := range map[string]int{"a": 1, "c": 3} {
		if v, ok := c.Get(k); !ok || v != want {
			t.Errorf("Get(%s) = %d, %v", k, v, ok)
		}
	}
	c.Put("a", 10)
	if v, _ := c.Get("a"); v != 10 {
		t.Errorf("updated a = %d", v)
	}
}
