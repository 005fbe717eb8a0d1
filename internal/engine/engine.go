// Package engine is the write side that every RCU flavor of package rcu
// and its subpackages shares: the grace-period goroutine, the callback
// queue and its goroutine, the waits (Synchronize, Barrier, polled
// cookies), Close, Stats and stall reports. A flavor supplies only its read
// side: the readers' state, and Readers.Wait, which waits for the readers
// of one grace period.
//
// Grace periods run one at a time on one goroutine per engine. Grace
// period n:
//
//  1. start: started = n. Callbacks queued so far are sealed for n.
//  2. the flavor's Readers.Wait: every section that began before step 1
//     has ended when it returns;
//  3. end: completed = n; waiters wake; callbacks sealed for n become
//     ready, and the callback goroutine runs them.
//
// Polled cookies: Snapshot returns started+1 (read once). Grace period
// started+1 begins after the read, so when completed >= cookie a full
// grace period has elapsed since the Snapshot.
//
// Callbacks: Call and Retire append to e.open. When grace period n starts
// it seals e.open as the batch for n, so every callback in it was queued
// before n began. When n completes, its batch moves to e.ready and the
// callback goroutine runs it. Batches are sealed, completed and run in
// order, so callbacks run in the order they were queued; Barrier relies on
// that: once e.invoked reaches the value e.queued had when Barrier was
// called, every earlier callback has run.
//
// The engine shares one word with its flavor, the flavor's control word
// (ctl): the engine sets FlagYield and FlagClosed there, so that a read
// side tests them with the one load it makes anyway; the flavor owns the
// other bits.
package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// ErrClosed is what the context-aware waits of a closed engine return;
// package rcu exports it as rcu.ErrClosed.
var ErrClosed = errors.New("rcu: domain is closed")

// Defaults of Config.
const (
	DefaultMaxPending   = 1 << 16
	DefaultStallTimeout = 10 * time.Second
)

// The bits of the flavor's control word that the engine sets.
const (
	FlagYield  = 1 << 2 // someone waits: readers may yield now and then
	FlagClosed = 1 << 3 // Close has closed the engine
)

// Config is what the options of every flavor set (rcu.Option is a
// func(*Config)).
type Config struct {
	MaxPending   int
	StallTimeout time.Duration
	StallHandler func(Stall)
	PanicHandler func(any)
	Debug        bool
	// Inline lets a Synchronize that finds no grace period running or
	// requested run the one it needs on its own goroutine, instead of
	// handing it to the grace-period goroutine and sleeping until that one
	// is done: two goroutine switches fewer. Set by the flavors with
	// registered readers.
	Inline bool
	// Injector and Faults are set only by the options of builds with
	// -tags rcuinject, and by the broken flavors of this module.
	Injector func(Point)
	Faults   Fault
}

// Defaults is the Config of a flavor made without options.
var Defaults = Config{MaxPending: DefaultMaxPending, StallTimeout: DefaultStallTimeout}

// Fault reports whether c turns on the deliberate bug f.
func (c *Config) Fault(f Fault) bool { return c.Faults&f != 0 }

// Inject runs the injector at p, if there is one.
func (c *Config) Inject(p Point) {
	if f := c.Injector; f != nil {
		f(p)
	}
}

// A Point names a place where an injector runs.
type Point uint8

// The injection points of this module's flavors.
const (
	PointReadSampled Point = iota + 1 // a reader has sampled the grace-period state but is not yet visible
	PointGPStart                      // a grace period has started, before its first scan
	PointGPFlipped                    // the index has flipped, before the second scan (two-index flavors)
	PointGPEnd                        // the scans are done, before completion is published
	PointInvoke                       // the callback goroutine is about to run a callback
)

var pointNames = [...]string{"point(?)", "read-sampled", "gp-start", "gp-flipped", "gp-end", "invoke"}

