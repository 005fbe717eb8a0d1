// Package broken is the one set of deliberately broken RCU
// implementations that every checker of this module is shown failing on:
// the stress engine, its history check, the schedule fuzzer, the rapid
// machines, the recorded workloads of linearize and the conformance kit.
//
// Each Bug is a realistic mistake, made by editing the ops table of a
// correct implementation (internal/impl) or by a small implementation of
// its own. It names the rules of the guarantee table (model.Guarantees)
// it breaks, and the tools that must catch it; a tool's negative-control
// test takes every Bug meant for it and wants a failure whose rule
// model.Explains.
package broken

import (
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rcukit/rcukit/internal/engine"
	"github.com/rcukit/rcukit/internal/impl"
	"github.com/rcukit/rcukit/internal/progress"
	"github.com/rcukit/rcukit/model"
	"github.com/rcukit/rcukit/rcu"
	"github.com/rcukit/rcukit/rcuops"
)

// A Tool is a set of the checkers that must catch a Bug.
type Tool uint16

// The tools.
const (
	Torture  Tool = 1 << iota // the stress engine (torture.Run), and cmd/rcutorture -list
	History                   // the stress engine's history check against the model (-check)
	Fuzz                      // the schedule fuzzer, through the committed corpus
	Kit                       // the conformance kit (rcutest)
	Workload                  // the recorded workloads of package linearize's tests
	Machines                  // the rapid machines of package fuzz

	// The mistakes every tool must catch.
	Everyone = Torture | History | Fuzz | Kit | Workload | Machines
)

// A Bug is one broken implementation.
type Bug struct {
	Name string // the flavor's name: "busted-sync"
	Doc  string // one line: what is wrong
	// Breaks are the rules of model.Guarantees the bug breaks; a checker
	// that catches it reports one of them or of their consequences.
	Breaks []model.Rule
	// For are the tools that must catch it.
	For Tool
	// Tags are the build tags it needs ("rcuinject"), if any.
	Tags string
	// New builds a broken instance.
	New func(rcuops.Env) *rcuops.Ops
}

// Flavor returns b as a broken flavor.
func (b Bug) Flavor() rcuops.Flavor {
	return rcuops.Flavor{Name: b.Name, Doc: b.Doc, Broken: true, Tags: b.Tags, New: b.New}
}

// All returns every Bug of this build.
func All() []Bug { return slices.Clone(bugs) }

// For returns the Bugs that tool t must catch.
func For(t Tool) []Bug {
	var bs []Bug
	for _, b := range bugs {
		if b.For&t != 0 {
			bs = append(bs, b)
		}
	}
	return bs
}

// Lookup returns the Bug called name.
func Lookup(name string) (Bug, bool) {
	for _, b := range bugs {
		if b.Name == name {
			return b, true
		}
	}
	return Bug{}, false
}

// early: a grace period that every kind of wait relies on ends early.
var early = []model.Rule{model.SyncEarly, model.CallbackEarly, model.PollEarly}

