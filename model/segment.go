package model

import (
	"fmt"
	"slices"
	"sort"
)

// Explain applies ops to s in order and returns the index of the first
// illegal one and why it is illegal, or -1 and nil if every op is legal.
// Given a linearization that a checker rejected, it names the rule broken.
func Explain(s State, ops []Op) (int, *Violation) {
	for i, op := range ops {
		next, v := s.Apply(op)
		if v != nil {
			return i, v
		}
		s = next
	}
	return -1, nil
}

// Partition splits ops into groups that can be checked independently: a
// sequence of operations is legal from a state s if and only if each group
// is legal from s.Project of that group. It returns the indexes of each
// group's operations, in order, groups ordered by their first operation.
//
// The pointer, its grace periods and callbacks form one group. The list
// forms one group when a traversal is among ops (a traversal involves
// every key); otherwise it is split by key, a Replace joining its two keys.
func Partition(ops []Op) [][]int {
	var domain []int
	traversal := false
	for _, op := range ops {
		if op.Kind == TraverseBegin || op.Kind == TraverseEnd {
			traversal = true
			break
		}
	}
	// Union-find over keys for the list operations.
	parent := map[uint64]uint64{}
	var find func(k uint64) uint64
	find = func(k uint64) uint64 {
		p, ok := parent[k]
		if !ok {
			parent[k] = k
			return k
		}
		if p == k {
			return k
		}
		r := find(p)
		parent[k] = r
		return r
	}
	var listOps []int
	for i, op := range ops {
		if !op.Kind.IsList() {
			domain = append(domain, i)
			continue
		}
		listOps = append(listOps, i)
		if traversal {
			continue
		}
		a := find(op.Key)
		if op.Kind == Replace {
			if b := find(op.Key2); a != b {
				parent[b] = a
			}
		}
	}
	var groups [][]int
	if len(domain) > 0 {
		groups = append(groups, domain)
	}
	if traversal {
		if len(listOps) > 0 {
			groups = append(groups, listOps)
		}
	} else {
		byRoot := map[uint64]int{}
		for _, i := range listOps {
			r := find(ops[i].Key)
			g, ok := byRoot[r]
			if !ok {
				g = len(groups)
				byRoot[r] = g
				groups = append(groups, nil)
			}
			groups[g] = append(groups[g], i)
		}
	}
	sort.SliceStable(groups, func(a, b int) bool { return groups[a][0] < groups[b][0] })
	return groups
}

// Project returns the part of s that the operations ops (one group of
// Partition) can see: the pointer, grace periods and callbacks if ops has
// any of their operations, and the list restricted to the keys ops
// mentions (all of it if ops has a traversal or s has one running).
// Checking ops from s.Project(ops) gives the same answer as checking them
// from s, with smaller states.
func (s State) Project(ops []Op) State {
	if !s.valid {
		return s
	}
	domain, list, traversal := false, false, len(s.travs) > 0
	var keys []uint64
	for _, op := range ops {
		if !op.Kind.IsList() {
			domain = true
			continue
		}
		list = true
		switch op.Kind {
		case TraverseBegin, TraverseEnd:
			traversal = true
		case Replace:
			keys = append(keys, op.Key, op.Key2)
		default:
			keys = append(keys, op.Key)
		}
	}
	out := Init()
	if domain {
		out.cur, out.published, out.readers, out.rd, out.cb, out.invoked, out.freed = s.cur, s.published, s.readers, s.rd, s.cb, s.invoked, s.freed
	}
	switch {
	case traversal:
		out.present, out.used, out.reclaimed, out.travs, out.tr = s.present, s.used, s.reclaimed, s.travs, s.tr
	case list:
		slices.Sort(keys)
		keys = slices.Compact(keys)
		out.present = onlySorted(s.present, keys)
		out.used = s.used.only(keys)
		out.reclaimed = s.reclaimed.only(keys)
	}
	return out
}

// Settle returns the state after ops, a legal and complete stretch of
// history that starts in s and leaves nothing open, without choosing an
// order for ops: every effect that survives such a stretch (the current
// version, the published versions, pending and run callbacks, the list's
// keys) is the same in every legal order, provided that the last Publish
// in ops is the one published last. s must be Quiescent.
//
// Settle lets a checker cut a long history at points where nothing is in
// flight and check each piece from the state at its cut. It returns an
// error if s or the state after ops is not quiescent; it does not check
// legality.
func (s State) Settle(ops []Op) (State, error) {
	if !s.valid {
		return s, fmt.Errorf("model: Settle of the zero State")
	}
	if !s.Quiescent() {
		return s, fmt.Errorf("model: Settle from a state that is not quiescent: %v", s)
	}
	type key struct {
		k  Kind
		id uint64
	}
	open := map[key]int{}
	var called, ran, inserted, removed []uint64
	for _, op := range ops {
		switch op.Kind {
		case Publish:
			s.cur = op.Version
			s.published = s.published.add(op.Version)
		case ReadBegin, SyncBegin, BarrierBegin, TraverseBegin:
			open[key{op.Kind, op.ID}]++
		case ReadEnd, SyncEnd, BarrierEnd, TraverseEnd:
			open[key{op.Kind.Opener(), op.ID}]--
		case Call:
			called = append(called, op.ID)
		case Reclaim:
			s.freed = s.freed.add(op.Version)
		case Invoke:
			ran = append(ran, op.ID)
			s.invoked = s.invoked.add(op.ID)
		case Insert:
			inserted = append(inserted, op.Key)
		case Remove:
			if op.OK {
				removed = append(removed, op.Key)
			}
		case Replace:
			if op.OK {
				removed = append(removed, op.Key)
				inserted = append(inserted, op.Key2)
			}
		case ElemReclaim:
			s.reclaimed = s.reclaimed.add(op.Key)
		}
	}
	for k, n := range open {
		if n != 0 {
			return s, fmt.Errorf("model: Settle: %s %d is still open at the end", k.k, k.id)
		}
	}
	pending := s.Pending()
	for _, k := range called {
		pending = insertSorted(pending, k)
	}
	for _, k := range ran {
		pending, _ = removeSorted(pending, k)
	}
	s.cb = nil
	if len(pending) > 0 {
		s.cb = waits{{items: pending}}
	}
	present := slices.Clone(s.present)
	for _, k := range inserted {
		present = insertSorted(present, k)
		s.used = s.used.add(k)
	}
	for _, k := range removed {
		present, _ = removeSorted(present, k)
	}
	s.present = present
	return s, nil
}
