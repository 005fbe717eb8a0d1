package qsbr

import (
	"sync"

	"github.com/rcukit/rcukit/internal/engine"
)

// debugState tracks, under WithDebug, which goroutines have an online
// Reader, so that a wait called by one panics instead of waiting for
// itself.
type debugState struct {
	mu     sync.Mutex
	online map[int64]int // online Readers per goroutine
}

func (s *debugState) add(g int64, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.online == nil {
		s.online = make(map[int64]int)
	}
	if s.online[g] += n; s.online[g] <= 0 {
		delete(s.online, g)
	}
}

func (s *debugState) check(d *Domain, method string) {
	g := engine.Goid()
	s.mu.Lock()
	n := s.online[g]
	s.mu.Unlock()
	if n > 0 {
		panic("rcu: qsbr: " + method + " called by a goroutine whose Reader of " + d.String() + " is online (it would wait for itself): use Reader.Synchronize, or call Offline first")
	}
}