var bugs = append([]Bug{
	// The classic mistakes, which every tool must catch.
	{Name: "busted-sync", Doc: "Synchronize returns at once", Breaks: []model.Rule{model.SyncEarly}, For: Everyone, New: onReference(func(o *rcuops.Ops, _ *rcu.Domain) {
		o.Synchronize = func() {}
		o.SynchronizeExpedited = func() {}
	})},
	{Name: "busted-call", Doc: "Call runs the callback at once", Breaks: []model.Rule{model.CallbackEarly}, For: Everyone, New: onReference(func(o *rcuops.Ops, _ *rcu.Domain) {
		o.Call = func(f func()) { f() }
	})},
	{Name: "busted-flip", Doc: "classic without the wait for stragglers: misses a reader that sampled the index just before a flip", Breaks: early, For: Torture | Fuzz | Kit, New: impl.ClassicWithoutStragglerWait},
	{Name: "busted-nest", Doc: "ending an inner read section ends the outer one too", Breaks: early, For: Torture | Fuzz | Kit, New: onReference(func(o *rcuops.Ops, d *rcu.Domain) {
		o.Reader = func() rcuops.Reader { return &flatReader{d: d} }
	})},
	{Name: "busted-barrier", Doc: "Barrier returns without waiting for callbacks", Breaks: []model.Rule{model.BarrierEarly}, For: Everyone, New: onReference(func(o *rcuops.Ops, _ *rcu.Domain) {
		o.Barrier = func() {}
	})},
	{Name: "busted-publish", Doc: "an object is published before it is initialized", Breaks: []model.Rule{model.ReadHalfInitialized}, For: Torture | History | Fuzz | Kit | Workload, New: onReference(func(o *rcuops.Ops, _ *rcu.Domain) {
		o.Publish = func(init, store func()) {
			store()
			runtime.Gosched()
			init()
		}
	})},
	{Name: "busted-poll", Doc: "Poll reports completion one grace period early", Breaks: []model.Rule{model.PollEarly}, For: Everyone, New: onReference(func(o *rcuops.Ops, d *rcu.Domain) {
		o.Poll = func(c uint64) bool { return d.Poll(rcu.Cookie(c) - 1) }
	})},

	// The fast flavors' own mistakes (rcu/qsbr, rcu/registered).
	{Name: "busted-qsbr-stale", Doc: "qsbr: a grace period accepts a quiescent state reported before it began", Breaks: early, For: Torture | Kit, New: onQSBR(engine.FaultStaleQuiescent)},
	{Name: "busted-qsbr-lazy", Doc: "qsbr: Online does not announce the reader until its next quiescent state", Breaks: early, For: Torture | Kit, New: onQSBR(engine.FaultLazyOnline)},
	{Name: "busted-reg-cached", Doc: "registered: a grace period scans the reader table of the previous one, missing readers registered since", Breaks: early, For: Torture | Kit, New: onRegistered(engine.FaultCachedReaders)},

	// Mistakes for the checks of the kit that the ones above do not reach
	// first.
	{Name: "flag-readers", Doc: "readers share one flag instead of a count", Breaks: []model.Rule{model.SyncEarly}, For: Kit, New: newFlagReaders},
	{Name: "waits-for-all", Doc: "Synchronize also waits until no reader at all is inside", Breaks: []model.Rule{model.Progress}, For: Kit, New: onReference(waitsForAll)},
	{Name: "readers-wait", Doc: "a read section waits while a Synchronize is running, as with a reader-writer lock", Breaks: []model.Rule{model.ReaderWaited}, For: Kit, New: onReference(readersWait)},
	{Name: "nest-waits", Doc: "a nested Lock waits for a grace period in progress", Breaks: []model.Rule{model.ReaderWaited}, For: Kit, New: onReference(nestWaits)},
	{Name: "gps-frozen", Doc: "GPs never advances", Breaks: []model.Rule{model.OpsContract}, For: Kit, New: onReference(func(o *rcuops.Ops, _ *rcu.Domain) {
		o.GPs = func() uint64 { return 7 }
	})},
	{Name: "gps-backward", Doc: "GPs goes back", Breaks: []model.Rule{model.OpsContract}, For: Kit, New: onReference(func(o *rcuops.Ops, _ *rcu.Domain) {
		gps := o.GPs
		o.GPs = func() uint64 { return 1<<20 - gps() }
	})},
	{Name: "publish-init-twice", Doc: "Publish runs init twice, the second time after readers may hold the object", Breaks: []model.Rule{model.OpsContract}, For: Kit, New: onReference(func(o *rcuops.Ops, _ *rcu.Domain) {
		o.Publish = func(init, store func()) { init(); store(); init() }
	})},
	{Name: "sync-stuck", Doc: "a Synchronize that found a reader inside never returns", Breaks: []model.Rule{model.Progress}, For: Kit, New: newSyncStuck},
	{Name: "sync-unshared", Doc: "every Synchronize runs a grace period of its own", Breaks: []model.Rule{model.Progress}, For: Kit, New: onReference(func(o *rcuops.Ops, _ *rcu.Domain) {
		o.Synchronize = serialized(o.Synchronize)
	})},
	{Name: "expedited-no-wait", Doc: "SynchronizeExpedited returns at once", Breaks: []model.Rule{model.SyncEarly}, For: Kit, New: onReference(func(o *rcuops.Ops, _ *rcu.Domain) {
		o.SynchronizeExpedited = func() {}
	})},
	{Name: "expedited-unshared", Doc: "every SynchronizeExpedited runs a grace period of its own", Breaks: []model.Rule{model.Progress}, For: Kit, New: onReference(func(o *rcuops.Ops, _ *rcu.Domain) {
		o.SynchronizeExpedited = serialized(o.SynchronizeExpedited)
	})},
	{Name: "call-twice", Doc: "some callbacks run twice", Breaks: []model.Rule{model.CallbackTwice}, For: Kit, New: onReference(callTwice)},
	{Name: "call-lost", Doc: "some callbacks never run", Breaks: []model.Rule{model.Progress}, For: Kit, New: onReference(callLost)},
	{Name: "poll-never", Doc: "Poll never reports completion", Breaks: []model.Rule{model.PollIncomplete}, For: Kit, New: onReference(func(o *rcuops.Ops, _ *rcu.Domain) {
		o.Poll = func(uint64) bool { return false }
	})},
	{Name: "poll-in-flight", Doc: "Snapshot returns the grace period in progress", Breaks: []model.Rule{model.PollEarly}, For: Kit, New: onReference(pollInFlight)},
	{Name: "register-noop", Doc: "registered readers are not seen by grace periods", Breaks: []model.Rule{model.SyncEarly}, For: Kit, New: onTrivial(registerNoop)},
	{Name: "gp-per-callback", Doc: "every callback waits for a grace period of its own", Breaks: []model.Rule{model.Progress}, For: Kit, New: onReference(gpPerCallback)},
	{Name: "instances-shared", Doc: "every instance is a view of one shared domain", Breaks: []model.Rule{model.Progress}, For: Kit, New: newInstancesShared()},
}, injectBugs...)

