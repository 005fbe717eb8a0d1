package impl

import (
	"sync/atomic"

	"github.com/rcukit/rcukit/rcu"
	"github.com/rcukit/rcukit/rcuops"
)

// Reference returns the Ops of a fresh rcu.Domain built with opts, and the
// Domain, for broken flavors to override entries. With env.Stall, the
// Domain's stall reports go there; with env.Inject, and built with -tags
// rcuinject, its injection points call it.
func Reference(env rcuops.Env, opts ...rcu.Option) (*rcuops.Ops, *rcu.Domain) {
	stalls := new(atomic.Uint64)
	d := rcu.New(append(opts, envOptions(env, stalls)...)...)
	ops := Of(d)
	ops.Stalls = stalls.Load
	ops.Injection = ReferencePoints
	return ops, d
}

// Of returns the ops table of an existing Domain d: every entry but the
// stall count and the injection points, which only Reference, which makes
// the Domain, can wire.
func Of(d *rcu.Domain) *rcuops.Ops {
	ops := writeOps(d)
	ops.Reader = func() rcuops.Reader { return rcuops.TokenReader(d.ReadLock, d.ReadUnlock) }
	return ops
}

// completed returns the number of grace periods d has completed, from two
// atomic loads (Stats takes a lock): Snapshot is one more than the grace periods started, and
// at most one runs at a time, so the count is started or started-1, and
// Poll tells which.
func completed(d domain) uint64 {
	started := uint64(d.Snapshot()) - 1
	if d.Poll(rcu.Cookie(started)) {
		return started
	}
	return started - 1
}
