package linearize_test

// Broken doubles: each wraps a real Domain and breaks one guarantee, the
// way a buggy RCU would (compare rcu/broken_test.go). Histories recorded
// from them must check Illegal.

import (
	"context"

	"github.com/rcukit/rcukit/rcu"
)

// syncNoWait: Synchronize returns at once.
type syncNoWait struct{ domain }

func (syncNoWait) Synchronize()                             {}
func (syncNoWait) SynchronizeContext(context.Context) error { return nil }

// callImmediate: Call runs its function at once.
type callImmediate struct{ domain }

func (callImmediate) Call(fn func()) { fn() }

// publishEarly: Publish stores the object before initializing it.
type publishEarly struct{ domain }

func (publishEarly) Publish(p *rcu.Pointer[object], o *object, visible func()) *object {
	old := p.Swap(o)
	if visible != nil {
		visible()
	}
	o.ready.Store(true)
	return old
}

// barrierNoWait: Barrier returns at once.
type barrierNoWait struct{ domain }

func (barrierNoWait) Barrier()                             {}
func (barrierNoWait) BarrierContext(context.Context) error { return nil }

// pollEarly: Poll reports completion one grace period early.
type pollEarly struct{ domain }

func (w pollEarly) Poll(c rcu.Cookie) bool { return w.Domain.Poll(c - 1) }

var brokenDoubles = []struct {
	name  string
	mk    func(*rcu.Domain) flavor
	rules []string // the rules a history of it may break first
}{
	{"sync-no-wait", func(d *rcu.Domain) flavor { return syncNoWait{domain{d}} },
		[]string{"sync-early", "reclaim-while-held", "read-reclaimed"}},
	{"call-immediate", func(d *rcu.Domain) flavor { return callImmediate{domain{d}} },
		[]string{"callback-early", "reclaim-while-held", "read-reclaimed"}},
	{"publish-before-init", func(d *rcu.Domain) flavor { return publishEarly{domain{d}} },
		[]string{"read-half-initialized"}},
	{"barrier-no-wait", func(d *rcu.Domain) flavor { return barrierNoWait{domain{d}} },
		[]string{"barrier-early"}},
	{"poll-early", func(d *rcu.Domain) flavor { return pollEarly{domain{d}} },
		[]string{"poll-early"}},
}
