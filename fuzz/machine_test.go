package fuzz

// rapid state machines that compare the reference rcu.Domain and
// rcu.List with the model.
//
// The sequential machines run every action on the test goroutine and
// check each observation against model.State at once. The domain machine
// drives the reference through its ops table (rcuops.Ops, from
// internal/impl), so that the broken implementations of internal/broken
// are its negative controls; WaitFor, which the table lacks, it calls on
// the reference's rcu.Domain. It holds several read sections open at
// once on the test goroutine, each on a Reader of its own from
// Ops.Reader, ended in any order: that needs Readers independent of one
// another, as token readers (rcuops.TokenReader) are, and not ones that
// keep per-goroutine state. Meanwhile it calls Synchronize, Barrier or
// WaitFor: those run on a goroutine of their own and report to the model
// when they return, as callbacks do when they run. The list machine
// drives rcu.List, which is not in the ops table, with its own broken
// doubles. Every model operation is applied under one
// mutex, together with the real operation when both happen on the test
// goroutine (a ReadUnlock and its ReadEnd), so that the model sees
// operations in an order consistent with real time. An action that does
// not apply (load with no section open, poll with no cookie) does
// nothing: actions are total, as rapid.MakeFuzz needs.
//
// The concurrent plans draw what each of several goroutines will do
// first, then run it with a linearize.Recorder and check the history:
// rapid's draws are not safe for concurrent use.
//
// Each property can report the rules of the failures it finds to a
// caughtRules, so that the negative controls can hold a failure to the
// bug that explains it without reading its message.

import (
	"fmt"
	"github.com/rcukit/rcukit/rcuops"
	"iter"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rcukit/rcukit/internal/broken"
	"github.com/rcukit/rcukit/internal/impl"
	"github.com/rcukit/rcukit/internal/progress"
	"github.com/rcukit/rcukit/linearize"
	"github.com/rcukit/rcukit/model"
	"github.com/rcukit/rcukit/rcu"
	"github.com/rcukit/rcukit/torture/flavors"
	"pgregory.net/rapid"
)

// progressTimeout bounds the wait for an operation the model says can
// finish: a Synchronize whose readers have all ended, say.
const progressTimeout = 10 * time.Second

// domain is what the domain machine drives: an ops table, the
// reference's or a broken one, and a WaitFor (nil: the waitFor action
// does nothing).
type domain struct {
	ops     *rcuops.Ops
	waitFor func(cookie uint64)
}

// caughtRules collects the rules of the failures a property finds.
type caughtRules struct {
	mu    sync.Mutex
	rules []model.Rule
}

// add records r; a nil caughtRules records nothing.
func (c *caughtRules) add(r model.Rule) {
	if c == nil {
		return
	}
	c.mu.Lock()
	c.rules = append(c.rules, r)
	c.mu.Unlock()
}

func (c *caughtRules) get() []model.Rule {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.rules)
}

// oracle is the model state shared by the test goroutine and the
// goroutines that report to it.
type oracle struct {
	mu     sync.Mutex
	m      model.State
	bad    []*model.Violation // violations found on other goroutines
	caught *caughtRules
}

func newOracle(caught *caughtRules) *oracle { return &oracle{m: model.Init(), caught: caught} }

// apply applies op; the caller holds o.mu. It returns the violation.
func (o *oracle) apply(op model.Op) *model.Violation {
	next, v := o.m.Apply(op)
	if v == nil {
		o.m = next
	}
	return v
}

// must applies op on the test goroutine, failing the test on a violation.
// The caller holds o.mu.
func (o *oracle) must(t *rapid.T, op model.Op) {
	if v := o.apply(op); v != nil {
		o.mu.Unlock()
		o.caught.add(v.Rule)
		t.Fatalf("model: %v", v)
	}
}

// mustEnd applies the ops that end a read section, then runs unlock (the
// section's ReadUnlock) and releases o.mu whatever the verdict, and only
// then fails the test on the first violation: a section left locked would
// hold off every later grace period, and the cleanup with it. The caller
// holds o.mu.
func (o *oracle) mustEnd(t *rapid.T, ops []model.Op, unlock func()) {
	var bad *model.Violation
	for _, op := range ops {
		if v := o.apply(op); v != nil && bad == nil {
			bad = v
		}
	}
	unlock()
	o.mu.Unlock()
	if bad != nil {
		o.caught.add(bad.Rule)
		t.Fatalf("model: %v", bad)
	}
}