// String is the point's name, which rcuops.Point spells the same way.
func (p Point) String() string {
	if int(p) < len(pointNames) {
		return pointNames[p]
	}
	return pointNames[0]
}

// Fault is a set of deliberate bugs, for the negative controls of the
// checkers. Each flavor reads only its own.
type Fault uint32

// The faults.
const (
	FaultSkipStragglers Fault = 1 << iota // rcu: grace periods skip the wait on the inactive index
	FaultNoYield                          // rcu: readers do not yield while a grace period is pending
	FaultStaleQuiescent                   // qsbr: a grace period accepts a quiescent state reported before it began
	FaultLazyOnline                       // qsbr: Online does not announce the reader until its next quiescent state
	FaultOneFlip                          // registered: a grace period compares only the parity of readers' generations
	FaultCachedReaders                    // registered: a grace period scans the reader table of the previous one
)

// A Reclaimer is a value that Retire hands back after a grace period.
type Reclaimer interface{ Reclaim() }

// Readers is a flavor's read side, as the grace-period goroutine sees it.
type Readers interface {
	// Wait returns when every read section that began before gp started
	// has ended. It waits by calling gp.Await.
	Wait(gp *GP)
}

// An Engine is the write side of one domain. Its zero value is set up by
// Start.
type Engine struct {
	ctl       *atomic.Uint64 // the flavor's control word
	readers   Readers
	started   atomic.Uint64 // grace periods started; written by the grace-period goroutine
	completed atomic.Uint64 // grace periods completed; written by the grace-period goroutine
	expWant   atomic.Uint64 // highest grace period an expedited caller waits for; written under mu

	cfg     Config
	name    string        // names the domain in messages
	invoker int64         // goroutine id of the callback goroutine
	kickGP  chan struct{} // wakes the grace-period goroutine
	kickInv chan struct{} // wakes the callback goroutine
	wg      sync.WaitGroup

	mu       sync.Mutex    // guards the fields below
	want     uint64        // highest grace period anyone waits for
	inline   bool          // a caller runs a grace period (Config.Inline)
	orphan   *GP           // an inline grace period whose caller unwound (a panic in a stall handler or injector): gpLoop finishes it
	check    func(string)  // vets a caller about to wait (SetCheck)
	gpDone   chan struct{} // closed when the next grace period completes
	longest  time.Duration // longest grace period so far
	stalls   uint64        // stall reports delivered
	open     []callback    // callbacks queued since the last grace period started
	sealed   []batch       // callbacks waiting for their grace period, oldest first
	ready    []batch       // callbacks whose grace period has ended, oldest first
	spare    [][]callback  // emptied batches, for reuse
	queued   uint64        // callbacks ever queued
	invoked  uint64        // callbacks ever run (to completion or to a panic)
	panics   uint64        // callbacks that panicked
	progress chan struct{} // closed when invoked advances
	blocked  int           // goroutines blocked in a wait (block)
	probe    chan struct{} // closed to ask them for their stacks
	answers  []string      // their stacks
}

// A callback is a queued function or a retired value: one of the two.
type callback struct {
	fn func()
	r  Reclaimer
}

// A batch is a group of callbacks that one grace period serves.
type batch struct {
	gp  uint64 // the grace period that must complete before they run
	cbs []callback
}

// Start sets e up and starts its two goroutines. name names the domain in
// messages; ctl is the flavor's control word, and r its read side. Start
// sets no bit of ctl: the flavor publishes its own setup with ctl.
func (e *Engine) Start(cfg Config, name string, ctl *atomic.Uint64, r Readers) {
	e.cfg = cfg
	e.name = name
	e.ctl = ctl
	e.readers = r
	e.gpDone = make(chan struct{})
	e.progress = make(chan struct{})
	e.probe = make(chan struct{})
	e.kickGP = make(chan struct{}, 1)
	e.kickInv = make(chan struct{}, 1)
	started := make(chan int64)
	e.wg.Add(2)
	go e.gpLoop()
	go e.invokeLoop(started)
	e.invoker = <-started
}

