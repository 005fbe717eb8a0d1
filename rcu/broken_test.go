package rcu_test

// Broken doubles for the checks of what only rcu.Domain has: each wraps a
// real Domain and breaks one of those guarantees, the way a buggy RCU
// would. TestChecksCatchBrokenVariants feeds them to the checks, which
// must fail. (The doubles for the guarantees of any RCU are the shared
// set of internal/broken, which the kit's tests run.)

import (
	"context"
	"sync"
	"time"

	"github.com/rcukit/rcukit/internal/broken"
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

// syncIgnoresCtx: SynchronizeContext ignores its context.
type syncIgnoresCtx struct{ *rcu.Domain }

func (w syncIgnoresCtx) SynchronizeContext(context.Context) error {
	w.Domain.Synchronize()
	return nil
}

// barrierIgnoresCtx: BarrierContext ignores its context.
type barrierIgnoresCtx struct{ *rcu.Domain }

func (w barrierIgnoresCtx) BarrierContext(context.Context) error {
	w.Domain.Barrier()
	return nil
}

// closeNoDrain: Close returns before the callbacks have run.
type closeNoDrain struct{ *rcu.Domain }

func (w closeNoDrain) Close() { go w.Domain.Close() }

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

// newReclaimEarly: a List whose Remove and Replace hand the value to the
// reclaim function at once, without waiting for a grace period (the
// shared set's).
func newReclaimEarly(d *rcu.Domain, reclaim func(int)) intList {
	return broken.NewListReclaimNow(d, reclaim)
}

// unbounded ignores its options: WithMaxPending, and the stall handler.
func unbounded(...rcu.Option) impl { return rcu.New() }

var brokenVariants = []struct {
	name  string
	check func(maker) error
	mk    maker
}{
	{"sync-ignores-ctx", checkSyncContextCancel, wrap(func(d *rcu.Domain) syncIgnoresCtx { return syncIgnoresCtx{d} })},
	{"barrier-ignores-ctx", checkBarrierContextCancel, wrap(func(d *rcu.Domain) barrierIgnoresCtx { return barrierIgnoresCtx{d} })},
	{"call-unbounded", checkCallBounded, unbounded},
	{"close-no-drain", checkCloseDrains, wrap(func(d *rcu.Domain) closeNoDrain { return closeNoDrain{d} })},
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
