package model

import (
	"cmp"
	"slices"
)

// Small immutable sets. Every function here returns a new slice when it
// changes anything and never writes to its argument, so states can share
// them freely.

// spans is a set of uint64 kept as sorted, disjoint, non-adjacent closed
// ranges. Sets of ids handed out by counters (published versions, invoked
// callbacks, used keys) stay a few ranges long however large they grow.
type spans []span

type span struct{ lo, hi uint64 }

func (s spans) find(x uint64) int {
	i, _ := slices.BinarySearchFunc(s, x, func(sp span, x uint64) int { return cmp.Compare(sp.hi, x) })
	return i // first span with hi >= x
}

func (s spans) has(x uint64) bool {
	i := s.find(x)
	return i < len(s) && s[i].lo <= x
}

func (s spans) add(x uint64) spans {
	i := s.find(x)
	if i < len(s) && s[i].lo <= x {
		return s
	}
	joinLeft := i > 0 && s[i-1].hi+1 == x
	joinRight := i < len(s) && x+1 == s[i].lo // x < s[i].lo, so x+1 cannot wrap
	out := make(spans, 0, len(s)+1)
	switch {
	case joinLeft && joinRight:
		out = append(out, s[:i-1]...)
		out = append(out, span{s[i-1].lo, s[i].hi})
		out = append(out, s[i+1:]...)
	case joinLeft:
		out = append(out, s...)
		out[i-1].hi = x
	case joinRight:
		out = append(out, s...)
		out[i].lo = x
	default:
		out = append(out, s[:i]...)
		out = append(out, span{x, x})
		out = append(out, s[i:]...)
	}
	return out
}

// only returns the members of s among keys.
func (s spans) only(keys []uint64) spans {
	var out spans
	for _, k := range keys {
		if s.has(k) {
			out = out.add(k)
		}
	}
	return out
}

// Sorted slices of uint64.

func hasSorted(s []uint64, x uint64) bool {
	_, ok := slices.BinarySearch(s, x)
	return ok
}

func insertSorted(s []uint64, x uint64) []uint64 {
	i, ok := slices.BinarySearch(s, x)
	if ok {
		return s
	}
	out := make([]uint64, len(s)+1)
	copy(out, s[:i])
	out[i] = x
	copy(out[i+1:], s[i:])
	return out
}

func removeSorted(s []uint64, x uint64) ([]uint64, bool) {
	i, ok := slices.BinarySearch(s, x)
	if !ok {
		return s, false
	}
	if len(s) == 1 {
		return nil, true
	}
	out := make([]uint64, len(s)-1)
	copy(out, s[:i])
	copy(out[i:], s[i+1:])
	return out, true
}

// onlySorted returns the members of s among keys (keys sorted).
func onlySorted(s, keys []uint64) []uint64 {
	var out []uint64
	for _, k := range keys {
		if hasSorted(s, k) {
			out = append(out, k)
		}
	}
	return out
}
