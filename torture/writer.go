package torture

// The writer and the fake writers.
//
// The writer publishes a fresh element, marks the one it replaced as
// removed (age 1), and ages removed elements by one for every grace period
// it then waits for, in one of three ways chosen at random: Synchronize (or
// its expedited form) ages every element on the writer's removed list; a
// polled wait (Snapshot, then Poll until it completes) does the same; a
// callback chain ages one element per callback, each callback queueing the
// next. At PipeLen an element is poisoned and returns to the pool.
//
// Fake writers only wait for grace periods, in a random mix of ways, to
// load the grace-period machinery and run its cross-checks.
//
// Every wait is checked against the flavor's grace-period counter, when it
// has one: a Synchronize, a callback or a completed poll that no grace
// period covers is a FAILURE.

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/rcukit/rcukit/model"
)

// writer steps, for the stall dump.
const (
	stepIdle = iota
	stepAlloc
	stepPublish
	stepSync
	stepExpedited
	stepCall
	stepPoll
	stepDelay
	stepParked
)

var stepNames = [...]string{
	stepIdle: "between steps", stepAlloc: "waiting for a free element", stepPublish: "publishing",
	stepSync: "in Synchronize", stepExpedited: "in SynchronizeExpedited", stepCall: "in Call",
	stepPoll: "in a polled wait", stepDelay: "in its delay", stepParked: "parked by a pause",
}

// writerState is the writer's state for the stall check and the dump. Its
// stamps are readings of the run's progress clock.
type writerState struct {
	step     atomic.Uint32
	since    atomic.Int64 // progress ns when the step began
	progress atomic.Int64 // progress ns of the last version or resume
	removed  atomic.Int64 // elements on the writer's removed list
	chains   atomic.Int64 // elements aging through callback chains
}

func (e *engine) setStep(s uint32) {
	e.w.step.Store(s)
	e.w.since.Store(int64(e.clock.Now()))
}

// writerDump describes the writer's state and its stack.
func (e *engine) writerDump() string {
	w := &e.w
	now := int64(e.clock.Now())
	s := fmt.Sprintf("writer: %s for %v; version %d; last progress %v ago (in progress time); pool %d free, %d removed, %d in callback chains, %d engine callbacks pending",
		stepNames[w.step.Load()], time.Duration(now-w.since.Load()).Round(time.Millisecond), e.c.versions.Load(),
		time.Duration(now-w.progress.Load()).Round(time.Millisecond), e.pool.len(), w.removed.Load(), w.chains.Load(), e.pendingCallbacks())
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "torture.(*engine).writer(") {
			s += "\nwriter stack:\n" + g
		}
	}
	return s
}

func (e *engine) initElements() {
	elems := make([]element, poolSize)
	for i := range elems {
		elems[i].id = i
		elems[i].payload = poison
		e.pool.put(&elems[i])
	}
	first := e.pool.get()
	first.version.Store(0)
	first.payload = payloadOf(0)
	first.state.Store(stateLive)
	e.cur.Store(first)
	e.c.circulation[0].Add(1)
}

// age adds one completed grace period to el and frees it at PipeLen.
func (e *engine) age(el *element, log Log) bool {
	a := el.age.Add(1)
	e.c.circulation[min(a, PipeLen)].Add(1)
	if a < PipeLen {
		return false
	}
	var t uint64
	if log != nil {
		t = log.Begin()
	}
	v := el.version.Load()
	el.state.Store(stateFree)
	el.payload = poison
	if log != nil {
		log.End(t, model.Op{Kind: model.Reclaim, Version: v})
	}
	e.pool.put(el)
	return true
}

type writerCtx struct {
	e       *engine
	rng     *rand.Rand
	log     Log
	removed []*element // removed elements aged by the writer's own waits
}

func (e *engine) writer() {
	w := &writerCtx{e: e, rng: e.rng(streamWriter), log: e.log("writer")}
	e.w.progress.Store(int64(e.clock.Now()))
	for {
		if !e.gate.running() {
			e.setStep(stepParked)
			if !e.gate.park() {
				return
			}
			e.w.progress.Store(int64(e.clock.Now()))
			e.resumeChains()
		}
		e.setStep(stepAlloc)
		el := w.alloc()
		if el == nil {
			continue // paused or stopping
		}
		e.setStep(stepPublish)
		old := w.publish(el)
		old.age.Store(1)
		e.c.circulation[1].Add(1)

		switch w.mode() {
		case stepSync, stepExpedited:
			w.removed = append(w.removed, old)
			e.setStep(stepSync)
			exp := e.ops.SynchronizeExpedited != nil && w.rng.IntN(3) == 0
			if exp {
				e.setStep(stepExpedited)
			}
			e.synchronize(w.log, exp)
			w.ageRemoved()
		case stepPoll:
			w.removed = append(w.removed, old)
			e.setStep(stepPoll)
			if e.pollWait(w.log, w.rng) {
				w.ageRemoved()
			}
		case stepCall:
			e.setStep(stepCall)
			e.w.chains.Add(1)
			e.chain(old, w.log)
		}
		e.w.removed.Store(int64(len(w.removed)))
		e.setStep(stepDelay)
		switch x := w.rng.IntN(64); {
		case x < 8:
			runtime.Gosched()
		case x == 8:
			e.gate.sleep(time.Duration(10+w.rng.IntN(500)) * time.Microsecond)
		}
		e.setStep(stepIdle)
	}
}

