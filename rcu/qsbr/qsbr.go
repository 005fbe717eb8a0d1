// Package qsbr is quiescent-state-based RCU: read sections that cost
// nothing, for goroutines that can say when they hold no RCU-protected
// reference.
//
// A goroutine registers with a Domain and gets a Reader. While the Reader
// is online, it must now and then announce a quiescent state (Quiescent): a
// moment when it holds no reference obtained inside a read section. A grace
// period ends once every online Reader has announced a quiescent state
// since the grace period began, or gone offline. ReadLock and ReadUnlock
// only mark the sections, for the reader of the code and for the checks of
// WithDebug; they cost nothing otherwise.
//
// What this demands of the user: every registered goroutine that is online
// must announce quiescent states often (between requests, at the top of
// its loop), and must go Offline before it blocks, sleeps or waits for
// anything that may take long, and Online again after: an online reader
// that does neither holds every grace period of its Domain, and the stall
// report names it. A goroutine that is done calls Unregister.
//
// Choose it over the reference (package rcu) when the readers are a fixed
// set of long-lived goroutines with a natural loop, and their read path
// must cost what an atomic.Pointer load costs. Choose the reference when
// readers are short-lived goroutines, when code between sections cannot be
// trusted to report, or when sections block. Package rcu/registered is in
// between: any registered goroutine, no reports, one store per section.
//
// # Guarantees
//
// As for rcu.Domain, with "a read section" read as "the time a Reader is
// online between two quiescent states": every grace period that began
// after a Reader announced a quiescent state or went online waits until it
// announces the next one or goes offline; the Reader's accesses before that
// announcement synchronize before the grace period ends. Every Domain has
// the reference's whole write side: Call, Retire, Barrier, Snapshot, Poll,
// WaitFor, Close and Stats, the pending bound and stall reports, and takes
// the same options (rcu.Option).
//
// A goroutine that waits for a grace period of a Domain while one of its
// Readers is online waits for itself: Reader.Synchronize takes the Reader
// offline for the wait, as liburcu's synchronize_rcu does for a registered
// thread; the other waits must be called offline, and WithDebug makes them
// panic when they are not. Call and Retire wait too when the pending
// callbacks reach the bound (rcu.WithMaxPending): a goroutine with an
// online Reader that queues callbacks in bulk does so offline, or with a
// bound it never reaches; WithDebug makes such a wait panic as well.
package qsbr

import (
	"fmt"
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
	ctlYield  = engine.FlagYield
	ctlClosed = engine.FlagClosed
)

// A Domain is a QSBR domain, made by New. A Domain must not be copied. Like
// rcu.Domain, it runs two goroutines until Close. Its write side (the
// waits, Call, Retire, Barrier, the polled cookies, Close and Stats) is
// rcu.Domain's, with the same documentation; see also the package
// documentation on waits called by a goroutine whose Reader is online.
type Domain struct {
	_       noCopy
	ctl     atomic.Uint64 // generation<<engine.GenShift | ctlClosed | ctlYield | ctlReady
	w       front.Front   // the write side
	id      uint64
	readers engine.Table
	debug   debugState
}

var ids atomic.Uint64

// New returns a Domain configured by opts, the options of package rcu.
func New(opts ...rcu.Option) *Domain {
	d := &Domain{id: ids.Add(1)}
	d.w.Start(opts, "qsbr.Domain", d.String(), &d.ctl, (*waiter)(d), func(method string) {
		if d.w.Config().Debug {
			d.debug.check(d, method)
		}
	})
	d.ctl.Add(engine.GenOne | ctlReady) // generation 1: a word of 0 is never a generation
	return d
}

// String names d in messages: "qsbr.Domain 3 (0xc000012345)".
func (d *Domain) String() string { return fmt.Sprintf("qsbr.Domain %d (%p)", d.id, d) }

type waiter Domain

func (w *waiter) Wait(gp *engine.GP) {
	d := (*Domain)(w)
	d.readers.Wait(gp, &d.ctl, "qsbr")
}

// A Reader is one registered goroutine's handle: only that goroutine may
// use it. A Reader starts online.
type Reader struct {
	reader
	_ [128 - unsafe.Sizeof(reader{})]byte // a Reader fills two cache lines of its own
}

type reader struct {
	slot   engine.Slot // Ctr: 0 offline, else the generation of the last quiescent state
	d      *Domain
	nest   int32 // open sections, counted under WithDebug only
	online bool
	gone   bool // unregistered
	debug  bool // rcu.WithDebug
	slow   bool // debug or gone: the markers take their slow path
}

