package rcu

// Callbacks: batched, invoked in queue order on one goroutine per Domain
// (internal/engine).

import (
	"context"

	"github.com/rcukit/rcukit/internal/engine"
)

// Call queues fn to run once, on d's callback goroutine, after a full grace
// period that begins after Call (like call_srcu). Call does not wait for the
// grace period. One grace period serves every callback queued before it
// starts. Callbacks run one at a time, in the order they were queued.
//
// Everything the caller did before Call synchronizes before fn runs, and
// the end of every read section that began before Call synchronizes before
// fn runs.
//
// When the pending callbacks reach the WithMaxPending bound, Call waits for
// the backlog to drain below it, unless it is called from a callback of d.
// A panic in fn is recovered; see WithPanicHandler. Call panics if fn is nil.
func (d *Domain) Call(fn func()) {
	d.init()
	d.e.Call(fn)
}

// Barrier waits until every callback queued on d before the call has run
// (like srcu_barrier). It does not wait when none is pending. Every such
// callback's return synchronizes before Barrier returns. Called from a
// callback of d, which would wait for itself, it panics.
func (d *Domain) Barrier() {
	d.edge("Barrier")
	engine.Must("Barrier", d.e.Barrier(context.Background()))
}

// BarrierContext is Barrier that gives up when ctx is done. It then returns
// ctx.Err() and leaves d unchanged. On a closed Domain it returns ErrClosed.
func (d *Domain) BarrierContext(ctx context.Context) error {
	d.edge("BarrierContext")
	return d.e.Barrier(ctx)
}
