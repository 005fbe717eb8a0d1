package rcu

// Test hooks: injection points and deliberate faults. In a normal build
// (hooks_off.go) they are empty and inline to nothing; built with -tags
// rcuinject (hooks_on.go), WithInjector and WithFaults turn them on. Only
// bugs that no edit of the ops table can make are faults here; the others
// are in internal/broken.

// point names a place in the read or grace-period path.
type point uint8

const (
	pointReadSampled point = iota + 1 // ReadLock has sampled the index but not yet counted itself
	pointGPStart                      // a grace period has started, before its first scan
	pointGPFlipped                    // the index has flipped, before the second scan
	pointGPEnd                        // both scans are done, before completion is published
	pointInvoke                       // the callback goroutine is about to run a callback
)

// fault is a set of deliberate bugs.
type fault uint32

const (
	faultSkipStragglers fault = 1 << iota // grace periods skip the wait on the inactive index
	faultNoYield                          // readers do not yield while a grace period is pending
)
