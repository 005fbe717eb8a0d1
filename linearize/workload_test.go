package linearize_test

// A recording workload over the rcu package: many goroutines read a
// Pointer in nested, sometimes sleeping, sections, and a List; writers
// publish, Synchronize, Call, Barrier, poll and edit the List. Rounds end
// when every worker is idle, which gives the checker quiescent points to
// cut at. Probes at the end set up the one situation each broken double
// gets wrong, so that a broken implementation is caught on every run, not
// only when the scheduler is kind.

import (
	"context"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rcukit/rcukit/linearize"
	"github.com/rcukit/rcukit/model"
	"github.com/rcukit/rcukit/rcu"
)

// An object is a published version. Its flags are atomic so that a broken
// double shows up as a damaged read, not as a report of the race
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

// flavor is the part of an RCU the workload drives: *rcu.Domain, or a
// broken double wrapping one.
type flavor interface {
	ReadLock() rcu.Token
	ReadUnlock(rcu.Token)
	Synchronize()
	SynchronizeContext(context.Context) error
	Call(func())
	Barrier()
	BarrierContext(context.Context) error
	Snapshot() rcu.Cookie
	Poll(rcu.Cookie) bool
	WaitFor(rcu.Cookie)
	// Publish initializes o and makes it p's value, returning the value
	// it replaced; visible, if not nil, runs as soon as readers can see o.
	Publish(p *rcu.Pointer[object], o *object, visible func()) *object
}

// domain is the real thing.
type domain struct{ *rcu.Domain }

func (d domain) Publish(p *rcu.Pointer[object], o *object, visible func()) *object {
	o.ready.Store(true)
	old := p.Swap(o)
	if visible != nil {
		visible()
	}
	return old
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
	f    flavor
	d    *rcu.Domain
	rec  *linearize.Recorder

	ptr  rcu.Pointer[object]
	list *rcu.List[*elem]

	ids    atomic.Uint64 // readers, syncs, callbacks, barriers, cookies, traversals, versions, keys
	maxKey atomic.Uint64
	cbMu   sync.Mutex
	cb     *linearize.Client // for callbacks, which may run on any goroutine; guarded by cbMu
}

