package model_test

// A deliberately simple twin of the model: maps, absolute sequence numbers
// and thresholds, nothing canonical and nothing dropped. The rapid tests
// drive both with the same random operations and want the same verdict,
// the same rule and the same observable state after every step.

import (
	"maps"
	"slices"

	"github.com/rcukit/rcukit/model"
)

type refReader struct{ seq, version uint64 }

type refTrav struct {
	seq  uint64
	must []*refConstraint
	may  map[uint64]bool
}

type refConstraint struct {
	keys     []uint64
	dropped  bool // removed while the traversal ran: need not be seen
	optional bool // inserted while the traversal ran: may be seen, once
}

type reference struct {
	cur       uint64
	published map[uint64]bool
	readers   map[uint64]refReader
	nextSeq   uint64
	syncs     map[uint64]uint64 // sync -> reader threshold
	cookies   map[uint64]uint64
	calls     map[uint64][2]uint64 // pending callback -> reader threshold, call sequence
	nextCall  uint64
	invoked   map[uint64]bool
	barriers  map[uint64]uint64 // barrier -> call threshold
	present   map[uint64]bool
	used      map[uint64]bool
	reclaimed map[uint64]bool
	replaced  map[uint64]uint64 // replaced version -> reader threshold
	freed     map[uint64]bool   // reclaimed versions
	travs     map[uint64]*refTrav
	nextTrav  uint64
	removals  map[uint64]uint64 // removed key -> traversal threshold
}

func newReference() *reference {
	return &reference{
		published: map[uint64]bool{0: true},
		readers:   map[uint64]refReader{},
		syncs:     map[uint64]uint64{},
		cookies:   map[uint64]uint64{},
		calls:     map[uint64][2]uint64{},
		invoked:   map[uint64]bool{},
		barriers:  map[uint64]uint64{},
		present:   map[uint64]bool{},
		used:      map[uint64]bool{},
		reclaimed: map[uint64]bool{},
		replaced:  map[uint64]uint64{},
		freed:     map[uint64]bool{},
		travs:     map[uint64]*refTrav{},
		removals:  map[uint64]uint64{},
	}
}

func (r *reference) clone() *reference {
	c := *r
	c.published = maps.Clone(r.published)
	c.readers = maps.Clone(r.readers)
	c.syncs = maps.Clone(r.syncs)
	c.cookies = maps.Clone(r.cookies)
	c.calls = maps.Clone(r.calls)
	c.invoked = maps.Clone(r.invoked)
	c.barriers = maps.Clone(r.barriers)
	c.present = maps.Clone(r.present)
	c.used = maps.Clone(r.used)
	c.reclaimed = maps.Clone(r.reclaimed)
	c.replaced = maps.Clone(r.replaced)
	c.freed = maps.Clone(r.freed)
	c.removals = maps.Clone(r.removals)
	c.travs = map[uint64]*refTrav{}
	for id, t := range r.travs {
		nt := &refTrav{seq: t.seq, may: maps.Clone(t.may)}
		for _, m := range t.must {
			nt.must = append(nt.must, &refConstraint{slices.Clone(m.keys), m.dropped, m.optional})
		}
		c.travs[id] = nt
	}
	return &c
}

// readersBefore reports whether an open reader has a sequence number
// below t.
func (r *reference) readersBefore(t uint64) bool {
	for _, rd := range r.readers {
		if rd.seq < t {
			return true
		}
	}
	return false
}

func (r *reference) travsBefore(t uint64) bool {
	for _, tr := range r.travs {
		if tr.seq < t {
			return true
		}
	}
	return false
}

