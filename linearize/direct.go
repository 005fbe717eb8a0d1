package linearize

// The direct checker: a second oracle, independent of porcupine and of
// the model's State, that finds definite violations by interval
// arithmetic.
//
// Each rule is checked by a condition on the call and return times that
// no order of the operations can escape. For example, a reader whose
// ReadBegin returned before a SyncBegin was called, and whose ReadEnd was
// called after the matching SyncEnd returned, was inside the whole time:
// sync-early in every linearization. Reads of the pointer are checked as a
// register with unique writes, by the zones of Gibbons and Korach: the
// zone of a version runs from the earliest return to the latest call
// among its Publish and its reads; two forward zones (earliest return
// before latest call) must not overlap, and no backward zone may lie
// inside a forward one.
//
// The conditions are sufficient, not necessary: every finding is a real
// violation, but a violation that only shows in combination (a read that
// pins a reader inside a Synchronize) may be missed. Porcupine finds
// those.

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"sort"
	"time"

	"github.com/rcukit/rcukit/model"
)

const never = math.MaxInt64 // the call time of an end that never happened

type finding struct {
	culprit int
	rule    model.Rule
	detail  string
	related []int
	// explain, if set, computes detail and related: naming the parties
	// costs more than finding that there is a violation, and only the
	// finding reported needs them.
	explain func() (string, []int)
}

// CheckDirect checks h with the direct checker, in O(n log n) time for
// n events and the keys the traversals report. It returns Ok or Illegal, or Unknown for a
// malformed history. For Illegal it names the violation whose culprit
// operation returned first, and the operations involved.
func CheckDirect(h History) Result {
	start := time.Now()
	if err := h.Validate(); err != nil {
		return Result{Verdict: Unknown, Reason: "malformed history: " + err.Error(), Elapsed: time.Since(start)}
	}
	d := newDirect(h)
	d.pointer()
	d.gracePeriods()
	d.callbacks()
	d.checkReclaims()
	d.list()
	r := Result{Verdict: Ok, Events: len(h), Elapsed: time.Since(start)}
	if len(d.found) == 0 {
		return r
	}
	f := slices.MinFunc(d.found, func(a, b finding) int {
		ea, eb := h[a.culprit], h[b.culprit]
		if c := cmp.Compare(ea.Return, eb.Return); c != 0 {
			return c
		}
		if c := cmp.Compare(ea.Call, eb.Call); c != 0 {
			return c
		}
		if c := cmp.Compare(a.rule.Precedence(), b.rule.Precedence()); c != 0 { // the model's order (model.Guarantees)
			return c
		}
		return cmp.Compare(a.culprit, b.culprit)
	})
	if f.explain != nil {
		f.detail, f.related = f.explain()
	}
	r.Verdict, r.Rule, r.Detail = Illegal, f.rule, f.detail
	r.Ops = []Event{h[f.culprit]}
	rel := slices.Clone(f.related)
	slices.SortFunc(rel, func(a, b int) int { return compareEvents(h[a], h[b]) })
	for _, i := range slices.Compact(rel) {
		if i != f.culprit {
			r.Ops = append(r.Ops, h[i])
		}
	}
	r.Elapsed = time.Since(start)
	return r
}

type reader struct {
	begin, end int   // event indexes; end is -1 if the reader never ended
	ret        int64 // when ReadBegin returned
	endCall    int64 // when ReadEnd was called, or never
}

// readerIndex answers "which reader began before t and ended after u": readers
// sorted by the return of their begin, with a running maximum of the call
// of their end.
type readerIndex struct {
	rs     []reader
	maxEnd []int // index in rs of the reader with the latest end among rs[:i+1]
}

func newReaderIndex(rs []reader) readerIndex {
	slices.SortFunc(rs, func(a, b reader) int { return cmp.Compare(a.ret, b.ret) })
	x := readerIndex{rs: rs, maxEnd: make([]int, len(rs))}
	for i := range rs {
		x.maxEnd[i] = i
		if i > 0 && rs[x.maxEnd[i-1]].endCall >= rs[i].endCall {
			x.maxEnd[i] = x.maxEnd[i-1]
		}
	}
	return x
}

