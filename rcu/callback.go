package rcu

// Callbacks: batched, invoked in queue order on one goroutine per Domain.
//
// Call appends to d.open. When grace period n starts it seals d.open as the
// batch for n (gp.go), so every callback in it was queued before n began.
// When n completes, its batch moves to d.ready and the callback goroutine
// runs it. Batches are sealed, completed and run in order, so callbacks run
// in the order they were queued; Barrier relies on that: once d.invoked
// reaches the value d.queued had when Barrier was called, every earlier
// callback has run.

import (
	"context"
	"runtime/debug"
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
	if fn == nil {
		panic("rcu: Call with a nil function")
	}
	d.init()
	d.mu.Lock()
	// A callback that calls Call does not wait: only its own goroutine
	// could drain the backlog.
	for d.pending() >= uint64(d.opts.maxPending) && !d.isClosed() && !d.isInvoker() {
		d.block(context.Background(), d.progress)
	}
	if d.isClosed() {
		d.mu.Unlock()
		panic("rcu: Call on a closed Domain")
	}
	d.open = append(d.open, fn)
	d.queued++
	first := len(d.open) == 1
	if first {
		d.updateYield() // a grace period is now pending
	}
	d.mu.Unlock()
	if first {
		d.kick(d.kickGP)
	}
}

func (d *Domain) pending() uint64 { return d.queued - d.invoked }

// Barrier waits until every callback queued on d before the call has run
// (like srcu_barrier). It does not wait when none is pending. Every such
// callback's return synchronizes before Barrier returns. Called from a
// callback of d, which would wait for itself, it panics.
func (d *Domain) Barrier() {
	d.edge("Barrier")
	must("Barrier", d.barrier(context.Background()))
}

// BarrierContext is Barrier that gives up when ctx is done. It then returns
// ctx.Err() and leaves d unchanged. On a closed Domain it returns ErrClosed.
func (d *Domain) BarrierContext(ctx context.Context) error {
	d.edge("BarrierContext")
	return d.barrier(ctx)
}

// barrier waits until the callbacks queued so far have run, or ctx is
// done. It returns ErrClosed on a closed Domain.
func (d *Domain) barrier(ctx context.Context) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.isClosed() {
		return ErrClosed
	}
	target := d.queued
	if d.invoked < target && d.isInvoker() {
		panic("rcu: Barrier called from a callback of the same Domain (it would wait for itself)")
	}
	for d.invoked < target {
		if err := d.block(ctx, d.progress); err != nil {
			return err
		}
	}
	return nil
}

// invokeLoop runs ready batches until Close.
func (d *Domain) invokeLoop(started chan<- int64) {
	defer d.wg.Done()
	started <- goid()
	for {
		d.mu.Lock()
		for len(d.ready) == 0 {
			if d.isClosed() {
				d.mu.Unlock()
				return
			}
			d.mu.Unlock()
			<-d.kickInv
			d.mu.Lock()
		}
		b := d.ready[0]
		d.ready = d.ready[1:]
		d.mu.Unlock()

		panics := 0
		for i, fn := range b.fns {
			d.inject(pointInvoke)
			if !d.run(fn) {
				panics++
			}
			b.fns[i] = nil // let the closure go
		}

		d.mu.Lock()
		d.invoked += uint64(len(b.fns))
		d.panics += uint64(panics)
		if len(d.spare) < 4 {
			d.spare = append(d.spare, b.fns[:0])
		}
		close(d.progress) // pairs with the wait in barrier
		d.progress = make(chan struct{})
		d.mu.Unlock()
	}
}

// run calls fn and reports whether it returned without panicking.
func (d *Domain) run(fn func()) (ok bool) {
	defer func() {
		if ok {
			return
		}
		v := recover()
		if h := d.opts.panicHandler; h != nil {
			h(v)
			return
		}
		report("rcu: callback panicked: %v\n%s", v, debug.Stack())
	}()
	fn()
	return true
}

// takeSpare returns an empty slice for the next open batch, reusing the
// backing array of a batch that has run. The caller holds d.mu.
func (d *Domain) takeSpare() []func() {
	n := len(d.spare)
	if n == 0 {
		return nil
	}
	s := d.spare[n-1]
	d.spare = d.spare[:n-1]
	return s
}

// isInvoker reports whether the caller runs on d's callback goroutine.
func (d *Domain) isInvoker() bool { return goid() == d.invoker }
