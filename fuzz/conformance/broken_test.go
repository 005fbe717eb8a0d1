package conformance_test

// Broken doubles for the checks that no broken flavor of torture/flavors
// reaches first. Each wraps a correct flavor and breaks one guarantee, the
// way a buggy RCU would; TestChecksCatchBrokenDoubles wants the check named
// after that guarantee to fail.

import (
	"github.com/rcukit/rcukit/rcuops"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rcukit/rcukit/torture/flavors"
)

// wrap returns a broken flavor that builds base's ops and edits them.
func wrap(name, base, doc string, edit func(ops *rcuops.Ops)) rcuops.Flavor {
	b, ok := flavors.Lookup(base)
	if !ok {
		panic("no flavor " + base)
	}
	return rcuops.Flavor{Name: name, Doc: doc, Broken: true, New: func(env rcuops.Env) *rcuops.Ops {
		ops := b.New(env)
		edit(ops)
		return ops
	}}
}

// flagReaders: one shared flag says "a reader is inside"; the outermost
// Lock of a goroutine sets it and the outermost Unlock clears it, so the
// first of several readers to leave ends the wait for all of them.
var flagReaders = rcuops.Flavor{Name: "flag-readers", Broken: true, Doc: "readers share one flag instead of a count", New: func(rcuops.Env) *rcuops.Ops {
	var inside atomic.Bool
	return &rcuops.Ops{
		Reader: func() rcuops.Reader { return &flagReader{inside: &inside} },
		Synchronize: func() {
			for inside.Load() {
				time.Sleep(50 * time.Microsecond)
			}
		},
	}
}}

type flagReader struct {
	inside *atomic.Bool
	depth  int
}

func (r *flagReader) Lock() {
	if r.depth++; r.depth == 1 {
		r.inside.Store(true)
	}
}

func (r *flagReader) Unlock() {
	if r.depth--; r.depth == 0 {
		r.inside.Store(false)
	}
}

// counted wraps a Reader to count the sections that are inside.
type counted struct {
	rcuops.Reader
	open *atomic.Int64
}

func (c counted) Lock()   { c.Reader.Lock(); c.open.Add(1) }
func (c counted) Unlock() { c.open.Add(-1); c.Reader.Unlock() }

// waitsForAll: after its grace period, Synchronize also waits until no
// reader at all is inside, so a stream of later readers holds it off.
var waitsForAll = wrap("waits-for-all", "rcu", "Synchronize waits until no reader is inside", func(ops *rcuops.Ops) {
	open := new(atomic.Int64)
	reader, synchronize := ops.Reader, ops.Synchronize
	ops.Reader = func() rcuops.Reader { return counted{reader(), open} }
	ops.Synchronize = func() {
		synchronize()
		for open.Load() > 0 {
			time.Sleep(50 * time.Microsecond)
		}
	}
})

// nestWaits: a nested Lock waits while a grace period is in progress, as
// a recursive sync.RWMutex.RLock behind a waiting writer does. That is a
// deadlock; the double gives up after a while so that the test can end.
var nestWaits = wrap("nest-waits", "rcu", "a nested Lock waits for a grace period in progress", func(ops *rcuops.Ops) {
	gps := new(atomic.Int64) // grace periods in progress
	reader, synchronize := ops.Reader, ops.Synchronize
	ops.Reader = func() rcuops.Reader { return &nestWaiter{Reader: reader(), gps: gps} }
	ops.Synchronize = func() {
		gps.Add(1)
		defer gps.Add(-1)
		synchronize()
	}
})

type nestWaiter struct {
	rcuops.Reader
	gps    *atomic.Int64
	depth  int
	giveUp time.Time // when this reader stops waiting; zero before it first waits
}

func (r *nestWaiter) Lock() {
	if r.depth > 0 && r.gps.Load() > 0 {
		if r.giveUp.IsZero() {
			r.giveUp = time.Now().Add(1200 * time.Millisecond)
		}
		for r.gps.Load() > 0 && time.Now().Before(r.giveUp) {
			time.Sleep(time.Millisecond)
		}
	}
	r.depth++
	r.Reader.Lock()
}

func (r *nestWaiter) Unlock() {
	r.depth--
	r.Reader.Unlock()
}

// gpsFrozen: the grace-period counter never moves.
var gpsFrozen = wrap("gps-frozen", "rcu", "GPs never advances", func(ops *rcuops.Ops) {
	ops.GPs = func() uint64 { return 7 }
})