// inside returns a reader that began (returned from ReadBegin) before t
// and ended (called ReadEnd) after u, if there is one.
func (x readerIndex) inside(t, u int64) (reader, bool) {
	n := sort.Search(len(x.rs), func(i int) bool { return x.rs[i].ret >= t })
	if n == 0 {
		return reader{}, false
	}
	r := x.rs[x.maxEnd[n-1]]
	return r, r.endCall > u
}

type direct struct {
	h     History
	found []finding

	pubs                               map[uint64]int
	readers                            map[uint64]*reader
	byVersion                          map[uint64][]reader
	all                                readerIndex
	begins                             map[model.Kind]map[uint64]int // SyncBegin, BarrierBegin, Snapshot, TraverseBegin, Call by id
	ends                               map[model.Kind]map[uint64]int // SyncEnd, BarrierEnd, TraverseEnd by id
	invokes                            map[uint64][]int
	inserted                           map[uint64]int   // key -> Insert or successful Replace that put it in
	removals                           map[uint64][]int // key -> successful Remove or Replace that took it out
	replacedBy                         map[uint64]int   // key -> successful Replace that took it out
	elemReclaims                       map[uint64][]int
	firstReclaim                       map[uint64]int // version -> the Reclaim of it that returned first
	polls, reclaims, lookups, listMods []int
}

func newDirect(h History) *direct {
	d := &direct{
		h:            h,
		pubs:         map[uint64]int{},
		readers:      map[uint64]*reader{},
		byVersion:    map[uint64][]reader{},
		begins:       map[model.Kind]map[uint64]int{},
		ends:         map[model.Kind]map[uint64]int{},
		invokes:      map[uint64][]int{},
		inserted:     map[uint64]int{},
		removals:     map[uint64][]int{},
		replacedBy:   map[uint64]int{},
		elemReclaims: map[uint64][]int{},
		firstReclaim: map[uint64]int{},
	}
	set := func(m map[model.Kind]map[uint64]int, k model.Kind, id uint64, i int) {
		if m[k] == nil {
			m[k] = map[uint64]int{}
		}
		m[k][id] = i
	}
	for i, e := range h {
		op := e.Op
		switch op.Kind {
		case model.Publish:
			d.pubs[op.Version] = i
		case model.ReadBegin:
			d.readers[op.ID] = &reader{begin: i, end: -1, ret: e.Return, endCall: never}
		case model.SyncBegin, model.BarrierBegin, model.Snapshot, model.TraverseBegin, model.Call:
			set(d.begins, op.Kind, op.ID, i)
		case model.SyncEnd, model.BarrierEnd, model.TraverseEnd:
			set(d.ends, op.Kind, op.ID, i)
		case model.Invoke:
			d.invokes[op.ID] = append(d.invokes[op.ID], i)
		case model.Poll:
			d.polls = append(d.polls, i)
		case model.Reclaim:
			d.reclaims = append(d.reclaims, i)
			if j, ok := d.firstReclaim[op.Version]; !ok || e.Return < h[j].Return {
				d.firstReclaim[op.Version] = i
			}
		case model.Insert:
			d.inserted[op.Key] = i
			d.listMods = append(d.listMods, i)
		case model.Remove, model.Replace:
			if op.OK {
				d.removals[op.Key] = append(d.removals[op.Key], i)
				if op.Kind == model.Replace {
					d.inserted[op.Key2] = i
					d.replacedBy[op.Key] = i
				}
			}
			d.listMods = append(d.listMods, i)
		case model.Lookup:
			d.lookups = append(d.lookups, i)
		case model.ElemReclaim:
			d.elemReclaims[op.Key] = append(d.elemReclaims[op.Key], i)
		}
	}
	for i, e := range h {
		if e.Op.Kind == model.ReadEnd {
			if r := d.readers[e.Op.ID]; r != nil { // Validate guarantees it
				r.end, r.endCall = i, e.Call
			}
		}
	}
	var rs []reader
	for _, r := range d.readers {
		rs = append(rs, *r)
		v := h[r.begin].Op.Version
		d.byVersion[v] = append(d.byVersion[v], *r)
	}
	d.all = newReaderIndex(rs)
	return d
}