// run records a history of cfg on the flavor mk builds over a fresh
// Domain, with random choices from seed.
func run(t testing.TB, cfg config, seed uint64, mk func(*rcu.Domain) flavor) linearize.History {
	d := rcu.New()
	w := &workload{cfg: cfg, seed: seed, f: mk(d), d: d, rec: linearize.NewRecorder()}
	w.cb = w.rec.Client()
	w.list = rcu.NewList(d, func(e *elem) {
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
	d.Close()
	return w.rec.History()
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
			for range w.cfg.reads {
				switch rng.IntN(10) {
				case 0:
					w.lookup(c, rng)
				case 1:
					w.traverse(c, rng)
				default:
					w.read(c, rng, 0)
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

// read records one read section, with nested sections inside now and then.
func (w *workload) read(c *linearize.Client, rng *rand.Rand, depth int) {
	id, tok, o := w.beginRead(c)
	if depth < 2 && rng.IntN(4) == 0 {
		w.read(c, rng, depth+1)
	}
	if w.cfg.sleepy && rng.IntN(24) == 0 {
		time.Sleep(50 * time.Microsecond)
	}
	w.endRead(c, id, tok, o)
}

func (w *workload) beginRead(c *linearize.Client) (uint64, rcu.Token, *object) {
	id := w.id()
	t := c.Start()
	tok := w.f.ReadLock()
	o := w.ptr.Load()
	begin := model.Op{Kind: model.ReadBegin, ID: id}
	if o != nil {
		begin.Version, begin.Damaged = o.version, !o.ready.Load()
	}
	c.Finish(t, begin)
	return id, tok, o
}

func (w *workload) endRead(c *linearize.Client, id uint64, tok rcu.Token, o *object) {
	t := c.Start()
	damaged := o != nil && o.poison.Load()
	w.f.ReadUnlock(tok)
	c.Finish(t, model.Op{Kind: model.ReadEnd, ID: id, Damaged: damaged})
}

func (w *workload) lookup(c *linearize.Client, rng *rand.Rand) {
	key := uint64(1)
	if n := w.maxKey.Load(); n > 0 {
		key = 1 + rng.Uint64N(n)
	}
	t := c.Start()
	tok := w.f.ReadLock()
	found, damaged := false, false
	for e := range w.list.All() {
		if e.Value.key == key {
			found, damaged = true, e.Value.poison.Load()
			break
		}
	}
	w.f.ReadUnlock(tok)
	c.Finish(t, model.Op{Kind: model.Lookup, Key: key, OK: found, Damaged: damaged})
}

func (w *workload) traverse(c *linearize.Client, rng *rand.Rand) {
	id := w.id()
	t := c.Start()
	tok := w.f.ReadLock()
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
	w.f.ReadUnlock(tok)
	c.Finish(t, end)
}

// publish records the publication of a new version and returns the one it
// replaced.
func (w *workload) publish(c *linearize.Client, visible func()) *object {
	o := &object{version: w.id()}
	t := c.Start()
	old := w.f.Publish(&w.ptr, o, visible)
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
	w.f.Synchronize()
	t = c.Start()
	c.Finish(t, model.Op{Kind: model.SyncEnd, ID: id})
}

// call records a Call whose callback records its Invoke and then runs f.
func (w *workload) call(c *linearize.Client, f func(*linearize.Client)) uint64 {
	id := w.id()
	t := c.Start()
	w.f.Call(func() {
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
	w.f.Barrier()
	t = c.Start()
	c.Finish(t, model.Op{Kind: model.BarrierEnd, ID: id})
}

func (w *workload) snapshot(c *linearize.Client) (uint64, rcu.Cookie) {
	id := w.id()
	t := c.Start()
	ck := w.f.Snapshot()
	c.Finish(t, model.Op{Kind: model.Snapshot, ID: id})
	return id, ck
}

func (w *workload) poll(c *linearize.Client, id uint64, ck rcu.Cookie) {
	t := c.Start()
	ok := w.f.Poll(ck)
	c.Finish(t, model.Op{Kind: model.Poll, ID: id, OK: ok})
}

func (w *workload) write(c *linearize.Client, rng *rand.Rand) {
	type cookie struct {
		id uint64
		ck rcu.Cookie
	}
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
				w.f.WaitFor(k.ck)
				t := c.Start()
				c.Finish(t, model.Op{Kind: model.Poll, ID: k.id, OK: true})
			} else {
				w.poll(c, k.id, k.ck)
			}
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
		id, tok, o := w.beginRead(c)
		close(opened)
		<-end
		w.endRead(c, id, tok, o)
	}()
	<-opened
	var once sync.Once
	return func() { once.Do(func() { close(end); <-done }) }
}

// probe sets up, once each, the situations the broken doubles get wrong:
// a reader inside across a Snapshot and Poll, a Synchronize, a Call, and a
// Barrier behind a pending callback; and a read right after a Publish. A
// correct RCU makes each wait (the context-aware calls give up, the reader
// ends, the wait is finished); a broken one returns at once while the
// reader is still inside, and the history shows it.
func (w *workload) probe(c *linearize.Client) {
	const patience = 20 * time.Millisecond
	w.barrier(c) // no callback pending: no grace period runs unless asked

	release := w.held()
	id, ck := w.snapshot(c)
	w.poll(c, id, ck)
	release()

	release = w.held()
	sid := w.id()
	t := c.Start()
	c.Finish(t, model.Op{Kind: model.SyncBegin, ID: sid})
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	if w.f.SynchronizeContext(ctx) != nil {
		release()
		w.f.Synchronize()
	}
	cancel()
	t = c.Start()
	c.Finish(t, model.Op{Kind: model.SyncEnd, ID: sid})
	release()

	release = w.held()
	w.call(c, nil)
	release()

	release = w.held()
	w.call(c, nil)
	bid := w.id()
	t = c.Start()
	c.Finish(t, model.Op{Kind: model.BarrierBegin, ID: bid})
	ctx, cancel = context.WithTimeout(context.Background(), patience)
	if w.f.BarrierContext(ctx) != nil {
		release()
		w.f.Barrier()
	}
	cancel()
	t = c.Start()
	c.Finish(t, model.Op{Kind: model.BarrierEnd, ID: bid})
	release()

	reader := w.rec.Client()
	w.publish(c, func() {
		id, tok, o := w.beginRead(reader)
		w.endRead(reader, id, tok, o)
	})
}