// onReference makes a Bug's New from an edit of the reference's ops.
func onReference(edit func(*rcuops.Ops, *rcu.Domain)) func(rcuops.Env) *rcuops.Ops {
	return func(env rcuops.Env) *rcuops.Ops {
		ops, d := impl.Reference(env)
		edit(ops, d)
		return ops
	}
}

// withFaults is the option that turns on the deliberate bugs f of a
// domain of any flavor: only this module can make it.
func withFaults(f engine.Fault) rcu.Option { return func(c *engine.Config) { c.Faults |= f } }

// onQSBR makes a Bug's New from a fault of rcu/qsbr.
func onQSBR(f engine.Fault) func(rcuops.Env) *rcuops.Ops {
	return func(env rcuops.Env) *rcuops.Ops {
		ops, _ := impl.QSBR(env, withFaults(f))
		return ops
	}
}

// onRegistered makes a Bug's New from a fault of rcu/registered.
func onRegistered(f engine.Fault) func(rcuops.Env) *rcuops.Ops {
	return func(env rcuops.Env) *rcuops.Ops {
		ops, _ := impl.Registered(env, withFaults(f))
		return ops
	}
}

// onTrivial makes a Bug's New from an edit of the trivial flavor's ops.
func onTrivial(edit func(*rcuops.Ops)) func(rcuops.Env) *rcuops.Ops {
	return func(env rcuops.Env) *rcuops.Ops {
		ops := impl.Trivial(env)
		edit(ops)
		return ops
	}
}

// flatReader ends every open section of a goroutine when any of them ends,
// as a nesting counter that is reset instead of decremented would.
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

