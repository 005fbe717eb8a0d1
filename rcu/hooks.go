package rcu

// Test hooks: injection points and deliberate faults, kept in the engine's
// configuration (internal/engine). In a normal build nothing sets them, and
// every ReadLock's fast path sees ctlHooked clear; built with -tags
// rcuinject (hooks_on.go), WithInjector and WithFaults turn them on. Only
// bugs that no edit of the ops table can make are faults; the others are
// in internal/broken.

import "github.com/rcukit/rcukit/internal/engine"

// point names a place in the read or grace-period path.
type point = engine.Point

const (
	pointReadSampled = engine.PointReadSampled // ReadLock has sampled the index but not yet counted itself
	pointGPStart     = engine.PointGPStart     // a grace period has started, before its first scan
	pointGPFlipped   = engine.PointGPFlipped   // the index has flipped, before the second scan
	pointGPEnd       = engine.PointGPEnd       // both scans are done, before completion is published
	pointInvoke      = engine.PointInvoke      // the callback goroutine is about to run a callback
)

// inject runs d's injector at p, if it has one.
func (d *Domain) inject(p point) { d.opts.Inject(p) }
