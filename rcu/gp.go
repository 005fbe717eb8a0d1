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
// section counted itself (a CAS on its slot) before started = n was stored.
// Every atomic here is sequentially consistent, so both scans (steps 2 and
// 4) read its slot after that CAS; one of them scans its index, and that
// scan waits until the section's ReadUnlock. Step 2 is what catches a
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
	"fmt"
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
	d.checkNotClosed("Snapshot")
	return Cookie(d.started.Load() + 1)
}

// Poll reports whether a full grace period has elapsed since Snapshot
// returned c (like poll_state_synchronize_rcu). It never blocks and never
// starts a grace period. Every section that began before that Snapshot
// ended before a Poll that returns true.
func (d *Domain) Poll(c Cookie) bool {
	d.checkNotClosed("Poll")
	if d.opts.fault(faultPollEarly) {
		c--
	}
	return d.polled(c)
}

func (d *Domain) polled(c Cookie) bool { return d.completed.Load() >= uint64(c) }

// WaitFor returns at once if Poll(c) is true, and otherwise starts the
// grace periods needed and waits for them (like cond_synchronize_rcu).
func (d *Domain) WaitFor(c Cookie) {
	d.checkNotClosed("WaitFor")
	d.checkReader("WaitFor")
	_ = d.wait(context.Background(), "WaitFor", c, false)
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
// Calling Synchronize inside a read section of d deadlocks; WithDebug makes
// it panic instead.
func (d *Domain) Synchronize() {
	d.checkNotClosed("Synchronize")
	d.checkReader("Synchronize")
	_ = d.wait(context.Background(), "Synchronize", d.snapshot("Synchronize"), false)
}

// SynchronizeExpedited is Synchronize for callers that trade CPU for
// latency: the grace period polls its readers in a yield loop instead of
// sleeping between polls.
func (d *Domain) SynchronizeExpedited() {
	d.checkNotClosed("SynchronizeExpedited")
	d.checkReader("SynchronizeExpedited")
	_ = d.wait(context.Background(), "SynchronizeExpedited", d.snapshot("SynchronizeExpedited"), true)
}

// SynchronizeContext is Synchronize that gives up when ctx is done. It then
// returns ctx.Err(); the grace period it asked for still runs, and d stays
// fully usable. On a closed Domain it returns ErrClosed.
func (d *Domain) SynchronizeContext(ctx context.Context) error {
	if d.isClosed() {
		return ErrClosed
	}
	d.checkReader("SynchronizeContext")
	return d.wait(ctx, "", d.snapshot(""), false)
}

// snapshot is Snapshot for Synchronize: with faultNoShare every caller asks
// for a grace period of its own.
func (d *Domain) snapshot(method string) Cookie {
	if !d.opts.fault(faultNoShare) {
		return Cookie(d.started.Load() + 1)
	}
	d.mu.Lock()
	if method != "" {
		d.checkOpen(method)
	}
	c := max(d.want, d.started.Load()) + 1
	d.want = c
	d.mu.Unlock()
	d.kick(d.kickGP)
	return Cookie(c)
}

// wait requests grace period c and waits until it has completed or ctx is
// done. method names the caller for the closed-Domain panic; "" asks for
// ErrClosed instead.
func (d *Domain) wait(ctx context.Context, method string, c Cookie, expedited bool) error {
	if d.polled(c) {
		return nil
	}
	if expedited {
		for { // expWant = max(expWant, c)
			old := d.expWant.Load()
			if old >= uint64(c) || d.expWant.CompareAndSwap(old, uint64(c)) {
				break
			}
		}
	}
	d.mu.Lock()
	if d.closed {
		if method == "" {
			d.mu.Unlock()
			return ErrClosed
		}
		d.checkOpen(method)
	}
	if d.want < uint64(c) {
		d.want = uint64(c)
		d.kick(d.kickGP)
	}
	for {
		// Completions hold d.mu, so ch is closed by the first completion
		// after the check.
		ch, done := d.gpDone, d.polled(c)
		d.mu.Unlock()
		if done {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
		if d.polled(c) {
			return nil
		}
		d.mu.Lock()
	}
}

// gpLoop runs grace periods while anyone needs one.
func (d *Domain) gpLoop() {
	defer d.wg.Done()
	for {
		d.mu.Lock()
		if d.want <= d.completed.Load() && len(d.open) == 0 {
			closed := d.closed
			d.mu.Unlock()
			if closed {
				return
			}
			<-d.kickGP
			continue
		}
		// Let callers that are ready to run ask before this grace period
		// starts, so that they share it instead of waiting for the next.
		d.mu.Unlock()
		runtime.Gosched()
		d.mu.Lock()
		n := d.started.Load() + 1
		d.started.Store(n) // pairs with the load in Snapshot
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
		d.completed.Store(n) // step 5; pairs with the load in polled
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
	if d.opts.fault(faultNoReaderWait) {
		return
	}
	sleep := firstSleep
	nextStall := d.opts.stallTimeout
	for polls := 0; ; polls++ {
		readers := d.countReaders(idx)
		if readers == 0 {
			return
		}
		if nextStall > 0 {
			if waited := time.Since(start); waited >= nextStall {
				d.reportStall(n, idx, readers, waited)
				nextStall += d.opts.stallTimeout
			}
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

// A StallReport describes a grace period that has waited for readers
// longer than the stall timeout.
type StallReport struct {
	GP      uint64        // the grace period's sequence number
	Waited  time.Duration // how long it has waited so far
	Readers int           // sections it is waiting for
	// Held and Stack describe the oldest section it waits for: how long
	// that section has been open, and the stack of its ReadLock. Both are
	// set only for a Domain created WithDebug.
	Held  time.Duration
	Stack string
}

func (r StallReport) String() string {
	s := fmt.Sprintf("rcu: grace period %d stalled for %v waiting for %d reader(s)", r.GP, r.Waited.Round(time.Millisecond), r.Readers)
	if r.Stack != "" {
		s += fmt.Sprintf("; oldest held for %v, opened at:\n%s", r.Held.Round(time.Millisecond), r.Stack)
	}
	return s
}

func (d *Domain) reportStall(n, idx uint64, readers int, waited time.Duration) {
	r := StallReport{GP: n, Waited: waited, Readers: readers}
	if d.opts.debug {
		r.Held, r.Stack = oldestSection(d, idx)
	}
	d.mu.Lock()
	d.stalls++
	d.mu.Unlock()
	d.opts.stallHandler(r)
}

// checkNotClosed panics if Close has finished.
func (d *Domain) checkNotClosed(method string) {
	if d.isClosed() {
		panic("rcu: " + method + " on a closed Domain")
	}
}

func (d *Domain) isClosed() bool { return d.ctl.Load()&ctlClosed != 0 }