// report applies op on another goroutine, keeping any violation for the
// test goroutine. The caller holds o.mu.
func (o *oracle) report(op model.Op) {
	if v := o.apply(op); v != nil {
		o.bad = append(o.bad, v)
	}
}

func (o *oracle) check(t *rapid.T) {
	o.mu.Lock()
	bad := slices.Clone(o.bad)
	o.mu.Unlock()
	if len(bad) > 0 {
		msgs := make([]string, len(bad))
		for i, v := range bad {
			o.caught.add(v.Rule)
			msgs[i] = v.Error()
		}
		t.Fatalf("model: %s", strings.Join(msgs, "; "))
	}
}

// A background operation runs on a goroutine of its own.
type background struct {
	what string
	done chan struct{}
}

// cleanUp, for t.Cleanup, waits for the background operations and then
// closes the domain, for at most progressTimeout in all: after a failure
// an operation may never return, and the failure must still be reported.
// What does not finish is abandoned.
func cleanUp(t *rapid.T, bg []*background, close func()) {
	clock := progress.Acquire()
	defer progress.Release(clock)
	start := clock.Now()
	wait := func(b *background) bool {
		if !clock.Within(b.done, progressTimeout-clock.Since(start)) {
			t.Errorf("cleanup: %s did not return within %v; abandoned", b.what, progressTimeout)
			return false
		}
		return true
	}
	for _, b := range bg {
		if !wait(b) {
			return
		}
	}
	wait(goBackground("Close", close))
}

// waitAll waits for the background operations, for at most
// progressTimeout of progress time (internal/progress), so that a slow or
// loaded machine is not taken for a hang.
func (o *oracle) waitAll(t *rapid.T, bg []*background) {
	clock := progress.Acquire()
	defer progress.Release(clock)
	start := clock.Now()
	for _, b := range bg {
		if !clock.Within(b.done, progressTimeout-clock.Since(start)) {
			o.caught.add(model.Progress)
			t.Fatalf("progress: %s did not return within %v although no read section was open", b.what, progressTimeout)
		}
	}
}

// domainMachine compares a domain and an rcu.Pointer with the model.
type domainMachine struct {
	d    domain
	ops  *rcuops.Ops
	o    *oracle
	ptr  rcu.Pointer[object]
	ids  uint64 // reader, sync, callback, barrier and cookie ids
	vers uint64

	retired  []*object // guarded by o.mu
	sections []*section
	bg       []*background
	cookie   *cookie
	cookieC  uint64
}

// A section is an open read section, on a Reader of its own.
type section struct {
	r     rcuops.Reader
	loads []load
}

func (s *section) end() {
	s.r.Unlock()
	rcuops.Release(s.r)
}

func newDomainMachine(t *rapid.T, d domain, caught *caughtRules) *domainMachine {
	o := d.ops
	if o.Call == nil || o.Barrier == nil || o.Snapshot == nil || o.Close == nil {
		panic("fuzz: the domain machine needs Call, Barrier, Snapshot, Poll and Close")
	}
	m := &domainMachine{d: d, ops: o, o: newOracle(caught)}
	v0 := &object{}
	v0.state.Store(objLive)
	m.ptr.Store(v0)
	t.Cleanup(func() {
		for _, s := range m.sections {
			s.end()
		}
		cleanUp(t, m.bg, o.Close)
	})
	return m
}

func (m *domainMachine) id() uint64 { m.ids++; return m.ids }

func (m *domainMachine) pick(t *rapid.T) (int, *section) {
	i := rapid.IntRange(0, len(m.sections)-1).Draw(t, "section")
	return i, m.sections[i]
}

func (m *domainMachine) lock(*rapid.T) {
	s := &section{r: m.ops.Reader()}
	s.r.Lock()
	m.sections = append(m.sections, s)
}

func (m *domainMachine) load(t *rapid.T) {
	if len(m.sections) == 0 {
		return
	}
	_, s := m.pick(t)
	obj := m.ptr.Load()
	st := obj.state.Load()
	for i := range s.loads {
		if s.loads[i].obj == obj {
			s.loads[i].damaged = s.loads[i].damaged || st == objPoisoned
			return
		}
	}
	l := load{id: m.id(), obj: obj, damaged: st == objPoisoned}
	s.loads = append(s.loads, l)
	m.o.mu.Lock()
	m.o.must(t, model.Op{Kind: model.ReadBegin, ID: l.id, Version: obj.version, Damaged: st == objAlloc})
	m.o.mu.Unlock()
}

