package model

import (
	"cmp"
	"slices"
)

// apply is Step and Apply. It works on s, a copy, replacing (never
// modifying) the slices it changes.
func (s State) apply(op Op, explain bool) (State, *Violation) {
	f := failer{op, explain}
	if !s.valid {
		return s, f.fail(Malformed, nil, "%v applied to the zero State, which is not a state of the model", op)
	}
	switch op.Kind {
	case Publish:
		if s.published.has(op.Version) {
			return s, f.fail(Malformed, nil, "version %d is published a second time", op.Version)
		}
		// The version replaced is removed: its reclaim waits for every
		// reader inside now, whichever version it saw.
		s.rd, _ = s.rd.wait(waiter{Publish, s.cur})
		s.cur = op.Version
		s.published = s.published.add(op.Version)

	case ReadBegin:
		if s.holder(op.ID) >= 0 {
			return s, f.fail(Malformed, nil, "reader r%d begins while it is already inside", op.ID)
		}
		if op.Damaged {
			return s, f.fail(ReadHalfInitialized, nil,
				"reader r%d saw version %d before it was fully initialized", op.ID, op.Version)
		}
		if op.Version != s.cur {
			if s.published.has(op.Version) {
				return s, f.fail(ReadStale, []Ref{{Publish, s.cur}},
					"reader r%d saw version %d, which version %d had already replaced", op.ID, op.Version, s.cur)
			}
			return s, f.fail(ReadUnpublished, nil,
				"reader r%d saw version %d, which had not been published (version %d was current)", op.ID, op.Version, s.cur)
		}
		if s.freed.has(op.Version) {
			return s, f.fail(ReadReclaimed, []Ref{{Reclaim, op.Version}},
				"reader r%d saw version %d, which had been reclaimed before it was published", op.ID, op.Version)
		}
		i, _ := slices.BinarySearchFunc(s.readers, op.ID, cmpHolder)
		s.readers = slices.Insert(slices.Clip(s.readers), i, holder{op.ID, op.Version})
		s.rd = s.rd.open(op.ID)

	case ReadEnd:
		i := s.holder(op.ID)
		if i < 0 {
			return s, f.fail(Malformed, nil, "reader r%d ends but is not inside a section", op.ID)
		}
		if op.Damaged {
			v := s.readers[i].version
			return s, f.fail(ReadReclaimed, []Ref{{Reclaim, v}},
				"reader r%d found version %d reclaimed before its section ended", op.ID, v)
		}
		s.readers = slices.Delete(slices.Clone(s.readers), i, i+1)
		s.rd, _ = s.rd.close(op.ID)

	case SyncBegin, Snapshot:
		w := waiter{op.Kind, op.ID}
		if s.rd.waiting(w) {
			return s, f.fail(Malformed, nil, "%s begins twice", op)
		}
		s.rd, _ = s.rd.wait(w)

	case SyncEnd:
		if w := (waiter{SyncBegin, op.ID}); s.rd.waiting(w) {
			rs := s.rd.blockers(w)
			return s, f.fail(SyncEarly, append([]Ref{{SyncBegin, op.ID}}, refs(ReadBegin, rs)...),
				"Synchronize s%d returned while %s, which began before it, %s still inside", op.ID, readerList(rs), wereWas(rs))
		}

	case Poll:
		if w := (waiter{Snapshot, op.ID}); op.OK && s.rd.waiting(w) {
			rs := s.rd.blockers(w)
			return s, f.fail(PollEarly, append([]Ref{{Snapshot, op.ID}}, refs(ReadBegin, rs)...),
				"cookie c%d polled complete while %s, which began before its Snapshot, %s still inside", op.ID, readerList(rs), wereWas(rs))
		}

	case Call:
		if s.cb.holds(op.ID) || s.invoked.has(op.ID) {
			return s, f.fail(Malformed, nil, "callback k%d is queued twice", op.ID)
		}
		s.cb = s.cb.open(op.ID)
		s.rd, _ = s.rd.wait(waiter{Call, op.ID})

	case Invoke:
		if !s.cb.holds(op.ID) {
			if s.invoked.has(op.ID) {
				return s, f.fail(CallbackTwice, []Ref{{Invoke, op.ID}}, "callback k%d ran a second time", op.ID)
			}
			return s, f.fail(CallbackUncalled, []Ref{{Call, op.ID}}, "callback k%d ran before it was queued", op.ID)
		}
		if w := (waiter{Call, op.ID}); s.rd.waiting(w) {
			rs := s.rd.blockers(w)
			return s, f.fail(CallbackEarly, append([]Ref{{Call, op.ID}}, refs(ReadBegin, rs)...),
				"callback k%d ran while %s, which began before its Call, %s still inside", op.ID, readerList(rs), wereWas(rs))
		}
		s.cb, _ = s.cb.close(op.ID)
		s.invoked = s.invoked.add(op.ID)

	case BarrierBegin:
		w := waiter{BarrierBegin, op.ID}
		if s.cb.waiting(w) {
			return s, f.fail(Malformed, nil, "%s begins twice", op)
		}
		s.cb, _ = s.cb.wait(w)

	case BarrierEnd:
		if w := (waiter{BarrierBegin, op.ID}); s.cb.waiting(w) {
			ks := s.cb.blockers(w)
			return s, f.fail(BarrierEarly, append([]Ref{{BarrierBegin, op.ID}}, refs(Call, ks)...),
				"Barrier b%d returned before %s, queued before it, had run", op.ID, list("callback", "k", ks))
		}

	case Reclaim:
		if op.Version == s.cur {
			return s, f.fail(ReclaimCurrent, []Ref{{Publish, op.Version}},
				"version %d was reclaimed while it was the current version", op.Version)
		}
		if w := (waiter{Publish, op.Version}); s.rd.waiting(w) {
			rs := s.rd.blockers(w)
			return s, f.fail(ReclaimWhileHeld, refs(ReadBegin, rs),
				"version %d was reclaimed while %s, which began before it was replaced, %s still inside", op.Version, readerList(rs), wereWas(rs))
		}
		// A second reclaim of a version is judged like the first, and is
		// not itself a violation (see the package documentation).
		s.freed = s.freed.add(op.Version)

	case Insert:
		if s.used.has(op.Key) {
			return s, f.fail(Malformed, nil, "key %d is inserted a second time", op.Key)
		}
		s = s.insertKey(op.Key)

	case Remove:
		in := hasSorted(s.present, op.Key)
		if op.OK != in {
			return s, f.fail(ListRemove, []Ref{{Insert, op.Key}},
				"Remove(%d) reported %t, but %d %s in the list", op.Key, op.OK, op.Key, isNot(in))
		}
		if in {
			s = s.removeKey(op.Key)
		}

	case Replace:
		in := hasSorted(s.present, op.Key)
		if op.OK != in {
			return s, f.fail(ListReplace, []Ref{{Insert, op.Key}},
				"Replace(%d->%d) reported %t, but %d %s in the list", op.Key, op.Key2, op.OK, op.Key, isNot(in))
		}
		if !in {
			break
		}
		if s.used.has(op.Key2) {
			return s, f.fail(Malformed, nil, "key %d is inserted a second time", op.Key2)
		}
		s = s.replaceKey(op.Key, op.Key2)

	case Lookup:
		if op.Damaged {
			return s, f.fail(ListReadReclaimed, []Ref{{ElemReclaim, op.Key}},
				"a lookup found element %d reclaimed", op.Key)
		}
		if in := hasSorted(s.present, op.Key); op.OK != in {
			return s, f.fail(ListLookup, []Ref{{Insert, op.Key}},
				"Lookup(%d) reported %t, but %d %s in the list", op.Key, op.OK, op.Key, isNot(in))
		}

	case TraverseBegin:
		if s.trav(op.ID) >= 0 {
			return s, f.fail(Malformed, nil, "traversal t%d begins twice", op.ID)
		}
		i, _ := slices.BinarySearchFunc(s.travs, op.ID, cmpTrav)
		s.travs = slices.Insert(slices.Clip(s.travs), i, trav{id: op.ID, base: s.present})
		s.tr = s.tr.open(op.ID)

	case TraverseEnd:
		i := s.trav(op.ID)
		if i < 0 {
			return s, f.fail(Malformed, nil, "traversal t%d ends but is not running", op.ID)
		}
		if v := s.travs[i].end(f, op); v != nil {
			return s, v
		}
		s.travs = slices.Delete(slices.Clone(s.travs), i, i+1)
		s.tr, _ = s.tr.close(op.ID)

	case ElemReclaim:
		if w := (waiter{Remove, op.Key}); s.tr.waiting(w) {
			ts := s.tr.blockers(w)
			return s, f.fail(ListReclaimWhileHeld, refs(TraverseBegin, ts),
				"element %d was reclaimed while %s, running when it was removed, %s not finished",
				op.Key, list("traversal", "t", ts), wereWas(ts))
		}
		if hasSorted(s.present, op.Key) || !s.used.has(op.Key) {
			return s, f.fail(ListReclaimUnremoved, []Ref{{Insert, op.Key}},
				"element %d was reclaimed but had not been removed from the list", op.Key)
		}
		if s.reclaimed.has(op.Key) {
			return s, f.fail(ListReclaimTwice, []Ref{{ElemReclaim, op.Key}},
				"element %d was reclaimed a second time", op.Key)
		}
		s.reclaimed = s.reclaimed.add(op.Key)

	default:
		return s, f.fail(Malformed, nil, "unknown operation kind %d", uint8(op.Kind))
	}
	return s, nil
}

