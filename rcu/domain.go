package rcu

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// ErrClosed is returned by the context-aware methods of a closed Domain.
var ErrClosed = errors.New("rcu: domain is closed")

// DefaultMaxPending is the bound on pending callbacks when New is given no
// WithMaxPending option.
const DefaultMaxPending = 1 << 16

// DefaultStallTimeout is how long a grace period waits for readers before
// a stall report, unless WithStallTimeout says otherwise.
const DefaultStallTimeout = 10 * time.Second

// A Domain is an independent RCU domain, like an srcu_struct: its grace
// periods wait only for its own read sections. The zero Domain is ready to
// use, with the default options; New makes one with options. A Domain must
// not be copied after first use. It runs two goroutines from its first
// use, one for grace periods and one for callbacks, until Close.
type Domain struct {
	_ noCopy

	// The read side (read.go): readers write the slots; the grace-period
	// goroutine writes ctl's index, setup and holders of mu its other bits.
	ctl       atomic.Uint64 // ctlIdx | ctlReady | ctlYield | ctlClosed | ctlHooked
	shardMask uint32
	shards    []shard
	ovf       overflow

	started   atomic.Uint64 // grace periods started; written by the grace-period goroutine
	completed atomic.Uint64 // grace periods completed; written by the grace-period goroutine
	expWant   atomic.Uint64 // highest grace period an expedited caller waits for; written under mu

	once    sync.Once // runs setup, which writes the fields up to mu
	id      uint64    // names the Domain in messages
	opts    options
	invoker int64         // goroutine id of the callback goroutine
	kickGP  chan struct{} // wakes the grace-period goroutine
	kickInv chan struct{} // wakes the callback goroutine
	wg      sync.WaitGroup

	mu       sync.Mutex    // guards the fields below
	want     uint64        // highest grace period anyone waits for
	gpDone   chan struct{} // closed when the next grace period completes
	longest  time.Duration // longest grace period so far
	stalls   uint64        // stall reports delivered
	open     []func()      // callbacks queued since the last grace period started
	sealed   []batch       // callbacks waiting for their grace period, oldest first
	ready    []batch       // callbacks whose grace period has ended, oldest first
	spare    [][]func()    // emptied batches, for reuse
	queued   uint64        // callbacks ever queued
	invoked  uint64        // callbacks ever run (to completion or to a panic)
	panics   uint64        // callbacks that panicked
	progress chan struct{} // closed when invoked advances
	blocked  int           // goroutines blocked in a wait on d (stall.go)
	probe    chan struct{} // closed to ask them for their stacks
	answers  []string      // their stacks
}

// A batch is a group of callbacks that one grace period serves.
type batch struct {
	gp  uint64 // the grace period that must complete before they run
	fns []func()
}

type options struct {
	maxPending   int
	stallTimeout time.Duration
	stallHandler func(StallReport)
	panicHandler func(any)
	debug        bool
	hookOptions  // test hooks; empty unless built with -tags rcuinject
}

var defaults = options{maxPending: DefaultMaxPending, stallTimeout: DefaultStallTimeout}

// An Option configures a Domain in New.
type Option func(*options)

// WithMaxPending bounds the callbacks that are queued but not yet invoked.
// At the bound, Call waits until the backlog drains below it; a Call made
// from inside a callback of the same Domain never waits (it would wait for
// itself). n must be positive. The default is DefaultMaxPending.
func WithMaxPending(n int) Option {
	if n <= 0 {
		panic("rcu: WithMaxPending needs a positive bound")
	}
	return func(o *options) { o.maxPending = n }
}

// WithStallTimeout sets how long a grace period waits for readers before
// it reports a stall, and again after every further timeout it waits; 0
// turns stall reports off. The default is DefaultStallTimeout. Reports go
// to standard error unless WithStallHandler says otherwise.
func WithStallTimeout(timeout time.Duration) Option {
	if timeout < 0 {
		panic("rcu: WithStallTimeout needs a timeout of 0 (off) or more")
	}
	return func(o *options) { o.stallTimeout = timeout }
}

// WithStallHandler hands stall reports to h instead of writing them to
// standard error. h runs on the grace-period goroutine, which it delays;
// it must not wait for a grace period of the same Domain.
func WithStallHandler(h func(StallReport)) Option {
	if h == nil {
		panic("rcu: WithStallHandler needs a handler")
	}
	return func(o *options) { o.stallHandler = h }
}

// WithPanicHandler sets what happens to a panic raised by a callback. The
// panic is always recovered so that it cannot wedge the Domain: the callback
// counts as invoked, the rest of its batch still runs, and Stats counts it
// in CallbackPanics. h then receives the panic value on the callback
// goroutine. Without a handler the value and its stack are written to
// standard error.
func WithPanicHandler(h func(v any)) Option {
	if h == nil {
		panic("rcu: WithPanicHandler needs a handler")
	}
	return func(o *options) { o.panicHandler = h }
}

// WithDebug turns on misuse checks that cost time on every read section.
// While any debug Domain is open, every ReadLock of every Domain records the
// goroutine and stack that opened it, and:
//
//   - Pointer.Load and List.All panic outside every read section, and
//     inside sections only of Domains whose grace periods do not protect
//     the value: for a Pointer, other Domains than the one it was first
//     loaded under; for a List, other Domains than its own;
//   - Synchronize, SynchronizeExpedited, WaitFor and Barrier of a debug
//     Domain panic inside a read section of the same Domain (self-deadlock);
//   - stall reports of a debug Domain carry the stack of the oldest
//     section that holds the grace period.
//
// Sections opened before the first debug Domain was created are unknown
// to these checks.
func WithDebug() Option { return func(o *options) { o.debug = true } }

