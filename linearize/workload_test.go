package linearize_test

// A recording workload over an RCU's ops table (rcuops.Ops): many
// goroutines read a Pointer in nested, sometimes sleeping, sections, and a
// List; writers publish, Synchronize, Call, Barrier, poll and edit the
// List. Rounds end when every worker is idle, which gives the checker
// quiescent points to cut at. Probes at the end set up the one situation
// each broken implementation gets wrong, so that a broken implementation
// is caught on every run, not only when the scheduler is kind.

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rcukit/rcukit/internal/broken"
	"github.com/rcukit/rcukit/internal/impl"
	"github.com/rcukit/rcukit/linearize"
	"github.com/rcukit/rcukit/model"
	"github.com/rcukit/rcukit/rcu"
	"github.com/rcukit/rcukit/rcuops"
)

// An object is a published version. Its flags are atomic so that a broken
// implementation shows up as a damaged read, not as a report of the race
// detector.
type object struct {
	version uint64
	ready   atomic.Bool // initialized
	poison  atomic.Bool // reclaimed
}

// An elem is a list element's value.
type elem struct {
	key    uint64
	poison atomic.Bool
}

// A target is an RCU for the workload: the ops table it drives, the
// Domain of the List it edits, and what closes both. The List is an rcu
// type, so it needs an rcu.Domain; its lookups and traversals run in
// sections of that Domain.
type target struct {
	ops   *rcuops.Ops
	list  *rcu.Domain
	close func()
}

// reference is the reference RCU, whose List shares the ops' Domain: list
// reclaims and the workload's own callbacks go through one queue.
func reference() target {
	ops, d := impl.Reference(rcuops.Env{})
	return target{ops, d, ops.Close}
}

// bug is the broken implementation b. Its List has a correct Domain of its
// own, so that what breaks is only what b breaks.
func bug(b broken.Bug) func() target {
	return func() target {
		ops, d := b.New(rcuops.Env{}), rcu.New()
		return target{ops, d, func() { ops.Close(); d.Close() }}
	}
}

type config struct {
	rounds   int
	readers  int // reading goroutines
	writers  int // writing goroutines
	reads    int // read sections per reader per round
	writes   int // operations per writer per round
	sleepy   bool
	probes   bool
	listKeys int // keys each writer keeps in the list at most
}

var smallRun = config{rounds: 4, readers: 4, writers: 2, reads: 120, writes: 40, sleepy: true, probes: true, listKeys: 8}

type workload struct {
	cfg  config
	seed uint64
	ops  *rcuops.Ops
	rec  *linearize.Recorder

	ptr  rcu.Pointer[object]
	ld   *rcu.Domain // the List's
	list *rcu.List[*elem]

	ids    atomic.Uint64 // readers, syncs, callbacks, barriers, cookies, traversals, versions, keys
	maxKey atomic.Uint64
	cbMu   sync.Mutex
	cb     *linearize.Client // for callbacks, which may run on any goroutine; guarded by cbMu
}

// run records a history of cfg on a fresh target from mk, with random
// choices from seed. With cfg.probes it must run in a synctest bubble
// (record does that).
func run(cfg config, seed uint64, mk func() target) linearize.History {
	tg := mk()
	w := &workload{cfg: cfg, seed: seed, ops: tg.ops, ld: tg.list, rec: linearize.NewRecorder()}
	w.cb = w.rec.Client()
	w.list = rcu.NewList(tg.list, func(e *elem) {
		w.callback(func(c *linearize.Client) {
			t := c.Start()
			e.poison.Store(true)
			c.Finish(t, model.Op{Kind: model.ElemReclaim, Key: e.key})
		})
	})
	main := w.rec.Client()
	w.publish(main, nil)
	for round := range cfg.rounds {
		w.round(round)
	}
	if cfg.probes {
		w.probe(main)
	}
	w.barrier(main)
	tg.close() // runs every callback still queued, on a broken Barrier too
	return w.rec.History()
}

// record is run inside a synctest bubble, where the probes can tell that
// a wait is blocked. The bubble's clock is fake, but the workload's
// goroutines still run in parallel.
func record(t *testing.T, cfg config, seed uint64, mk func() target) linearize.History {
	var h linearize.History
	synctest.Test(t, func(*testing.T) { h = run(cfg, seed, mk) })
	return h
}

func (w *workload) id() uint64 { return w.ids.Add(1) }

func (w *workload) callback(f func(*linearize.Client)) {
	w.cbMu.Lock()
	defer w.cbMu.Unlock()
	f(w.cb)
}

func (w *workload) round(round int) {
	var wg sync.WaitGroup
	for i := range w.cfg.readers {
		c := w.rec.Client()
		rng := rand.New(rand.NewPCG(w.seed, uint64(round*1000+i)))
		wg.Go(func() {
			r := w.ops.Reader()
			defer rcuops.Release(r)
			for range w.cfg.reads {
				switch rng.IntN(10) {
				case 0:
					w.lookup(c, rng)
				case 1:
					w.traverse(c, rng)
				default:
					w.read(c, r, rng, 0)
				}
			}
		})
	}
	for i := range w.cfg.writers {
		c := w.rec.Client()
		rng := rand.New(rand.NewPCG(w.seed, uint64(round*1000+500+i)))
		wg.Go(func() { w.write(c, rng) })
	}
	wg.Wait()
}