// SetCheck makes every Call and Retire that is about to wait at the
// pending bound call check first, without e.mu: under WithDebug, a flavor
// panics there when the caller would wait for itself. Call it before the
// first Call.
func (e *Engine) SetCheck(check func(method string)) { e.check = check }

// Config returns e's configuration.
func (e *Engine) Config() *Config { return &e.cfg }

// Closed reports whether Close has closed e.
func (e *Engine) Closed() bool { return e.ctl.Load()&FlagClosed != 0 }

// MustOpen panics if e is closed: the edge of the public methods that
// neither wait nor can return ErrClosed.
func (e *Engine) MustOpen(method string) {
	if e.Closed() {
		Must(method, ErrClosed)
	}
}

// Must turns ErrClosed from a wait into the panic of the public method
// that has no error to return.
func Must(method string, err error) {
	if err != nil {
		panic("rcu: " + method + " on a closed Domain")
	}
}

// SetCtl sets or clears bits of ctl, without writing it when they already
// are as asked: every read section reads ctl's cache line.
func SetCtl(ctl *atomic.Uint64, bits uint64, on bool) {
	if old := ctl.Load(); on && old&bits != bits {
		ctl.Or(bits)
	} else if !on && old&bits != 0 {
		ctl.And(^bits)
	}
}

func kick(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// Close waits until every callback queued on e has run, including
// callbacks queued by those callbacks, and every requested grace period
// has ended; then it stops e's goroutines. Calls made while Close waits
// are accepted.
func (e *Engine) Close() {
	if e.IsInvoker() {
		panic("rcu: Close called from a callback of the same Domain (it would wait for itself)")
	}
	e.mu.Lock()
	for !e.Closed() && (e.pending() > 0 || e.want > e.completed.Load() || e.inline || e.orphan != nil) {
		ch := e.progress
		if e.pending() == 0 {
			ch = e.gpDone // only grace periods are outstanding
		}
		e.block(context.Background(), ch)
	}
	if e.Closed() { // by an earlier Close, or one that ran while this one waited
		e.mu.Unlock()
		panic("rcu: Close of a closed Domain")
	}
	SetCtl(e.ctl, FlagClosed, true)
	e.mu.Unlock()
	kick(e.kickGP)
	kick(e.kickInv)
	e.wg.Wait()
}

// Stats is a snapshot of the counters; rcu.Stats has the same fields.
type Stats struct {
	GracePeriods     uint64
	GPSeq            uint64
	CallbacksQueued  uint64
	CallbacksInvoked uint64
	CallbacksPending uint64
	CallbackPanics   uint64
	LongestGP        time.Duration
	StallReports     uint64
}

// Stats returns e's counters, read together under one lock.
func (e *Engine) Stats() Stats {
	e.mu.Lock()
	defer e.mu.Unlock()
	return Stats{
		GracePeriods:     e.completed.Load(),
		GPSeq:            e.started.Load(),
		CallbacksQueued:  e.queued,
		CallbacksInvoked: e.invoked,
		CallbacksPending: e.pending(),
		CallbackPanics:   e.panics,
		LongestGP:        e.longest,
		StallReports:     e.stalls,
	}
}

// Report writes a stall report or a callback's panic to standard error.
func Report(format string, args ...any) { fmt.Fprintf(os.Stderr, format, args...) }

// Goid returns the calling goroutine's id, read from its stack header
// ("goroutine 18 [running]:"). About a microsecond: slow paths only.
func Goid() int64 {
	var buf [64]byte
	b := buf[:runtime.Stack(buf[:], false)]
	b = bytes.TrimPrefix(b, []byte("goroutine "))
	if i := bytes.IndexByte(b, ' '); i > 0 {
		b = b[:i]
	}
	id, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		panic("rcu: cannot read goroutine id")
	}
	return id
}

