// Package flavors holds the RCU flavors that cmd/rcutorture can torture
// (cmd/rcutorture is torture.Main over All): the reference rcu.Domain, two
// simple correct RCUs to compare it with, and broken flavors, each a
// realistic bug that the engine must catch. (The implementations are in
// internal/impl; the broken ones, with the rules each breaks, in
// internal/broken, which has more for the other checkers: the broken
// flavors here are broken.For(broken.Torture).)
//
// Correct flavors:
//
//   - rcu: the reference rcu.Domain. Built with -tags rcuinject, its
//     injection points are passed to the engine.
//   - trivial: an obviously correct RCU on a sync.RWMutex (token readers)
//     and one mutex per registered reader; grace periods take the write
//     lock and every reader's mutex in turn.
//   - classic: a small classic two-index counter SRCU (per-shard lock and
//     unlock counters; a grace period waits for stragglers on the inactive
//     index, flips, and waits on the old index), with injection points
//     always compiled in.
//   - qsbr: package rcu/qsbr, its readers online for each outermost
//     section and offline after it.
//   - registered: package rcu/registered, readers with a word of their
//     own.
//
// Broken flavors (each must end in FAILURE):
//
//   - busted-sync: Synchronize returns at once.
//   - busted-call: Call runs the callback at once.
//   - busted-flip: classic without the wait for stragglers: a grace period
//     misses a reader that sampled the index just before the previous flip.
//   - busted-nest: ending an inner section ends the outer one too.
//   - busted-barrier: Barrier does not wait.
//   - busted-publish: an element is published before it is initialized.
//   - busted-poll: Poll reports completion one grace period early.
//   - busted-qsbr-stale: qsbr whose grace periods accept a quiescent state
//     reported before they began.
//   - busted-qsbr-lazy: qsbr whose Online does not announce the reader
//     until its next quiescent state.
//   - busted-reg-cached: registered whose grace periods scan the reader
//     table of the previous grace period, missing readers registered since.
//   - busted-flip-ref (only with -tags rcuinject): the reference with its
//     FaultSkipStragglers fault, the same bug as busted-flip.
//   - busted-reg-oneflip (only with -tags rcuinject): registered whose
//     grace periods compare only the parity of the readers' generations, a
//     single-flip phase scheme: misses a reader that loaded the generation
//     just before the previous grace period advanced it.
package flavors

import (
	"slices"

	"github.com/rcukit/rcukit/internal/broken"
	"github.com/rcukit/rcukit/internal/impl"
	"github.com/rcukit/rcukit/rcuops"
	"github.com/rcukit/rcukit/torture"
)

// Reference is the reference rcu.Domain as a flavor.
var Reference = rcuops.Flavor{Name: "rcu", Doc: impl.ReferenceDoc, Tags: impl.InjectTags, New: func(env rcuops.Env) *rcuops.Ops {
	ops, _ := impl.Reference(env)
	return ops
}}

// QSBR is package rcu/qsbr as a flavor.
var QSBR = rcuops.Flavor{Name: "qsbr", Doc: impl.QSBRDoc, Tags: impl.InjectTags, New: func(env rcuops.Env) *rcuops.Ops {
	ops, _ := impl.QSBR(env)
	return ops
}}

// Registered is package rcu/registered as a flavor.
var Registered = rcuops.Flavor{Name: "registered", Doc: impl.RegisteredDoc, Tags: impl.InjectTags, New: func(env rcuops.Env) *rcuops.Ops {
	ops, _ := impl.Registered(env)
	return ops
}}

var all = func() []rcuops.Flavor {
	fs := []rcuops.Flavor{
		Reference,
		{Name: "trivial", Doc: "an obviously correct RCU: sync.RWMutex readers, a mutex per registered reader", New: impl.Trivial},
		{Name: "classic", Doc: "a classic two-index counter SRCU with injection points", New: impl.Classic},
		QSBR,
		Registered,
	}
	for _, b := range broken.For(broken.Torture) {
		fs = append(fs, b.Flavor())
	}
	return fs
}()

// Elsewhere returns the flavors of the other build that this one lacks
// (without -tags rcuinject: busted-flip-ref), without New: torture.Main
// lists them and says which tags build them.
func Elsewhere() []rcuops.Flavor {
	var fs []rcuops.Flavor
	for _, b := range broken.Elsewhere() {
		if b.For&broken.Torture != 0 {
			f := b.Flavor()
			f.New = nil
			fs = append(fs, f)
		}
	}
	return fs
}

// All returns every flavor: the correct ones first, then the broken ones.
func All() []rcuops.Flavor { return slices.Clone(all) }

// Lookup returns the flavor called name.
func Lookup(name string) (rcuops.Flavor, bool) {
	for _, f := range all {
		if f.Name == name {
			return f, true
		}
	}
	return rcuops.Flavor{}, false
}

// Names returns the flavors' names, in the order of All.
func Names() []string {
	names := make([]string, len(all))
	for i, f := range all {
		names[i] = f.Name
	}
	return names
}

// Nearest returns the flavor name closest to name by edit distance, for
// "did you mean" hints, or "" if none is close (see torture.Nearest).
func Nearest(name string) string { return torture.Nearest(name, all) }
