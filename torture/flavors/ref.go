package flavors

// The reference rcu.Domain, and broken flavors built by wrapping it.

import (
	"github.com/rcukit/rcukit/rcuops"
	"runtime"
	"sync/atomic"

	"github.com/rcukit/rcukit/rcu"
)

// refOps returns the Ops of a fresh rcu.Domain built with opts, and the
// Domain, for wrappers to override entries.
func refOps(env rcuops.Env, opts ...rcu.Option) (*rcuops.Ops, *rcu.Domain) {
	stalls := new(atomic.Uint64)
	if env.Stall != nil {
		opts = append(opts, rcu.WithStallTimeout(env.StallTimeout), rcu.WithStallHandler(func(r rcu.StallReport) {
			stalls.Add(1)
			env.Stall(r.String())
		}))
	}
	opts = append(opts, injectOptions(env)...)
	d := rcu.New(opts...)
	return &rcuops.Ops{
		Reader:               func() rcuops.Reader { return rcuops.TokenReader(d.ReadLock, d.ReadUnlock) },
		Synchronize:          d.Synchronize,
		SynchronizeExpedited: d.SynchronizeExpedited,
		Call:                 d.Call,
		Barrier:              d.Barrier,
		Snapshot:             func() uint64 { return uint64(d.Snapshot()) },
		Poll:                 func(c uint64) bool { return d.Poll(rcu.Cookie(c)) },
		GPs:                  func() uint64 { return completed(d) },
		Pending:              func() uint64 { return d.Stats().CallbacksPending },
		Stalls:               stalls.Load,
		Injection:            injectionPoints,
		Close:                d.Close,
	}, d
}

// completed returns the number of grace periods d has completed, from two
// atomic loads: Snapshot is one more than the grace periods started, and
// at most one runs at a time, so the count is started or started-1, and
// Poll tells which.
func completed(d *rcu.Domain) uint64 {
	started := uint64(d.Snapshot()) - 1
	if d.Poll(rcu.Cookie(started)) {
		return started
	}
	return started - 1
}

func newRef(env rcuops.Env) *rcuops.Ops {
	ops, _ := refOps(env)
	return ops
}

func newBustedSync(env rcuops.Env) *rcuops.Ops {
	ops, _ := refOps(env)
	ops.Synchronize = func() {}
	ops.SynchronizeExpedited = func() {}
	return ops
}

func newBustedCall(env rcuops.Env) *rcuops.Ops {
	ops, _ := refOps(env)
	ops.Call = func(f func()) { f() }
	return ops
}

func newBustedBarrier(env rcuops.Env) *rcuops.Ops {
	ops, _ := refOps(env)
	ops.Barrier = func() {}
	return ops
}

func newBustedPoll(env rcuops.Env) *rcuops.Ops {
	ops, d := refOps(env)
	ops.Poll = func(c uint64) bool { return d.Poll(rcu.Cookie(c) - 1) }
	return ops
}

// newBustedPublish stores the pointer to a fresh element, yields, and only
// then initializes it: readers in between see it uninitialized.
func newBustedPublish(env rcuops.Env) *rcuops.Ops {
	ops, _ := refOps(env)
	ops.Publish = func(init, store func()) {
		store()
		runtime.Gosched()
		init()
	}
	return ops
}

// newBustedNest ends every open section of a goroutine when any of them
// ends, as a nesting counter that is reset instead of decremented would.
func newBustedNest(env rcuops.Env) *rcuops.Ops {
	ops, d := refOps(env)
	ops.Reader = func() rcuops.Reader { return &flatReader{d: d} }
	return ops
}

type flatReader struct {
	d    *rcu.Domain
	open []rcu.Token
}

func (r *flatReader) Lock() { r.open = append(r.open, r.d.ReadLock()) }

func (r *flatReader) Unlock() {
	for _, t := range r.open {
		r.d.ReadUnlock(t)
	}
	r.open = r.open[:0]
}