func (d *direct) add(culprit int, rule model.Rule, related []int, format string, args ...any) {
	d.found = append(d.found, finding{culprit: culprit, rule: rule, detail: fmt.Sprintf(format, args...), related: related})
}

func (r reader) events() []int {
	if r.end < 0 {
		return []int{r.begin}
	}
	return []int{r.begin, r.end}
}

func (d *direct) readerName(r reader) string {
	return fmt.Sprintf("reader r%d", d.h[r.begin].Op.ID)
}

// pointer checks what readers saw: damage, and versions that no
// linearization explains.
func (d *direct) pointer() {
	type zone struct {
		lo, hi int64 // the zone's extent
		last   int   // the operation of the version called last
	}
	clusters := map[uint64][]int{}
	for v, i := range d.pubs {
		clusters[v] = append(clusters[v], i)
	}
	for _, r := range d.readers {
		e := d.h[r.begin]
		op := e.Op
		if op.Damaged {
			d.add(r.begin, model.ReadHalfInitialized, nil, "reader r%d saw version %d before it was fully initialized", op.ID, op.Version)
			continue
		}
		if r.end >= 0 && d.h[r.end].Op.Damaged {
			d.add(r.end, model.ReadReclaimed, []int{r.begin}, "reader r%d found version %d reclaimed before its section ended", op.ID, op.Version)
		}
		if op.Version != 0 {
			p, ok := d.pubs[op.Version]
			if !ok || d.h[p].Call > e.Return {
				d.add(r.begin, model.ReadUnpublished, nil, "reader r%d saw version %d, which had not been published", op.ID, op.Version)
				continue
			}
		}
		if rc, ok := d.firstReclaim[op.Version]; ok && d.h[rc].Return < e.Call {
			d.add(r.begin, model.ReadReclaimed, []int{rc}, "reader r%d saw version %d, which had been reclaimed before it began", op.ID, op.Version)
		}
		clusters[op.Version] = append(clusters[op.Version], r.begin)
	}
	var forward, backward []zone
	for v, ops := range clusters {
		first, last := int64(never), int64(-1)
		if v == 0 {
			first = -1 // the initial value, written before everything
		}
		lastOp := -1
		for _, i := range ops {
			first = min(first, d.h[i].Return)
			if d.h[i].Call > last {
				last, lastOp = d.h[i].Call, i
			}
		}
		if first < last {
			forward = append(forward, zone{first, last, lastOp})
		} else {
			backward = append(backward, zone{last, first, lastOp})
		}
	}
	slices.SortFunc(forward, func(a, b zone) int {
		if c := cmp.Compare(a.lo, b.lo); c != 0 {
			return c
		}
		if c := cmp.Compare(a.hi, b.hi); c != 0 {
			return c
		}
		return cmp.Compare(a.last, b.last)
	})
	stale := func(z zone, other int) {
		e := d.h[z.last]
		d.add(z.last, model.ReadStale, []int{other}, "reader r%d saw version %d, which version %d had already replaced",
			e.Op.ID, e.Op.Version, d.versionOf(other))
	}
	// Overlapping forward zones: the older version is read after the newer
	// one had to be current.
	widest := -1 // index in forward of the zone reaching furthest so far
	for i, z := range forward {
		if widest >= 0 && z.lo < forward[widest].hi {
			stale(forward[widest], z.last)
		}
		if widest < 0 || z.hi > forward[widest].hi {
			widest = i
		}
	}
	// A backward zone inside a forward zone.
	reach := make([]int, len(forward))
	for i := range forward {
		reach[i] = i
		if i > 0 && forward[reach[i-1]].hi >= forward[i].hi {
			reach[i] = reach[i-1]
		}
	}
	for _, b := range backward {
		n := sort.Search(len(forward), func(i int) bool { return forward[i].lo >= b.lo })
		if n > 0 && forward[reach[n-1]].hi > b.hi {
			stale(forward[reach[n-1]], b.last)
		}
	}
}

