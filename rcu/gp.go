package rcu

// Grace periods: two-index counting, as in sleepable RCU (SRCU).
//
// Readers count themselves under the index held in ctl (read.go). One
// goroutine per Domain runs grace periods, one at a time. Grace period n:
//
//  1. start: started = n. Callbacks queued so far are sealed for n.
//  2. wait until no section is counted under the inactive index (1-cur);
//  3. flip: new sections count themselves under 1-cur;
//  4. wait until no section is counted under cur;
//  5. end: completed = n; waiters wake; callbacks sealed for n become ready.
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
	"runtime"
	"time"
)

// A Cookie is a grace-period sequence number returned by Snapshot. A later
// Snapshot never returns a smaller Cookie. The zero Cookie is always
// complete.
type Cookie uint64

// Snapshot returns a Cookie for the grace periods that have yet to begin
// (like get_state_synchronize_rcu). It neither starts nor waits for one.
func (d *Domain) Snapshot() Cookie {
	d.mustOpen("Snapshot")
	return d.next()
}

// next is the first grace period that begins after the call.
func (d *Domain) next() Cookie { return Cookie(d.started.Load() + 1) } // pairs with step 1 in gpLoop

// Poll reports whether a full grace period has elapsed since Snapshot
// returned c (like poll_state_synchronize_rcu). It never blocks and never
// starts a grace period. The end of every section that began before that
// Snapshot synchronizes before a Poll that returns true.
func (d *Domain) Poll(c Cookie) bool {
	d.mustOpen("Poll")
	return d.polled(c)
}

func (d *Domain) polled(c Cookie) bool { return d.completed.Load() >= uint64(c) } // pairs with step 5 in gpLoop

// WaitFor returns at once if Poll(c) is true, and otherwise starts the
// grace periods needed and waits for them (like cond_synchronize_rcu).
func (d *Domain) WaitFor(c Cookie) {
	d.edge("WaitFor")
	must("WaitFor", d.wait(context.Background(), c, false))
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
	must("Synchronize", d.wait(context.Background(), d.next(), false))
}

// SynchronizeExpedited is Synchronize for callers that trade CPU for
// latency: the grace period polls its readers in a yield loop instead of
// sleeping between polls.
func (d *Domain) SynchronizeExpedited() {
	d.edge("SynchronizeExpedited")
	must("SynchronizeExpedited", d.wait(context.Background(), d.next(), true))
}

// SynchronizeContext is Synchronize that gives up when ctx is done. It then
// returns ctx.Err(); the grace period it asked for still runs, and d stays
// fully usable. On a closed Domain it returns ErrClosed.
func (d *Domain) SynchronizeContext(ctx context.Context) error {
	d.edge("SynchronizeContext")
	return d.wait(ctx, d.next(), false)
}

// edge begins every public wait: it sets d up and, under WithDebug,
// panics when the caller holds a section of d.
func (d *Domain) edge(method string) {
	d.init()
	d.checkReader(method)
}

// wait requests grace period c and waits until it has completed or ctx is
// done. It returns ErrClosed on a closed Domain.
func (d *Domain) wait(ctx context.Context, c Cookie, expedited bool) error {
	if d.isClosed() {
		return ErrClosed
	}
	if d.polled(c) {
		return nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.isClosed() {
		return ErrClosed
	}
	if expedited && d.expWant.Load() < uint64(c) {
		d.expWant.Store(uint64(c)) // read by waitReaders
	}
	if d.want < uint64(c) {
		d.want = uint64(c)
		d.updateYield()
		d.kick(d.kickGP)
	}
	// Completions hold d.mu, so gpDone is closed by the first completion
	// after the check.
	for !d.polled(c) {
		if err := d.block(ctx, d.gpDone); err != nil {
			return err
		}
	}
	return nil
}

// gpLoop runs grace periods while anyone needs one.
func (d *Domain) gpLoop() {
	defer d.wg.Done()
	for {
		d.mu.Lock()
		if d.want <= d.completed.Load() && len(d.open) == 0 {
			d.updateYield()
			closed := d.isClosed()
			d.mu.Unlock()
			if closed {
				return
			}
			<-d.kickGP
			continue
		}
		d.mu.Unlock()
		// Let callers that are ready to run ask before this grace period
		// starts, so that they share it instead of waiting for the next.
		runtime.Gosched()
		d.mu.Lock()
		n := d.started.Load() + 1
		d.started.Store(n) // step 1; pairs with the Load in next
		if len(d.open) > 0 {
			d.sealed = append(d.sealed, batch{gp: n, fns: d.open})
			d.open = d.takeSpare()
		}
		d.mu.Unlock()

		start := time.Now()
		d.inject(pointGPStart)
		cur := d.ctl.Load() & ctlIdx
		if !d.opts.fault(faultSkipStragglers) {
			d.waitReaders(n, 1-cur, start) // step 2: stragglers under the inactive index
		}
		d.setCtl(ctlIdx, cur == 0) // step 3: flip
		d.inject(pointGPFlipped)
		d.waitReaders(n, cur, start) // step 4
		d.inject(pointGPEnd)
		elapsed := time.Since(start)

		d.mu.Lock()
		d.completed.Store(n) // step 5; pairs with the Load in polled
		d.longest = max(d.longest, elapsed)
		for len(d.sealed) > 0 && d.sealed[0].gp <= n {
			d.ready = append(d.ready, d.sealed[0])
			d.sealed = d.sealed[1:]
		}
		close(d.gpDone)
		d.gpDone = make(chan struct{})
		d.mu.Unlock()
		d.kick(d.kickInv)
	}
}

// updateYield sets ctlYield, with d.mu held, while a grace period is
// pending or running, or a goroutine waits on d: new readers then yield
// now and then before they begin (readLockSlow), so that a reader
// preempted inside its section, a waiter woken by a grace period's end,
// or the grace-period goroutine itself does not wait for a whole time
// slice behind busy readers (see the package documentation).
func (d *Domain) updateYield() {
	c := d.completed.Load()
	d.setCtl(ctlYield, d.blocked > 0 || d.want > c || d.started.Load() > c || len(d.open) > 0)
}

// Polling policy while a grace period waits for readers.
const (
	spinPolls      = 16                     // yield this many times before sleeping
	firstSleep     = 50 * time.Microsecond  // then sleep, doubling each time,
	maxSleep       = 4 * time.Millisecond   // up to this long
	maxExpSleep    = 100 * time.Microsecond // cap while an expedited caller waits
	expeditedSpins = 2000                   // yields before an expedited wait sleeps
)

// waitReaders waits until no section is counted under index idx, on behalf
// of grace period n, which began at start.
func (d *Domain) waitReaders(n, idx uint64, start time.Time) {
	sleep := firstSleep
	nextStall := d.opts.stallTimeout
	for polls := 0; ; polls++ {
		readers := d.countReaders(idx)
		if readers == 0 {
			return
		}
		if waited := time.Since(start); nextStall > 0 && waited >= nextStall {
			d.reportStall(n, idx, readers, waited)
			nextStall += d.opts.stallTimeout
		}
		expedited := d.expWant.Load() >= n
		switch {
		case polls < spinPolls, expedited && polls < expeditedSpins:
			runtime.Gosched()
		case expedited:
			time.Sleep(min(sleep, maxExpSleep))
		default:
			time.Sleep(sleep)
			sleep = min(2*sleep, maxSleep)
		}
	}
}
