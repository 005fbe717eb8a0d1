package qsbr

import (
	"context"

	"github.com/rcukit/rcukit/rcu"
)

// The write side: rcu.Domain's, over the same engine (internal/front).

// Synchronize waits until every Reader of d has announced a quiescent state
// or gone offline since the call. Concurrent callers share grace periods.
// A goroutine whose Reader of d is online would wait for itself: it calls
// Reader.Synchronize instead.
//
// The end of every section that Synchronize waits for synchronizes before
// Synchronize returns, and Synchronize's caller synchronizes before every
// section that observes a value it stored after Synchronize returns.
func (d *Domain) Synchronize() { d.w.Synchronize() }

// SynchronizeExpedited is Synchronize that polls the Readers in a yield
// loop instead of sleeping between polls.
func (d *Domain) SynchronizeExpedited() { d.w.SynchronizeExpedited() }

// SynchronizeContext is Synchronize that gives up when ctx is done. It then
// returns ctx.Err(); the grace period it asked for still runs, and d stays
// fully usable. On a closed Domain it returns rcu.ErrClosed.
func (d *Domain) SynchronizeContext(ctx context.Context) error {
	return d.w.SynchronizeContext(ctx)
}

// Snapshot returns a cookie for the grace periods that have yet to begin.
// It neither starts nor waits for one.
func (d *Domain) Snapshot() rcu.Cookie { return d.w.Snapshot() }

// Poll reports whether a full grace period has elapsed since Snapshot
// returned c. It never blocks and never starts a grace period.
func (d *Domain) Poll(c rcu.Cookie) bool { return d.w.Poll(c) }

// WaitFor returns at once if Poll(c) is true, and otherwise starts the
// grace periods needed and waits for them.
func (d *Domain) WaitFor(c rcu.Cookie) { d.w.WaitFor(c) }

// Call queues fn to run once, on d's callback goroutine, after a full
// grace period that begins after Call, as rcu.Domain.Call does: in queue
// order, within the pending bound (rcu.WithMaxPending), with panics
// recovered (rcu.WithPanicHandler).
func (d *Domain) Call(fn func()) { d.w.Call(fn) }

// Retire queues v.Reclaim as Call queues a function, and allocates
// nothing; see rcu.Replace.
func (d *Domain) Retire(v rcu.Reclaimer) { d.w.Retire(v) }

// Barrier waits until every callback queued on d before the call has run.
func (d *Domain) Barrier() { d.w.Barrier() }

// BarrierContext is Barrier that gives up when ctx is done, returning
// ctx.Err() and leaving d unchanged. On a closed Domain it returns
// rcu.ErrClosed.
func (d *Domain) BarrierContext(ctx context.Context) error { return d.w.BarrierContext(ctx) }

// Close waits until every callback queued on d has run, including those
// queued by callbacks, and every requested grace period has ended; then it
// stops d's goroutines. Afterwards Register and the methods of d panic,
// except Stats and the context-aware waits (rcu.ErrClosed); a Reader's own
// methods keep working, and hold no grace period any more. Under
// rcu.WithDebug, Close by a goroutine whose Reader is online panics, as it
// could wait for itself.
func (d *Domain) Close() { d.w.Close() }

// Stats returns d's counters, also after Close.
func (d *Domain) Stats() rcu.Stats { return d.w.Stats() }
