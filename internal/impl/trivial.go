package impl

// trivial: an RCU that is obviously correct because it is built from locks.
//
// Token readers hold a sync.RWMutex for reading; a registered reader holds
// a sync.Mutex of its own. A grace period takes the write lock once (so
// every token reader that was inside has left) and then each registered
// reader's mutex in turn. Both kinds of reader keep a per-goroutine nesting
// depth, since sync.RWMutex forbids recursive read locking.
//
// Grace period n stores started = n first and completed = n last, under
// gpMu, so Snapshot (started+1) and Poll (completed >= cookie) follow the
// reference's polled protocol, and a Synchronize whose cookie has already
// completed shares that grace period.

import (
	"github.com/rcukit/rcukit/rcuops"
	"sync"
	"sync/atomic"
)

type trivial struct {
	rw                 sync.RWMutex
	gpMu               sync.Mutex // one grace period at a time
	started, completed atomic.Uint64

	regMu sync.Mutex
	regs  map[*trivialRegistered]struct{}

	q *callQueue
}

// Trivial returns the Ops of a fresh trivial RCU.
func Trivial(rcuops.Env) *rcuops.Ops {
	t := &trivial{regs: map[*trivialRegistered]struct{}{}}
	t.q = newCallQueue(t.synchronize, 1<<16)
	return &rcuops.Ops{
		Reader:      func() rcuops.Reader { return &trivialReader{t: t} },
		Register:    t.register,
		Synchronize: t.synchronize,
		Call:        t.q.Call,
		Barrier:     t.q.Barrier,
		Snapshot:    func() uint64 { return t.started.Load() + 1 },
		Poll:        func(c uint64) bool { return t.completed.Load() >= c },
		GPs:         t.completed.Load,
		Pending:     t.q.Pending,
		Close:       t.q.Close,
	}
}

func (t *trivial) synchronize() {
	want := t.started.Load() + 1
	t.gpMu.Lock()
	defer t.gpMu.Unlock()
	if t.completed.Load() >= want {
		return // a grace period that began after the call has ended
	}
	n := t.started.Add(1)
	t.rw.Lock()
	//lint:ignore SA2001 taking the write lock is the wait for every reader
	t.rw.Unlock()
	t.regMu.Lock()
	regs := make([]*trivialRegistered, 0, len(t.regs))
	for r := range t.regs {
		regs = append(regs, r)
	}
	t.regMu.Unlock()
	for _, r := range regs {
		r.mu.Lock()
		//lint:ignore SA2001 taking the reader's mutex is the wait for its section
		r.mu.Unlock()
	}
	t.completed.Store(n)
}

type trivialReader struct {
	t     *trivial
	depth int
}

func (r *trivialReader) Lock() {
	if r.depth == 0 {
		r.t.rw.RLock()
	}
	r.depth++
}

func (r *trivialReader) Unlock() {
	if r.depth == 0 {
		panic("impl: trivial reader unlocked without a section")
	}
	if r.depth--; r.depth == 0 {
		r.t.rw.RUnlock()
	}
}

type trivialRegistered struct {
	mu    sync.Mutex // held while the reader is inside a section
	depth int
}

func (t *trivial) register() (rcuops.Reader, func()) {
	r := new(trivialRegistered)
	t.regMu.Lock()
	t.regs[r] = struct{}{}
	t.regMu.Unlock()
	return r, func() {
		if r.depth != 0 {
			panic("impl: trivial reader unregistered inside a section")
		}
		t.regMu.Lock()
		delete(t.regs, r)
		t.regMu.Unlock()
	}
}

func (r *trivialRegistered) Lock() {
	if r.depth == 0 {
		r.mu.Lock()
	}
	r.depth++
}

func (r *trivialRegistered) Unlock() {
	if r.depth == 0 {
		panic("impl: trivial reader unlocked without a section")
	}
	if r.depth--; r.depth == 0 {
		r.mu.Unlock()
	}
}