func (d *direct) versionOf(i int) uint64 { return d.h[i].Op.Version }

// versionOps returns v's Publish, if any.
func (d *direct) versionOps(v uint64) []int {
	if p, ok := d.pubs[v]; ok {
		return []int{p}
	}
	return nil
}

// gracePeriods checks Synchronize and Poll against the readers.
func (d *direct) gracePeriods() {
	for id, se := range d.ends[model.SyncEnd] {
		sb := d.begins[model.SyncBegin][id]
		if r, ok := d.all.inside(d.h[sb].Call, d.h[se].Return); ok {
			d.add(se, model.SyncEarly, append(r.events(), sb),
				"Synchronize s%d returned while %s, which began before it, was still inside", id, d.readerName(r))
		}
	}
	for _, p := range d.polls {
		op := d.h[p].Op
		if !op.OK {
			continue
		}
		sn := d.begins[model.Snapshot][op.ID]
		if r, ok := d.all.inside(d.h[sn].Call, d.h[p].Return); ok {
			d.add(p, model.PollEarly, append(r.events(), sn),
				"cookie c%d polled complete while %s, which began before its Snapshot, was still inside", op.ID, d.readerName(r))
		}
	}
}

// callbacks checks Invoke and Barrier.
func (d *direct) callbacks() {
	calls := d.begins[model.Call]
	for k, invs := range d.invokes {
		slices.SortFunc(invs, func(a, b int) int { return compareEvents(d.h[a], d.h[b]) })
		c, called := calls[k]
		for n, i := range invs {
			if n > 0 {
				d.add(i, model.CallbackTwice, []int{invs[0]}, "callback k%d ran a second time", k)
			}
			if !called || d.h[i].Return < d.h[c].Call {
				d.add(i, model.CallbackUncalled, nil, "callback k%d ran before it was queued", k)
				continue
			}
			if r, ok := d.all.inside(d.h[c].Call, d.h[i].Return); ok {
				d.add(i, model.CallbackEarly, append(r.events(), c),
					"callback k%d ran while %s, which began before its Call, was still inside", k, d.readerName(r))
			}
		}
	}
	// A Barrier must not return before the first run of any callback
	// whose Call returned before the Barrier was called.
	type queued struct {
		call     int
		ret      int64
		firstRun int64 // call time of its first Invoke, or never
	}
	var qs []queued
	for k, c := range calls {
		q := queued{call: c, ret: d.h[c].Return, firstRun: never}
		for _, i := range d.invokes[k] {
			q.firstRun = min(q.firstRun, d.h[i].Call)
		}
		qs = append(qs, q)
	}
	slices.SortFunc(qs, func(a, b queued) int { return cmp.Compare(a.ret, b.ret) })
	latest := make([]int, len(qs))
	for i := range qs {
		latest[i] = i
		if i > 0 && qs[latest[i-1]].firstRun >= qs[i].firstRun {
			latest[i] = latest[i-1]
		}
	}
	for id, be := range d.ends[model.BarrierEnd] {
		bb := d.begins[model.BarrierBegin][id]
		n := sort.Search(len(qs), func(i int) bool { return qs[i].ret >= d.h[bb].Call })
		if n == 0 {
			continue
		}
		q := qs[latest[n-1]]
		if q.firstRun > d.h[be].Return {
			d.add(be, model.BarrierEarly, []int{q.call, bb},
				"Barrier b%d returned before callback k%d, queued before it, had run", id, d.h[q.call].Op.ID)
		}
	}
}