// newFlagReaders: one shared flag says "a reader is inside"; the outermost
// Lock of a goroutine sets it and the outermost Unlock clears it, so the
// first of several readers to leave ends the wait for all of them.
func newFlagReaders(rcuops.Env) *rcuops.Ops {
	var inside atomic.Bool
	return &rcuops.Ops{
		Reader: func() rcuops.Reader { return &flagReader{inside: &inside} },
		Synchronize: func() {
			for inside.Load() {
				time.Sleep(50 * time.Microsecond)
			}
		},
	}
}

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
func waitsForAll(o *rcuops.Ops, _ *rcu.Domain) {
	open := new(atomic.Int64)
	reader, synchronize := o.Reader, o.Synchronize
	o.Reader = func() rcuops.Reader { return counted{reader(), open} }
	o.Synchronize = func() {
		synchronize()
		for open.Load() > 0 {
			time.Sleep(50 * time.Microsecond)
		}
	}
}

// readersWait: a read section waits while a Synchronize is running, as a
// sync.RWMutex reader waits behind a pending writer. The wait is on a
// sync.Cond, which synctest counts as durably blocking.
func readersWait(o *rcuops.Ops, _ *rcu.Domain) {
	var mu sync.Mutex
	cond := sync.NewCond(&mu)
	writing := 0
	reader, synchronize := o.Reader, o.Synchronize
	o.Reader = func() rcuops.Reader {
		r := reader()
		return lockHook{r, func() {
			mu.Lock()
			for writing > 0 {
				cond.Wait()
			}
			mu.Unlock()
		}}
	}
	o.Synchronize = func() {
		mu.Lock()
		writing++
		mu.Unlock()
		synchronize()
		mu.Lock()
		writing--
		cond.Broadcast()
		mu.Unlock()
	}
}

// lockHook runs before before every Lock of a Reader.
type lockHook struct {
	rcuops.Reader
	before func()
}

func (l lockHook) Lock() { l.before(); l.Reader.Lock() }

// nestWaits: a nested Lock waits while a grace period is in progress, as
// a recursive sync.RWMutex.RLock behind a waiting writer does. That is a
// deadlock; the double gives up after a while so that tests can end.
func nestWaits(o *rcuops.Ops, _ *rcu.Domain) {
	gps := new(atomic.Int64) // grace periods in progress
	reader, synchronize := o.Reader, o.Synchronize
	o.Reader = func() rcuops.Reader { return &nestWaiter{Reader: reader(), gps: gps} }
	o.Synchronize = func() {
		gps.Add(1)
		defer gps.Add(-1)
		synchronize()
	}
}

type nestWaiter struct {
	rcuops.Reader
	gps    *atomic.Int64
	depth  int
	waited time.Duration // progress time this reader has waited; it gives up after giveUp
}

// giveUp is how long, in progress time (internal/progress), a nested Lock
// waits before it gives up. The kit's negative control runs this bug with
// a patience of 1 s: the check sees the wait (it waits 1 s of progress
// time for the nested Lock), and the fixture, which then waits up to 1 s
// more for the check's goroutines, sees them end and closes the instance.
const giveUp = 1500 * time.Millisecond

func (r *nestWaiter) Lock() {
	if r.depth > 0 && r.gps.Load() > 0 && r.waited < giveUp {
		c := progress.Acquire()
		start := c.Now()
		for r.gps.Load() > 0 && r.waited+c.Since(start) < giveUp {
			time.Sleep(time.Millisecond)
		}
		r.waited += c.Since(start)
		progress.Release(c)
	}
	r.depth++
	r.Reader.Lock()
}

func (r *nestWaiter) Unlock() {
	r.depth--
	r.Reader.Unlock()
}

// newSyncStuck: a Synchronize that found a reader inside never returns,
// even once the reader has left. The kit abandons such an instance without
// closing it; ReleaseStuck lets the stuck calls return and closes the
// instances, so that nothing leaks past a test.
func newSyncStuck(env rcuops.Env) *rcuops.Ops {
	ops, _ := impl.Reference(env)
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
}