func (m *domainMachine) unlock(t *rapid.T) {
	if len(m.sections) == 0 {
		return
	}
	i, s := m.pick(t)
	m.sections = slices.Delete(m.sections, i, i+1)
	m.end(t, s)
}

// end ends section s, applying its ReadEnds with the ReadUnlock under the
// lock, so that nothing that reports to the model sees the section ended
// before it is.
func (m *domainMachine) end(t *rapid.T, s *section) {
	m.o.mu.Lock()
	ops := make([]model.Op, len(s.loads))
	for i, l := range s.loads {
		ops[i] = model.Op{Kind: model.ReadEnd, ID: l.id, Damaged: l.damaged || l.obj.state.Load() == objPoisoned}
	}
	m.o.mustEnd(t, ops, s.end)
}

func (m *domainMachine) publish(t *rapid.T) {
	m.vers++
	obj := &object{version: m.vers}
	obj.state.Store(objLive)
	m.o.mu.Lock()
	m.retired = append(m.retired, m.ptr.Swap(obj))
	m.o.must(t, model.Op{Kind: model.Publish, Version: obj.version})
	m.o.mu.Unlock()
}

// claim takes the retired versions; the caller holds o.mu.
func (m *domainMachine) claim() []*object {
	c := m.retired
	m.retired = nil
	return c
}

// reclaim poisons claim; the caller holds o.mu.
func (m *domainMachine) reclaim(claim []*object) {
	for _, obj := range claim {
		obj.state.Store(objPoisoned)
		m.o.report(model.Op{Kind: model.Reclaim, Version: obj.version})
	}
}

// inBackground runs f on a goroutine of its own, after begin was applied
// on this one; end is applied when f returns, then claim is reclaimed.
func (m *domainMachine) inBackground(t *rapid.T, what string, begin, end model.Op, claim bool, f func()) {
	m.o.mu.Lock()
	var c []*object
	if claim {
		c = m.claim()
	}
	if begin.Kind != 0 {
		m.o.must(t, begin)
	}
	m.o.mu.Unlock()
	b := &background{what: what, done: make(chan struct{})}
	m.bg = append(m.bg, b)
	go func() {
		defer close(b.done)
		f()
		m.o.mu.Lock()
		m.o.report(end)
		m.reclaim(c)
		m.o.mu.Unlock()
	}()
	b.letRun()
}

// letRun yields until b is done, a bounded number of times, so that an
// operation that returns at once (rightly or not) does so before the next
// action: failures then replay when rapid shrinks them.
func (b *background) letRun() {
	for range blockingYields {
		select {
		case <-b.done:
			return
		default:
			runtime.Gosched()
		}
	}
}

func (m *domainMachine) synchronize(t *rapid.T) {
	id := m.id()
	m.inBackground(t, fmt.Sprintf("Synchronize s%d", id), model.Op{Kind: model.SyncBegin, ID: id}, model.Op{Kind: model.SyncEnd, ID: id}, true, m.ops.Synchronize)
}

func (m *domainMachine) expedited(t *rapid.T) {
	id := m.id()
	expedited := m.ops.SynchronizeExpedited
	if expedited == nil {
		expedited = m.ops.Synchronize
	}
	m.inBackground(t, fmt.Sprintf("SynchronizeExpedited s%d", id), model.Op{Kind: model.SyncBegin, ID: id}, model.Op{Kind: model.SyncEnd, ID: id}, true, expedited)
}

func (m *domainMachine) barrier(t *rapid.T) {
	id := m.id()
	m.inBackground(t, fmt.Sprintf("Barrier b%d", id), model.Op{Kind: model.BarrierBegin, ID: id}, model.Op{Kind: model.BarrierEnd, ID: id}, false, m.ops.Barrier)
}

func (m *domainMachine) call(t *rapid.T) {
	id := m.id()
	m.o.mu.Lock()
	c := m.claim()
	m.o.must(t, model.Op{Kind: model.Call, ID: id})
	m.o.mu.Unlock()
	b := &background{done: make(chan struct{})}
	m.ops.Call(func() {
		m.o.mu.Lock()
		m.o.report(model.Op{Kind: model.Invoke, ID: id})
		m.reclaim(c)
		m.o.mu.Unlock()
		close(b.done)
	})
	b.letRun()
}

