package rcu

// Test hooks: named injection points and deliberate faults.
//
// In a normal build (hooks_off.go) inject and fault are empty and inline to
// nothing. Built with -tags rcuinject (hooks_on.go), WithInjector lets a
// stressor or fuzzer delay or hold a goroutine at each point, and
// WithFaults turns on a known bug so that tests can show the checkers
// catch it.

// point names a place in the read or grace-period path.
type point uint8

const (
	pointReadSampled point = iota + 1 // ReadLock has sampled the index but not yet counted itself
	pointGPStart                      // a grace period has started, before its first scan
	pointGPFlipped                    // the index has flipped, before the second scan
	pointGPEnd                        // both scans are done, before completion is published
	pointInvoke                       // the callback goroutine is about to run a callback
)

var pointNames = [...]string{
	pointReadSampled: "read-sampled",
	pointGPStart:     "gp-start",
	pointGPFlipped:   "gp-flipped",
	pointGPEnd:       "gp-end",
	pointInvoke:      "invoke",
}

func (p point) String() string {
	if int(p) < len(pointNames) && pointNames[p] != "" {
		return pointNames[p]
	}
	return "point(?)"
}

// fault is a set of deliberate bugs.
type fault uint32

const (
	faultNoReaderWait   fault = 1 << iota // grace periods do not wait for readers
	faultSkipStragglers                   // grace periods skip the wait on the inactive index
	faultCallImmediate                    // Call runs its function at once
	faultBarrierNoWait                    // Barrier returns without waiting
	faultPollEarly                        // Poll reports completion one grace period early
	faultNoShare                          // every Synchronize asks for a grace period of its own
	faultNoYield                          // readers do not yield while a grace period is pending
)
