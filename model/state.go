package model

import (
	"fmt"
	"slices"
)

// A State is the state of the sequential model: the pointer, its open
// readers, pending grace-period waiters, callbacks and barriers, and the
// list. States are immutable values: Apply and Step return a new State and
// never modify the receiver, so any number of goroutines may use one State
// at once. Compare States with Equal; == does not compile.
//
// The zero State is not valid; start from Init or Settle.
type State struct {
	_ [0]func() // not comparable: use Equal

	valid     bool
	cur       uint64   // the current version
	published spans    // every version published so far, cur among them
	readers   []holder // open readers by id, with the version each saw
	rd        waits    // open readers, and the syncs, callbacks and cookies waiting for them
	cb        waits    // pending callbacks, and the barriers waiting for them
	invoked   spans    // callbacks that have run
	freed     spans    // versions reclaimed

	present   []uint64 // keys in the list, sorted; never modified once built
	used      spans    // keys ever inserted
	reclaimed spans    // keys reclaimed
	travs     []trav   // open traversals by id
	tr        waits    // open traversals, and the removed keys waiting for them
}

type holder struct{ id, version uint64 }

// A trav is an open traversal: what it must see and what it may see.
//
// Every key present when it began (base) must be seen, unless it is
// removed meanwhile (gone); a base key that is replaced may be seen as any
// of its replacements (alts). Keys inserted meanwhile (added) may be seen
// or missed. A Replace puts the new element in the old one's place, so a
// traversal sees at most one version of an element, whether the element
// was there when it began (alts) or was inserted while it ran (extra).
type trav struct {
	id    uint64
	base  []uint64 // keys present at TraverseBegin; shared with that State.present
	gone  []uint64 // base keys whose element was removed during the traversal, sorted
	alts  []alt    // base keys replaced during the traversal, sorted by base
	added []uint64 // keys inserted during the traversal, sorted
	// extra are keys inserted during the traversal and then replaced
	// during it, sorted by base: it may see one version of each, never two.
	extra []alt
}

type alt struct {
	base uint64
	keys []uint64 // the replacements of base, oldest first
}

// Init returns the initial state: version 0 is current and published,
// nothing is open or pending, and the list is empty.
func Init() State {
	return State{valid: true, published: spans{{0, 0}}}
}

// Version returns the current version.
func (s State) Version() uint64 { return s.cur }

// Quiescent reports whether nothing is open or waiting: no reader,
// traversal, Synchronize, cookie or Barrier. Callbacks may be pending.
func (s State) Quiescent() bool {
	return len(s.readers) == 0 && len(s.rd) == 0 && len(s.travs) == 0 && len(s.tr) == 0 && !s.barrierPending()
}

func (s State) barrierPending() bool {
	for _, b := range s.cb {
		if len(b.waiters) > 0 {
			return true
		}
	}
	return false
}

// Pending returns the callbacks that have been queued and not yet run,
// in increasing order.
func (s State) Pending() []uint64 {
	var ks []uint64
	for _, b := range s.cb {
		ks = append(ks, b.items...)
	}
	slices.Sort(ks)
	return ks
}

// Present returns the keys in the list, in increasing order.
func (s State) Present() []uint64 { return slices.Clone(s.present) }

// Step applies op to s for a linearizability checker: it reports whether
// op is legal in s and returns the state after it (s itself when it is
// not). Step never panics and never modifies s.
func (s State) Step(op Op) (State, bool) {
	next, v := s.apply(op, false)
	if v != nil {
		return s, false
	}
	return next, true
}

// Apply is Step that says why: it returns the state after op, or s and the
// Violation that makes op illegal in s.
func (s State) Apply(op Op) (State, *Violation) {
	next, v := s.apply(op, true)
	if v != nil {
		return s, v
	}
	return next, nil
}

// A failer builds the Violation for an illegal op. Without explain it
// returns a shared value and formats nothing: a checker tries many illegal
// orders and only needs to know that they are illegal.
type failer struct {
	op      Op
	explain bool
}

var illegal = &Violation{Rule: Malformed}

func (f failer) fail(r Rule, related []Ref, format string, args ...any) *Violation {
	if !f.explain {
		return illegal
	}
	return &Violation{Rule: r, Op: f.op, Detail: fmt.Sprintf(format, args...), Related: related}
}