// checkReclaims checks Reclaim against the readers and the publications.
func (d *direct) checkReclaims() {
	type pub struct {
		call, ret int64
		version   uint64
	}
	var ps []pub
	for v, i := range d.pubs {
		ps = append(ps, pub{d.h[i].Call, d.h[i].Return, v})
	}
	slices.SortFunc(ps, func(a, b pub) int { return cmp.Compare(a.call, b.call) })
	// top2[i]: the two publications among ps[:i+1] that return last.
	top2 := make([][2]int, len(ps))
	for i := range ps {
		t := [2]int{-1, -1}
		if i > 0 {
			t = top2[i-1]
		}
		switch {
		case t[0] < 0 || ps[i].ret > ps[t[0]].ret:
			t = [2]int{i, t[0]}
		case t[1] < 0 || ps[i].ret > ps[t[1]].ret:
			t[1] = i
		}
		top2[i] = t
	}
	index := map[uint64]readerIndex{}
	latestRead := map[uint64]int64{} // version -> the latest call of a ReadBegin that saw it
	for v, rs := range d.byVersion {
		index[v] = newReaderIndex(slices.Clone(rs))
		latestRead[v] = -1
		for _, r := range rs {
			latestRead[v] = max(latestRead[v], d.h[r.begin].Call)
		}
	}
	for _, rc := range d.reclaims {
		e := d.h[rc]
		v := e.Op.Version
		// Current: v's publication returned before the reclaim, and no
		// other publication can fall between the two.
		pv, published := d.pubs[v]
		if v == 0 || published && d.h[pv].Return < e.Call {
			n := sort.Search(len(ps), func(i int) bool { return ps[i].call > e.Return })
			other := -1
			if n > 0 {
				for _, j := range top2[n-1] {
					if j >= 0 && ps[j].version != v {
						other = j
						break
					}
				}
			}
			var from int64 = -1
			if v != 0 {
				from = d.h[pv].Call
			}
			if other < 0 || ps[other].ret < from {
				var rel []int
				if v != 0 {
					rel = []int{pv}
				}
				d.add(rc, model.ReclaimCurrent, rel, "version %d was reclaimed while it was the current version", v)
			}
		}
		if r, ok := index[v].inside(e.Call, e.Return); ok {
			d.add(rc, model.ReclaimWhileHeld, r.events(),
				"version %d was reclaimed while %s that saw it was still inside", v, d.readerName(r))
			continue
		}
		// Any reader that began before v was replaced must have ended.
		// The replacement comes after v's Publish and after every read
		// of v, so after the latest call among them; a reader that
		// returned from ReadBegin before that began before it. A reclaim
		// that may precede v's Publish is not judged: an unpublished
		// version may be reclaimed.
		if v != 0 && (!published || d.h[pv].Return >= e.Call) {
			continue
		}
		from, read := latestRead[v]
		if !read {
			from = -1
		}
		if v != 0 {
			from = max(from, d.h[pv].Call)
		}
		if r, ok := d.all.inside(from, e.Return); ok {
			d.add(rc, model.ReclaimWhileHeld, append(r.events(), d.versionOps(v)...),
				"version %d was reclaimed while %s, which began before version %d was replaced, was still inside", v, d.readerName(r), v)
		}
	}
}

