//go:build rcuinject

package rcu

// A Point names a place in the read or grace-period path where an injector
// runs. (Only in builds with -tags rcuinject, as all of this file.)
type Point = point

// The injection points.
const (
	PointReadSampled = pointReadSampled
	PointGPStart     = pointGPStart
	PointGPFlipped   = pointGPFlipped
	PointGPEnd       = pointGPEnd
	PointInvoke      = pointInvoke
)

var pointNames = [...]string{"point(?)", "read-sampled", "gp-start", "gp-flipped", "gp-end", "invoke"}

// String is the point's name, which rcuops.Point spells the same way.
func (p point) String() string {
	if int(p) < len(pointNames) {
		return pointNames[p]
	}
	return pointNames[0]
}

// A Fault is a set of deliberate bugs for negative tests.
type Fault = fault

// The faults.
const (
	FaultSkipStragglers = faultSkipStragglers // grace periods skip the wait on the inactive index
	FaultNoYield        = faultNoYield        // readers do not yield while a grace period is pending
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
func (o *hookOptions) hooked() bool       { return o.injector != nil }

func (d *Domain) inject(p point) {
	if f := d.opts.injector; f != nil {
		f(p)
	}
}
