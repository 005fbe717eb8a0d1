package fuzz

// Holds: how a schedule parks a goroutine inside an operation.
//
// The flavor calls Env.Inject(point) at each of its injection points, on
// whatever goroutine reaches it, and the fuzzer's own code does the same
// at its points (publish-init, publish-store, callback). A hit parks the
// goroutine when a hold armed for it matches:
//
//   - a hit on an actor's goroutine matches only that actor's hold: the
//     actor is running one of its steps, so the hold is inside that step;
//   - a hit on any other goroutine (the flavor's grace-period or callback
//     goroutine) matches only the grace-period hold.
//
// A hold parks one hit and is then spent; Release lets the goroutine go
// on. Telling goroutines apart needs their ids, which the runtime shows
// only in stack traces; a hit reads one only while some hold is armed, so
// that the common hit costs one atomic load.

import (
	"github.com/rcukit/rcukit/rcuops"
	"runtime"
	"sync/atomic"
)

type holdState uint8

const (
	holdNone  holdState = iota
	holdArmed           // waiting for its hit
	holdHeld            // a goroutine is parked at it
)

// A hold is guarded by run.mu.
type hold struct {
	state holdState
	point rcuops.Point
	ch    chan struct{} // closed to release the parked goroutine
	// parked is set while a goroutine waits at the hold; the controller
	// reads it without the lock.
	parked *atomic.Bool
}

// arm makes h wait for the next hit of point.
func (r *run) arm(h *hold, point rcuops.Point) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if h.state != holdNone || r.closing {
		return
	}
	h.state, h.point, h.ch = holdArmed, point, make(chan struct{})
	r.armed.Add(1)
}

// release disarms h or lets its goroutine go on. It reports whether a
// goroutine was parked there.
func (r *run) release(h *hold) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.releaseLocked(h)
}

func (r *run) releaseLocked(h *hold) bool {
	st := h.state
	switch st {
	case holdNone:
		return false
	case holdHeld:
		// Cleared here, not by the goroutine once it wakes: until then
		// the controller would take it for still parked and settle at
		// once, letting later steps overtake the released one; and a
		// late clear could hide a goroutine parked since at a re-armed
		// hold.
		h.parked.Store(false)
		close(h.ch)
	}
	h.state, h.ch = holdNone, nil
	r.armed.Add(-1)
	return st == holdHeld
}

// inject is Env.Inject, and the fuzzer's own points.
func (r *run) inject(point rcuops.Point) {
	if r.armed.Load() == 0 {
		return
	}
	r.mu.Lock()
	if r.closing || !r.armedAt(point) {
		r.mu.Unlock()
		return
	}
	a := r.byGoid[goid()] // nil on the flavor's goroutines
	h := &r.gpHold
	if a != nil {
		h = &a.hold
	}
	if h.state != holdArmed || h.point != point {
		r.mu.Unlock()
		return
	}
	h.state = holdHeld
	ch, parked := h.ch, h.parked
	x := hit{actor: a, point: point}
	if a != nil {
		x.step = int(a.now.Load()) - 1
	}
	r.hits = append(r.hits, x)
	parked.Store(true)
	r.mu.Unlock()
	if a != nil {
		a.signal()
	}
	<-ch
}

// armedAt reports whether some hold waits for point, so that a hit
// reads its goroutine's id only when it may park. The caller holds r.mu.
func (r *run) armedAt(point rcuops.Point) bool {
	if r.gpHold.state == holdArmed && r.gpHold.point == point {
		return true
	}
	for _, a := range r.actors {
		if a.hold.state == holdArmed && a.hold.point == point {
			return true
		}
	}
	return false
}

// A hit is a hold that parked a goroutine, for the report.
type hit struct {
	actor *actor // nil: the grace-period hold
	point rcuops.Point
	step  int // the actor's step
}

// goid returns the calling goroutine's id, from the first line of its
// stack trace ("goroutine 123 [running]:").
func goid() int64 {
	var buf [32]byte
	n := runtime.Stack(buf[:], false)
	const prefix = len("goroutine ")
	var id int64
	for _, c := range buf[min(prefix, n):n] {
		if c < '0' || c > '9' {
			break
		}
		id = id*10 + int64(c-'0')
	}
	return id
}