// Register registers the calling goroutine as a reader of d and returns
// its Reader, online.
func (d *Domain) Register() *Reader {
	d.w.Ready()
	if d.ctl.Load()&ctlClosed != 0 {
		panic("rcu: qsbr: Register on a closed Domain")
	}
	debug := d.w.Config().Debug
	r := &Reader{reader: reader{d: d, debug: debug, slow: debug}}
	d.readers.Register(&r.slot, r.debug, 1)
	r.Online()
	return r
}

// Unregister takes r offline and removes it from its Domain. r may not be
// used afterwards. Unregister inside a read section panics under WithDebug.
func (r *Reader) Unregister() {
	r.live("Unregister")
	if r.debug && r.nest > 0 {
		panic("rcu: qsbr: Unregister inside a read section")
	}
	r.Offline()
	r.gone, r.slow = true, true
	r.d.readers.Unregister(&r.slot)
}

// live panics if r was unregistered.
func (r *Reader) live(method string) {
	if r.gone {
		panic("rcu: qsbr: Reader." + method + " after Unregister")
	}
}

// ReadLock marks the beginning of a read section. It costs nothing (a
// test of a field of r) unless the Domain was made WithDebug, which checks
// that r is online and counts the nesting. After Unregister it panics.
func (r *Reader) ReadLock() {
	if r.slow {
		r.lockDebug()
	}
}

// ReadUnlock marks the end of a read section.
func (r *Reader) ReadUnlock() {
	if r.slow {
		r.unlockDebug()
	}
}

// Read runs f inside a read section of r.
func (r *Reader) Read(f func()) {
	r.ReadLock()
	defer r.ReadUnlock()
	f()
}

func (r *Reader) lockDebug() {
	r.live("ReadLock")
	if !r.online {
		panic("rcu: qsbr: ReadLock of an offline Reader (call Online first)")
	}
	r.nest++
}

func (r *Reader) unlockDebug() {
	r.live("ReadUnlock")
	if r.nest == 0 {
		panic("rcu: qsbr: ReadUnlock without a read section")
	}
	r.nest--
}

// Quiescent announces a quiescent state: r holds no reference obtained in
// an earlier read section. It costs two loads when no grace period waits,
// and one store when one does. Under WithDebug it panics inside a read
// section.
func (r *Reader) Quiescent() {
	if r.debug {
		r.checkQuiescent("Quiescent")
	}
	w := engine.Word(r.d.ctl.Load())
	if r.slot.Ctr.Load() != w && (r.online || r.gone) {
		r.live("Quiescent")
		r.d.inject(engine.PointReadSampled)
		r.slot.Ctr.Store(w) // pairs with the scan in engine.Table.Wait
	}
}

func (r *Reader) checkQuiescent(method string) {
	r.live(method)
	if r.nest > 0 {
		panic("rcu: qsbr: " + method + " inside a read section")
	}
}

// Offline takes r offline: grace periods no longer wait for it, and it
// must not read RCU-protected data until Online. Going offline is a
// quiescent state. Call it before blocking.
func (r *Reader) Offline() {
	if r.debug {
		r.checkQuiescent("Offline")
	}
	r.live("Offline")
	if r.debug && r.online {
		r.d.debug.add(r.slot.Goid, -1)
	}
	r.online = false
	r.slot.Ctr.Store(0)
}

// Online brings r back online after Offline.
func (r *Reader) Online() {
	r.live("Online")
	if r.debug && !r.online {
		r.d.debug.add(r.slot.Goid, 1)
	}
	r.online = true
	if r.d.w.Config().Fault(engine.FaultLazyOnline) {
		return // the bug: the word stays 0 until the next Quiescent
	}
	w := engine.Word(r.d.ctl.Load())
	r.d.inject(engine.PointReadSampled)
	r.slot.Ctr.Store(w) // pairs with the scan in engine.Table.Wait
}

// IsOnline reports whether r is online.
func (r *Reader) IsOnline() bool { return r.online }

// Synchronize is d.Synchronize for r's goroutine: it takes r offline for
// the wait, if it is online, and back online after. Going offline is a
// quiescent state, so Synchronize must be called outside read sections:
// called inside one, it would end the section's protection (WithDebug
// makes it panic).
func (r *Reader) Synchronize() {
	r.live("Synchronize")
	if r.debug && r.nest > 0 {
		panic("rcu: qsbr: Reader.Synchronize inside a read section (it takes the Reader offline, a quiescent state)")
	}
	if !r.online {
		r.d.Synchronize()
		return
	}
	r.Offline()
	defer r.Online()
	r.d.Synchronize()
}

// Readers returns the number of registered Readers.
func (d *Domain) Readers() int { return d.readers.Len() }

// noCopy makes go vet report copies of a Domain.
type noCopy struct{}

func (*noCopy) Lock()   {}
func (*noCopy) Unlock() {}
