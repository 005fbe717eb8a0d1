// Package rcuops is the contract between an RCU implementation and the
// tools of rcukit that judge it: the stress engine (package torture and
// cmd/rcutorture), the schedule fuzzer (package fuzz) and the conformance
// kit (package rcutest). An implementation fills in an ops table, Ops, and
// names itself in a Flavor; every tool drives it through that table alone,
// the way Linux's rcutorture drives a struct rcu_torture_ops.
//
// The package imports nothing of rcukit's, so that an outside
// implementation depends on it alone to describe itself, and so that the
// tools can import it without importing one another.
//
// # What an implementation must do
//
// Reader and Synchronize are required; every other entry is optional, and
// a nil entry means "not supported": the tools skip what needs it and say
// so. Each entry's documentation says what it must do, what it may do,
// and which tools rely on it. Run an implementation through the kit
// (rcutest.Test) to see how it holds up.
package rcuops

import (
	"errors"
	"fmt"
	"time"
)

// A Reader runs the read-side critical sections of one goroutine. Lock
// begins a section and Unlock ends the innermost one still open; sections
// nest. A Reader is used by one goroutine at a time, so an implementation
// may keep per-goroutine state (a nesting depth, a stack of tokens, a
// registered reader id) without locking.
//
// Everything the goroutine does inside a section must be waited for by
// every grace period that began after the section did: that is what the
// tools check.
//
// A Reader that also has a Release method (see Releaser) is told when its
// goroutine is done with it.
type Reader interface {
	Lock()
	Unlock()
}

// A Releaser is a Reader that holds a resource (a registered reader id, a
// slot in a table) for its goroutine. The tools call Release once, on the
// goroutine that used the Reader, after its last section has ended, and
// use the Reader no more.
type Releaser interface {
	Reader
	Release()
}

// Release releases r if it is a Releaser.
func Release(r Reader) {
	if rl, ok := r.(Releaser); ok {
		rl.Release()
	}
}

// TokenReader returns a Reader for an RCU whose read lock returns a token
// that the matching unlock takes back (like srcu_read_lock's index, or
// rcu.Domain's Token). The Reader keeps the open tokens on a stack, so
// nested sections end in LIFO order and, once the stack has grown to the
// deepest nesting, a section allocates nothing: tokens are never boxed in
// an interface.
//
// Unlock without an open section panics.
func TokenReader[T any](lock func() T, unlock func(T)) Reader {
	if lock == nil || unlock == nil {
		panic("rcuops: TokenReader needs both a lock and an unlock function")
	}
	return &tokenReader[T]{lock: lock, unlock: unlock, stack: make([]T, 0, 8)}
}

type tokenReader[T any] struct {
	lock   func() T
	unlock func(T)
	stack  []T // open tokens, innermost last
}

func (r *tokenReader[T]) Lock() { r.stack = append(r.stack, r.lock()) }

func (r *tokenReader[T]) Unlock() {
	n := len(r.stack) - 1
	if n < 0 {
		panic("rcuops: Reader.Unlock without an open section")
	}
	t := r.stack[n]
	var zero T
	r.stack[n] = zero
	r.stack = r.stack[:n]
	r.unlock(t)
}

// Ops is the table of operations through which the tools drive one
// instance of an RCU implementation. Reader and Synchronize are required;
// nil in any other entry means "not supported".
//
// Every entry may be called from any goroutine, concurrently with every
// other, except where its documentation says otherwise. No entry may be
// called inside a read section of the same instance unless its
// documentation allows it: the tools never call Synchronize, Barrier or a
// waiting Poll loop from inside a section.
type Ops struct {
	// Reader returns a new Reader for one goroutine: token-style sections
	// that any goroutine may run without registering. Required. The tools
	// call it on the goroutine that will use the Reader; if the Reader is
	// a Releaser they release it there when they are done with it.
	Reader func() Reader

	// Register registers the calling goroutine as a reader and returns
	// its Reader and the function that unregisters it. The tools call
	// unregister on the same goroutine, after the Reader's last section
	// ended, and use the Reader no more.
	Register func() (r Reader, unregister func())

	// Synchronize waits until every read section that began before the
	// call has ended (like synchronize_rcu). Required. It must not wait
	// for sections that begin after it is called, beyond a bounded time:
	// a stream of new readers must not hold it off. Concurrent callers
	// must share grace periods (P7): 64 calls that pile up behind one
	// reader may not take 64 grace periods, and the kit fails an
	// implementation whose calls each run one of their own.
	Synchronize func()

	// SynchronizeExpedited is Synchronize with the same guarantees, faster
	// and costlier.
	SynchronizeExpedited func()

	// Call queues f to run once, after a grace period that begins after
	// the Call (like call_rcu). It must not wait for that grace period;
	// it may wait for a bounded backlog to drain, but not when called
	// from inside a callback, which the tools do (a callback that queues
	// the next one). Callbacks may run on any goroutine, in any order. One
	// grace period must serve a batch: callbacks queued together, behind
	// one reader, may not wait for a grace period each.
	Call func(f func())

	// Barrier waits until every callback queued before it has run (like
	// rcu_barrier). It needs Call. The tools never call it from a
	// callback.
	Barrier func()

	// Snapshot and Poll are the polled grace-period API (like
	// get_state_synchronize_rcu and poll_state_synchronize_rcu): Poll(c)
	// reports whether a full grace period has elapsed since Snapshot
	// returned c, so every section that began before that Snapshot has
	// ended. Both or neither. Poll never blocks; after a whole Synchronize
	// that began after the Snapshot it must report true. Snapshot must
	// not wait for a grace period; it may start one (as
	// start_poll_synchronize_rcu does) but need not, and the tools rely on
	// neither. Snapshot may be called inside a read section.
	Snapshot func() uint64
	Poll     func(cookie uint64) bool

	// GPs returns the number of grace periods completed so far. It must
	// never decrease, and every Synchronize, every callback and every Poll
	// that reports completion must be covered by at least one increment
	// made after it began: the tools hold it to that, and use it to count
	// the grace periods that end inside a read section (near misses).
	GPs func() uint64

	// Pending returns the number of callbacks queued but not yet invoked;
	// callback floods report its maximum.
	Pending func() uint64

	// Stalls returns how many grace-period stall reports the
	// implementation has delivered through Env.Stall. Its presence says
	// that it reports stalls.
	Stalls func() uint64

	// Publish publishes a fresh object: it must run init, which
	// initializes the object, and store, which makes it reachable by
	// readers, each once. A correct RCU runs init first (like
	// rcu_assign_pointer's release ordering). When nil, the tools run init
	// then store.
	Publish func(init, store func())

	// Injection lists the injection points at which the implementation
	// calls Env.Inject. Empty means it has none. The points the tools know
	// are the Point constants; an implementation may add its own.
	Injection []Point

	// Close releases the instance's resources. The tools call it once,
	// after their goroutines have stopped using the instance and every
	// callback they queued has run.
	Close func()
}