func cmpHolder(h holder, id uint64) int { return cmp.Compare(h.id, id) }

func cmpTrav(t trav, id uint64) int { return cmp.Compare(t.id, id) }

func (s State) holder(id uint64) int {
	i, ok := slices.BinarySearchFunc(s.readers, id, cmpHolder)
	if !ok {
		return -1
	}
	return i
}

func (s State) trav(id uint64) int {
	i, ok := slices.BinarySearchFunc(s.travs, id, cmpTrav)
	if !ok {
		return -1
	}
	return i
}

// eachTrav replaces every open traversal t by f(t).
func (s State) eachTrav(f func(t trav) trav) []trav {
	if len(s.travs) == 0 {
		return s.travs
	}
	out := make([]trav, len(s.travs))
	for i, t := range s.travs {
		out[i] = f(t)
	}
	return out
}

func (s State) insertKey(k uint64) State {
	s.present = insertSorted(s.present, k)
	s.used = s.used.add(k)
	s.travs = s.eachTrav(func(t trav) trav {
		t.added = insertSorted(t.added, k)
		return t
	})
	return s
}

func (s State) removeKey(k uint64) State {
	s.present, _ = removeSorted(s.present, k)
	s.travs = s.eachTrav(func(t trav) trav {
		if b, ok := t.constraint(k); ok && !hasSorted(t.gone, b) {
			t.gone = insertSorted(t.gone, b)
		}
		return t
	})
	s.tr, _ = s.tr.wait(waiter{Remove, k})
	return s
}

