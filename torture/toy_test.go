package torture_test

// toy is a tiny RCU on a sync.RWMutex, enough for the engine's own tests;
// its fields let each test break one thing.

import (
	"github.com/rcukit/rcukit/rcuops"
	"sync"
	"sync/atomic"
)

type toy struct {
	rw   sync.RWMutex
	gps  atomic.Uint64
	cbs  sync.WaitGroup // for Close: every callback goroutine
	stop chan struct{}  // closed by Close; a hung Synchronize waits for it

	mu      sync.Mutex
	nextID  uint64
	pending map[uint64]chan struct{} // closed when the callback has run
}

type toyReader struct {
	t     *toy
	depth int
}

func (r *toyReader) Lock() {
	if r.depth == 0 {
		r.t.rw.RLock()
	}
	r.depth++
}

func (r *toyReader) Unlock() {
	if r.depth--; r.depth == 0 {
		r.t.rw.RUnlock()
	}
}

func (t *toy) synchronize() {
	t.rw.Lock()
	t.gps.Add(1)
	t.rw.Unlock()
}

// toyOps returns a correct toy's Ops: Synchronize, Call (one goroutine per
// callback, after a Synchronize), Barrier, polled cookies and a GP counter.
func toyOps() (*rcuops.Ops, *toy) {
	t := &toy{stop: make(chan struct{}), pending: map[uint64]chan struct{}{}}
	ops := &rcuops.Ops{
		Reader:      func() rcuops.Reader { return &toyReader{t: t} },
		Synchronize: t.synchronize,
		Call: func(f func()) {
			done := make(chan struct{})
			t.mu.Lock()
			t.nextID++
			id := t.nextID
			t.pending[id] = done
			t.mu.Unlock()
			t.cbs.Add(1)
			go func() {
				defer t.cbs.Done()
				t.synchronize()
				f()
				t.mu.Lock()
				delete(t.pending, id)
				t.mu.Unlock()
				close(done)
			}()
		},
		Barrier: func() {
			t.mu.Lock()
			var wait []chan struct{}
			for _, ch := range t.pending {
				wait = append(wait, ch)
			}
			t.mu.Unlock()
			for _, ch := range wait {
				<-ch
			}
		},
		Snapshot: func() uint64 { return t.gps.Load() + 1 },
		Poll:     func(c uint64) bool { return t.gps.Load() >= c },
		GPs:      t.gps.Load,
	}
	ops.Close = func() {
		close(t.stop)
		t.cbs.Wait()
	}
	return ops, t
}

func toyFlavor(name string, mutate func(*rcuops.Ops, *toy)) rcuops.Flavor {
	return rcuops.Flavor{Name: name, Doc: "a test double", New: func(rcuops.Env) *rcuops.Ops {
		ops, t := toyOps()
		if mutate != nil {
			mutate(ops, t)
		}
		return ops
	}}
}
