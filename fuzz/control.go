package fuzz

// Running a schedule.
//
// Each actor is a goroutine with a queue of steps, running them in order;
// the controller (the caller of RunSchedule) hands out the steps of the
// script one by one. After handing a step to an actor it waits until the
// actor has done it or is parked at a hold, yielding a bounded number of
// times and then for a bounded time (see settle). A blocking step
// (Synchronize, Barrier) gets only a few yields and then runs in the
// background; the actor's later steps queue behind it. A step that does
// not finish within patience (an RCU whose readers wait for a pending
// writer, say) is left running in the same way. An Await waits, for at
// most awaitBound, until an actor has finished every step given it. Holds
// make chosen interleavings happen on every run: a goroutine parked at an
// injection point stays there, whatever the scheduler does, until a
// Release step.
//
// The waits are bounded, so that no schedule can hang the controller, and
// no verdict depends on them: every operation is recorded with the logical
// times at which it was called and returned, and the history is judged by
// the model whatever interleaving actually happened. The bounds only
// decide how often the intended interleaving is the one that happens.

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rcukit/rcukit/linearize"
	"github.com/rcukit/rcukit/rcuops"
)

// Bounds of the controller's waits. None of them decides a verdict.
const (
	blockingYields = 32                    // for a step that may block, and after a release
	patience       = 2 * time.Millisecond  // for a step that should not block
	awaitBound     = 10 * time.Millisecond // for an Await
)

// A run is one execution of a schedule on a fresh instance.
type run struct {
	flavor rcuops.Flavor
	ops    *rcuops.Ops
	sched  *schedule
	plain  bool // read and write the plain payload
	plan   bool // the schedule is a drawn plan, not decoded from an input
	rec    *linearize.Recorder
	cur    atomic.Pointer[object]
	ids    atomic.Uint64 // reader, sync, callback, barrier and cookie ids
	vers   atomic.Uint64 // the last version handed out

	actors []*actor
	byGoid map[int64]*actor // read-only once the instance exists

	mu      sync.Mutex // guards what follows, and every hold
	retired []*object  // replaced versions no reclaimer has claimed
	gpHold  hold
	gpPark  atomic.Bool
	closing bool
	hits    []hit
	panics  []string // steps that panicked

	armed atomic.Int32 // holds armed or holding

	log     history
	called  atomic.Int64 // callbacks queued by Call
	invoked atomic.Int64 // callbacks that ran

	stalls []string // waits that ran out of their bound (controller only)
}

// RunSchedule decodes data into a schedule (every byte string is a valid
// schedule), runs it on a fresh instance made by f.New, records the
// history, checks it with linearize, and returns nil when it is legal;
// otherwise a *Failure, whose Kind says how the run failed and whose Rule
// names the guarantee broken: Illegal with the model's rule, Hang
// (operations that never finished after everything was released), Panic
// (an operation of the flavor panicked on an actor; recovered, and the
// actor skips the rest of its steps), Inconclusive (the check could not
// decide) or OracleDisagreement. Its message gives the schedule in
// readable form and a command that replays it.
//
// The history is checked twice: with linearize.Check (porcupine against
// the model) and with linearize.CheckDirect (interval arithmetic). The
// direct checker is sound but incomplete, so if it finds a violation that
// Check does not, one of the oracles is wrong: that is an
// OracleDisagreement, a bug of rcukit rather than of the flavor.
//
// Runs share nothing, so RunSchedule may be called from several
// goroutines at once. An operation that never finishes is left running:
// after a Hang the instance and some goroutines are abandoned.
func RunSchedule(f rcuops.Flavor, data []byte) error {
	_, err := runSchedule(f, data)
	return err
}

// runSchedule is RunSchedule that also returns the run, for tests to
// look into. The error is nil or a *Failure.
func runSchedule(f rcuops.Flavor, data []byte) (*run, error) {
	r := newRun(f)
	r.sched = decode(data, newPoints(r.ops.Injection))
	for _, st := range r.sched.steps {
		r.control(st)
	}
	return r, r.judge(data)
}

