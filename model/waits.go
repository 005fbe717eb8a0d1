package model

import (
	"cmp"
	"slices"
)

// waits records which open items (readers, pending callbacks, traversals)
// each pending waiter (a Synchronize, a callback's grace period, a cookie, a
// Barrier, a removed list element) waits for.
//
// A waiter registered when items x, y were open waits for exactly those of
// them still open: items that close never reopen, and items opened later
// are none of its business. So instead of a set per waiter it is enough to
// keep the linearization order of opens and registrations. waits keeps it
// in a canonical form, so that histories that reach the same situation in
// different orders reach equal states, which is what lets porcupine's
// memoization work:
//
//	blocks b0, b1, ..., bn (oldest first), each a set of items and a set of
//	waiters; a waiter in bi waits for the items of b0..bi.
//
// Invariants: every block has at least one item, and every block but the
// last has at least one waiter. Items and waiters are sorted within their
// block. A waiter whose items have all closed is dropped: it is satisfied.
type waits []block

type block struct {
	items   []uint64
	waiters []waiter
}

type waiter struct {
	kind Kind
	id   uint64
}

func compareWaiter(a, b waiter) int {
	if c := cmp.Compare(a.kind, b.kind); c != 0 {
		return c
	}
	return cmp.Compare(a.id, b.id)
}

// open adds item id, opened after every current waiter registered.
func (w waits) open(id uint64) waits {
	n := len(w)
	if n > 0 && len(w[n-1].waiters) == 0 {
		out := slices.Clone(w)
		out[n-1].items = insertSorted(w[n-1].items, id)
		return out
	}
	out := make(waits, n+1)
	copy(out, w)
	out[n] = block{items: []uint64{id}}
	return out
}

// holds reports whether item id is open.
func (w waits) holds(id uint64) bool {
	for _, b := range w {
		if hasSorted(b.items, id) {
			return true
		}
	}
	return false
}

// close removes item id and reports whether it was open.
func (w waits) close(id uint64) (waits, bool) {
	for i, b := range w {
		items, ok := removeSorted(b.items, id)
		if !ok {
			continue
		}
		if len(items) > 0 {
			out := slices.Clone(w)
			out[i].items = items
			return out, true
		}
		// Block i is empty: its waiters now wait for exactly what the
		// waiters of block i-1 wait for, or, in block 0, for nothing.
		out := make(waits, 0, len(w)-1)
		out = append(out, w[:i]...)
		out = append(out, w[i+1:]...)
		if i > 0 && len(b.waiters) > 0 {
			out[i-1].waiters = mergeWaiters(w[i-1].waiters, b.waiters)
		}
		if len(out) == 0 {
			out = nil
		}
		return out, true
	}
	return w, false
}

// wait registers x to wait for every item open now. It reports false, and
// leaves w alone, when no item is open: x is satisfied at once.
func (w waits) wait(x waiter) (waits, bool) {
	n := len(w)
	if n == 0 {
		return w, false
	}
	out := slices.Clone(w)
	ws := w[n-1].waiters
	i, found := slices.BinarySearchFunc(ws, x, compareWaiter)
	if !found {
		ws = slices.Insert(slices.Clip(ws), i, x)
	}
	out[n-1].waiters = ws
	return out, true
}

// waiting reports whether x still waits for an open item.
func (w waits) waiting(x waiter) bool { return w.blockOf(x) >= 0 }

func (w waits) blockOf(x waiter) int {
	for i, b := range w {
		if _, ok := slices.BinarySearchFunc(b.waiters, x, compareWaiter); ok {
			return i
		}
	}
	return -1
}

// blockers returns the items x waits for, oldest block first.
func (w waits) blockers(x waiter) []uint64 {
	var out []uint64
	for i := 0; i <= w.blockOf(x); i++ {
		out = append(out, w[i].items...)
	}
	return out
}

func (w waits) equal(v waits) bool {
	if len(w) != len(v) {
		return false
	}
	for i := range w {
		if !slices.Equal(w[i].items, v[i].items) || !slices.Equal(w[i].waiters, v[i].waiters) {
			return false
		}
	}
	return true
}

func (w waits) hash(h uint64) uint64 {
	for _, b := range w {
		h = mix(h, uint64(len(b.items))<<32|uint64(len(b.waiters)))
		for _, it := range b.items {
			h = mix(h, it)
		}
		for _, x := range b.waiters {
			h = mix(h, uint64(x.kind)<<56^x.id)
		}
	}
	return h
}

func mergeWaiters(a, b []waiter) []waiter {
	out := make([]waiter, 0, len(a)+len(b))
	out = append(out, a...)
	out = append(out, b...)
	slices.SortFunc(out, compareWaiter)
	return slices.CompactFunc(out, func(x, y waiter) bool { return x == y })
}

// mix folds x into the hash h (a 64-bit finalizer in the style of
// splitmix64).
func mix(h, x uint64) uint64 {
	h ^= x + 0x9e3779b97f4a7c15 + h<<6 + h>>2
	h ^= h >> 31
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 29
	return h
}
