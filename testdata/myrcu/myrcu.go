// Package myrcu is a small RCU of its own: readers count themselves under
// one of two indexes, and a grace period waits for the inactive index to
// drain (a reader that sampled the index just before the last flip may
// have counted itself there since), flips, and waits for the old index to
// drain. Without the first wait it has the counter-flip bug, which
// NoStragglerWait keeps for the tests.
package myrcu

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rcukit/rcukit/rcuops"
)

// An RCU is one domain.
type RCU struct {
	stragglers bool               // wait for the inactive index first; false is the bug
	inject     func(rcuops.Point) // nil unless the tools inject

	idx          atomic.Uint64
	readers      [2]atomic.Int64
	started, gps atomic.Uint64 // grace periods started, completed
	mu           sync.Mutex    // one grace period at a time
}

// A Token ends the section that Lock began.
type Token uint64

// Lock begins a read section.
func (r *RCU) Lock() Token {
	i := r.idx.Load() & 1
	if r.inject != nil {
		r.inject(rcuops.PointReadSampled) // sampled the index, not yet counted
	}
	r.readers[i].Add(1)
	return Token(i)
}

// Unlock ends the section of t.
func (r *RCU) Unlock(t Token) { r.readers[t].Add(-1) }

// Synchronize waits for every section that began before it. Concurrent
// callers share grace periods: one that started after the call covers it.
func (r *RCU) Synchronize() {
	want := r.started.Load() + 1
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.gps.Load() >= want {
		return
	}
	r.started.Add(1)
	cur := r.idx.Load() & 1
	if r.stragglers {
		r.drain(1 - cur)
	}
	r.idx.Store(1 - cur)
	r.drain(cur)
	r.gps.Add(1)
}

// drain waits until no section is counted under index i.
func (r *RCU) drain(i uint64) {
	for spins := 0; r.readers[i].Load() != 0; spins++ {
		if spins < 64 {
			runtime.Gosched()
		} else {
			time.Sleep(20 * time.Microsecond)
		}
	}
}

func flavor(name, doc string, stragglers bool) rcuops.Flavor {
	return rcuops.Flavor{Name: name, Doc: doc, Broken: !stragglers, New: func(env rcuops.Env) *rcuops.Ops {
		r := &RCU{stragglers: stragglers, inject: env.Inject}
		return &rcuops.Ops{
			Reader:      func() rcuops.Reader { return rcuops.TokenReader(r.Lock, r.Unlock) },
			Synchronize: r.Synchronize,
			GPs:         r.gps.Load,
			Injection:   []rcuops.Point{rcuops.PointReadSampled},
		}
	}}
}

// Flavor is the RCU, for the tools of rcukit.
var Flavor = flavor("myrcu", "a two-index counter RCU", true)

// NoStragglerWait is the RCU without the wait for the inactive index: it
// misses a reader that sampled the index just before the previous flip.
var NoStragglerWait = flavor("myrcu-nostraggler", "without the wait for stragglers", false)

// NoWait is the RCU whose Synchronize returns at once.
var NoWait = rcuops.Flavor{Name: "myrcu-nowait", Doc: "Synchronize returns at once", Broken: true, New: func(env rcuops.Env) *rcuops.Ops {
	ops := Flavor.New(env)
	ops.Synchronize = func() {}
	return ops
}}

// Flavors are all three.
func Flavors() []rcuops.Flavor { return []rcuops.Flavor{Flavor, NoStragglerWait, NoWait} }