// list checks the list operations key by key, and traversals against
// the keys' lifetimes.
func (d *direct) list() {
	h := d.h
	// present reports whether key k was definitely in the list at every
	// moment of [t, u]: put in before t, and no removal called by u.
	present := func(k uint64, t, u int64) bool {
		in, ok := d.inserted[k]
		if !ok || h[in].Return >= t {
			return false
		}
		for _, r := range d.removals[k] {
			if h[r].Call <= u {
				return false
			}
		}
		return true
	}
	// absent reports whether k was definitely out of the list at every
	// moment of [t, u]: not put in by u, or taken out before t.
	absent := func(k uint64, t, u int64) bool {
		in, ok := d.inserted[k]
		if !ok || h[in].Call > u {
			return true
		}
		for _, r := range d.removals[k] {
			if h[r].Return < t {
				return true
			}
		}
		return false
	}
	rel := func(k uint64) []int {
		var out []int
		if in, ok := d.inserted[k]; ok {
			out = append(out, in)
		}
		return append(out, d.removals[k]...)
	}
	for _, i := range d.listMods {
		e := h[i]
		op := e.Op
		rule := model.ListRemove
		if op.Kind == model.Replace {
			rule = model.ListReplace
		}
		switch {
		case op.Kind == model.Insert:
		case op.OK && absent(op.Key, e.Call, e.Return):
			d.add(i, rule, rel(op.Key), "%v reported true, but %d was not in the list", op, op.Key)
		case op.OK:
			// Two successful removals of one key: the later one is wrong.
			for _, r := range d.removals[op.Key] {
				if r != i && compareEvents(h[r], e) < 0 {
					d.add(i, rule, []int{r}, "%v reported true, but %d had been taken out already", op, op.Key)
					break
				}
			}
		case present(op.Key, e.Call, e.Return):
			d.add(i, rule, rel(op.Key), "%v reported false, but %d was in the list", op, op.Key)
		}
	}
	for _, i := range d.lookups {
		e := h[i]
		op := e.Op
		switch {
		case op.Damaged:
			d.add(i, model.ListReadReclaimed, d.elemReclaims[op.Key], "a lookup found element %d reclaimed", op.Key)
		case op.OK && absent(op.Key, e.Call, e.Return):
			d.add(i, model.ListLookup, rel(op.Key), "Lookup(%d) reported true, but %d was not in the list", op.Key, op.Key)
		case !op.OK && present(op.Key, e.Call, e.Return):
			d.add(i, model.ListLookup, rel(op.Key), "Lookup(%d) reported false, but %d was in the list", op.Key, op.Key)
		}
	}
	d.traversals()
	d.listReclaims()
}

// An element is a key and the keys that replaced it, one after another:
// a tree, in a history with two Replaces of one key. Its root is the key
// an Insert put in.
type element struct {
	root    uint64
	in      int   // the Insert of the root
	remove  int64 // the earliest call of a successful Remove of any of its keys, or never
	seenBy  int   // 1 + the last traversal that reported a key of it
	seenKey uint64
}

// A keyInfo is what the traversal checks need of one key, behind one map
// lookup: a traversal reports many keys.
type keyInfo struct {
	in       int   // the Insert or Replace that put it in
	removals []int // successful Removes and Replaces that took it out
	next     int   // the successful Replace that took it out, or -1
	elem     *element
	seenBy   int // 1 + the last traversal that reported it
}

// keyInfos gathers what d knows of each key put in, and groups the keys
// into elements. A key that no Insert leads to (put in by a Replace of a
// key never inserted, or in a cycle of Replaces) belongs to none.
func (d *direct) keyInfos() (map[uint64]*keyInfo, []*element) {
	h := d.h
	keys := make(map[uint64]*keyInfo, len(d.inserted))
	for k, i := range d.inserted {
		ki := &keyInfo{in: i, removals: d.removals[k], next: -1}
		if j, ok := d.replacedBy[k]; ok {
			ki.next = j
		}
		keys[k] = ki
	}
	var elems []*element
	none := &element{} // the mark of keys found to belong to no element
	var path []*keyInfo
	for k, ki := range keys {
		path = path[:0]
		var el *element
		for m, mi := k, ki; el == nil; {
			if mi.elem != nil {
				el = mi.elem
				break
			}
			path = append(path, mi)
			if len(path) > len(keys) {
				el = none // a cycle
				break
			}
			if h[mi.in].Op.Kind == model.Insert {
				el = &element{root: m, in: mi.in, remove: never}
				elems = append(elems, el)
				break
			}
			m = h[mi.in].Op.Key // the key m replaced
			if mi = keys[m]; mi == nil {
				el = none // it replaced a key never put in
			}
		}
		for _, x := range path {
			x.elem = el
		}
	}
	for _, ki := range keys {
		if ki.elem == none {
			ki.elem = nil
			continue
		}
		for _, i := range ki.removals {
			if h[i].Op.Kind == model.Remove {
				ki.elem.remove = min(ki.elem.remove, h[i].Call)
			}
		}
	}
	return keys, elems
}