// gpsBackward: the grace-period counter counts down.
var gpsBackward = wrap("gps-backward", "rcu", "GPs goes back", func(ops *rcuops.Ops) {
	gps := ops.GPs
	ops.GPs = func() uint64 { return 1<<20 - gps() }
})

// publishInitTwice: Publish initializes the object twice, the second time
// after readers may hold it.
var publishInitTwice = wrap("publish-init-twice", "rcu", "Publish runs init twice", func(ops *rcuops.Ops) {
	ops.Publish = func(init, store func()) { init(); store(); init() }
})

// syncStuck: a Synchronize that found a reader inside never returns, even
// once the reader has left. The suite abandons such an instance without
// closing it; releaseStuck, when the test is over, lets the stuck calls
// return and closes the instances, so that nothing leaks.
var syncStuck = rcuops.Flavor{Name: "sync-stuck", Broken: true, Doc: "Synchronize hangs after a reader it waited for", New: func(env rcuops.Env) *rcuops.Ops {
	ops := lookup("rcu").New(env)
	open := new(atomic.Int64)
	released := make(chan struct{})
	reader, synchronize := ops.Reader, ops.Synchronize
	ops.Reader = func() rcuops.Reader { return counted{reader(), open} }
	ops.Synchronize = func() {
		if open.Load() > 0 {
			<-released // the instance is closed by then: do not touch it
			return
		}
		synchronize()
	}
	var once sync.Once
	closeOps := ops.Close
	release := func() { once.Do(func() { close(released); closeOps() }) }
	ops.Close = release
	stuck.Lock()
	stuck.release = append(stuck.release, release)
	stuck.Unlock()
	return ops
}}

var stuck struct {
	sync.Mutex
	release []func()
}

func releaseStuck() {
	stuck.Lock()
	defer stuck.Unlock()
	for _, r := range stuck.release {
		r()
	}
	stuck.release = nil
}

// serialized runs every call of f alone, after the previous one, so that
// each asks for a grace period of its own.
func serialized(f func()) func() {
	var mu sync.Mutex
	return func() {
		mu.Lock()
		defer mu.Unlock()
		f()
	}
}

var syncUnshared = wrap("sync-unshared", "rcu", "every Synchronize runs a grace period of its own", func(ops *rcuops.Ops) {
	ops.Synchronize = serialized(ops.Synchronize)
})

var expeditedNoWait = wrap("expedited-no-wait", "rcu", "SynchronizeExpedited returns at once", func(ops *rcuops.Ops) {
	ops.SynchronizeExpedited = func() {}
})

var expeditedUnshared = wrap("expedited-unshared", "rcu", "every SynchronizeExpedited runs a grace period of its own", func(ops *rcuops.Ops) {
	ops.SynchronizeExpedited = serialized(ops.SynchronizeExpedited)
})

// callTwice queues the 5th callback, and every 50th, twice.
var callTwice = wrap("call-twice", "rcu", "some callbacks run twice", func(ops *rcuops.Ops) {
	var n atomic.Int64
	call := ops.Call
	ops.Call = func(f func()) {
		call(f)
		if k := n.Add(1); k == 5 || k%50 == 0 {
			call(f)
		}
	}
})

// callLost drops every 97th callback.
var callLost = wrap("call-lost", "rcu", "some callbacks never run", func(ops *rcuops.Ops) {
	var n atomic.Int64
	call := ops.Call
	ops.Call = func(f func()) {
		if n.Add(1)%97 != 0 {
			call(f)
		}
	}
})

var pollNever = wrap("poll-never", "rcu", "Poll never reports completion", func(ops *rcuops.Ops) {
	ops.Poll = func(uint64) bool { return false }
})

// pollInFlight: a cookie taken while a grace period is in progress names
// that grace period, which does not wait for readers that began after it
// started.
var pollInFlight = wrap("poll-in-flight", "rcu", "Snapshot returns the grace period in progress", func(ops *rcuops.Ops) {
	snapshot, poll := ops.Snapshot, ops.Poll
	ops.Snapshot = func() uint64 {
		c := snapshot()
		if !poll(c - 1) {
			return c - 1 // grace period c-1 has started and not ended
		}
		return c
	}
})

// registerNoop: registered readers do nothing, so no grace period waits
// for them.
var registerNoop = wrap("register-noop", "trivial", "registered readers are not seen by grace periods", func(ops *rcuops.Ops) {
	register := ops.Register
	ops.Register = func() (rcuops.Reader, func()) {
		_, unregister := register()
		return noopReader{}, unregister
	}
})

type noopReader struct{}

func (noopReader) Lock()   { runtime.Gosched() }
func (noopReader) Unlock() {}