// newRun makes a fresh instance of f and starts the actors.
func newRun(f rcuops.Flavor) *run {
	if f.New == nil {
		panic("fuzz: RunSchedule of a flavor without New")
	}
	r := &run{flavor: f, plain: !f.Broken, rec: linearize.NewRecorder()}
	r.gpHold.parked = &r.gpPark
	r.startActors()
	r.ops = f.New(rcuops.Env{Inject: r.inject})
	if err := r.ops.Validate(); err != nil {
		r.stopActors()
		panic(fmt.Sprintf("fuzz: flavor %q: %v", f.Name, err))
	}
	v0 := &object{}
	r.initObject(v0)
	r.cur.Store(v0)
	return r
}

// control carries out one step of the script: on the controller, or by
// handing it to its actor.
func (r *run) control(st step) {
	if st.noop != "" {
		return
	}
	if st.act.control != nil {
		st.act.control(r, st)
		return
	}
	r.settle(r.dispatch(st), st)
}

// dispatch hands an actor step to its actor.
func (r *run) dispatch(st step) *actor {
	a := r.actors[st.actor]
	a.given++
	if st.act.blocking {
		a.blocking = a.given
	}
	a.q <- st
	return a
}

// The steps the controller runs itself.

func (r *run) holdActor(st step) { r.arm(&r.actors[st.actor].hold, st.point) }

func (r *run) holdGP(st step) { r.arm(&r.gpHold, st.point) }

func (r *run) releaseStep(st step) {
	if st.gp {
		// The flavor's goroutines run when they please: give them a
		// chance to reach the hold before it goes, so that what the
		// script put between the hold and its release happens while
		// they are parked.
		r.yieldUntil(r.gpPark.Load, 2*blockingYields)
		if r.release(&r.gpHold) {
			r.yieldUntil(func() bool { return false }, blockingYields)
		}
		return
	}
	a := r.actors[st.actor]
	if r.release(&a.hold) {
		r.settle(a, st)
	}
}

func (r *run) await(st step) {
	a := r.actors[st.actor]
	if !r.wait(a, func() bool { return a.steps.Load() == a.given }, awaitBound) {
		r.stall(st, "await")
	}
}

// settle waits until actor a has done every step given it or is parked.
// If one of those steps may block (Synchronize, Barrier), it only yields
// a few times: long enough for a step that returns at once, rightly or
// not, to be seen to, and short enough for a run full of grace periods
// to stay fast. Otherwise it yields and then sleeps on the actor's signal
// for at most patience: a step that does not block needs only its
// goroutine to be scheduled, which on a loaded machine can take a few
// milliseconds; a step that does block (an RCU that makes readers wait for
// a pending writer) then goes on in the background.
func (r *run) settle(a *actor, st step) {
	settled := func() bool { return a.steps.Load() >= a.given || a.park.Load() }
	if a.blocking > a.steps.Load() {
		r.yieldUntil(settled, blockingYields)
		return
	}
	if !r.wait(a, settled, patience) {
		r.stall(st, "step")
		a.blocking = a.given // it blocks: its next steps queue behind it
	}
}

// yieldUntil yields to the other goroutines until cond holds, at most n
// times. It reports whether cond held.
func (r *run) yieldUntil(cond func() bool, n int) bool {
	for range n {
		if cond() {
			return true
		}
		runtime.Gosched()
	}
	return cond()
}

// wait waits until cond holds, re-checking it whenever a signals, for at
// most bound. It reports whether cond held.
func (r *run) wait(a *actor, cond func() bool, bound time.Duration) bool {
	if r.yieldUntil(cond, blockingYields) {
		return true
	}
	t := time.NewTimer(bound)
	defer t.Stop()
	for !cond() {
		select {
		case <-a.wake:
		case <-t.C:
			return cond()
		}
	}
	return true
}

func (r *run) stall(st step, what string) {
	r.stalls = append(r.stalls, fmt.Sprintf("%s of step %d ran out of its bound", what, st.index))
}
