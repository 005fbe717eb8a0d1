package rcu

import (
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
// not be copied after first use. Close stops it.
//
// A Domain runs two goroutines, started at its first use: one drives grace
// periods, the other invokes callbacks. Close stops both, so a Domain that
// has been used should be closed once it is no longer needed.
type Domain struct {
	_ noCopy

	// Read side. Written by readers (slots) and by the grace-period
	// goroutine (ctl); read by everyone.
	ctl       atomic.Uint64 // ctlIdx | ctlReady | ctlYield | ctlClosed
	shardMask uint32
	shards    []shard
	ovf       overflow

	// Grace-period sequence. Written by the grace-period goroutine only.
	started   atomic.Uint64 // number of grace periods started
	completed atomic.Uint64 // number of grace periods completed
	expWant   atomic.Uint64 // highest grace period an expedited caller waits for

	once sync.Once // initializes the fields below and the read side
	id   uint64    // names the Domain in messages

	mu sync.Mutex // guards the fields below

	want    uint64        // highest grace period anyone waits for
	gpDone  chan struct{} // closed when the next grace period completes
	longest time.Duration // longest grace period so far
	stalls  uint64

	open     []func() // callbacks queued since the last grace period started
	sealed   []batch  // callbacks waiting for their grace period, oldest first
	ready    []batch  // callbacks whose grace period has ended, oldest first
	spare    [][]func()
	queued   uint64        // callbacks ever queued
	invoked  uint64        // callbacks ever invoked (run to completion or panicked)
	panics   uint64        // callbacks that panicked
	progress chan struct{} // closed when invoked advances
	invoker  int64         // goroutine id of the callback goroutine

	closing bool // Close has begun; closed is ctl&ctlClosed

	// Stall diagnosis: goroutines blocked in a wait on d, and what those
	// asked by the last probe said (see stall.go).
	blocked int
	probe   chan struct{}
	answers []string

	kickGP  chan struct{} // wakes the grace-period goroutine
	kickInv chan struct{} // wakes the callback goroutine
	wg      sync.WaitGroup

	opts options
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

	hookOptions // test hooks; empty unless built with -tags rcuinject
}

func defaultOptions() options {
	return options{maxPending: DefaultMaxPending, stallTimeout: DefaultStallTimeout}
}

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
//   - Pointer.Load and List.All panic when the calling goroutine holds no
//     read section;
//   - Pointer.Load panics when the goroutine holds sections only of other
//     Domains than the one the Pointer was first loaded under, and List.All
//     when it holds none of the List's Domain: the grace periods of the
//     right Domain would not wait for that reader;
//   - Synchronize, SynchronizeExpedited, WaitFor and Barrier of a debug
//     Domain panic when the calling goroutine holds a read section of that
//     same Domain, which would deadlock;
//   - stall reports of a debug Domain carry the stack of the oldest
//     section that holds the grace period.
//
// Sections opened before the first debug Domain was created are not known
// to these checks.
func WithDebug() Option { return func(o *options) { o.debug = true } }

// New returns a Domain configured by opts.
func New(opts ...Option) *Domain {
	d := new(Domain)
	d.once.Do(func() {
		o := defaultOptions()
		for _, opt := range opts {
			opt(&o)
		}
		d.setup(o)
	})
	return d
}

var domainIDs atomic.Uint64

// init makes sure d is set up, with the default options if New did not
// set it up.
func (d *Domain) init() {
	if d.ctl.Load()&ctlReady == 0 {
		d.once.Do(func() { d.setup(defaultOptions()) })
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
	if d.opts.debug {
		tracking.live.Add(1)
	}
	started := make(chan int64)
	d.wg.Add(2)
	go d.gpLoop()
	go d.invokeLoop(started)
	d.invoker = <-started
	d.setCtl(ctlReady, true) // publishes the fields above to lock-free readers
}

// String names d in messages: "rcu.Domain 3 (0xc000012345)".
func (d *Domain) String() string { return fmt.Sprintf("rcu.Domain %d (%p)", d.id, d) }

// Close waits until every callback queued on d has run, including callbacks
// queued by those callbacks, and every requested grace period has ended;
// then it stops d's goroutines. Calls made while Close waits are accepted.
// After Close returns, every method of d panics, except that ReadUnlock
// still ends sections opened before, Stats still reports, and the
// context-aware methods return ErrClosed. Close must not be called from a
// callback.
func (d *Domain) Close() {
	d.init()
	if d.isInvoker() {
		panic("rcu: Close called from a callback of the same Domain (it would wait for itself)")
	}
	d.mu.Lock()
	if d.closing {
		d.mu.Unlock()
		panic("rcu: Close of a closed Domain")
	}
	d.closing = true
	for d.pending() > 0 || d.want > d.completed.Load() {
		ch := d.progress
		if d.pending() == 0 {
			ch = d.gpDone // only grace periods are outstanding
		}
		d.block(nil, ch)
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

// isClosed reports whether Close has finished.
func (d *Domain) isClosed() bool { return d.ctl.Load()&ctlClosed != 0 }

// mustOpen panics if d is closed; otherwise it makes sure d is set up.
func (d *Domain) mustOpen(method string) {
	d.init()
	if d.isClosed() {
		panic("rcu: " + method + " on a closed Domain")
	}
}

// must turns an error of an internal wait into the panic of the public
// method that cannot return it.
func must(method string, err error) {
	if err != nil {
		panic("rcu: " + method + " on a closed Domain")
	}
}

func (d *Domain) setCtl(bit uint64, on bool) {
	for {
		old := d.ctl.Load()
		nw := old &^ bit
		if on {
			nw |= bit
		}
		if old == nw || d.ctl.CompareAndSwap(old, nw) {
			return
		}
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

// Stats returns d's counters, also after Close. Counters are read together
// under one lock, so CallbacksQueued == CallbacksInvoked + CallbacksPending
// always holds.
func (d *Domain) Stats() Stats {
	d.init()
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
