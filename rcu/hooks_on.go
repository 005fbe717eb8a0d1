//go:build rcuinject

package rcu

import "github.com/rcukit/rcukit/internal/engine"

// A Point names a place in the read or grace-period path where an injector
// runs. Its String is the name that rcuops.Point spells the same way.
// (Only in builds with -tags rcuinject, as all of this file.)
type Point = point

// The injection points. The domains of packages rcu/qsbr and
// rcu/registered reach the ones their algorithms have.
const (
	PointReadSampled = pointReadSampled
	PointGPStart     = pointGPStart
	PointGPFlipped   = pointGPFlipped
	PointGPEnd       = pointGPEnd
	PointInvoke      = pointInvoke
)

// A Fault is a set of deliberate bugs for negative tests.
type Fault = engine.Fault

// The faults of a Domain.
const (
	FaultSkipStragglers = engine.FaultSkipStragglers // grace periods skip the wait on the inactive index
	FaultNoYield        = engine.FaultNoYield        // readers do not yield while a grace period is pending
)

// WithInjector makes the domain call f at every injection point. f may
// sleep or block the calling goroutine to widen a race window. The
// grace-period points run where the grace period runs: on the
// grace-period goroutine, or (rcu/qsbr, rcu/registered) on a Synchronize
// caller that runs it itself.
func WithInjector(f func(Point)) Option { return func(o *options) { o.Injector = f } }

// WithFaults turns on deliberate bugs. Only for tests of checkers.
func WithFaults(f Fault) Option { return func(o *options) { o.Faults = f } }