func (m *domainMachine) snapshot(t *rapid.T) {
	m.o.mu.Lock()
	c := &cookie{id: m.id(), claim: m.claim()}
	if m.cookie != nil {
		c.claim = append(m.cookie.claim, c.claim...)
	}
	m.cookieC = m.ops.Snapshot()
	m.o.must(t, model.Op{Kind: model.Snapshot, ID: c.id})
	m.o.mu.Unlock()
	m.cookie = c
}

func (m *domainMachine) poll(t *rapid.T) {
	c := m.cookie
	if c == nil {
		return
	}
	m.o.mu.Lock()
	ok := m.ops.Poll(m.cookieC)
	m.o.must(t, model.Op{Kind: model.Poll, ID: c.id, OK: ok})
	if ok {
		m.reclaim(c.claim)
		c.claim = nil
	}
	m.o.mu.Unlock()
}

// waitFor waits for the cookie in the background: a WaitFor that returns
// is a Poll that reports completion.
func (m *domainMachine) waitFor(t *rapid.T) {
	c := m.cookie
	if c == nil || m.d.waitFor == nil {
		return
	}
	m.cookie = nil // its claim goes with the WaitFor
	cc := m.cookieC
	b := &background{what: fmt.Sprintf("WaitFor(c%d)", c.id), done: make(chan struct{})}
	m.bg = append(m.bg, b)
	go func() {
		defer close(b.done)
		m.d.waitFor(cc)
		m.o.mu.Lock()
		m.o.report(model.Op{Kind: model.Poll, ID: c.id, OK: true})
		m.reclaim(c.claim)
		m.o.mu.Unlock()
	}()
	b.letRun()
}

// settle, when no section is open, waits for every background operation:
// each must return.
func (m *domainMachine) settle(t *rapid.T) {
	if len(m.sections) > 0 {
		return
	}
	m.o.waitAll(t, m.bg)
	m.bg = nil
}

// invariant fails on what other goroutines reported, and checks that the
// rcu.Pointer, read in a section of its own, holds the model's current
// version, live.
func (m *domainMachine) invariant(t *rapid.T) {
	m.o.check(t)
	s := &section{r: m.ops.Reader()}
	s.r.Lock()
	obj := m.ptr.Load()
	st := obj.state.Load()
	s.end()
	m.o.mu.Lock()
	want := m.o.m.Version()
	m.o.mu.Unlock()
	if obj.version != want || st != objLive {
		t.Fatalf("the pointer holds version %d (state %d), the model's current version is %d (live)", obj.version, st, want)
	}
}

// finish ends every section, waits for everything, runs the callbacks
// (Barrier) and checks what was reported.
func (m *domainMachine) finish(t *rapid.T) {
	for _, s := range m.sections {
		m.end(t, s)
	}
	m.sections = nil
	m.o.waitAll(t, m.bg)
	m.bg = nil
	m.o.waitAll(t, []*background{goBackground("the final Barrier", m.ops.Barrier)})
	m.o.check(t)
}

func goBackground(what string, f func()) *background {
	b := &background{what: what, done: make(chan struct{})}
	go func() {
		defer close(b.done)
		f()
	}()
	return b
}

func (m *domainMachine) actions() map[string]func(*rapid.T) {
	return map[string]func(*rapid.T){
		"lock": m.lock, "load": m.load, "unlock": m.unlock, "publish": m.publish,
		"synchronize": m.synchronize, "expedited": m.expedited, "call": m.call, "barrier": m.barrier,
		"snapshot": m.snapshot, "poll": m.poll, "waitFor": m.waitFor, "settle": m.settle,
		"": m.invariant,
	}
}

// domainProperty is the sequential domain machine over the domain that
// newDomain makes; it reports the rules of its failures to caught.
func domainProperty(newDomain func(*rapid.T) domain, caught *caughtRules) func(*rapid.T) {
	return func(t *rapid.T) {
		m := newDomainMachine(t, newDomain(t), caught)
		t.Repeat(m.actions())
		m.finish(t)
	}
}

// referenceDomain makes the reference, with or without its debug checks.
func referenceDomain(t *rapid.T) domain {
	var opts []rcu.Option
	if rapid.Bool().Draw(t, "debug") {
		opts = append(opts, rcu.WithDebug())
	}
	ops, d := impl.Reference(rcuops.Env{}, opts...)
	return domain{ops: ops, waitFor: func(c uint64) { d.WaitFor(rcu.Cookie(c)) }}
}

// brokenDomain makes a broken implementation's instance.
func brokenDomain(bug broken.Bug) func(*rapid.T) domain {
	return func(*rapid.T) domain { return domain{ops: bug.New(rcuops.Env{})} }
}