// read records one read section of r, with nested sections inside now
// and then.
func (w *workload) read(c *linearize.Client, r rcuops.Reader, rng *rand.Rand, depth int) {
	id, o := w.beginRead(c, r)
	if depth < 2 && rng.IntN(4) == 0 {
		w.read(c, r, rng, depth+1)
	}
	if w.cfg.sleepy && rng.IntN(24) == 0 {
		time.Sleep(50 * time.Microsecond)
	}
	w.endRead(c, r, id, o)
}

func (w *workload) beginRead(c *linearize.Client, r rcuops.Reader) (uint64, *object) {
	id := w.id()
	t := c.Start()
	r.Lock()
	o := w.ptr.Load()
	begin := model.Op{Kind: model.ReadBegin, ID: id}
	if o != nil {
		begin.Version, begin.Damaged = o.version, !o.ready.Load()
	}
	c.Finish(t, begin)
	return id, o
}

func (w *workload) endRead(c *linearize.Client, r rcuops.Reader, id uint64, o *object) {
	t := c.Start()
	damaged := o != nil && o.poison.Load()
	r.Unlock()
	c.Finish(t, model.Op{Kind: model.ReadEnd, ID: id, Damaged: damaged})
}

func (w *workload) lookup(c *linearize.Client, rng *rand.Rand) {
	key := uint64(1)
	if n := w.maxKey.Load(); n > 0 {
		key = 1 + rng.Uint64N(n)
	}
	t := c.Start()
	tok := w.ld.ReadLock()
	found, damaged := false, false
	for e := range w.list.All() {
		if e.Value.key == key {
			found, damaged = true, e.Value.poison.Load()
			break
		}
	}
	w.ld.ReadUnlock(tok)
	c.Finish(t, model.Op{Kind: model.Lookup, Key: key, OK: found, Damaged: damaged})
}

func (w *workload) traverse(c *linearize.Client, rng *rand.Rand) {
	id := w.id()
	t := c.Start()
	tok := w.ld.ReadLock()
	c.Finish(t, model.Op{Kind: model.TraverseBegin, ID: id})
	var seen []*elem
	for e := range w.list.All() {
		seen = append(seen, e.Value)
		if w.cfg.sleepy && rng.IntN(64) == 0 {
			time.Sleep(20 * time.Microsecond)
		}
	}
	t = c.Start()
	end := model.Op{Kind: model.TraverseEnd, ID: id, Keys: make([]uint64, len(seen))}
	for i, e := range seen {
		end.Keys[i] = e.key
		end.Damaged = end.Damaged || e.poison.Load()
	}
	w.ld.ReadUnlock(tok)
	c.Finish(t, end)
}

// publish records the publication of a new version, through the ops'
// Publish when it has one, and returns the version it replaced. visible,
// if not nil, runs as soon as readers can see the new version.
func (w *workload) publish(c *linearize.Client, visible func()) *object {
	o := &object{version: w.id()}
	var old *object
	init := func() { o.ready.Store(true) }
	store := func() {
		old = w.ptr.Swap(o)
		if visible != nil {
			visible()
		}
	}
	t := c.Start()
	if w.ops.Publish != nil {
		w.ops.Publish(init, store)
	} else {
		init()
		store()
	}
	c.Finish(t, model.Op{Kind: model.Publish, Version: o.version})
	return old
}

func (w *workload) reclaim(c *linearize.Client, o *object) {
	if o == nil {
		return
	}
	t := c.Start()
	o.poison.Store(true)
	c.Finish(t, model.Op{Kind: model.Reclaim, Version: o.version})
}

func (w *workload) synchronize(c *linearize.Client) {
	id := w.id()
	t := c.Start()
	c.Finish(t, model.Op{Kind: model.SyncBegin, ID: id})
	w.ops.Synchronize()
	t = c.Start()
	c.Finish(t, model.Op{Kind: model.SyncEnd, ID: id})
}

// call records a Call whose callback records its Invoke and then runs f.
func (w *workload) call(c *linearize.Client, f func(*linearize.Client)) uint64 {
	id := w.id()
	t := c.Start()
	w.ops.Call(func() {
		w.callback(func(cb *linearize.Client) {
			t := cb.Start()
			cb.Finish(t, model.Op{Kind: model.Invoke, ID: id})
			if f != nil {
				f(cb)
			}
		})
	})
	c.Finish(t, model.Op{Kind: model.Call, ID: id})
	return id
}

func (w *workload) barrier(c *linearize.Client) {
	id := w.id()
	t := c.Start()
	c.Finish(t, model.Op{Kind: model.BarrierBegin, ID: id})
	w.ops.Barrier()
	t = c.Start()
	c.Finish(t, model.Op{Kind: model.BarrierEnd, ID: id})
}