// mode picks how the writer waits for the next grace period.
func (w *writerCtx) mode() uint32 {
	ops := w.e.ops
	for {
		switch x := w.rng.IntN(10); {
		case x < 4:
			return stepSync
		case x < 7:
			if ops.Call != nil {
				return stepCall
			}
		default:
			if ops.Poll != nil {
				return stepPoll
			}
		}
	}
}

// alloc takes an element from the pool. When the pool is empty it waits
// for grace periods to age the removed elements; it returns nil if the run
// pauses or stops meanwhile.
func (w *writerCtx) alloc() *element {
	e := w.e
	for i := 0; ; i++ {
		if el := e.pool.get(); el != nil {
			el.state.Store(stateAlloc)
			return el
		}
		if !e.gate.running() {
			return nil
		}
		if len(w.removed) > 0 {
			e.synchronize(w.log, false)
			w.ageRemoved()
			continue
		}
		// Every element is aging through a callback chain.
		if i < 16 {
			runtime.Gosched()
		} else {
			e.gate.sleep(100 * time.Microsecond)
		}
	}
}

// publish makes el, freshly initialized, the current element and returns
// the element it replaced.
func (w *writerCtx) publish(el *element) (old *element) {
	e := w.e
	v := e.c.versions.Load() + 1
	el.version.Store(v) // names the element, initialized or not
	init := func() {
		el.age.Store(0)
		el.payload = payloadOf(v)
		el.state.Store(stateLive)
	}
	store := func() { old = e.cur.Swap(el) }
	var t uint64
	if w.log != nil {
		t = w.log.Begin()
	}
	if e.ops.Publish != nil {
		e.ops.Publish(init, store)
	} else {
		init()
		store()
	}
	if old == nil || el.state.Load() != stateLive {
		panic(fmt.Sprintf("torture: flavor %q: Ops.Publish did not run both init and store", e.flavor.Name))
	}
	if w.log != nil {
		w.log.End(t, model.Op{Kind: model.Publish, Version: v})
	}
	e.c.versions.Store(v)
	e.c.circulation[0].Add(1)
	e.w.progress.Store(int64(e.clock.Now()))
	return old
}

// ageRemoved ages every element on the removed list by one grace period.
func (w *writerCtx) ageRemoved() {
	kept := w.removed[:0]
	for _, el := range w.removed {
		if !w.e.age(el, w.log) {
			kept = append(kept, el)
		}
	}
	clear(w.removed[len(kept):])
	w.removed = kept
}

// chain ages el through a chain of callbacks, one grace period each. A
// chain that finds the run paused or stopping parks its element; the
// writer resumes parked chains after the pause.
func (e *engine) chain(el *element, log Log) {
	e.call(log, func() {
		if e.age(el, e.cbLog) {
			e.w.chains.Add(-1)
			return
		}
		if !e.gate.running() {
			e.chainMu.Lock()
			e.parked = append(e.parked, el)
			e.chainMu.Unlock()
			return
		}
		e.chain(el, nil)
	})
}

func (e *engine) resumeChains() {
	e.chainMu.Lock()
	parked := e.parked
	e.parked = nil
	e.chainMu.Unlock()
	for _, el := range parked {
		e.chain(el, nil)
	}
}

// call queues f through Ops.Call, counting it and checking, when it runs,
// that a grace period ended since the Call. log records the Call; nil
// means the shared callback log (for Calls made from callbacks).
func (e *engine) call(log Log, f func()) {
	id := e.ids.Add(1)
	if log == nil {
		log = e.cbLog
	}
	if log == nil {
		e.queue(f)
		return
	}
	t := log.Begin()
	e.queue(func() {
		ti := e.cbLog.Begin()
		e.cbLog.End(ti, model.Op{Kind: model.Invoke, ID: id})
		f()
	})
	log.End(t, model.Op{Kind: model.Call, ID: id})
}

// queue queues f through Ops.Call, unrecorded, counting it and checking,
// when it runs, that a grace period ended since the Call.
func (e *engine) queue(f func()) {
	g0 := e.gps()
	e.c.cbIssued.Add(1)
	e.ops.Call(func() {
		if e.ops.GPs != nil {
			if g := e.ops.GPs(); g <= g0 {
				e.fail(KindCallbackGP, "a callback ran with the grace-period counter still at %d, as when it was queued: no grace period ended between Call and invocation", g)
			}
		}
		f()
		e.c.cbInvoked.Add(1)
	})
	e.c.cbQueued.Add(1)
}

