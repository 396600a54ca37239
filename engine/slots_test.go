package engine

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestSlots_fair: while others wait, a user holds at most its share, and
// waiters are served across users in turn.
func TestSlots_fair(t *testing.T) {
	ctx := context.Background()
	s := newSlots(4, 0) // a share of 3
	var held []func()
	for range 4 {
		release, err := s.acquire(ctx, "a", time.Second)
		if err != nil {
			t.Fatalf("a alone takes every slot: %v", err)
		}
		held = append(held, release)
	}
	// a waits for a fifth, then b and c come: the first slot freed goes
	// to b (a is at its share), the next to c, then a's.
	var mu sync.Mutex
	var order []string
	var wg sync.WaitGroup
	wait := func(user string) {
		defer wg.Done()
		release, err := s.acquire(ctx, user, 10*time.Second)
		if err != nil {
			t.Errorf("%s: %v", user, err)
			return
		}
		mu.Lock()
		order = append(order, user)
		mu.Unlock()
		release()
	}
	queued := func(n int) {
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
			if _, q := s.stats(); q == n {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d never waited", n)
			}
		}
	}
	wg.Add(3)
	go wait("a")
	queued(1)
	go wait("b")
	queued(2)
	go wait("c")
	queued(3)
	held[0]() // a holds 3, its share: b is served first
	wg.Wait()
	if got := strings.Join(order, ","); got != "b,c,a" && got != "b,a,c" {
		t.Errorf("served %s, want b first (a was at its share)", got)
	}
	for _, r := range held[1:] {
		r()
	}
	if running, queued := s.stats(); running != 0 || queued != 0 {
		t.Errorf("after every release: %d running, %d queued", running, queued)
	}
}

// TestSlots_roundRobin: users with several waiters each are served in
// turn, each user's waiters in order.
func TestSlots_roundRobin(t *testing.T) {
	ctx := context.Background()
	s := newSlots(1, 1)
	first, _ := s.acquire(ctx, "x", time.Second)
	var mu sync.Mutex
	var order []string
	var wg sync.WaitGroup
	for _, u := range []string{"a", "a", "a", "b", "b", "c"} {
		wg.Add(1)
		_, before := s.stats()
		go func() {
			defer wg.Done()
			release, err := s.acquire(ctx, u, 10*time.Second)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			order = append(order, u)
			mu.Unlock()
			release()
		}()
		for _, q := s.stats(); q == before; _, q = s.stats() {
			time.Sleep(time.Millisecond)
		}
	}
	first()
	wg.Wait()
	if got := strings.Join(order, ""); got != "abcaba" {
		t.Errorf("served %s, want abcaba", got)
	}
}

// TestSlots_queueTimeout: a waiter gives up after its queue time with
// ErrOverloaded, and its place is gone.
func TestSlots_queueTimeout(t *testing.T) {
	s := newSlots(1, 1)
	release, _ := s.acquire(context.Background(), "a", time.Second)
	if _, err := s.acquire(context.Background(), "b", 20*time.Millisecond); !errors.Is(err, ErrOverloaded) {
		t.Errorf("got %v, want ErrOverloaded", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.acquire(ctx, "b", time.Second); !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
	release()
	if running, queued := s.stats(); running != 0 || queued != 0 {
		t.Errorf("%d running, %d queued", running, queued)
	}
}
