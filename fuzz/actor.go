package fuzz

// Actors: the goroutines that run a schedule's steps, each its own steps
// in order, and the read sections, loads and publications they perform.

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
	"sync/atomic"

	"github.com/rcukit/rcukit/model"
	"github.com/rcukit/rcukit/rcuops"
)

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

func (a *actor) signal() {
	select {
	case a.wake <- struct{}{}:
	default:
	}
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
// rest of the script but still closes its sections at the end. Then it
// releases its Reader (rcuops.Release).
func (a *actor) loop() {
	defer close(a.done)
	dead := false
	for st := range a.q {
		a.now.Store(int64(st.index) + 1)
		if !dead || st.index == len(a.r.sched.steps) {
			dead = !a.safe("step "+strings.TrimSpace(st.String()), func() { st.act.exec(a, st) }) || dead
		}
		for range st.yields {
			runtime.Gosched()
		}
		a.now.Store(0)
		a.steps.Add(1)
		a.signal()
	}
	if !dead && a.depth == 0 {
		a.safe("releasing its Reader", a.renew)
	}
}

// safe runs f, recording a panic as a failure of the run. It reports
// whether f returned.
func (a *actor) safe(what string, f func()) (ok bool) {
	defer func() {
		if v := recover(); v != nil {
			a.r.mu.Lock()
			a.r.panics = append(a.r.panics, fmt.Sprintf("actor %s, %s: panic: %v\n%s",
				actorName(a.idx), what, v, debug.Stack()))
			a.r.mu.Unlock()
		}
	}()
	f()
	return true
}

// The writers' operations, each recorded, with what they reclaim.

// syncReclaim claims what was retired, calls Synchronize (or
// SynchronizeExpedited) and reclaims the claim.
func (a *actor) syncReclaim(expedited bool) {
	r := a.r
	sync := r.ops.Synchronize
	if expedited && r.ops.SynchronizeExpedited != nil {
		sync = r.ops.SynchronizeExpedited
	}
	claim := r.claim()
	id := r.ids.Add(1)
	t := r.log.start()
	r.log.finish(t, model.Op{Kind: model.SyncBegin, ID: id})
	sync()
	t = r.log.start()
	r.log.finish(t, model.Op{Kind: model.SyncEnd, ID: id})
	r.reclaim(claim)
}

// callReclaim claims what was retired and queues a callback that
// reclaims it.
func (a *actor) callReclaim() {
	r := a.r
	if r.ops.Call == nil {
		return
	}
	claim := r.claim()
	id := r.ids.Add(1)
	r.called.Add(1)
	t := r.log.start()
	r.ops.Call(func() { r.callback(id, claim) })
	r.log.finish(t, model.Op{Kind: model.Call, ID: id})
}

func (a *actor) barrier() {
	r := a.r
	if r.ops.Barrier == nil {
		return
	}
	id := r.ids.Add(1)
	t := r.log.start()
	r.log.finish(t, model.Op{Kind: model.BarrierBegin, ID: id})
	r.ops.Barrier()
	t = r.log.start()
	r.log.finish(t, model.Op{Kind: model.BarrierEnd, ID: id})
}

// snapshot takes a cookie that claims what was retired, with what the
// actor's previous cookie still claims.
func (a *actor) snapshot() {
	r := a.r
	if r.ops.Snapshot == nil {
		return
	}
	claim := r.claim()
	if a.cookie != nil {
		claim = append(a.cookie.claim, claim...)
	}
	c := &cookie{id: r.ids.Add(1), claim: claim}
	t := r.log.start()
	c.value = r.ops.Snapshot()
	r.log.finish(t, model.Op{Kind: model.Snapshot, ID: c.id})
	a.cookie = c
}

// poll polls the actor's cookie and, if reclaim and it is complete,
// reclaims its claim.
func (a *actor) poll(reclaim bool) {
	r := a.r
	c := a.cookie
	if c == nil {
		return
	}
	t := r.log.start()
	ok := r.ops.Poll(c.value)
	r.log.finish(t, model.Op{Kind: model.Poll, ID: c.id, OK: ok})
	if ok && reclaim {
		r.reclaim(c.claim)
		c.claim = nil
	}
}

// The readers' operations.

// renew releases the actor's Reader, if it has one; its next Lock takes a
// fresh one from Ops.Reader. The actor has no section open.
func (a *actor) renew() {
	if a.reader != nil {
		r := a.reader
		a.reader = nil
		rcuops.Release(r)
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

// publish makes a new version current through Ops.Publish.
func (a *actor) publish() {
	r := a.r
	o := &object{version: r.vers.Add(1)}
	init := func() {
		r.inject(rcuops.PointPublishInit)
		r.initObject(o)
	}
	store := func() {
		old := r.cur.Swap(o)
		r.mu.Lock()
		r.retired = append(r.retired, old)
		r.mu.Unlock()
		r.inject(rcuops.PointPublishStore)
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
