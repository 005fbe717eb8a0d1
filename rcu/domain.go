package rcu

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rcukit/rcukit/internal/engine"
)

// ErrClosed is returned by the context-aware methods of a closed Domain.
var ErrClosed = engine.ErrClosed

// DefaultMaxPending is the bound on pending callbacks when New is given no
// WithMaxPending option.
const DefaultMaxPending = engine.DefaultMaxPending

// DefaultStallTimeout is how long a grace period waits for readers before
// a stall report, unless WithStallTimeout says otherwise.
const DefaultStallTimeout = engine.DefaultStallTimeout

// A Domain is an independent RCU domain, like an srcu_struct: its grace
// periods wait only for its own read sections. The zero Domain is ready to
// use, with the default options; New makes one with options. A Domain must
// not be copied after first use. It runs two goroutines from its first
// use, one for grace periods and one for callbacks, until Close.
type Domain struct {
	_ noCopy

	// The read side (read.go): readers write the slots; the grace-period
	// goroutine writes ctl's index, the engine its yield and closed bits.
	ctl       atomic.Uint64 // ctlIdx | ctlReady | ctlYield | ctlClosed | ctlHooked
	shardMask uint32
	shards    []shard
	ovf       overflow

	once sync.Once // runs setup, which writes the fields above and below
	id   uint64    // names the Domain in messages
	opts *options  // the engine's configuration
	e    engine.Engine
}

type options = engine.Config

var defaults = engine.Defaults

// An Option configures a Domain in New, and the domains of the other
// flavors (packages rcu/qsbr and rcu/registered).
type Option func(*engine.Config)

// WithMaxPending bounds the callbacks that are queued but not yet invoked.
// At the bound, Call waits until the backlog drains below it; a Call made
// from inside a callback of the same Domain never waits (it would wait for
// itself). n must be positive. The default is DefaultMaxPending.
func WithMaxPending(n int) Option {
	if n <= 0 {
		panic("rcu: WithMaxPending needs a positive bound")
	}
	return func(o *options) { o.MaxPending = n }
}

// WithStallTimeout sets how long a grace period waits for readers before
// it reports a stall, and again after every further timeout it waits; 0
// turns stall reports off. The default is DefaultStallTimeout. Reports go
// to standard error unless WithStallHandler says otherwise.
func WithStallTimeout(timeout time.Duration) Option {
	if timeout < 0 {
		panic("rcu: WithStallTimeout needs a timeout of 0 (off) or more")
	}
	return func(o *options) { o.StallTimeout = timeout }
}

// WithStallHandler hands stall reports to h instead of writing them to
// standard error. h runs on the goroutine that runs the grace period,
// which it delays: for a Domain, the grace-period goroutine; for the
// domains of rcu/qsbr and rcu/registered, also a caller of Synchronize
// that found no grace period running and runs it itself, so h must not
// take a lock such a caller may hold. h must not wait for a grace period
// of the same domain.
func WithStallHandler(h func(StallReport)) Option {
	if h == nil {
		panic("rcu: WithStallHandler needs a handler")
	}
	return func(o *options) { o.StallHandler = func(s engine.Stall) { h(StallReport(s)) } }
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
	return func(o *options) { o.PanicHandler = h }
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
func WithDebug() Option { return func(o *options) { o.Debug = true } }

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
	d.opts = d.e.Config()
	d.id = domainIDs.Add(1)
	n := 1
	for n < max(runtime.GOMAXPROCS(0), runtime.NumCPU()) {
		n <<= 1
	}
	d.shards = make([]shard, n)
	d.shardMask = uint32(n - 1)
	if o.Debug {
		tracking.live.Add(1)
	}
	d.e.Start(o, d.String(), &d.ctl, (*readers)(d))
	bits := uint64(ctlReady)
	if o.Injector != nil {
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
	d.e.Close()
	if d.opts.Debug {
		tracking.live.Add(-1)
	}
}

// mustOpen sets d up if needed and panics if it is closed: the edge of the
// public methods that neither wait nor can return ErrClosed.
func (d *Domain) mustOpen(method string) {
	d.init()
	d.e.MustOpen(method)
}

// setCtl sets or clears bits of ctl, without writing it when they already
// are as asked: every ReadLock reads ctl's cache line.
func (d *Domain) setCtl(bits uint64, on bool) { engine.SetCtl(&d.ctl, bits, on) }

// Stats is a snapshot of a Domain's counters.
type Stats struct {
	GracePeriods     uint64        // grace periods completed
	GPSeq            uint64        // number of the latest grace period started; one is running when GPSeq > GracePeriods
	CallbacksQueued  uint64        // Calls (and Retires) accepted
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
	if d.ctl.Load()&ctlReady == 0 {
		return Stats{}
	}
	return Stats(d.e.Stats())
}

// noCopy makes go vet report copies of a Domain or Pointer.
type noCopy struct{}

func (*noCopy) Lock()   {}
func (*noCopy) Unlock() {}