// IsInvoker reports whether the caller runs on e's callback goroutine.
func (e *Engine) IsInvoker() bool { return Goid() == e.invoker }

// Next is the first grace period that begins after the call: Snapshot's
// cookie.
func (e *Engine) Next() uint64 { return e.started.Load() + 1 } // pairs with step 1 in gpLoop

// Polled reports whether grace period c has completed.
func (e *Engine) Polled(c uint64) bool { return e.completed.Load() >= c } // pairs with step 3 in gpLoop

// Wait requests grace period c and waits until it has completed or ctx is
// done. It returns ErrClosed on a closed engine.
func (e *Engine) Wait(ctx context.Context, c uint64, expedited bool) error {
	if e.Closed() {
		return ErrClosed
	}
	if e.Polled(c) {
		return nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.Closed() {
		return ErrClosed
	}
	if expedited && e.expWant.Load() < c {
		e.expWant.Store(c) // read by Await
	}
	if e.cfg.Inline && ctx.Done() == nil && !e.inline && e.want <= e.completed.Load() &&
		e.started.Load() == e.completed.Load() && c == e.started.Load()+1 {
		e.runInline()
		return nil
	}
	if e.want < c {
		e.want = c
		e.updateYield()
		kick(e.kickGP)
	}
	// Completions hold e.mu, so gpDone is closed by the first completion
	// after the check.
	for !e.Polled(c) {
		if err := e.block(ctx, e.gpDone); err != nil {
			return err
		}
	}
	return nil
}

// gpLoop runs grace periods while anyone needs one and no caller runs one
// inline.
func (e *Engine) gpLoop() {
	defer e.wg.Done()
	for {
		e.mu.Lock()
		if gp := e.orphan; gp != nil && !e.inline {
			e.orphan = nil
			e.mu.Unlock()
			e.runGP(gp) // again from the start: the scan is idempotent
			e.mu.Lock()
			e.end(gp)
			e.mu.Unlock()
			kick(e.kickInv)
			continue
		}
		if e.inline || e.want <= e.completed.Load() && len(e.open) == 0 {
			e.updateYield()
			closed := e.Closed() && !e.inline
			e.mu.Unlock()
			if closed {
				return
			}
			<-e.kickGP
			continue
		}
		e.mu.Unlock()
		// Let callers that are ready to run ask before this grace period
		// starts, so that they share it instead of waiting for the next.
		runtime.Gosched()
		e.mu.Lock()
		if e.inline || e.orphan != nil || e.want <= e.completed.Load() && len(e.open) == 0 { // a caller ran it meanwhile
			e.mu.Unlock()
			continue
		}
		gp := e.begin()
		e.mu.Unlock()
		e.runGP(&gp)
		e.mu.Lock()
		e.end(&gp)
		e.mu.Unlock()
		kick(e.kickInv)
	}
}

// begin is step 1 of a grace period, with e.mu held.
func (e *Engine) begin() GP {
	n := e.started.Load() + 1
	e.started.Store(n) // step 1; pairs with the Load in Next
	if len(e.open) > 0 {
		e.sealed = append(e.sealed, batch{gp: n, cbs: e.open})
		e.open = e.takeSpare()
	}
	return GP{e: e, N: n, Start: time.Now()}
}

// runGP is step 2, without e.mu.
func (e *Engine) runGP(gp *GP) {
	e.cfg.Inject(PointGPStart)
	e.readers.Wait(gp) // step 2
	e.cfg.Inject(PointGPEnd)
}

// end is step 3, with e.mu held.
func (e *Engine) end(gp *GP) {
	n := gp.N
	e.completed.Store(n) // step 3; pairs with the Load in Polled
	e.longest = max(e.longest, time.Since(gp.Start))
	for len(e.sealed) > 0 && e.sealed[0].gp <= n {
		e.ready = append(e.ready, e.sealed[0])
		e.sealed = e.sealed[1:]
	}
	close(e.gpDone)
	e.gpDone = make(chan struct{})
}

// runInline runs the next grace period on the caller's goroutine, with
// e.mu held on entry and on return (Config.Inline). Callers that ask
// meanwhile wait for it or for the next one, which the grace-period
// goroutine runs once this one is done.
//
// The caller runs the flavor's scan, the injector and stall handlers. If
// one of them panics (or calls runtime.Goexit, as t.Fatal does), the
// grace period is handed to the grace-period goroutine, which runs it
// again from the start, and e.mu is held again for the caller's unwinding.
func (e *Engine) runInline() {
	e.inline = true
	e.want = max(e.want, e.started.Load()+1)
	gp := e.begin()
	gp.inline = true
	e.updateYield()
	e.mu.Unlock()
	finished := false
	defer func() {
		if finished {
			return
		}
		e.mu.Lock()
		e.inline = false
		gp.inline = false
		e.orphan = &gp
		e.updateYield()
		kick(e.kickGP)
	}()
	e.runGP(&gp)
	finished = true
	e.mu.Lock()
	e.end(&gp)
	e.inline = false
	e.updateYield()
	kick(e.kickInv)
	kick(e.kickGP) // for whoever asked meanwhile
}

// updateYield sets FlagYield, with e.mu held, while a grace period is
// pending or running, or a goroutine waits on e: readers of flavors that
// look at it then yield now and then, so that a reader preempted inside
// its section, a waiter woken by a grace period's end, or the grace-period
// goroutine itself does not wait for a whole time slice behind busy
// readers (see package rcu's documentation).
func (e *Engine) updateYield() {
	c := e.completed.Load()
	SetCtl(e.ctl, FlagYield, e.blocked > 0 || e.want > c || e.started.Load() > c || len(e.open) > 0)
}

// A GP is the grace period a Readers.Wait waits for.
type GP struct {
	e      *Engine
	N      uint64    // its sequence number
	Start  time.Time // when it started
	inline bool      // it runs on the goroutine of the Synchronize that needs it
	// Holder is the goroutine id of a registered reader that holds it, set
	// by a flavor's stall detail: a waiter on that goroutine waits for
	// itself.
	Holder int64
}

// Polling policy while a grace period waits for readers.
const (
	spinPolls      = 16                     // yield this many times before sleeping
	firstSleep     = 50 * time.Microsecond  // then sleep, doubling each time,
	maxSleep       = 4 * time.Millisecond   // up to this long
	maxExpSleep    = 100 * time.Microsecond // cap while an expedited caller waits
	expeditedSpins = 2000                   // yields before an expedited wait sleeps
)

// Await polls count until it returns 0: yielding at first, then sleeping
// longer and longer (less long while an expedited caller waits). count
// returns how many sections the grace period still waits for. Every stall
// timeout it waits, it reports a stall; detail, which may be nil, fills in
// the flavor's part of the report (the oldest section, the reader).
func (g *GP) Await(count func() int, detail func(*Stall)) {
	e := g.e
	sleep := firstSleep
	nextStall := e.cfg.StallTimeout
	for polls := 0; ; polls++ {
		readers := count()
		if readers == 0 {
			return
		}
		if waited := time.Since(g.Start); nextStall > 0 && waited >= nextStall {
			r := Stall{Domain: e.name, GP: g.N, Waited: waited, Readers: readers}
			g.Holder = 0
			if detail != nil {
				detail(&r)
			}
			e.reportStall(r, g.inline, g.Holder)
			nextStall += e.cfg.StallTimeout
		}
		expedited := e.expWant.Load() >= g.N
		switch {
		case polls < spinPolls, expedited && polls < expeditedSpins:
			runtime.Gosched()
		case expedited:
			time.Sleep(min(sleep, maxExpSleep))
		default:
			time.Sleep(sleep)
			sleep = min(2*sleep, maxSleep)
		}
	}
}

// Call queues fn to run once, on e's callback goroutine, after a full
// grace period that begins after Call. At the pending bound it waits for
// the backlog to drain, unless it is called from a callback of e.
func (e *Engine) Call(fn func()) {
	if fn == nil {
		panic("rcu: Call with a nil function")
	}
	e.queue(callback{fn: fn}, "Call")
}

// Retire queues r's Reclaim as Call queues a function, without a closure.
func (e *Engine) Retire(r Reclaimer) {
	if r == nil {
		panic("rcu: Retire of a nil value")
	}
	e.queue(callback{r: r}, "Retire")
}

func (e *Engine) queue(cb callback, method string) {
	e.mu.Lock()
	// A callback that queues another does not wait: only its own goroutine
	// could drain the backlog.
	checked := false
	for e.pending() >= uint64(e.cfg.MaxPending) && !e.Closed() && !e.IsInvoker() {
		if e.check != nil && !checked {
			checked = true
			e.mu.Unlock()
			e.check(method)
			e.mu.Lock()
			continue
		}
		e.block(context.Background(), e.progress)
	}
	if e.Closed() {
		e.mu.Unlock()
		panic("rcu: " + method + " on a closed Domain")
	}
	e.open = append(e.open, cb)
	e.queued++
	first := len(e.open) == 1
	if first {
		e.updateYield() // a grace period is now pending
	}
	e.mu.Unlock()
	if first {
		kick(e.kickGP)
	}
}

func (e *Engine) pending() uint64 { return e.queued - e.invoked }

// Barrier waits until the callbacks queued so far have run, or ctx is
// done. It returns ErrClosed on a closed engine, and panics on e's
// callback goroutine while callbacks are pending (it would wait for
// itself).
func (e *Engine) Barrier(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.Closed() {
		return ErrClosed
	}
	target := e.queued
	if e.invoked < target && e.IsInvoker() {
		panic("rcu: Barrier called from a callback of the same Domain (it would wait for itself)")
	}
	for e.invoked < target {
		if err := e.block(ctx, e.progress); err != nil {
			return err
		}
	}
	return nil
}

// invokeLoop runs ready batches until Close.
func (e *Engine) invokeLoop(started chan<- int64) {
	defer e.wg.Done()
	started <- Goid()
	for {
		e.mu.Lock()
		for len(e.ready) == 0 {
			if e.Closed() {
				e.mu.Unlock()
				return
			}
			e.mu.Unlock()
			<-e.kickInv
			e.mu.Lock()
		}
		b := e.ready[0]
		e.ready = e.ready[1:]
		e.mu.Unlock()

		panics := 0
		for i, cb := range b.cbs {
			e.cfg.Inject(PointInvoke)
			if !e.run(cb) {
				panics++
			}
			b.cbs[i] = callback{} // let the closure or the value go
		}

		e.mu.Lock()
		e.invoked += uint64(len(b.cbs))
		e.panics += uint64(panics)
		if len(e.spare) < 4 {
			e.spare = append(e.spare, b.cbs[:0])
		}
		close(e.progress) // pairs with the wait in Barrier
		e.progress = make(chan struct{})
		e.mu.Unlock()
	}
}

// run runs cb and reports whether it returned without panicking.
func (e *Engine) run(cb callback) (ok bool) {
	defer func() {
		if ok {
			return
		}
		v := recover()
		if h := e.cfg.PanicHandler; h != nil {
			h(v)
			return
		}
		Report("rcu: callback panicked: %v\n%s", v, debug.Stack())
	}()
	if cb.fn != nil {
		cb.fn()
	} else {
		cb.r.Reclaim()
	}
	return true
}

// takeSpare returns an empty slice for the next open batch, reusing the
// backing array of a batch that has run. The caller holds e.mu.
func (e *Engine) takeSpare() []callback {
	n := len(e.spare)
	if n == 0 {
		return nil
	}
	s := e.spare[n-1]
	e.spare = e.spare[:n-1]
	return s
}
