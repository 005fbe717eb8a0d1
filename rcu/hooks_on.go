//go:build rcuinject

package rcu

// This file exists only in builds with -tags rcuinject.

// A Point names a place in the read or grace-period path where an injector
// runs.
type Point = point

// The injection points.
const (
	PointReadSampled = pointReadSampled
	PointGPStart     = pointGPStart
	PointGPFlipped   = pointGPFlipped
	PointGPEnd       = pointGPEnd
	PointInvoke      = pointInvoke
)

// A Fault is a set of deliberate bugs for negative tests.
type Fault = fault

// The faults.
const (
	FaultNoReaderWait   = faultNoReaderWait
	FaultSkipStragglers = faultSkipStragglers
	FaultCallImmediate  = faultCallImmediate
	FaultBarrierNoWait  = faultBarrierNoWait
	FaultPollEarly      = faultPollEarly
	FaultNoShare        = faultNoShare
	FaultNoYield        = faultNoYield
)

type hookOptions struct {
	injector func(Point)
	faults   Fault
}

// WithInjector makes d call f at every injection point. f may sleep or
// block the calling goroutine to widen a race window.
func WithInjector(f func(Point)) Option { return func(o *options) { o.injector = f } }

// WithFaults turns on deliberate bugs. Only for tests of checkers.
func WithFaults(f Fault) Option { return func(o *options) { o.faults = f } }

func (o *hookOptions) fault(f fault) bool { return o.faults&f != 0 }

func (d *Domain) inject(p point) {
	if f := d.opts.injector; f != nil {
		f(p)
	}
}