func (w *workload) snapshot(c *linearize.Client) (uint64, uint64) {
	id := w.id()
	t := c.Start()
	ck := w.ops.Snapshot()
	c.Finish(t, model.Op{Kind: model.Snapshot, ID: id})
	return id, ck
}

func (w *workload) poll(c *linearize.Client, id, ck uint64) {
	t := c.Start()
	ok := w.ops.Poll(ck)
	c.Finish(t, model.Op{Kind: model.Poll, ID: id, OK: ok})
}

func (w *workload) write(c *linearize.Client, rng *rand.Rand) {
	type cookie struct{ id, ck uint64 }
	var cookies []cookie
	own := map[uint64]*rcu.Element[*elem]{}
	for range w.cfg.writes {
		switch rng.IntN(12) {
		case 0, 1: // replace the version, wait, reclaim
			old := w.publish(c, nil)
			w.synchronize(c)
			w.reclaim(c, old)
		case 2, 3: // replace the version, reclaim it from a callback
			old := w.publish(c, nil)
			w.call(c, func(cb *linearize.Client) { w.reclaim(cb, old) })
		case 4:
			w.call(c, nil)
		case 5:
			w.barrier(c)
		case 6:
			id, ck := w.snapshot(c)
			cookies = append(cookies, cookie{id, ck})
		case 7:
			if len(cookies) == 0 {
				break
			}
			k := cookies[rng.IntN(len(cookies))]
			if rng.IntN(3) == 0 {
				w.synchronize(c) // a whole grace period: the cookie must poll complete
			}
			w.poll(c, k.id, k.ck)
		default:
			w.editList(c, rng, own)
		}
	}
}

// editList inserts, removes or replaces one of the writer's own elements.
func (w *workload) editList(c *linearize.Client, rng *rand.Rand, own map[uint64]*rcu.Element[*elem]) {
	var victim uint64
	for k := range own {
		victim = k
		break
	}
	switch {
	case len(own) < w.cfg.listKeys && (victim == 0 || rng.IntN(2) == 0):
		k := w.id()
		t := c.Start()
		if rng.IntN(2) == 0 {
			own[k] = w.list.PushBack(&elem{key: k})
		} else {
			own[k] = w.list.PushFront(&elem{key: k})
		}
		c.Finish(t, model.Op{Kind: model.Insert, Key: k})
		w.bumpMaxKey(k)
	case rng.IntN(2) == 0:
		t := c.Start()
		ok := w.list.Remove(own[victim])
		c.Finish(t, model.Op{Kind: model.Remove, Key: victim, OK: ok})
		delete(own, victim)
	default:
		k := w.id()
		t := c.Start()
		e, ok := w.list.Replace(own[victim], &elem{key: k})
		c.Finish(t, model.Op{Kind: model.Replace, Key: victim, Key2: k, OK: ok})
		delete(own, victim)
		if ok {
			own[k] = e
		}
		w.bumpMaxKey(k)
	}
}

func (w *workload) bumpMaxKey(k uint64) {
	for {
		n := w.maxKey.Load()
		if n >= k || w.maxKey.CompareAndSwap(n, k) {
			return
		}
	}
}

// held opens a read section on a goroutine of its own and keeps it open
// until the returned function is called, which waits for it to end.
func (w *workload) held() (release func()) {
	c := w.rec.Client()
	opened, end, done := make(chan struct{}), make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		r := w.ops.Reader()
		defer rcuops.Release(r)
		id, o := w.beginRead(c, r)
		close(opened)
		<-end
		w.endRead(c, r, id, o)
	}()
	<-opened
	var once sync.Once
	return func() { once.Do(func() { close(end); <-done }) }
}

// blockedThenRelease runs wait on a goroutine and client of its own,
// waits until that goroutine has finished or is durably blocked
// (synctest.Wait), then calls release and waits for wait to return. A
// correct wait for the held reader is blocked until the release, so the
// history shows it ending after the reader; a wait that does not wait has
// returned, and recorded its end, before the release. No clock decides
// which.
func (w *workload) blockedThenRelease(release func(), wait func(*linearize.Client)) {
	c := w.rec.Client()
	done := make(chan struct{})
	go func() {
		defer close(done)
		wait(c)
	}()
	synctest.Wait()
	release()
	<-done
}

// probe sets up, once each, the situations the broken implementations get
// wrong: a reader inside across a Snapshot and Poll, a Synchronize, a
// Call, and a Barrier behind a pending callback; and a read right after a
// Publish. A correct RCU makes each wait for the reader; a broken one
// does not, and the history shows it.
func (w *workload) probe(c *linearize.Client) {
	w.barrier(c) // no callback pending: no grace period runs unless asked

	release := w.held()
	id, ck := w.snapshot(c)
	w.poll(c, id, ck)
	release()

	w.blockedThenRelease(w.held(), w.synchronize)

	release = w.held()
	w.call(c, nil)
	release()

	release = w.held()
	w.call(c, nil)
	w.blockedThenRelease(release, w.barrier)

	reader := w.rec.Client()
	w.publish(c, func() {
		r := w.ops.Reader()
		id, o := w.beginRead(reader, r)
		w.endRead(reader, r, id, o)
		rcuops.Release(r)
	})
}
