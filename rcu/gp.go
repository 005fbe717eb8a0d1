package rcu

// Grace periods: two-index counting, as in sleepable RCU (SRCU).
//
// Readers count themselves under the index held in ctl (read.go). One
// goroutine per Domain runs grace periods, one at a time (the write side
// that every flavor shares, internal/engine). Grace period n:
//
//  1. start: started = n. Callbacks queued so far are sealed for n.
//  2. wait until no section is counted under the inactive index (1-cur);
//  3. flip: new sections count themselves under 1-cur;
//  4. wait until no section is counted under cur;
//  5. end: completed = n; waiters wake; callbacks sealed for n become ready.
//
// Steps 2 to 4 are readers.Wait below; the engine does the rest.
//
// Why every section that began before step 1 has ended by step 5: such a
// section counted itself (a CAS on its slot, or an add to the overflow's
// count) before started = n was stored. Every atomic here is sequentially
// consistent, so both scans (steps 2 and 4) read its count after that;
// one of them scans its index, and that scan waits until the section's
// ReadUnlock. Step 2 is what catches a
// straggler: a section that sampled the index just before an earlier flip
// and counted itself only after that grace period scanned, so that it now
// sits under the inactive index. Skipping step 2 is the classic counter-flip
// bug.
//
// Why the waits end: after step 3 only sections that sampled cur before the
// flip can still join cur, and after an earlier grace period's flip only
// sections that sampled the old index before it can join 1-cur. Both sets
// are bounded, so a stream of new readers cannot hold a grace period off.
//
// Polled cookies: Snapshot returns started+1 (read once). Grace period
// started+1 begins after the read, so when completed >= cookie a full grace
// period has elapsed since the Snapshot.

import (
	"context"

	"github.com/rcukit/rcukit/internal/engine"
)

// A Cookie is a grace-period sequence number returned by Snapshot. A later
// Snapshot never returns a smaller Cookie. The zero Cookie is always
// complete. The domains of every flavor (packages rcu/qsbr and
// rcu/registered too) use Cookies.
type Cookie uint64

// Snapshot returns a Cookie for the grace periods that have yet to begin
// (like get_state_synchronize_rcu). It neither starts nor waits for one.
func (d *Domain) Snapshot() Cookie {
	d.mustOpen("Snapshot")
	return Cookie(d.e.Next())
}

// Poll reports whether a full grace period has elapsed since Snapshot
// returned c (like poll_state_synchronize_rcu). It never blocks and never
// starts a grace period. The end of every section that began before that
// Snapshot synchronizes before a Poll that returns true.
func (d *Domain) Poll(c Cookie) bool {
	d.mustOpen("Poll")
	return d.e.Polled(uint64(c))
}

// WaitFor returns at once if Poll(c) is true, and otherwise starts the
// grace periods needed and waits for them (like cond_synchronize_rcu).
func (d *Domain) WaitFor(c Cookie) {
	d.edge("WaitFor")
	engine.Must("WaitFor", d.e.Wait(context.Background(), uint64(c), false))
}

// Synchronize waits until every read section of d that began before the
// call has ended (like synchronize_srcu). Sections that begin after the call
// may or may not be waited for; a stream of new sections cannot delay it
// indefinitely. Concurrent callers share grace periods.
//
// The end of every section that Synchronize waits for synchronizes before
// Synchronize returns, and Synchronize's caller synchronizes before every
// section that observes a value it stored after Synchronize returns.
//
// Calling Synchronize inside a read section of d deadlocks: the stall
// report says so, and WithDebug makes it panic instead.
func (d *Domain) Synchronize() {
	d.edge("Synchronize")
	engine.Must("Synchronize", d.e.Wait(context.Background(), d.e.Next(), false))
}

// SynchronizeExpedited is Synchronize for callers that trade CPU for
// latency: the grace period polls its readers in a yield loop instead of
// sleeping between polls.
func (d *Domain) SynchronizeExpedited() {
	d.edge("SynchronizeExpedited")
	engine.Must("SynchronizeExpedited", d.e.Wait(context.Background(), d.e.Next(), true))
}

// SynchronizeContext is Synchronize that gives up when ctx is done. It then
// returns ctx.Err(); the grace period it asked for still runs, and d stays
// fully usable. On a closed Domain it returns ErrClosed.
func (d *Domain) SynchronizeContext(ctx context.Context) error {
	d.edge("SynchronizeContext")
	return d.e.Wait(ctx, d.e.Next(), false)
}

// edge begins every public wait: it sets d up and, under WithDebug,
// panics when the caller holds a section of d.
func (d *Domain) edge(method string) {
	d.init()
	d.checkReader(method)
}

// readers is d's read side as the engine sees it.
type readers Domain

// Wait is steps 2 to 4 of grace period gp.
func (r *readers) Wait(gp *engine.GP) {
	d := (*Domain)(r)
	cur := d.ctl.Load() & ctlIdx
	if !d.opts.Fault(engine.FaultSkipStragglers) {
		d.waitReaders(gp, 1-cur) // step 2: stragglers under the inactive index
	}
	d.setCtl(ctlIdx, cur == 0) // step 3: flip
	d.opts.Inject(engine.PointGPFlipped)
	d.waitReaders(gp, cur) // step 4
}

// waitReaders waits until no section is counted under index idx.
func (d *Domain) waitReaders(gp *engine.GP, idx uint64) {
	gp.Await(func() int { return d.countReaders(idx) }, func(r *engine.Stall) {
		if d.opts.Debug {
			r.Held, r.Stack = oldestSection(d, idx)
		}
	})
}
