package rcu_test

// Broken doubles: each wraps a real Domain and breaks one guarantee, the
// way a buggy RCU would. TestChecksCatchBrokenVariants feeds them to the
// checks, which must fail.

import (
	"context"
	"sync"
	"time"

	"github.com/rcukit/rcukit/rcu"
)

// wrap builds a maker whose domains are wrapped by f.
func wrap[W impl](f func(*rcu.Domain) W) maker {
	return func(opts ...rcu.Option) impl { return f(rcu.New(opts...)) }
}

// syncNoWait: Synchronize returns at once.
type syncNoWait struct{ *rcu.Domain }

func (syncNoWait) Synchronize()                             {}
func (syncNoWait) SynchronizeContext(context.Context) error { return nil }

// syncNoShare: every Synchronize runs a grace period of its own. (The
// lock is a channel: a goroutine blocked on it is durably blocked, as
// synctest needs, where one blocked on a sync.Mutex is not.)
type syncNoShare struct {
	*rcu.Domain
	one chan struct{}
}

func (w syncNoShare) Synchronize() {
	w.one <- struct{}{}
	defer func() { <-w.one }()
	w.Domain.Synchronize()
}

// syncIgnoresCtx: SynchronizeContext ignores its context.
type syncIgnoresCtx struct{ *rcu.Domain }

func (w syncIgnoresCtx) SynchronizeContext(context.Context) error {
	w.Domain.Synchronize()
	return nil
}

// counting keeps a count of open sections, for the doubles below.
type counting struct {
	*rcu.Domain
	mu   *sync.Mutex
	cond *sync.Cond
	open *int
}

func newCounting(d *rcu.Domain) counting {
	mu := new(sync.Mutex)
	return counting{Domain: d, mu: mu, cond: sync.NewCond(mu), open: new(int)}
}

func (w counting) ReadLock() rcu.Token {
	w.mu.Lock()
	*w.open++
	w.mu.Unlock()
	return w.Domain.ReadLock()
}

func (w counting) ReadUnlock(t rcu.Token) {
	w.Domain.ReadUnlock(t)
	w.mu.Lock()
	*w.open--
	w.cond.Broadcast()
	w.mu.Unlock()
}

// syncWaitsForAll: Synchronize also waits for readers that began after it,
// until there are no readers at all (so a stream of readers starves it).
type syncWaitsForAll struct{ counting }

func (w syncWaitsForAll) Synchronize() {
	w.Domain.Synchronize()
	w.mu.Lock()
	for *w.open > 0 {
		w.cond.Wait()
	}
	w.mu.Unlock()
}

// readersWaitForGP: a read section waits while a Synchronize is running,
// as with a reader-writer lock. (On a sync.Cond, which synctest counts as
// durably blocking.)
type readersWaitForGP struct {
	*rcu.Domain
	mu      *sync.Mutex
	cond    *sync.Cond
	writing *int
}

func newReadersWaitForGP(d *rcu.Domain) readersWaitForGP {
	mu := new(sync.Mutex)
	return readersWaitForGP{d, mu, sync.NewCond(mu), new(int)}
}

func (w readersWaitForGP) ReadLock() rcu.Token {
	w.mu.Lock()
	for *w.writing > 0 {
		w.cond.Wait()
	}
	w.mu.Unlock()
	return w.Domain.ReadLock()
}

func (w readersWaitForGP) Synchronize() {
	w.mu.Lock()
	*w.writing++
	w.mu.Unlock()
	w.Domain.Synchronize()
	w.mu.Lock()
	*w.writing--
	w.cond.Broadcast()
	w.mu.Unlock()
}

// nestBroken: ending an inner section ends every open section, as when a
// nesting counter is reset instead of decremented.
type nestBroken struct {
	*rcu.Domain
	mu   *sync.Mutex
	open map[rcu.Token]bool
}

func (w nestBroken) ReadLock() rcu.Token {
	t := w.Domain.ReadLock()
	w.mu.Lock()
	w.open[t] = true
	w.mu.Unlock()
	return t
}

func (w nestBroken) ReadUnlock(t rcu.Token) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.open[t] {
		return // already ended by an inner unlock
	}
	for o := range w.open {
		w.Domain.ReadUnlock(o)
	}
	clear(w.open)
}

// callImmediate: Call runs its function at once.
type callImmediate struct{ *rcu.Domain }

func (callImmediate) Call(fn func()) { fn() }

// callTwice: Call queues its function twice.
type callTwice struct{ *rcu.Domain }

func (w callTwice) Call(fn func()) {
	w.Domain.Call(fn)
	w.Domain.Call(fn)
}

// barrierNoWait: Barrier returns at once.
type barrierNoWait struct{ *rcu.Domain }

func (barrierNoWait) Barrier()                             {}
func (barrierNoWait) BarrierContext(context.Context) error { return nil }

// barrierIgnoresCtx: BarrierContext ignores its context.
type barrierIgnoresCtx struct{ *rcu.Domain }

func (w barrierIgnoresCtx) BarrierContext(context.Context) error {
	w.Domain.Barrier()
	return nil
}

// pollEarly: Poll reports completion one grace period early.
type pollEarly struct{ *rcu.Domain }

func (w pollEarly) Poll(c rcu.Cookie) bool { return w.Domain.Poll(c - 1) }

// closeNoDrain: Close returns before the callbacks have run.
type closeNoDrain struct{ *rcu.Domain }

func (w closeNoDrain) Close() { go w.Domain.Close() }

// gpPerCallback gives every callback a grace period of its own.
type gpPerCallback struct {
	*rcu.Domain
	q      chan func()
	queued *sync.WaitGroup // callbacks not yet run
	worker *sync.WaitGroup
}