func TestDomainStateMachine(t *testing.T) {
	rapid.Check(t, domainProperty(referenceDomain, nil))
}

func FuzzDomainStateMachine(f *testing.F) {
	f.Fuzz(rapid.MakeFuzz(domainProperty(referenceDomain, nil)))
}

// list is what the list machine drives: *rcu.List[uint64], or a broken
// wrapper.
type list interface {
	PushFront(uint64) *rcu.Element[uint64]
	PushBack(uint64) *rcu.Element[uint64]
	Remove(*rcu.Element[uint64]) bool
	Replace(*rcu.Element[uint64], uint64) (*rcu.Element[uint64], bool)
	All() iter.Seq[*rcu.Element[uint64]]
	Len() int
}

// newList makes a list on d whose removed values go to reclaim.
type newList func(d *rcu.Domain, reclaim func(uint64)) list

func referenceList(d *rcu.Domain, reclaim func(uint64)) list { return rcu.NewList(d, reclaim) }

// listMachine compares a list with the model's list. Keys are the
// values; each is inserted once. Traversals advance one element per
// action, so that writes happen in the middle of them.
type listMachine struct {
	d         *rcu.Domain
	l         list
	o         *oracle
	reclaimed map[uint64]bool // guarded by o.mu
	keys, ids uint64
	elems     []*rcu.Element[uint64] // every element inserted, removed ones too
	travs     []*traversal
}

type traversal struct {
	id      uint64
	tok     rcu.Token
	next    func() (*rcu.Element[uint64], bool)
	stop    func()
	seen    []uint64
	damaged bool
}

func newListMachine(t *rapid.T, mk newList, caught *caughtRules) *listMachine {
	m := &listMachine{d: rcu.New(), o: newOracle(caught), reclaimed: map[uint64]bool{}}
	m.l = mk(m.d, func(k uint64) {
		m.o.mu.Lock()
		m.reclaimed[k] = true
		m.o.report(model.Op{Kind: model.ElemReclaim, Key: k})
		m.o.mu.Unlock()
	})
	t.Cleanup(func() {
		for _, tr := range m.travs {
			tr.stop()
			m.d.ReadUnlock(tr.tok)
		}
		cleanUp(t, nil, m.d.Close)
	})
	return m
}

// visit reports whether the element with key k was reclaimed.
func (m *listMachine) visit(k uint64) bool {
	m.o.mu.Lock()
	defer m.o.mu.Unlock()
	return m.reclaimed[k]
}

func (m *listMachine) insert(t *rapid.T, front bool) {
	m.keys++
	k := m.keys
	m.o.mu.Lock()
	m.o.must(t, model.Op{Kind: model.Insert, Key: k})
	m.o.mu.Unlock()
	var e *rcu.Element[uint64]
	if front {
		e = m.l.PushFront(k)
	} else {
		e = m.l.PushBack(k)
	}
	m.elems = append(m.elems, e)
}

func (m *listMachine) pickElem(t *rapid.T) *rcu.Element[uint64] {
	return m.elems[rapid.IntRange(0, len(m.elems)-1).Draw(t, "element")]
}

// remove and replace apply their operation to the model before they run
// it, with the result the model expects, and compare after: the list may
// reclaim from inside the call (a broken one does), and a reclaim must
// find the removal applied.
func (m *listMachine) remove(t *rapid.T) {
	if len(m.elems) == 0 {
		return
	}
	e := m.pickElem(t)
	m.o.mu.Lock()
	before := m.o.m
	want := slices.Contains(before.Present(), e.Value)
	m.o.must(t, model.Op{Kind: model.Remove, Key: e.Value, OK: want})
	m.o.mu.Unlock()
	if ok := m.l.Remove(e); ok != want {
		_, v := before.Apply(model.Op{Kind: model.Remove, Key: e.Value, OK: ok})
		m.o.caught.add(v.Rule)
		t.Fatalf("model: %v", v)
	}
}

func (m *listMachine) replace(t *rapid.T) {
	if len(m.elems) == 0 {
		return
	}
	e := m.pickElem(t)
	m.keys++
	k := m.keys
	m.o.mu.Lock()
	before := m.o.m
	want := slices.Contains(before.Present(), e.Value)
	m.o.must(t, model.Op{Kind: model.Replace, Key: e.Value, Key2: k, OK: want})
	m.o.mu.Unlock()
	e2, ok := m.l.Replace(e, k)
	if ok != want {
		_, v := before.Apply(model.Op{Kind: model.Replace, Key: e.Value, Key2: k, OK: ok})
		m.o.caught.add(v.Rule)
		t.Fatalf("model: %v", v)
	}
	if ok {
		m.elems = append(m.elems, e2)
	}
}

