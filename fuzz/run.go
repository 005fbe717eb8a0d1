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
// injection point stays
// there, whatever the scheduler does, until a Release step.
//
// The waits are bounded, so that no schedule can hang the controller, and
// no verdict depends on them: every operation is recorded with the logical
// times at which it was called and returned, and the history is judged by
// the model whatever interleaving actually happened. The bounds only
// decide how often the intended interleaving is the one that happens.
//
// At the end every hold is released and disarmed, each actor closes the
// sections it left open, the controller waits for every actor, for every
// callback (Barrier), and closes the instance. An operation that has not
// finished within hangTimeout of progress time (the time the process had
// to run, see internal/progress) after that is reported as a hang.
//
// What the history contains (see model): the first Load of each version
// inside a section is one reader, from a ReadBegin around the load
// (damaged if the version was not yet initialized) to a ReadEnd around the
// checks and the outermost Unlock (damaged if the version was reclaimed by
// then). Timing the ReadBegin around the load rather than from the
// outermost Lock is sound, since the section, which the RCU protects, began
// earlier; it asks more of the implementation, and it keeps the readers of
// a long section from overlapping everything, which porcupine pays for
// exponentially. Versions are published through Ops.Publish; the
// version a publication replaces is retired, and each retired version is
// claimed by the first reclaimer that starts after its retirement: a
// SyncReclaim (before it calls Synchronize), a CallReclaim (before it calls
// Call) or a Snapshot (whose cookie's PollReclaim reclaims once Poll
// reports completion). A reclaim poisons the version and records Reclaim.

import (
	"fmt"
	"github.com/rcukit/rcukit/rcuops"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rcukit/rcukit/internal/progress"
	"github.com/rcukit/rcukit/linearize"
	"github.com/rcukit/rcukit/model"
)

// Bounds of the controller's waits. None of them decides a verdict.
const (
	blockingYields = 32                    // for a step that may block, and after a release
	patience       = 2 * time.Millisecond  // for a step that should not block
	awaitBound     = 10 * time.Millisecond // for an Await
)

// Bounds that end a run with a Failure, and the two oracles; variables
// for the tests of those failures.
var (
	hangTimeout  = 10 * time.Second // after everything was released
	checkTimeout = time.Minute      // for linearize.Check
	checkModel   = linearize.Check
	checkDirect  = linearize.CheckDirect
)

// An object is one published version.
type object struct {
	version uint64        // set before publication
	state   atomic.Uint32 // objAlloc, objLive, objPoisoned
	// payload is plain, so that under -race a reader and a premature
	// reclaim are a data race too. Only for flavors not marked Broken,
	// whose deliberate bugs must end in a verdict, not a race report.
	payload uint64
}

const (
	objAlloc = iota
	objLive
	objPoisoned
)

const poison = 0x6b6b6b6b6b6b6b6b

func payloadOf(v uint64) uint64 { return v*0x9e3779b97f4a7c15 ^ 0x5bd1e995 }

