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
