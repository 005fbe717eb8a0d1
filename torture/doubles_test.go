package torture_test

// The engine's test flavors: impl.Trivial, the module's obviously correct
// RCU, with one entry of its ops table edited to break one thing.

import (
	"github.com/rcukit/rcukit/internal/impl"
	"github.com/rcukit/rcukit/rcuops"
)

// trivial returns impl.Trivial as a flavor called name, its Ops edited by
// edit (nil: the correct flavor).
func trivial(name string, edit func(env rcuops.Env, o *rcuops.Ops)) rcuops.Flavor {
	return rcuops.Flavor{Name: name, Doc: "a test double: impl.Trivial, edited", New: func(env rcuops.Env) *rcuops.Ops {
		o := impl.Trivial(env)
		if edit != nil {
			edit(env, o)
		}
		return o
	}}
}

// hangUntilClose makes Synchronize block until Close, and leaves it as
// the only way to wait for a grace period.
func hangUntilClose(_ rcuops.Env, o *rcuops.Ops) {
	stop := make(chan struct{})
	closeOps := o.Close
	o.Synchronize = func() { <-stop }
	o.Close = func() {
		close(stop)
		closeOps()
	}
	o.SynchronizeExpedited, o.Call, o.Barrier, o.Snapshot, o.Poll, o.GPs = nil, nil, nil, nil, nil, nil
}
