// Package registered is RCU with registered readers: each goroutine that
// reads registers once and gets a Reader with a counter word of its own, so
// that a read section costs one atomic store to begin and one to end, on
// the reader's own cache line, with no compare-and-swap and no shared
// write.
//
// Choose it over the reference (package rcu) when a set of long-lived
// goroutines reads on a hot path: a section of a Reader costs about what a
// private pair of atomic counters costs, and readers scale with cores. It
// asks less of the user than package rcu/qsbr: no quiescent states to
// report, and a Reader outside its sections holds nothing, so an idle
// registered goroutine needs no care. What it demands: a Reader belongs to
// the goroutine that registered it and is used by that goroutine only;
// a goroutine that is done calls Unregister; and sections end on the
// goroutine that began them. Short-lived goroutines that read once are
// better served by the reference, whose sections need no registration.
//
// # Guarantees
//
// Those of rcu.Domain, for the sections of every registered Reader:
// grace periods wait for every section that began before them; sections
// nest, may block and may sleep; ReadLock never waits. Every Domain has the
// reference's whole write side: Call, Retire, Barrier, Snapshot, Poll,
// WaitFor, Close and Stats, the pending bound and stall reports, which name
// the Reader that holds a grace period (with its registration stack under
// rcu.WithDebug), and takes the same options (rcu.Option).
//
// # How
//
// A Reader's word is 0 outside its sections. The outermost ReadLock loads
// the Domain's generation and stores it in the word; the outermost
// ReadUnlock stores 0; nesting is a plain field. A grace period advances
// the generation and waits until every Reader's word is 0 or newer (the
// argument is in internal/engine/table.go: with 64-bit generations, one
// scan does what the two-index flip of the reference does with two).
package registered

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/rcukit/rcukit/internal/engine"
	"github.com/rcukit/rcukit/internal/front"
	"github.com/rcukit/rcukit/rcu"
)

// Control word bits of a Domain; the generation is above them
// (engine.GenShift).
const (
	ctlReady  = 1 << 0
	ctlGone   = 1 << 1 // in gone only: the Reader was unregistered
	ctlYield  = engine.FlagYield
	ctlClosed = engine.FlagClosed
	ctlSlow   = 1 << 4 // debug, or an injector: every outermost ReadLock takes the slow path

	// The outermost ReadLock takes its fast path only when
	// ctl&ctlSlowMask == ctlReady.
	ctlSlowMask = ctlReady | ctlGone | ctlYield | ctlClosed | ctlSlow
)

// gone is the control word an unregistered Reader sees.
var gone atomic.Uint64

func init() { gone.Store(ctlGone) }

// A Domain is a domain of registered readers, made by New. A Domain must
// not be copied. Like rcu.Domain, it runs two goroutines until Close. Its
// write side (the waits, Call, Retire, Barrier, the polled cookies, Close
// and Stats) is rcu.Domain's.
type Domain struct {
	_   noCopy
	ctl atomic.Uint64 // generation<<engine.GenShift | ctlSlow | ctlClosed | ctlYield | ctlReady

	w       front.Front // the write side
	id      uint64
	readers engine.Table
	debug   debugState
}

var ids atomic.Uint64

// New returns a Domain configured by opts, the options of package rcu.
func New(opts ...rcu.Option) *Domain {
	d := &Domain{id: ids.Add(1)}
	d.w.Start(opts, "registered.Domain", d.String(), &d.ctl, (*waiter)(d), func(method string) {
		if d.w.Config().Debug {
			d.debug.check(d, method)
		}
	})
	bits := uint64(engine.GenOne | ctlReady) // generation 1: a word of 0 is never a generation
	if cfg := d.w.Config(); cfg.Debug || cfg.Injector != nil {
		bits |= ctlSlow
	}
	d.ctl.Add(bits)
	return d
}

// String names d in messages: "registered.Domain 3 (0xc000012345)".
func (d *Domain) String() string { return fmt.Sprintf("registered.Domain %d (%p)", d.id, d) }

// Readers returns the number of registered Readers.
func (d *Domain) Readers() int { return d.readers.Len() }

type waiter Domain

func (w *waiter) Wait(gp *engine.GP) {
	d := (*Domain)(w)
	d.readers.Wait(gp, &d.ctl, "registered")
}

// A Reader is one registered goroutine's handle: only that goroutine may
// use it.
type Reader struct {
	reader
	_ [128 - unsafe.Sizeof(reader{})]byte // a Reader fills two cache lines of its own
}