// traversals checks what each traversal saw, in time linear in the keys
// it reports plus O(log n) for what it had to see.
func (d *direct) traversals() {
	h := d.h
	keys, elems := d.keyInfos()
	type trav struct {
		id     uint64
		tb, te int
	}
	var travs []trav
	for id, te := range d.ends[model.TraverseEnd] {
		travs = append(travs, trav{id, d.begins[model.TraverseBegin][id], te})
	}
	// must[i]: how many elements travs[i] had to see. An element that an
	// Insert put in before the traversal began, none of whose keys a
	// Remove took out before it ended, was in the list all along (as one
	// key or its replacements): some key of it must be seen.
	must := d.mustSee(elems, len(travs), func(i int) (int64, int64) {
		return h[travs[i].tb].Call, h[travs[i].te].Return
	})
	var infos []*keyInfo
	for n, t := range travs {
		b, e := h[t.tb], h[t.te]
		id := t.id
		mark := n + 1
		// What it saw, and whether it saw a key twice. Keys never put in
		// are phantoms; a map catches them twice.
		infos = infos[:0]
		dup := false
		var unknown map[uint64]bool
		for _, k := range e.Op.Keys {
			ki := keys[k]
			infos = append(infos, ki)
			switch {
			case ki == nil:
				if unknown == nil {
					unknown = map[uint64]bool{}
				}
				dup = dup || unknown[k]
				unknown[k] = true
			case ki.seenBy == mark:
				dup = true
			default:
				ki.seenBy = mark
			}
		}
		switch {
		case e.Op.Damaged:
			d.add(t.te, model.ListReadReclaimed, []int{t.tb}, "traversal t%d saw a reclaimed element", id)
			continue
		case dup:
			d.add(t.te, model.ListTraverseDuplicate, []int{t.tb}, "traversal t%d saw an element twice", id)
			continue
		}
		saw := 0 // elements it had to see, and did
		for x, k := range e.Op.Keys {
			ki := infos[x]
			if ki == nil {
				d.add(t.te, model.ListTraversePhantom, []int{t.tb},
					"traversal t%d saw element %d, which was not in the list while it ran", id, k)
				continue
			}
			// Two versions of one element. Whenever the Replaces between
			// them ran, it is illegal: those that ran before the traversal
			// began make the older key a phantom, those that ran after it
			// ended the newer one, and those that ran while it did make a
			// duplicate, the rule named here.
			if el := ki.elem; el != nil {
				switch {
				case el.seenBy == mark:
					d.add(t.te, model.ListTraverseDuplicate, []int{t.tb, ki.in},
						"traversal t%d saw elements %d and %d, versions of one replaced element, together", id, el.seenKey, k)
				case h[el.in].Return < b.Call && el.remove > e.Return:
					saw++ // an element it had to see
				}
				el.seenBy, el.seenKey = mark, k
			}
			// Phantoms: a key put in only after the traversal ended, or
			// taken out before it began.
			gone := -1
			for _, r := range ki.removals {
				if h[r].Return < b.Call {
					gone = r
				}
			}
			if h[ki.in].Call > e.Return || gone >= 0 {
				rel := []int{ki.in}
				if gone >= 0 {
					rel = append(rel, gone)
				}
				d.add(t.te, model.ListTraversePhantom, append(rel, t.tb),
					"traversal t%d saw element %d, which was not in the list while it ran", id, k)
			}
		}
		if saw < must[n] {
			d.found = append(d.found, finding{culprit: t.te, rule: model.ListTraverseMissed, explain: func() (string, []int) {
				return d.missed(t.id, t.tb, t.te, keys, elems)
			}})
		}
	}
}