func (s State) replaceKey(old, k uint64) State {
	s.present, _ = removeSorted(s.present, old)
	s.present = insertSorted(s.present, k)
	s.used = s.used.add(k)
	s.travs = s.eachTrav(func(t trav) trav {
		t.added = insertSorted(t.added, k)
		if b, ok := t.constraint(old); ok {
			if !hasSorted(t.gone, b) {
				t.alts = extend(t.alts, b, k)
			}
		} else if b, ok := chainOf(t.extra, old); ok || hasSorted(t.added, old) {
			if !ok {
				b = old
			}
			t.extra = extend(t.extra, b, k)
		}
		return t
	})
	s.tr, _ = s.tr.wait(waiter{Remove, old})
	return s
}

// extend returns as with k added to the replacements of base.
func extend(as []alt, base, k uint64) []alt {
	i, found := slices.BinarySearchFunc(as, base, func(a alt, b uint64) int { return cmp.Compare(a.base, b) })
	if found {
		as = slices.Clone(as)
		as[i].keys = append(slices.Clip(as[i].keys), k)
		return as
	}
	return slices.Insert(slices.Clip(as), i, alt{base, []uint64{k}})
}

// chainOf returns the base of the chain in as that k belongs to: k itself
// or one of its replacements.
func chainOf(as []alt, k uint64) (uint64, bool) {
	for _, a := range as {
		if a.base == k || slices.Contains(a.keys, k) {
			return a.base, true
		}
	}
	return 0, false
}

// constraint returns the base key whose must-see constraint k belongs
// to: k itself or a replacement of it.
func (t trav) constraint(k uint64) (uint64, bool) {
	if hasSorted(t.base, k) {
		return k, true
	}
	for _, a := range t.alts {
		if slices.Contains(a.keys, k) {
			return a.base, true
		}
	}
	return 0, false
}

// end checks what a TraverseEnd saw against what t had to see and could
// see.
func (t trav) end(f failer, op Op) *Violation {
	if op.Damaged {
		return f.fail(ListReadReclaimed, []Ref{{TraverseBegin, t.id}},
			"traversal t%d saw a reclaimed element", t.id)
	}
	seen := slices.Clone(op.Keys)
	slices.Sort(seen)
	for i := 1; i < len(seen); i++ {
		if seen[i] == seen[i-1] {
			return f.fail(ListTraverseDuplicate, []Ref{{Insert, seen[i]}},
				"traversal t%d saw element %d twice", t.id, seen[i])
		}
	}
	for _, a := range slices.Concat(t.alts, t.extra) {
		var both []uint64
		for _, k := range append([]uint64{a.base}, a.keys...) {
			if hasSorted(seen, k) {
				both = append(both, k)
			}
		}
		if len(both) > 1 {
			return f.fail(ListTraverseDuplicate, refs(Insert, both),
				"traversal t%d saw %s, versions of one replaced element, together", t.id, list("element", "", both))
		}
	}
	for _, k := range op.Keys {
		if !hasSorted(t.base, k) && !hasSorted(t.added, k) {
			return f.fail(ListTraversePhantom, []Ref{{Insert, k}},
				"traversal t%d saw element %d, which was not in the list while it ran", t.id, k)
		}
	}
	for _, b := range t.base {
		if hasSorted(t.gone, b) || hasSorted(seen, b) {
			continue
		}
		missed := true
		for _, a := range t.alts {
			if a.base == b {
				for _, k := range a.keys {
					if hasSorted(seen, k) {
						missed = false
					}
				}
			}
		}
		if missed {
			return f.fail(ListTraverseMissed, []Ref{{Insert, b}},
				"traversal t%d missed element %d, which stayed in the list (or was replaced) while it ran", t.id, b)
		}
	}
	return nil
}