type reader struct {
	slot   engine.Slot    // Ctr: 0 outside sections, else the generation the outermost one saw
	ctl    *atomic.Uint64 // the Domain's control word; gone after Unregister
	d      *Domain
	nest   int32  // open sections
	passes uint32 // outermost ReadLocks, for yielding while someone waits
	debug  bool   // rcu.WithDebug
}

// Register registers the calling goroutine as a reader of d and returns
// its Reader.
func (d *Domain) Register() *Reader {
	d.w.Ready()
	if d.ctl.Load()&ctlClosed != 0 {
		panic("rcu: registered: Register on a closed Domain")
	}
	r := &Reader{reader: reader{ctl: &d.ctl, d: d, debug: d.w.Config().Debug}}
	d.readers.Register(&r.slot, d.w.Config().Debug, 1)
	return r
}

// Unregister removes r from its Domain. r may not be used afterwards: its
// ReadLock panics. Unregister inside a section panics.
func (r *Reader) Unregister() {
	if r.ctl == &gone {
		panic("rcu: registered: Unregister of an unregistered Reader")
	}
	if r.nest > 0 {
		panic("rcu: registered: Unregister inside a read section")
	}
	r.ctl = &gone
	r.d.readers.Unregister(&r.slot)
}

// ReadLock begins a read section (like rcu_read_lock of liburcu's memb
// flavor). Sections nest; only the outermost stores to r's word. It never
// waits for a grace period; while someone waits for one, one outermost
// ReadLock in eight first yields the processor, as the reference's do.
//
// The end of the section (ReadUnlock) synchronizes before the end of every
// grace period that began after the section did.
func (r *Reader) ReadLock() {
	if r.nest == 0 {
		ctl := r.ctl.Load() // the generation; pairs with the advance in engine.Table.Wait
		if ctl&ctlSlowMask != ctlReady {
			ctl = r.lockSlow(ctl)
		}
		r.slot.Ctr.Store(engine.Word(ctl)) // pairs with the scan in engine.Table.Wait
	}
	r.nest++
}

// lockSlow refuses an unregistered Reader and a closed Domain, yields
// while someone waits, and runs the debug bookkeeping and the injector. It
// returns the control word to store the generation of.
func (r *Reader) lockSlow(ctl uint64) uint64 {
	switch {
	case ctl&ctlGone != 0:
		panic("rcu: registered: ReadLock of an unregistered Reader")
	case ctl&ctlClosed != 0:
		panic("rcu: registered: ReadLock on a closed Domain")
	}
	if ctl&ctlYield != 0 {
		if r.passes++; r.passes%yieldEvery == 1 {
			runtime.Gosched()
			ctl = r.ctl.Load()
		}
	}
	if ctl&ctlSlow != 0 {
		if r.debug {
			r.d.debug.add(r.slot.Goid, 1)
		}
		r.d.inject(engine.PointReadSampled) // the straggler window: generation loaded, not yet stored
	}
	return ctl
}

// yieldEvery: while someone waits, the first outermost ReadLock of every
// yieldEvery of a Reader yields.
const yieldEvery = 8

// ReadUnlock ends the innermost open section. It panics without one.
func (r *Reader) ReadUnlock() {
	if r.nest <= 0 {
		if r.ctl == &gone {
			panic("rcu: registered: ReadUnlock of an unregistered Reader")
		}
		panic("rcu: registered: ReadUnlock without a read section")
	}
	if r.nest--; r.nest == 0 {
		r.slot.Ctr.Store(0) // pairs with the scan in engine.Table.Wait
		if r.debug {
			r.d.debug.add(r.slot.Goid, -1)
		}
	}
}

// Read runs f inside a read section of r.
func (r *Reader) Read(f func()) {
	r.ReadLock()
	defer r.ReadUnlock()
	f()
}

// debugState tracks, under WithDebug, which goroutines are inside a
// section of the Domain, so that a wait called inside one panics instead
// of waiting for itself.
type debugState struct {
	mu     sync.Mutex
	inside map[int64]int // open outermost sections per goroutine
}

func (s *debugState) add(g int64, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.inside == nil {
		s.inside = make(map[int64]int)
	}
	if s.inside[g] += n; s.inside[g] <= 0 {
		delete(s.inside, g)
	}
}

func (s *debugState) check(d *Domain, method string) {
	g := engine.Goid()
	s.mu.Lock()
	n := s.inside[g]
	s.mu.Unlock()
	if n > 0 {
		panic("rcu: registered: " + method + " called inside a read section of " + d.String() + " (self-deadlock)")
	}
}

// noCopy makes go vet report copies of a Domain.
type noCopy struct{}

func (*noCopy) Lock()   {}
func (*noCopy) Unlock() {}
