// Package front is the public write side of the flavors with registered
// readers (packages rcu/qsbr and rcu/registered): the methods of their
// Domains that only wait, queue or count, over the shared engine. Each
// Domain embeds a Front and adds its read side.
package front

import (
	"context"
	"sync/atomic"

	"github.com/rcukit/rcukit/internal/engine"
	"github.com/rcukit/rcukit/rcu"
)

// A Front is the write side of one domain. Start sets it up.
type Front struct {
	e     engine.Engine
	ctl   *atomic.Uint64
	ready atomic.Bool
	// check, when not nil (WithDebug), panics when the caller of a wait
	// would wait for itself.
	check func(method string)
}

// Start sets f up, with the options, for a domain named name whose control
// word is ctl and whose read side is r; check, which may be nil, vets the
// callers of waits. It returns the configuration.
func (f *Front) Start(opts []rcu.Option, kind, name string, ctl *atomic.Uint64, r engine.Readers, check func(string)) {
	cfg := engine.Defaults
	cfg.Inline = true
	for _, o := range opts {
		o(&cfg)
	}
	f.ctl, f.check = ctl, check
	f.e.Start(cfg, name, ctl, r)
	if check != nil {
		f.e.SetCheck(check) // Call and Retire at the pending bound
	}
	f.ready.Store(true)
}

// Config returns the domain's configuration.
func (f *Front) Config() *engine.Config { return f.e.Config() }

// Ready panics unless f was started: a domain of these flavors is made by
// New.
func (f *Front) Ready() {
	if !f.ready.Load() {
		panic("rcu: a qsbr.Domain or registered.Domain must be made by New (its zero value is not usable)")
	}
}

// edge begins every public wait.
func (f *Front) edge(method string) {
	f.Ready()
	if f.check != nil {
		f.check(method)
	}
}

// Synchronize waits until every read section of the domain that began
// before the call has ended; concurrent callers share grace periods. A
// goroutine inside a read section of the domain would wait for itself.
func (f *Front) Synchronize() {
	f.edge("Synchronize")
	engine.Must("Synchronize", f.e.Wait(context.Background(), f.e.Next(), false))
}

// SynchronizeExpedited is Synchronize that polls the readers in a yield
// loop instead of sleeping between polls.
func (f *Front) SynchronizeExpedited() {
	f.edge("SynchronizeExpedited")
	engine.Must("SynchronizeExpedited", f.e.Wait(context.Background(), f.e.Next(), true))
}

// SynchronizeContext is Synchronize that gives up when ctx is done. It then
// returns ctx.Err(); the grace period it asked for still runs, and the
// domain stays fully usable. On a closed domain it returns rcu.ErrClosed.
func (f *Front) SynchronizeContext(ctx context.Context) error {
	f.edge("SynchronizeContext")
	return f.e.Wait(ctx, f.e.Next(), false)
}

// Snapshot returns a cookie for the grace periods that have yet to begin.
// It neither starts nor waits for one.
func (f *Front) Snapshot() rcu.Cookie {
	f.Ready()
	f.e.MustOpen("Snapshot")
	return rcu.Cookie(f.e.Next())
}

// Poll reports whether a full grace period has elapsed since Snapshot
// returned c. It never blocks and never starts a grace period.
func (f *Front) Poll(c rcu.Cookie) bool {
	f.Ready()
	f.e.MustOpen("Poll")
	return f.e.Polled(uint64(c))
}

// WaitFor returns at once if Poll(c) is true, and otherwise starts the
// grace periods needed and waits for them.
func (f *Front) WaitFor(c rcu.Cookie) {
	f.edge("WaitFor")
	engine.Must("WaitFor", f.e.Wait(context.Background(), uint64(c), false))
}

// Call queues fn to run once, on the domain's callback goroutine, after a
// full grace period that begins after Call, as rcu.Domain.Call does: in
// queue order, within the pending bound, with panics recovered.
func (f *Front) Call(fn func()) {
	f.Ready()
	f.e.Call(fn)
}

// Retire queues v.Reclaim as Call queues a function, allocating nothing
// (see rcu.Domain.Retire and rcu.Replace).
func (f *Front) Retire(v rcu.Reclaimer) {
	f.Ready()
	f.e.Retire(v)
}

// Barrier waits until every callback queued before the call has run.
func (f *Front) Barrier() {
	f.edge("Barrier")
	engine.Must("Barrier", f.e.Barrier(context.Background()))
}

// BarrierContext is Barrier that gives up when ctx is done, returning
// ctx.Err() and leaving the domain unchanged. On a closed domain it
// returns rcu.ErrClosed.
func (f *Front) BarrierContext(ctx context.Context) error {
	f.edge("BarrierContext")
	return f.e.Barrier(ctx)
}

// Close waits until every callback queued has run, including callbacks
// queued by those callbacks, and every requested grace period has ended;
// then it stops the domain's goroutines. Afterwards every method panics,
// except Stats, the context-aware waits (rcu.ErrClosed) and what ends a
// read section. Close must be called once, and not from a callback.
func (f *Front) Close() {
	f.edge("Close")
	f.e.Close()
}

// Stats returns the domain's counters, also after Close.
func (f *Front) Stats() rcu.Stats {
	if !f.ready.Load() {
		return rcu.Stats{}
	}
	return rcu.Stats(f.e.Stats())
}