// Validate reports what makes o unusable: a missing required entry, an
// optional entry without its partner, or a bad injection point. It returns
// nil for a usable table.
func (o *Ops) Validate() error {
	switch {
	case o == nil:
		return errors.New("its New returned nil Ops")
	case o.Reader == nil:
		return errors.New("Ops.Reader is required")
	case o.Synchronize == nil:
		return errors.New("Ops.Synchronize is required")
	case o.Barrier != nil && o.Call == nil:
		return errors.New("Ops.Barrier needs Ops.Call")
	case (o.Snapshot == nil) != (o.Poll == nil):
		return errors.New("Ops.Snapshot and Ops.Poll come together")
	}
	seen := map[Point]bool{}
	for _, p := range o.Injection {
		if p == "" || seen[p] {
			return fmt.Errorf("injection point %q is empty or repeated", p)
		}
		seen[p] = true
	}
	return nil
}

// HasPoint reports whether o declares injection point p.
func (o *Ops) HasPoint(p Point) bool {
	for _, q := range o.Injection {
		if q == p {
			return true
		}
	}
	return false
}

// A Flavor is a named RCU implementation. New builds a fresh instance for
// each run or check; the tools call it many times, sometimes for two
// instances at once, and Close each instance they made. Instances must be
// independent: a reader of one must not hold up the grace periods of
// another, as a state shared by every instance would.
type Flavor struct {
	Name string // a short name, used in commands: "myrcu"
	Doc  string // one line
	// Broken marks a deliberately broken flavor, a negative control that
	// the tools must fail.
	Broken bool
	// Tags are the build tags the flavor's behaviour depends on (for
	// example "rcuinject"); reproduce commands pass them to go.
	Tags string
	// New makes a fresh instance. A Flavor without New, but with Tags, is
	// a flavor of another build: torture.Main lists it, and tells whoever
	// asks for it which tags build it.
	New func(Env) *Ops
}

// Env is what the tools hand a flavor's New.
type Env struct {
	// Inject, when not nil, must be called at each of the instance's
	// injection points (Ops.Injection) with the point. It may spin,
	// yield, sleep, or hold the calling goroutine until another goroutine
	// lets it go, to widen narrow windows; the implementation must not
	// hold a lock there that the rest of it needs to make progress
	// meanwhile, beyond what its own design needs. Nil when the run does
	// not inject.
	Inject func(Point)

	// Stall receives the instance's grace-period stall reports: a grace
	// period that has waited StallTimeout for readers. The stress engine
	// counts each as a failure of progress (unless the process itself was
	// starved). Nil when the tools do not want them.
	Stall        func(report string)
	StallTimeout time.Duration
}

// A Point names an injection point: a place inside an implementation, or
// inside the tools' own operations, where an injector may delay or hold
// the goroutine that reaches it. Its value is a stable name used in
// schedules, reports and commands.
type Point string

// The points of the reference implementation (package rcu, built with
// -tags rcuinject) and of the other flavors of this module. An outside
// implementation that has the same window should use the same point: the
// kit's straggler check and the fuzzer's committed schedules hold readers
// at PointReadSampled.
const (
	// PointReadSampled: a reader has sampled the grace-period state (an
	// index, an epoch) but is not yet visible to grace periods.
	PointReadSampled Point = "read-sampled"
	// PointGPStart: a grace period has started, before its first scan.
	PointGPStart Point = "gp-start"
	// PointGPFlipped: a grace period has flipped its index, before the
	// second scan.
	PointGPFlipped Point = "gp-flipped"
	// PointGPEnd: a grace period's scans are done, before its completion
	// is published.
	PointGPEnd Point = "gp-end"
	// PointInvoke: the callback goroutine is about to run a callback.
	PointInvoke Point = "invoke"
)

// The points the tools themselves hit, around the operations they perform
// on the implementation's behalf. An implementation never calls
// Env.Inject with these.
const (
	// PointPublishInit: a publication is about to initialize the object.
	PointPublishInit Point = "publish-init"
	// PointPublishStore: a publication has just made the object
	// reachable.
	PointPublishStore Point = "publish-store"
	// PointCallback: a callback the tools queued is about to do its work.
	PointCallback Point = "callback"
)