// lookup searches for a key, present or not, in a section of its own.
func (m *listMachine) lookup(t *rapid.T) {
	k := rapid.Uint64Range(1, m.keys+1).Draw(t, "key")
	tok := m.d.ReadLock()
	found, damaged := false, false
	for e := range m.l.All() {
		damaged = damaged || m.visit(e.Value)
		if e.Value == k {
			found = true
			break
		}
	}
	m.d.ReadUnlock(tok)
	m.o.mu.Lock()
	m.o.must(t, model.Op{Kind: model.Lookup, Key: k, OK: found, Damaged: damaged})
	m.o.mu.Unlock()
}

func (m *listMachine) traverseBegin(t *rapid.T) {
	m.ids++
	tr := &traversal{id: m.ids, tok: m.d.ReadLock()}
	tr.next, tr.stop = iter.Pull(m.l.All())
	m.travs = append(m.travs, tr)
	m.o.mu.Lock()
	m.o.must(t, model.Op{Kind: model.TraverseBegin, ID: tr.id})
	m.o.mu.Unlock()
}

func (m *listMachine) pickTrav(t *rapid.T) (int, *traversal) {
	i := rapid.IntRange(0, len(m.travs)-1).Draw(t, "traversal")
	return i, m.travs[i]
}

// advance takes one step of tr; it reports false at the end of the list.
func (m *listMachine) advance(tr *traversal) bool {
	e, ok := tr.next()
	if ok {
		tr.seen = append(tr.seen, e.Value)
		tr.damaged = tr.damaged || m.visit(e.Value)
	}
	return ok
}

func (m *listMachine) traverseStep(t *rapid.T) {
	if len(m.travs) == 0 {
		return
	}
	_, tr := m.pickTrav(t)
	m.advance(tr)
}

func (m *listMachine) traverseEnd(t *rapid.T) {
	if len(m.travs) == 0 {
		return
	}
	i, tr := m.pickTrav(t)
	m.travs = slices.Delete(m.travs, i, i+1)
	m.end(t, tr)
}

// end runs tr to the end of the list and ends its section, applying its
// TraverseEnd with the ReadUnlock under the lock.
func (m *listMachine) end(t *rapid.T, tr *traversal) {
	for m.advance(tr) {
	}
	tr.stop()
	m.o.mu.Lock()
	m.o.mustEnd(t, []model.Op{{Kind: model.TraverseEnd, ID: tr.id, Keys: tr.seen, Damaged: tr.damaged}},
		func() { m.d.ReadUnlock(tr.tok) })
}

// settle, when no traversal is open, waits for every pending reclaim.
func (m *listMachine) settle(t *rapid.T) {
	if len(m.travs) > 0 {
		return
	}
	m.o.waitAll(t, []*background{goBackground("Barrier", m.d.Barrier)})
}

func (m *listMachine) invariant(t *rapid.T) {
	m.o.check(t)
	m.o.mu.Lock()
	want := len(m.o.m.Present())
	m.o.mu.Unlock()
	if n := m.l.Len(); n != want {
		t.Fatalf("the list has %d elements, the model %d", n, want)
	}
}

func (m *listMachine) finish(t *rapid.T) {
	for _, tr := range m.travs {
		m.end(t, tr)
	}
	m.travs = nil
	m.settle(t)
	m.o.check(t)
}

func (m *listMachine) actions() map[string]func(*rapid.T) {
	return map[string]func(*rapid.T){
		"pushFront": func(t *rapid.T) { m.insert(t, true) }, "pushBack": func(t *rapid.T) { m.insert(t, false) },
		"remove": m.remove, "replace": m.replace, "lookup": m.lookup,
		"traverseBegin": m.traverseBegin, "traverseStep": m.traverseStep, "traverseEnd": m.traverseEnd,
		"settle": m.settle, "": m.invariant,
	}
}

func listProperty(mk newList, caught *caughtRules) func(*rapid.T) {
	return func(t *rapid.T) {
		m := newListMachine(t, mk, caught)
		t.Repeat(m.actions())
		m.finish(t)
	}
}

func TestListStateMachine(t *testing.T) { rapid.Check(t, listProperty(referenceList, nil)) }