// step applies op and returns the rule it breaks, or "" (and the new
// state) if it is legal.
func (r *reference) step(op model.Op) (model.Rule, *reference) {
	n := r.clone()
	switch op.Kind {
	case model.Publish:
		if r.published[op.Version] {
			return model.Malformed, r
		}
		n.replaced[r.cur] = r.nextSeq
		n.cur = op.Version
		n.published[op.Version] = true
	case model.ReadBegin:
		if _, ok := r.readers[op.ID]; ok {
			return model.Malformed, r
		}
		if op.Damaged {
			return model.ReadHalfInitialized, r
		}
		if op.Version != r.cur {
			if r.published[op.Version] {
				return model.ReadStale, r
			}
			return model.ReadUnpublished, r
		}
		if r.freed[op.Version] {
			return model.ReadReclaimed, r
		}
		n.readers[op.ID] = refReader{r.nextSeq, op.Version}
		n.nextSeq++
	case model.ReadEnd:
		if _, ok := r.readers[op.ID]; !ok {
			return model.Malformed, r
		}
		if op.Damaged {
			return model.ReadReclaimed, r
		}
		delete(n.readers, op.ID)
	case model.SyncBegin:
		n.syncs[op.ID] = r.nextSeq
	case model.SyncEnd:
		if t, ok := r.syncs[op.ID]; ok && r.readersBefore(t) {
			return model.SyncEarly, r
		}
	case model.Snapshot:
		n.cookies[op.ID] = r.nextSeq
	case model.Poll:
		if t, ok := r.cookies[op.ID]; ok && op.OK && r.readersBefore(t) {
			return model.PollEarly, r
		}
	case model.Call:
		if _, ok := r.calls[op.ID]; ok || r.invoked[op.ID] {
			return model.Malformed, r
		}
		n.calls[op.ID] = [2]uint64{r.nextSeq, r.nextCall}
		n.nextCall++
	case model.Invoke:
		c, ok := r.calls[op.ID]
		if !ok {
			if r.invoked[op.ID] {
				return model.CallbackTwice, r
			}
			return model.CallbackUncalled, r
		}
		if r.readersBefore(c[0]) {
			return model.CallbackEarly, r
		}
		delete(n.calls, op.ID)
		n.invoked[op.ID] = true
	case model.BarrierBegin:
		n.barriers[op.ID] = r.nextCall
	case model.BarrierEnd:
		if t, ok := r.barriers[op.ID]; ok {
			for _, c := range r.calls {
				if c[1] < t {
					return model.BarrierEarly, r
				}
			}
		}
	case model.Reclaim:
		if op.Version == r.cur {
			return model.ReclaimCurrent, r
		}
		if t, ok := r.replaced[op.Version]; ok && r.readersBefore(t) {
			return model.ReclaimWhileHeld, r
		}
		n.freed[op.Version] = true
	case model.Insert:
		if r.used[op.Key] {
			return model.Malformed, r
		}
		n.add(op.Key)
	case model.Remove:
		if op.OK != r.present[op.Key] {
			return model.ListRemove, r
		}
		if op.OK {
			n.remove(op.Key, true)
		}
	case model.Replace:
		if op.OK != r.present[op.Key] {
			return model.ListReplace, r
		}
		if op.OK {
			if r.used[op.Key2] {
				return model.Malformed, r
			}
			for _, t := range n.travs {
				for _, m := range t.must {
					if (!m.dropped || m.optional) && slices.Contains(m.keys, op.Key) {
						m.keys = append(m.keys, op.Key2)
					}
				}
			}
			n.remove(op.Key, false)
			n.insert(op.Key2)
		}
	case model.Lookup:
		if op.Damaged {
			return model.ListReadReclaimed, r
		}
		if op.OK != r.present[op.Key] {
			return model.ListLookup, r
		}
	case model.TraverseBegin:
		if _, ok := r.travs[op.ID]; ok {
			return model.Malformed, r
		}
		t := &refTrav{seq: r.nextTrav, may: maps.Clone(r.present)}
		for k := range r.present {
			t.must = append(t.must, &refConstraint{keys: []uint64{k}})
		}
		n.travs[op.ID] = t
		n.nextTrav++
	case model.TraverseEnd:
		t, ok := r.travs[op.ID]
		if !ok {
			return model.Malformed, r
		}
		if op.Damaged {
			return model.ListReadReclaimed, r
		}
		seen := map[uint64]bool{}
		for _, k := range op.Keys {
			if seen[k] {
				return model.ListTraverseDuplicate, r
			}
			seen[k] = true
		}
		for _, m := range t.must {
			c := 0
			for _, k := range m.keys {
				if seen[k] {
					c++
				}
			}
			if c > 1 {
				return model.ListTraverseDuplicate, r
			}
		}
		for _, k := range op.Keys {
			if !t.may[k] {
				return model.ListTraversePhantom, r
			}
		}
		for _, m := range t.must {
			if m.dropped || m.optional {
				continue
			}
			hit := false
			for _, k := range m.keys {
				hit = hit || seen[k]
			}
			if !hit {
				return model.ListTraverseMissed, r
			}
		}
		delete(n.travs, op.ID)
	case model.ElemReclaim:
		if t, ok := r.removals[op.Key]; ok && r.travsBefore(t) {
			return model.ListReclaimWhileHeld, r
		}
		if r.present[op.Key] || !r.used[op.Key] {
			return model.ListReclaimUnremoved, r
		}
		if r.reclaimed[op.Key] {
			return model.ListReclaimTwice, r
		}
		n.reclaimed[op.Key] = true
	default:
		return model.Malformed, r
	}
	return "", n
}

func (r *reference) insert(k uint64) {
	r.present[k] = true
	r.used[k] = true
	for _, t := range r.travs {
		t.may[k] = true
	}
}

// add inserts k, a new key, into the list: traversals running may see
// it, at most once among its versions.
func (r *reference) add(k uint64) {
	r.insert(k)
	for _, t := range r.travs {
		t.must = append(t.must, &refConstraint{keys: []uint64{k}, optional: true})
	}
}

// remove takes k out of the list; drop says that the traversals running
// need not see it (a Replace instead lets them see either key).
func (r *reference) remove(k uint64, drop bool) {
	delete(r.present, k)
	r.removals[k] = r.nextTrav
	if !drop {
		return
	}
	for _, t := range r.travs {
		for _, m := range t.must {
			if slices.Contains(m.keys, k) {
				m.dropped = true
			}
		}
	}
}

func (r *reference) pending() []uint64 {
	return slices.Sorted(maps.Keys(r.calls))
}

func (r *reference) presentKeys() []uint64 {
	return slices.Sorted(maps.Keys(r.present))
}
