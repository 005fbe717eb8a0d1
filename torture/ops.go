package torture

import (
	"errors"
	"fmt"
	"time"
)

// A Reader runs the read-side critical sections of one goroutine. Lock
// begins a section and Unlock ends the innermost one still open; sections
// nest. A Reader is used by one goroutine at a time, so an implementation
// may keep per-goroutine state (a nesting depth, a stack of tokens) without
// locking.
//
// Everything the goroutine does inside a section must be waited for by every
// grace period that began before the section did; that is what the engine
// checks.
type Reader interface {
	Lock()
	Unlock()
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
		panic("torture: TokenReader needs both a lock and an unlock function")
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
		panic("torture: Reader.Unlock without an open section")
	}
	t := r.stack[n]
	var zero T
	r.stack[n] = zero
	r.stack = r.stack[:n]
	r.unlock(t)
}

// Ops is the table of operations through which the engine drives one RCU
// implementation, like rcutorture's struct rcu_torture_ops. Reader and
// Synchronize are required. Every other entry is optional: nil means "not
// supported", and the engine then skips the workers and checks that need
// it and says so in its header.
type Ops struct {
	// Reader returns a new Reader for one goroutine: unregistered,
	// token-style sections that any goroutine may run. Required.
	Reader func() Reader

	// Register registers the calling goroutine as a reader and returns its
	// Reader and the function that unregisters it. The engine calls
	// unregister on the same goroutine, after the last section ended.
	Register func() (r Reader, unregister func())

	// Synchronize waits for a grace period (like synchronize_rcu).
	// Required.
	Synchronize func()

	// SynchronizeExpedited is a faster, costlier Synchronize.
	SynchronizeExpedited func()

	// Call queues f to run once after a grace period (like call_rcu).
	// The engine calls it from callbacks too, so Call must not wait for
	// the callbacks' own goroutine.
	Call func(f func())

	// Barrier waits until every callback queued before it has run (like
	// rcu_barrier). It needs Call.
	Barrier func()

	// Snapshot and Poll are the polled grace-period API (like
	// get_state_synchronize_rcu and poll_state_synchronize_rcu): Poll(c)
	// reports whether a full grace period has elapsed since Snapshot
	// returned c. Both or neither.
	Snapshot func() uint64
	Poll     func(cookie uint64) bool

	// GPs returns the number of grace periods completed so far. It feeds
	// the Reader Batch histogram (a section that sees it advance by two
	// or more is a near miss), and the engine holds it to a contract:
	// every Synchronize, every callback and every poll that reports
	// completion must be covered by at least one increment made after it
	// began.
	GPs func() uint64

	// Pending returns the number of callbacks queued but not yet invoked;
	// forward-progress floods report its maximum.
	Pending func() uint64

	// Stalls returns how many grace-period stall reports the flavor has
	// delivered through Env.Stall. Its presence says that the flavor
	// reports stalls.
	Stalls func() uint64

	// Publish publishes a fresh element: it must run init, which
	// initializes the element, and store, which makes it reachable by
	// readers. A correct RCU runs init first (like rcu_assign_pointer's
	// release ordering). When nil, the engine runs init then store.
	Publish func(init, store func())

	// Injection names the injection points at which the flavor calls
	// Env.Inject. Empty means the flavor has none.
	Injection []string

	// Close releases the flavor's resources after the run. The engine
	// calls it once, after its workers have stopped and its callbacks
	// have run.
	Close func()
}

// Validate reports what makes o unusable by the engine: a missing required
// entry, an optional entry without its partner, or a bad injection point
// name. It returns nil for a usable table.
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
	seen := map[string]bool{}
	for _, p := range o.Injection {
		if p == "" || seen[p] {
			return fmt.Errorf("injection point %q is empty or repeated", p)
		}
		seen[p] = true
	}
	return nil
}

// validate panics with a "torture: " message when ops is unusable.
func (o *Ops) validate(flavor string) {
	if err := o.Validate(); err != nil {
		panic(fmt.Sprintf("torture: flavor %q: %v", flavor, err))
	}
}

// A Flavor is a named RCU implementation the engine can torture. New builds
// a fresh instance for one run.
type Flavor struct {
	Name   string
	Doc    string // one line
	Broken bool   // a deliberately broken flavor, which must end in FAILURE
	// Tags are the build tags the flavor's behaviour depends on (for
	// example "rcuinject"); the reproduce command passes them to go run.
	Tags string
	New  func(Env) *Ops
}

// Env is what the engine hands a flavor's constructor.
type Env struct {
	// Inject, when not nil, must be called at each of the flavor's
	// injection points (Ops.Injection) with the point's name. It may
	// spin, yield, sleep or hold the calling goroutine for a while, to
	// widen narrow race windows. Nil when the run does not inject.
	Inject func(point string)

	// Stall receives a flavor's grace-period stall reports: a grace
	// period that has waited StallTimeout for readers, measured on the
	// flavor's own (wall) clock. The engine counts each as a FAILURE if
	// the process had at least half of the last StallTimeout to run, and
	// otherwise notes it as not judged: the machine, not the flavor, may
	// have held the grace period up.
	Stall        func(report string)
	StallTimeout time.Duration
}