func FuzzListStateMachine(f *testing.F) { f.Fuzz(rapid.MakeFuzz(listProperty(referenceList, nil))) }

// Concurrent plans.

// planOps are the operations a goroutine of a domain plan draws; "read"
// is a whole section with one or two loads, nested or not.
var planOps = actionsNamed("lock+load", "lock", "load", "unlock", "publish", "sync-reclaim", "expedited-reclaim",
	"call-reclaim", "barrier", "snapshot", "poll", "poll-reclaim")

func actionsNamed(names ...string) []*action {
	as := make([]*action, len(names))
	for i, n := range names {
		as[i] = actionNamed(n)
	}
	return as
}

// drawPlan draws what each goroutine of a domain plan does: steps of the
// schedule fuzzer, made valid as the decoder makes them (no Synchronize
// or Barrier inside a section, sections closed at the end).
func drawPlan(t *rapid.T) *schedule {
	s := &schedule{}
	goroutines := rapid.IntRange(2, numActors).Draw(t, "goroutines")
	for a := range goroutines {
		n := rapid.IntRange(1, 12).Draw(t, fmt.Sprintf("ops %s", actorName(a)))
		depth := 0
		for range n {
			op := rapid.SampledFrom(planOps).Draw(t, fmt.Sprintf("op %s", actorName(a)))
			switch op.name {
			case "lock", "lock+load":
				if depth == maxDepth {
					continue
				}
				depth++
			case "load":
				if depth == 0 {
					continue
				}
			case "unlock":
				if depth == 0 {
					continue
				}
				depth--
			default:
				if op.blocking && depth > 0 {
					continue
				}
			}
			yields := rapid.IntRange(0, 3).Draw(t, fmt.Sprintf("yields %s", actorName(a)))
			s.steps = append(s.steps, step{index: len(s.steps), act: op, actor: a, count: 1, yields: yields})
		}
		if depth > 0 {
			s.steps = append(s.steps, step{index: len(s.steps), act: unlockAction, actor: a, count: depth})
		}
	}
	return s
}

// domainPlanProperty runs a drawn plan on a flavor (the reference, in the
// tests and fuzz targets), every goroutine at once, and checks the
// history.
func domainPlanProperty(f rcuops.Flavor, caught *caughtRules) func(*rapid.T) {
	return func(t *rapid.T) {
		plan := drawPlan(t)
		r := newRun(f)
		r.sched, r.plan = plan, true
		for _, st := range plan.steps {
			r.dispatch(st)
		}
		if err := r.judge(nil); err != nil {
			caught.add(err.(*Failure).Rule)
			t.Fatal(err)
		}
	}
}

func TestDomainConcurrentPlans(t *testing.T) {
	rapid.Check(t, domainPlanProperty(flavors.Reference, nil))
}

// TestFastFlavorsConcurrentPlans: the same plans on the flavors with
// registered readers (rcu/qsbr, rcu/registered).
func TestFastFlavorsConcurrentPlans(t *testing.T) {
	for _, f := range []rcuops.Flavor{flavors.QSBR, flavors.Registered} {
		t.Run(f.Name, func(t *testing.T) { rapid.Check(t, domainPlanProperty(f, nil)) })
	}
}

func FuzzDomainConcurrentPlans(f *testing.F) {
	f.Fuzz(rapid.MakeFuzz(domainPlanProperty(flavors.Reference, nil)))
}

// A listOp is one operation of a list plan.
type listOp struct {
	kind   model.Kind // Insert (arg: front), Remove, Replace (arg: which own element), Lookup (arg: key), TraverseBegin
	arg    int
	yields int // times the goroutine yields after the operation (and in the middle of a traversal)
}

func (o listOp) String() string { return fmt.Sprintf("%s(%d)", o.kind, o.arg) }

var listKinds = []model.Kind{model.Insert, model.Remove, model.Replace, model.Lookup, model.TraverseBegin}

// listPlanProperty runs a drawn plan on a list, every goroutine at once,
// and checks the history: each goroutine inserts, removes and replaces
// its own elements, looks keys up and traverses the whole list.
func listPlanProperty(mk newList, caught *caughtRules) func(*rapid.T) {
	return func(t *rapid.T) {
		plan := drawListPlan(t)
		if f := runListPlan(mk, plan); f != nil {
			caught.add(f.Rule)
			t.Fatalf("%v\nplan: %v", f, plan)
		}
	}
}