// A run is one execution of a schedule on a fresh instance.
type run struct {
	flavor rcuops.Flavor
	ops    *rcuops.Ops
	sched  *schedule
	plain  bool // read and write the plain payload
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

// An actor runs its steps on its own goroutine.
type actor struct {
	r     *run
	idx   int
	q     chan step
	done  chan struct{} // closed when the goroutine returns
	wake  chan struct{} // signalled when a step ends or the actor parks
	hold  hold
	park  atomic.Bool
	steps atomic.Int64 // steps finished
	now   atomic.Int64 // 1 + index of the step running, or 0

	// The controller's view.
	given int64 // steps handed out
	// blocking is the number (1-based) of the last step handed out that
	// may block: a blocking step, or one that ran out of patience.
	blocking int64

	// The actor goroutine's own state.
	reader rcuops.Reader
	depth  int
	loads  []load
	cookie *cookie
	sink   uint64 // sums plain payload reads, so that they are not optimized away
}

type load struct {
	id      uint64
	obj     *object
	damaged bool // seen poisoned at some access
}

type cookie struct {
	id    uint64
	value uint64
	claim []*object // reclaimed once Poll reports completion
}

func (a *actor) signal() {
	select {
	case a.wake <- struct{}{}:
	default:
	}
}

// RunSchedule decodes data into a schedule (every byte string is a valid
// schedule), runs it on a fresh instance made by f.New, records the
// history, checks it with linearize, and returns nil when it is legal;
// otherwise an error whose message names the broken rule (the model's rule
// name, or "inconclusive" for an Unknown verdict, or "hang" for operations
// that never finished after everything was released) and includes the
// schedule in readable form. The error is a *Failure. Two more rules
// name what is not the model's to judge: "panic", an operation of the
// flavor that panicked on an actor (recovered; the actor skips the rest of
// its steps), and "illegal", an Illegal verdict without a single operation
// to blame.
//
// The history is checked twice: with linearize.Check (porcupine against
// the model) and with linearize.CheckDirect (interval arithmetic). The
// direct checker is sound but incomplete, so if it finds a violation that
// Check does not, one of the oracles is wrong: that is a Failure with rule
// "oracle-disagreement", a bug of rcukit rather than of the flavor.
//
// Runs share nothing, so RunSchedule may be called from several
// goroutines at once. An operation that never finishes is left running:
// after a "hang" the instance and some goroutines are abandoned.
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

// judge ends the run (see finish) and checks its history.
func (r *run) judge(data []byte) error {
	hung := r.finish()
	r.mu.Lock()
	panics := slices.Clone(r.panics)
	r.mu.Unlock()
	if len(panics) > 0 {
		if hung != "" {
			panics = append(panics, "then "+hung)
		}
		return r.failure(data, "panic", strings.Join(panics, "\n"), nil)
	}
	if hung != "" {
		return r.failure(data, "hang", hung, nil)
	}
	r.log.mu.Lock() // a broken flavor may still run a callback
	h := r.rec.History()
	r.log.mu.Unlock()
	if rule, detail := judgeHistory(h); rule != "" {
		return r.failure(data, rule, detail, h)
	}
	return nil
}

// judgeHistory checks h with both oracles and returns "" when it is legal;
// otherwise the rule of a Failure and the report behind it.
func judgeHistory(h linearize.History) (rule, detail string) {
	res := checkModel(h, linearize.Options{Timeout: checkTimeout, Workers: 1})
	switch {
	case res.Verdict == linearize.Illegal && res.Rule == "":
		return "illegal", res.Report() // no single operation to blame
	case res.Verdict == linearize.Illegal:
		return string(res.Rule), res.Report()
	case res.Verdict == linearize.Unknown:
		return "inconclusive", res.Report()
	}
	if direct := checkDirect(h); direct.Verdict != linearize.Ok {
		return "oracle-disagreement",
			"linearize.Check found the history legal, linearize.CheckDirect did not (a bug of one of the oracles, not of the flavor):\n" + direct.Report()
	}
	return "", ""
}

func (r *run) startActors() {
	ids := make(chan int64)
	r.byGoid = make(map[int64]*actor, numActors)
	for i := range numActors {
		a := &actor{r: r, idx: i, q: make(chan step, maxSteps+maxDepth), done: make(chan struct{}),
			wake: make(chan struct{}, 1)}
		a.hold.parked = &a.park
		r.actors = append(r.actors, a)
		go func() {
			ids <- goid()
			a.loop()
		}()
		r.byGoid[<-ids] = a
	}
	r.log.c = r.rec.Client()
}

func (r *run) stopActors() {
	for _, a := range r.actors {
		close(a.q)
		<-a.done
	}
}

// loop runs the actor's steps. A step that panics (the implementation's
// operation panicked) is a failure of the run; the actor then skips the
// rest of the script but still closes its sections at the end.
func (a *actor) loop() {
	defer close(a.done)
	dead := false
	for st := range a.q {
		a.now.Store(int64(st.index) + 1)
		if !dead || st.index == len(a.r.sched.steps) {
			dead = !a.safeExec(st) || dead
		}
		for range st.yields {
			runtime.Gosched()
		}
		a.now.Store(0)
		a.steps.Add(1)
		a.signal()
	}
}

func (a *actor) safeExec(st step) (ok bool) {
	defer func() {
		if v := recover(); v != nil {
			a.r.mu.Lock()
			a.r.panics = append(a.r.panics, fmt.Sprintf("actor %s, step %s: panic: %v\n%s",
				actorName(a.idx), strings.TrimSpace(st.String()), v, debug.Stack()))
			a.r.mu.Unlock()
		}
	}()
	a.exec(st)
	return true
}

// control carries out one step of the script.
func (r *run) control(st step) {
	if st.noop != "" {
		return
	}
	switch st.op {
	case opHold:
		r.arm(&r.actors[st.actor].hold, st.point)
	case opHoldGP:
		r.arm(&r.gpHold, st.point)
	case opRelease:
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
	case opAwait:
		a := r.actors[st.actor]
		if !r.wait(a, func() bool { return a.steps.Load() == a.given }, awaitBound) {
			r.stall(st, "await")
		}
	default:
		r.settle(r.dispatch(st), st)
	}
}

// dispatch hands an actor step to its actor.
func (r *run) dispatch(st step) *actor {
	a := r.actors[st.actor]
	a.given++
	if st.op.blocking() {
		a.blocking = a.given
	}
	a.q <- st
	return a
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

// finish releases everything, closes every section, waits for every
// operation and callback, and closes the instance. It returns what never
// finished, or "".
func (r *run) finish() string {
	r.mu.Lock()
	r.closing = true
	for _, a := range r.actors {
		r.releaseLocked(&a.hold)
	}
	r.releaseLocked(&r.gpHold)
	r.mu.Unlock()
	for i, a := range r.actors {
		if d := r.sched.depth[i]; d > 0 {
			a.q <- step{index: len(r.sched.steps), op: opUnlock, actor: i, count: d}
		}
		close(a.q)
	}
	// Every bound here is in progress time (internal/progress): a run on
	// a starved machine is given the time it needs, and only an
	// operation that does not finish while the process runs is a hang.
	clock := progress.Acquire()
	defer progress.Release(clock)
	start := clock.Now()
	left := func() time.Duration { return hangTimeout - clock.Since(start) }
	var stuck []string
	for _, a := range r.actors {
		if clock.Within(a.done, left()) {
			continue
		}
		for _, b := range r.actors {
			select {
			case <-b.done:
			default:
				stuck = append(stuck, r.describeStuck(b))
			}
		}
		return fmt.Sprintf("after every hold was released and every section closed, these never finished within %v:\n  %s",
			hangTimeout, strings.Join(stuck, "\n  "))
	}
	if r.ops.Barrier != nil {
		if !clock.Within(goDone(r.ops.Barrier), left()) {
			return fmt.Sprintf("a final Barrier, with every section closed and every hold released, did not return within %v", hangTimeout)
		}
	}
	if r.ops.Close != nil {
		if !clock.Within(goDone(r.ops.Close), left()) {
			return fmt.Sprintf("Ops.Close did not return within %v", hangTimeout)
		}
	}
	if !clock.WaitFor(left(), func() bool { return r.invoked.Load() >= r.called.Load() }) {
		return fmt.Sprintf("%d of %d callbacks never ran within %v after every section closed and every hold was released",
			r.called.Load()-r.invoked.Load(), r.called.Load(), hangTimeout)
	}
	return ""
}

// goDone runs f on a new goroutine and returns a channel closed when it
// returns; if it never does, the goroutine is abandoned.
func goDone(f func()) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	return done
}

func (r *run) describeStuck(a *actor) string {
	now := a.now.Load()
	if now == 0 {
		return fmt.Sprintf("actor %s: between steps", actorName(a.idx))
	}
	if int(now-1) >= len(r.sched.steps) {
		return fmt.Sprintf("actor %s: closing its %d open sections", actorName(a.idx), r.sched.depth[a.idx])
	}
	return fmt.Sprintf("actor %s: step %s", actorName(a.idx), strings.TrimSpace(r.sched.steps[now-1].String()))
}

// exec runs one step on the actor's goroutine.
func (a *actor) exec(st step) {
	r := a.r
	ops := r.ops
	switch st.op {
	case opLock:
		a.lock(st.count)
	case opLockLoad:
		a.lock(1)
		a.load()
	case opLoad:
		a.load()
	case opUnlock:
		a.unlock(st.count)
	case opPublish:
		a.publish()
	case opSyncReclaim, opExpedited:
		sync := ops.Synchronize
		if st.op == opExpedited && ops.SynchronizeExpedited != nil {
			sync = ops.SynchronizeExpedited
		}
		claim := r.claim()
		id := r.ids.Add(1)
		t := r.log.start()
		r.log.finish(t, model.Op{Kind: model.SyncBegin, ID: id})
		sync()
		t = r.log.start()
		r.log.finish(t, model.Op{Kind: model.SyncEnd, ID: id})
		r.reclaim(claim)
	case opCallReclaim:
		if ops.Call == nil {
			return
		}
		claim := r.claim()
		id := r.ids.Add(1)
		r.called.Add(1)
		t := r.log.start()
		ops.Call(func() { r.callback(id, claim) })
		r.log.finish(t, model.Op{Kind: model.Call, ID: id})
	case opBarrier:
		if ops.Barrier == nil {
			return
		}
		id := r.ids.Add(1)
		t := r.log.start()
		r.log.finish(t, model.Op{Kind: model.BarrierBegin, ID: id})
		ops.Barrier()
		t = r.log.start()
		r.log.finish(t, model.Op{Kind: model.BarrierEnd, ID: id})
	case opSnapshot:
		if ops.Snapshot == nil {
			return
		}
		claim := r.claim()
		if a.cookie != nil {
			claim = append(a.cookie.claim, claim...)
		}
		c := &cookie{id: r.ids.Add(1), claim: claim}
		t := r.log.start()
		c.value = ops.Snapshot()
		r.log.finish(t, model.Op{Kind: model.Snapshot, ID: c.id})
		a.cookie = c
	case opPoll, opPollReclaim:
		c := a.cookie
		if c == nil {
			return
		}
		t := r.log.start()
		ok := ops.Poll(c.value)
		r.log.finish(t, model.Op{Kind: model.Poll, ID: c.id, OK: ok})
		if ok && st.op == opPollReclaim {
			r.reclaim(c.claim)
			c.claim = nil
		}
	default:
		panic(fmt.Sprintf("fuzz: step %v on an actor", st))
	}
}

func (a *actor) lock(n int) {
	if a.reader == nil {
		a.reader = a.r.ops.Reader()
	}
	for range n {
		a.depth++
		a.reader.Lock()
	}
}

// load reads the current version inside the open section. The first
// load of each version in a section is a reader of the model, from just
// before the load to just after it; later loads of the same version add
// nothing the model could check.
func (a *actor) load() {
	r := a.r
	t := r.log.start()
	o := r.cur.Load()
	st := o.state.Load()
	if r.plain {
		a.sink += o.payload // a plain read that -race orders against init and poison
	}
	for i := range a.loads {
		if l := &a.loads[i]; l.obj == o {
			l.damaged = l.damaged || st == objPoisoned
			return
		}
	}
	id := r.ids.Add(1)
	r.log.finish(t, model.Op{Kind: model.ReadBegin, ID: id, Version: o.version, Damaged: st == objAlloc})
	a.loads = append(a.loads, load{id: id, obj: o, damaged: st == objPoisoned})
}

func (a *actor) unlock(n int) {
	r := a.r
	for range n {
		if a.depth--; a.depth > 0 {
			a.reader.Unlock()
			continue
		}
		t := r.log.start()
		for i := range a.loads {
			l := &a.loads[i]
			if l.obj.state.Load() == objPoisoned {
				l.damaged = true
			}
			if r.plain {
				a.sink += l.obj.payload
			}
		}
		a.reader.Unlock()
		for _, l := range a.loads {
			r.log.finish(t, model.Op{Kind: model.ReadEnd, ID: l.id, Damaged: l.damaged})
		}
		clear(a.loads)
		a.loads = a.loads[:0]
	}
}

func (r *run) initObject(o *object) {
	if r.plain {
		o.payload = payloadOf(o.version)
	}
	o.state.Store(objLive)
}

// publish makes a new version current through Ops.Publish.
func (a *actor) publish() {
	r := a.r
	o := &object{version: r.vers.Add(1)}
	init := func() {
		r.inject(pointPublishInit)
		r.initObject(o)
	}
	store := func() {
		old := r.cur.Swap(o)
		r.mu.Lock()
		r.retired = append(r.retired, old)
		r.mu.Unlock()
		r.inject(pointPublishStore)
	}
	t := r.log.start()
	if r.ops.Publish != nil {
		r.ops.Publish(init, store)
	} else {
		init()
		store()
	}
	r.log.finish(t, model.Op{Kind: model.Publish, Version: o.version})
}

// claim takes the retired versions no reclaimer has claimed yet.
func (r *run) claim() []*object {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.retired
	r.retired = nil
	return c
}

// reclaim poisons each version of claim, recording it.
func (r *run) reclaim(claim []*object) {
	for _, o := range claim {
		t := r.log.start()
		if r.plain {
			o.payload = poison
		}
		o.state.Store(objPoisoned)
		r.log.finish(t, model.Op{Kind: model.Reclaim, Version: o.version})
	}
}

// history is the run's one linearize.Client, shared by the actors and the
// callbacks: a Client may serve goroutines that take turns, and its
// buffer is the largest allocation of a run. Start reads only the
// recorder's clock; Finish appends under the lock.
type history struct {
	mu sync.Mutex
	c  *linearize.Client
}

func (h *history) start() int64 { return h.c.Start() }

func (h *history) finish(call int64, op model.Op) {
	h.mu.Lock()
	h.c.Finish(call, op)
	h.mu.Unlock()
}

// callback is the function a CallReclaim queues.
func (r *run) callback(id uint64, claim []*object) {
	r.inject(pointCallback)
	t := r.log.start()
	r.log.finish(t, model.Op{Kind: model.Invoke, ID: id})
	r.reclaim(claim)
	r.invoked.Add(1)
}