func newGPPerCallback(d *rcu.Domain) gpPerCallback {
	w := gpPerCallback{d, make(chan func(), 4096), new(sync.WaitGroup), new(sync.WaitGroup)}
	w.worker.Go(func() {
		for fn := range w.q {
			d.Synchronize()
			fn()
			w.queued.Done()
		}
	})
	return w
}

func (w gpPerCallback) Call(fn func()) { w.queued.Add(1); w.q <- fn }
func (w gpPerCallback) Barrier()       { w.queued.Wait() }
func (w gpPerCallback) Close()         { close(w.q); w.worker.Wait(); w.Domain.Close() }

// waitForNoStart: WaitFor waits for a grace period without asking for one.
type waitForNoStart struct {
	*rcu.Domain
	mu     *sync.Mutex
	closed *bool
}

func (w waitForNoStart) WaitFor(c rcu.Cookie) {
	for {
		w.mu.Lock()
		done := *w.closed || w.Domain.Poll(c)
		w.mu.Unlock()
		if done {
			return
		}
		time.Sleep(time.Millisecond)
	}
}

func (w waitForNoStart) Close() {
	w.mu.Lock()
	*w.closed = true
	w.mu.Unlock()
	w.Domain.Close()
}

// reclaimEarly: a List whose Remove and Replace hand the value to the
// reclaim function at once, without waiting for a grace period.
type reclaimEarly struct {
	*rcu.List[int]
	reclaim func(int)
}

func newReclaimEarly(d *rcu.Domain, reclaim func(int)) intList {
	return reclaimEarly{rcu.NewList[int](d, nil), reclaim}
}

func (l reclaimEarly) Remove(e *rcu.Element[int]) bool {
	ok := l.List.Remove(e)
	if ok {
		l.reclaim(e.Value)
	}
	return ok
}

func (l reclaimEarly) Replace(old *rcu.Element[int], v int) (*rcu.Element[int], bool) {
	e, ok := l.List.Replace(old, v)
	if ok {
		l.reclaim(old.Value)
	}
	return e, ok
}

// unbounded ignores its options: WithMaxPending, and the stall handler.
func unbounded(...rcu.Option) impl { return rcu.New() }

// shared hands out views of one domain, as if domains were not independent.
func shared() maker {
	var mu sync.Mutex
	var d *rcu.Domain
	refs := 0
	return func(...rcu.Option) impl {
		mu.Lock()
		defer mu.Unlock()
		if refs == 0 {
			d = rcu.New()
		}
		refs++
		return sharedView{d, func() {
			mu.Lock()
			defer mu.Unlock()
			if refs--; refs == 0 {
				d.Close()
			}
		}}
	}
}

type sharedView struct {
	*rcu.Domain
	close func()
}

func (v sharedView) Close() { v.close() }

var brokenVariants = []struct {
	name  string
	check func(maker) error
	mk    maker
}{
	{"sync-no-wait", checkSyncWaitsForPreexistingReaders, wrap(func(d *rcu.Domain) syncNoWait { return syncNoWait{d} })},
	{"nest-broken", checkSyncWaitsForNestedReaders, wrap(func(d *rcu.Domain) nestBroken {
		return nestBroken{d, new(sync.Mutex), map[rcu.Token]bool{}}
	})},
	{"sync-waits-for-all", checkSyncIgnoresLaterReaders, wrap(func(d *rcu.Domain) syncWaitsForAll { return syncWaitsForAll{newCounting(d)} })},
	{"sync-no-share", checkConcurrentSyncsShareGracePeriods, wrap(func(d *rcu.Domain) syncNoShare { return syncNoShare{d, make(chan struct{}, 1)} })},
	{"sync-ignores-ctx", checkSyncContextCancel, wrap(func(d *rcu.Domain) syncIgnoresCtx { return syncIgnoresCtx{d} })},
	{"readers-wait-for-gp", checkReadersNeverWait, wrap(newReadersWaitForGP)},
	{"call-immediate", checkCallbackAfterGracePeriod, wrap(func(d *rcu.Domain) callImmediate { return callImmediate{d} })},
	{"call-twice", checkCallbacksRunExactlyOnce, wrap(func(d *rcu.Domain) callTwice { return callTwice{d} })},
	{"barrier-no-wait", checkBarrierWaitsForCallbacks, wrap(func(d *rcu.Domain) barrierNoWait { return barrierNoWait{d} })},
	{"barrier-ignores-ctx", checkBarrierContextCancel, wrap(func(d *rcu.Domain) barrierIgnoresCtx { return barrierIgnoresCtx{d} })},
	{"poll-early", checkPollAfterFullGracePeriod, wrap(func(d *rcu.Domain) pollEarly { return pollEarly{d} })},
	{"call-unbounded", checkCallBounded, unbounded},
	{"close-no-drain", checkCloseDrains, wrap(func(d *rcu.Domain) closeNoDrain { return closeNoDrain{d} })},
	{"domains-shared", checkDomainsIndependent, shared()},
	{"gp-per-callback", checkOneGracePeriodServesABatch, wrap(newGPPerCallback)},
	{"waitfor-no-start", checkWaitForStartsGracePeriod, wrap(func(d *rcu.Domain) waitForNoStart {
		return waitForNoStart{d, new(sync.Mutex), new(bool)}
	})},
	{"no-stall-report", checkStallReport, unbounded},
	{"reclaim-early", checkReclaimNeverSeen, wrap(func(d *rcu.Domain) syncNoWait { return syncNoWait{d} })},
	{"list-reclaim-early", func(maker) error {
		d := rcu.New()
		defer d.Close()
		return checkListRemovedElementStaysSafe(d, newReclaimEarly)
	}, nil},
}