// drawListPlan draws what each goroutine of a list plan does.
func drawListPlan(t *rapid.T) [][]listOp {
	goroutines := rapid.IntRange(2, 3).Draw(t, "goroutines")
	plan := make([][]listOp, goroutines)
	for g := range plan {
		n := rapid.IntRange(1, 10).Draw(t, fmt.Sprintf("ops %d", g))
		for range n {
			plan[g] = append(plan[g], listOp{
				kind:   rapid.SampledFrom(listKinds).Draw(t, fmt.Sprintf("op %d", g)),
				arg:    rapid.IntRange(0, 15).Draw(t, fmt.Sprintf("arg %d", g)),
				yields: rapid.IntRange(0, 3).Draw(t, fmt.Sprintf("yields %d", g)),
			})
		}
	}
	return plan
}

// runListPlan runs plan and checks its history.
func runListPlan(mk newList, plan [][]listOp) *Failure {
	d := rcu.New()
	rec := linearize.NewRecorder()
	var (
		keys      sync.Mutex
		next      uint64
		reclaimed sync.Map
		cbMu      sync.Mutex
		cb        = rec.Client()
	)
	newKey := func() uint64 {
		keys.Lock()
		defer keys.Unlock()
		next++
		return next
	}
	l := mk(d, func(k uint64) {
		cbMu.Lock()
		t := cb.Start()
		reclaimed.Store(k, true)
		cb.Finish(t, model.Op{Kind: model.ElemReclaim, Key: k})
		cbMu.Unlock()
	})
	visit := func(k uint64) bool { _, ok := reclaimed.Load(k); return ok }
	var wg sync.WaitGroup
	var ids sync.Mutex
	var lastID uint64
	newID := func() uint64 {
		ids.Lock()
		defer ids.Unlock()
		lastID++
		return lastID
	}
	for _, ops := range plan {
		c := rec.Client()
		wg.Go(func() {
			var own []*rcu.Element[uint64]
			for _, op := range ops {
				switch op.kind {
				case model.Insert:
					k := newKey()
					t := c.Start()
					var e *rcu.Element[uint64]
					if op.arg%2 == 0 {
						e = l.PushBack(k)
					} else {
						e = l.PushFront(k)
					}
					c.Finish(t, model.Op{Kind: model.Insert, Key: k})
					own = append(own, e)
				case model.Remove:
					if len(own) == 0 {
						continue
					}
					e := own[op.arg%len(own)]
					t := c.Start()
					ok := l.Remove(e)
					c.Finish(t, model.Op{Kind: model.Remove, Key: e.Value, OK: ok})
				case model.Replace:
					if len(own) == 0 {
						continue
					}
					e := own[op.arg%len(own)]
					k := newKey()
					t := c.Start()
					e2, ok := l.Replace(e, k)
					c.Finish(t, model.Op{Kind: model.Replace, Key: e.Value, Key2: k, OK: ok})
					if ok {
						own = append(own, e2)
					}
				case model.Lookup:
					k := uint64(op.arg + 1)
					t := c.Start()
					tok := d.ReadLock()
					found, damaged := false, false
					for e := range l.All() {
						damaged = damaged || visit(e.Value)
						if e.Value == k {
							found = true
							break
						}
					}
					d.ReadUnlock(tok)
					c.Finish(t, model.Op{Kind: model.Lookup, Key: k, OK: found, Damaged: damaged})
				case model.TraverseBegin:
					id := newID()
					t := c.Start()
					tok := d.ReadLock()
					c.Finish(t, model.Op{Kind: model.TraverseBegin, ID: id})
					var seen []uint64
					damaged := false
					for e := range l.All() {
						seen = append(seen, e.Value)
						damaged = damaged || visit(e.Value)
						for range op.yields {
							runtime.Gosched()
						}
					}
					t = c.Start()
					d.ReadUnlock(tok)
					c.Finish(t, model.Op{Kind: model.TraverseEnd, ID: id, Keys: seen, Damaged: damaged})
				}
				for range op.yields {
					runtime.Gosched()
				}
			}
		})
	}
	wg.Wait()
	d.Barrier()
	d.Close()
	if f := judgeHistory(rec.History()); f != nil {
		f.Flavor = "rcu.List"
		return f
	}
	return nil
}

func TestListConcurrentPlans(t *testing.T) { rapid.Check(t, listPlanProperty(referenceList, nil)) }

func FuzzListConcurrentPlans(f *testing.F) {
	f.Fuzz(rapid.MakeFuzz(listPlanProperty(referenceList, nil)))
}