// synchronize runs Synchronize (or SynchronizeExpedited) and checks that
// the flavor counted a grace period meanwhile.
func (e *engine) synchronize(log Log, expedited bool) {
	id := e.ids.Add(1)
	var t uint64
	if log != nil {
		t = log.Begin()
		log.End(t, model.Op{Kind: model.SyncBegin, ID: id})
	}
	g0 := e.gps()
	name := "Synchronize"
	start := time.Now()
	defer func() { e.c.syncLatency.add(time.Since(start)) }()
	if expedited {
		name = "SynchronizeExpedited"
		e.ops.SynchronizeExpedited()
	} else {
		e.ops.Synchronize()
	}
	if e.ops.GPs != nil {
		if g := e.ops.GPs(); g <= g0 {
			e.fail(KindSyncGP, "%s returned with the grace-period counter still at %d: it did not wait for a grace period", name, g)
		}
	}
	if log != nil {
		t = log.Begin()
		log.End(t, model.Op{Kind: model.SyncEnd, ID: id})
	}
	e.c.syncs.Add(1)
}

// takeCookie takes a cookie, recording it with a fresh ID.
func (e *engine) takeCookie(log Log) (cookie, id uint64) {
	if log == nil {
		return e.ops.Snapshot(), 0
	}
	id = e.ids.Add(1)
	t := log.Begin()
	cookie = e.ops.Snapshot()
	log.End(t, model.Op{Kind: model.Snapshot, ID: id})
	return cookie, id
}

// poll polls a cookie that snapshot returned. A Poll that reports
// completion is recorded; one that denies it is recorded only when always
// is set (the many denials of a polling loop would swamp the history).
func (e *engine) poll(log Log, cookie, id uint64, always bool) bool {
	if log == nil {
		return e.ops.Poll(cookie)
	}
	t := log.Begin()
	done := e.ops.Poll(cookie)
	if done || always {
		log.End(t, model.Op{Kind: model.Poll, ID: id, OK: done})
	}
	return done
}

// pollWait takes a cookie and waits until Poll reports it complete,
// yielding, then sleeping, then falling back on Synchronize, after which
// the cookie must be complete. It reports false if the run paused or
// stopped first.
func (e *engine) pollWait(log Log, rng *rand.Rand) bool {
	g0 := e.gps()
	c, id := e.takeCookie(log)
	patience := 32 + rng.IntN(64)
	for i := 0; ; i++ {
		if e.poll(log, c, id, false) {
			if e.ops.GPs != nil {
				if g := e.ops.GPs(); g <= g0 {
					e.fail(KindPollGP, "Poll(%d) reported a full grace period with the grace-period counter still at %d", c, g)
				}
			}
			e.c.polls.Add(1)
			return true
		}
		switch {
		case !e.gate.running():
			return false
		case i < patience/2:
			runtime.Gosched()
		case i < patience:
			e.gate.sleep(50 * time.Microsecond)
		default:
			e.synchronize(log, false)
			if !e.poll(log, c, id, true) {
				e.fail(KindPollAfterSync, "Poll(%d) denied completion after a whole Synchronize that began after the Snapshot", c)
			}
			e.c.polls.Add(1)
			return true
		}
	}
}

// fakeWriter waits for grace periods in a random mix of ways.
func (e *engine) fakeWriter(id int) {
	rng := e.rng(streamFake + uint64(id))
	log := e.log(fmt.Sprintf("fakewriter%d", id))
	ops := e.ops
	for {
		if !e.gate.running() && !e.gate.park() {
			return
		}
		switch x := rng.IntN(10); {
		case x < 3:
			e.synchronize(log, false)
		case x < 5 && ops.SynchronizeExpedited != nil:
			e.synchronize(log, true)
		case x < 7 && ops.Call != nil:
			done := make(chan struct{})
			e.call(log, func() { close(done) })
			select {
			case <-done:
			case <-e.done:
			}
		case x < 9 && ops.Poll != nil:
			e.pollWait(log, rng)
		case ops.Barrier != nil:
			e.barrier(log)
		default:
			e.synchronize(log, false)
		}
		if rng.IntN(4) == 0 {
			e.gate.sleep(time.Duration(rng.IntN(1000)) * time.Microsecond)
		}
	}
}

// barrier runs Barrier and checks that every engine callback whose Call
// had returned before it began has run: if fewer callbacks have run than
// had been queued, some of them were not waited for.
func (e *engine) barrier(log Log) {
	id := e.ids.Add(1)
	queued := e.c.cbQueued.Load()
	var t uint64
	if log != nil {
		t = log.Begin()
		log.End(t, model.Op{Kind: model.BarrierBegin, ID: id})
	}
	e.ops.Barrier()
	if log != nil {
		t = log.Begin()
		log.End(t, model.Op{Kind: model.BarrierEnd, ID: id})
	}
	if inv := e.c.cbInvoked.Load(); inv < queued {
		e.fail(KindBarrier, "Barrier returned with %d engine callbacks run, but %d had been queued before it began", inv, queued)
	}
	e.c.barriers.Add(1)
}