// mustSee counts, for each of n traversals, the elements put in before it
// began (its begin's call, from span) and not removed by its end (its
// end's return): offline, by a sweep over the begins with a Fenwick tree
// over the removals.
func (d *direct) mustSee(elems []*element, n int, span func(i int) (begin, end int64)) []int {
	h := d.h
	type point struct{ in, remove int64 }
	pts := make([]point, 0, len(elems))
	removes := make([]int64, 0, len(elems))
	for _, el := range elems {
		pts = append(pts, point{h[el.in].Return, el.remove})
		removes = append(removes, el.remove)
	}
	slices.SortFunc(pts, func(a, b point) int { return cmp.Compare(a.in, b.in) })
	slices.Sort(removes)
	removes = slices.Compact(removes)
	tree := make([]int, len(removes)+1) // counts of elements by the rank of their removal
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		ba, _ := span(a)
		bb, _ := span(b)
		return cmp.Compare(ba, bb)
	})
	out := make([]int, n)
	added := 0
	for _, i := range order {
		begin, end := span(i)
		for ; added < len(pts) && pts[added].in < begin; added++ {
			r, _ := slices.BinarySearch(removes, pts[added].remove)
			for j := r + 1; j < len(tree); j += j & -j {
				tree[j]++
			}
		}
		// Elements added so far whose removal is called by end do not count.
		r := sort.Search(len(removes), func(j int) bool { return removes[j] > end })
		early := 0
		for j := r; j > 0; j -= j & -j {
			early += tree[j]
		}
		out[i] = added - early
	}
	return out
}

// missed names an element that the traversal tb..te had to see and did
// not: the detail of a ListTraverseMissed finding.
func (d *direct) missed(id uint64, tb, te int, keys map[uint64]*keyInfo, elems []*element) (string, []int) {
	h := d.h
	b, e := h[tb], h[te]
	hit := map[*element]bool{}
	for _, k := range e.Op.Keys {
		if ki := keys[k]; ki != nil && ki.elem != nil {
			hit[ki.elem] = true
		}
	}
	var best *element
	for _, el := range elems {
		if !hit[el] && h[el.in].Return < b.Call && el.remove > e.Return && (best == nil || el.root < best.root) {
			best = el
		}
	}
	if best == nil {
		return fmt.Sprintf("traversal t%d missed an element that stayed in the list while it ran", id), []int{tb}
	}
	// Name the key the element had when the traversal began, if one
	// definitely had it then.
	k := best.root
	for steps := 0; steps < len(keys); steps++ {
		j := keys[k].next
		if j < 0 || h[j].Return >= b.Call {
			break
		}
		k = h[j].Op.Key2
	}
	return fmt.Sprintf("traversal t%d missed element %d, which stayed in the list (or was replaced) while it ran", id, k),
		[]int{keys[k].in, tb}
}

func (d *direct) listReclaims() {
	h := d.h
	var travs []reader // traversals, in reader form: begin, end
	for id, tb := range d.begins[model.TraverseBegin] {
		t := reader{begin: tb, end: -1, ret: h[tb].Return, endCall: never}
		if te, ok := d.ends[model.TraverseEnd][id]; ok {
			t.end, t.endCall = te, h[te].Call
		}
		travs = append(travs, t)
	}
	idx := newReaderIndex(travs)
	for k, ers := range d.elemReclaims {
		slices.SortFunc(ers, func(a, b int) int { return compareEvents(h[a], h[b]) })
		rs := d.removals[k]
		for n, i := range ers {
			e := h[i]
			var rem = -1
			for _, r := range rs {
				if h[r].Call <= e.Return && (rem < 0 || h[r].Call < h[rem].Call) {
					rem = r
				}
			}
			if rem < 0 {
				var rel []int
				if in, ok := d.inserted[k]; ok {
					rel = []int{in}
				}
				d.add(i, model.ListReclaimUnremoved, rel, "element %d was reclaimed but had not been removed from the list", k)
				continue
			}
			if n > 0 {
				d.add(i, model.ListReclaimTwice, []int{ers[0]}, "element %d was reclaimed a second time", k)
			}
			if t, ok := idx.inside(h[rem].Call, e.Return); ok {
				d.add(i, model.ListReclaimWhileHeld, append(t.events(), rem),
					"element %d was reclaimed while traversal t%d, running when it was removed, was not finished", k, h[t.begin].Op.ID)
			}
		}
	}
}