// New returns a Domain configured by opts.
func New(opts ...Option) *Domain {
	o := defaults
	for _, opt := range opts {
		opt(&o)
	}
	d := new(Domain)
	d.once.Do(func() { d.setup(o) })
	return d
}

var domainIDs atomic.Uint64

// init sets d up with the default options, unless it is set up.
func (d *Domain) init() {
	if d.ctl.Load()&ctlReady == 0 {
		d.once.Do(func() { d.setup(defaults) })
	}
}

func (d *Domain) setup(o options) {
	d.opts = o
	d.id = domainIDs.Add(1)
	d.gpDone = make(chan struct{})
	d.progress = make(chan struct{})
	d.probe = make(chan struct{})
	d.kickGP = make(chan struct{}, 1)
	d.kickInv = make(chan struct{}, 1)
	n := 1
	for n < max(runtime.GOMAXPROCS(0), runtime.NumCPU()) {
		n <<= 1
	}
	d.shards = make([]shard, n)
	d.shardMask = uint32(n - 1)
	if o.debug {
		tracking.live.Add(1)
	}
	started := make(chan int64)
	d.wg.Add(2)
	go d.gpLoop()
	go d.invokeLoop(started)
	d.invoker = <-started
	bits := uint64(ctlReady)
	if o.hooked() {
		bits |= ctlHooked // every ReadLock takes the slow path, which has the hook
	}
	d.setCtl(bits, true) // publishes the fields above to lock-free readers
}

// String names d in messages: "rcu.Domain 3 (0xc000012345)".
func (d *Domain) String() string { return fmt.Sprintf("rcu.Domain %d (%p)", d.id, d) }

// Close waits until every callback queued on d has run, including callbacks
// queued by those callbacks, and every requested grace period has ended;
// then it stops d's goroutines. Calls made while Close waits are accepted.
// After Close returns, every method of d panics, except that ReadUnlock
// still ends sections opened before, Stats still reports, and the
// context-aware methods return ErrClosed. Close must be called once, and
// not from a callback.
func (d *Domain) Close() {
	d.init()
	if d.isInvoker() {
		panic("rcu: Close called from a callback of the same Domain (it would wait for itself)")
	}
	d.mu.Lock()
	for !d.isClosed() && (d.pending() > 0 || d.want > d.completed.Load()) {
		ch := d.progress
		if d.pending() == 0 {
			ch = d.gpDone // only grace periods are outstanding
		}
		d.block(context.Background(), ch)
	}
	if d.isClosed() { // by an earlier Close, or one that ran while this one waited
		d.mu.Unlock()
		panic("rcu: Close of a closed Domain")
	}
	d.setCtl(ctlClosed, true)
	d.mu.Unlock()
	d.kick(d.kickGP)
	d.kick(d.kickInv)
	d.wg.Wait()
	if d.opts.debug {
		tracking.live.Add(-1)
	}
}

// isClosed reports whether Close has closed d.
func (d *Domain) isClosed() bool { return d.ctl.Load()&ctlClosed != 0 }

// mustOpen sets d up if needed and panics if it is closed: the edge of the
// public methods that neither wait nor can return ErrClosed.
func (d *Domain) mustOpen(method string) {
	d.init()
	if d.isClosed() {
		must(method, ErrClosed)
	}
}

// must turns ErrClosed from an internal wait into the panic of the public
// method that has no error to return.
func must(method string, err error) {
	if err != nil {
		panic("rcu: " + method + " on a closed Domain")
	}
}

// setCtl sets or clears bits of ctl, without writing it when they already
// are as asked: every ReadLock reads ctl's cache line.
func (d *Domain) setCtl(bits uint64, on bool) {
	if old := d.ctl.Load(); on && old&bits != bits {
		d.ctl.Or(bits)
	} else if !on && old&bits != 0 {
		d.ctl.And(^bits)
	}
}

func (d *Domain) kick(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// Stats is a snapshot of a Domain's counters.
type Stats struct {
	GracePeriods     uint64        // grace periods completed
	GPSeq            uint64        // number of the latest grace period started; one is running when GPSeq > GracePeriods
	CallbacksQueued  uint64        // Calls accepted
	CallbacksInvoked uint64        // callbacks that have run
	CallbacksPending uint64        // queued but not yet invoked
	CallbackPanics   uint64        // callbacks that panicked (recovered)
	LongestGP        time.Duration // longest grace period so far
	StallReports     uint64        // stall reports delivered
}

// Stats returns d's counters, also after Close, and without starting a
// zero Domain that has not been used. The counters are read together
// under one lock, so CallbacksQueued == CallbacksInvoked +
// CallbacksPending always holds.
func (d *Domain) Stats() Stats {
	d.mu.Lock()
	defer d.mu.Unlock()
	return Stats{
		GracePeriods:     d.completed.Load(),
		GPSeq:            d.started.Load(),
		CallbacksQueued:  d.queued,
		CallbacksInvoked: d.invoked,
		CallbacksPending: d.pending(),
		CallbackPanics:   d.panics,
		LongestGP:        d.longest,
		StallReports:     d.stalls,
	}
}

// report writes a stall report or a callback's panic to standard error.
func report(format string, args ...any) { fmt.Fprintf(os.Stderr, format, args...) }

// noCopy makes go vet report copies of a Domain or Pointer.
type noCopy struct{}

func (*noCopy) Lock()   {}
func (*noCopy) Unlock() {}