var stuck struct {
	sync.Mutex
	release []func()
}

// ReleaseStuck lets every Synchronize that sync-stuck holds return, and
// closes its instances. Call it when a test that used sync-stuck ends.
func ReleaseStuck() {
	stuck.Lock()
	defer stuck.Unlock()
	for _, r := range stuck.release {
		r()
	}
	stuck.release = nil
}

// serialized runs every call of f alone, after the previous one, so that
// each asks for a grace period of its own. (A channel, not a mutex: a
// goroutine blocked on it is durably blocked, as synctest needs.)
func serialized(f func()) func() {
	one := make(chan struct{}, 1)
	return func() {
		one <- struct{}{}
		defer func() { <-one }()
		f()
	}
}

// callTwice queues the 5th callback, and every 50th, twice.
func callTwice(o *rcuops.Ops, _ *rcu.Domain) {
	var n atomic.Int64
	call := o.Call
	o.Call = func(f func()) {
		call(f)
		if k := n.Add(1); k == 5 || k%50 == 0 {
			call(f)
		}
	}
}

// callLost drops every 97th callback.
func callLost(o *rcuops.Ops, _ *rcu.Domain) {
	var n atomic.Int64
	call := o.Call
	o.Call = func(f func()) {
		if n.Add(1)%97 != 0 {
			call(f)
		}
	}
}

// pollInFlight: a cookie taken while a grace period is in progress names
// that grace period, which does not wait for readers that began after it
// started.
func pollInFlight(o *rcuops.Ops, _ *rcu.Domain) {
	snapshot, poll := o.Snapshot, o.Poll
	o.Snapshot = func() uint64 {
		c := snapshot()
		if !poll(c - 1) {
			return c - 1 // grace period c-1 has started and not ended
		}
		return c
	}
}

// registerNoop: registered readers do nothing, so no grace period waits
// for them.
func registerNoop(o *rcuops.Ops) {
	register := o.Register
	o.Register = func() (rcuops.Reader, func()) {
		_, unregister := register()
		return noopReader{}, unregister
	}
}

type noopReader struct{}

func (noopReader) Lock()   { runtime.Gosched() }
func (noopReader) Unlock() {}

// gpPerCallback: Call hands every callback to a goroutine that waits for
// a grace period of its own before it runs it, one after another.
func gpPerCallback(o *rcuops.Ops, _ *rcu.Domain) {
	q := make(chan func(), 1<<12)
	var queued, ran atomic.Int64
	done := make(chan struct{})
	synchronize, closeOps := o.Synchronize, o.Close
	go func() {
		defer close(done)
		for f := range q {
			synchronize()
			f()
			ran.Add(1)
		}
	}()
	o.Call = func(f func()) { queued.Add(1); q <- f }
	o.Barrier = func() {
		for target := queued.Load(); ran.Load() < target; {
			time.Sleep(50 * time.Microsecond)
		}
	}
	o.Pending = func() uint64 { return uint64(queued.Load() - ran.Load()) }
	o.Close = func() { close(q); <-done; closeOps() }
}

// newInstancesShared makes New hand out views of one reference domain,
// made by the first New and closed by the last view's Close, as an RCU
// with global state would.
func newInstancesShared() func(rcuops.Env) *rcuops.Ops {
	var mu sync.Mutex
	var shared *rcuops.Ops
	views := 0
	return func(env rcuops.Env) *rcuops.Ops {
		mu.Lock()
		defer mu.Unlock()
		if views == 0 {
			shared, _ = impl.Reference(env)
		}
		views++
		view := *shared
		closeShared := shared.Close
		view.Close = func() {
			mu.Lock()
			defer mu.Unlock()
			if views--; views == 0 {
				closeShared()
			}
		}
		return &view
	}
}
