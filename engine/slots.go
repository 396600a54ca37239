package engine

import (
	"context"
	"sync"
	"time"
)

// slots bounds the queries that run at once, fairly between users: while
// others wait, one user holds at most perUser slots, and waiters are
// served across users in turn (round robin), each user's in order. A slot
// is held while the database works on a query, not while its client
// reads the answer (buffer.go).
type slots struct {
	mu      sync.Mutex
	n       int // slots in all
	perUser int
	held    map[string]int
	running int
	// waiting are the users with waiters, in the order they are served;
	// queues their waiters, oldest first.
	waiting []string
	queues  map[string][]*waiter
	queued  int
}

type waiter struct {
	user  string
	ready chan struct{} // closed when the slot is granted
	// granted is set under slots.mu when the slot is handed over.
	granted bool
}

func newSlots(n, perUser int) *slots {
	if perUser <= 0 {
		perUser = max(1, n-1)
	}
	return &slots{n: n, perUser: min(perUser, n), held: map[string]int{}, queues: map[string][]*waiter{}}
}

// acquire waits for a slot for user at most wait; the function it returns
// gives the slot back (once).
func (s *slots) acquire(ctx context.Context, user string, wait time.Duration) (func(), error) {
	s.mu.Lock()
	if s.running < s.n && len(s.waiting) == 0 {
		s.take(user)
		s.mu.Unlock()
		return s.releaser(user), nil
	}
	w := &waiter{user: user, ready: make(chan struct{})}
	if len(s.queues[user]) == 0 {
		s.waiting = append(s.waiting, user)
	}
	s.queues[user] = append(s.queues[user], w)
	s.queued++
	s.dispatch()
	s.mu.Unlock()

	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case <-w.ready:
		return s.releaser(user), nil
	case <-timer.C:
		if s.cancel(w) {
			return nil, ErrOverloaded
		}
		return s.releaser(user), nil // granted meanwhile
	case <-ctx.Done():
		if s.cancel(w) {
			return nil, ctx.Err()
		}
		s.releaser(user)()
		return nil, ctx.Err()
	}
}

// cancel takes a waiter out of its queue; false if it was granted a slot
// meanwhile.
func (s *slots) cancel(w *waiter) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if w.granted {
		return false
	}
	q := s.queues[w.user]
	for i, x := range q {
		if x == w {
			q = append(q[:i:i], q[i+1:]...)
			break
		}
	}
	s.setQueue(w.user, q)
	s.queued--
	return true
}

func (s *slots) setQueue(user string, q []*waiter) {
	if len(q) > 0 {
		s.queues[user] = q
		return
	}
	delete(s.queues, user)
	for i, u := range s.waiting {
		if u == user {
			s.waiting = append(s.waiting[:i:i], s.waiting[i+1:]...)
			break
		}
	}
}

func (s *slots) take(user string) {
	s.running++
	s.held[user]++
}

func (s *slots) releaser(user string) func() {
	var once sync.Once
	return func() {
		once.Do(func() {
			s.mu.Lock()
			s.running--
			if s.held[user]--; s.held[user] == 0 {
				delete(s.held, user)
			}
			s.dispatch()
			s.mu.Unlock()
		})
	}
}

// dispatch hands free slots to waiters: to the next user in turn under
// its share, or, when every waiter is at its share, to the next in turn.
func (s *slots) dispatch() {
	for s.running < s.n && len(s.waiting) > 0 {
		pick := -1
		for i, u := range s.waiting {
			if s.held[u] < s.perUser {
				pick = i
				break
			}
		}
		if pick < 0 {
			pick = 0 // every waiter is at its share: the next in turn goes past it
		}
		user := s.waiting[pick]
		q := s.queues[user]
		w := q[0]
		// The user goes to the back of the turn.
		s.waiting = append(append(s.waiting[:pick:pick], s.waiting[pick+1:]...), user)
		s.setQueue(user, q[1:])
		s.queued--
		w.granted = true
		s.take(user)
		close(w.ready)
	}
}

// stats reports the slots in use and the queries waiting.
func (s *slots) stats() (running, queued int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.running, s.queued
}
