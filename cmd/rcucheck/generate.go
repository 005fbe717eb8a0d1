package main

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/rcukit/rcukit/linearize"
	"github.com/rcukit/rcukit/model"
)

// The generator of -generate: a legal history of any size, for measuring
// the checkers at scale.
//
// It is a sequential run of the model, one operation at a time, each one
// kept only if model.State.Step finds it legal. Reclaims are held back
// further than Step requires: a version is reclaimed only once every
// reader and traversal open when it was replaced has ended, and a removed
// element only once every reader and traversal open at its removal has
// ended, so that the history stays legal under a stricter model too.
//
// Operation i is linearized at genStride*i (plus the gaps below); its
// call may come up to genSpread earlier and its return up to genSpread
// later (a begin returns at its point, an end is called at its point), so
// neighbouring operations overlap. Any such intervals keep the run a legal
// linearization, since each contains its point. Each client does one
// operation at a time, as a goroutine would: a return that would reach
// past the client's next point is cut short. Begins and ends are done by
// the same client, so a begin always returns before its end is called.
//
// Every genQuiet events or so the generator stops opening anything and
// closes everything open (readers, traversals, Synchronize, Barrier,
// cookies), then leaves a gap in time: a quiescent point where Check can
// cut the history. Publish is done by one client only, so the last
// Publish before a cut is never concurrent with another.

const (
	genClients = 6
	genMaxKeys = 64   // the most keys in the list at once
	genQuiet   = 1000 // events between quiescent points, on average
	genStride  = 10   // logical time between the points of neighbouring operations
	genSpread  = 25   // how much earlier a call, or later a return, may be than its point
)

// The clients' roles.
const (
	genUpdater    = 0 // Publish, Reclaim, Call, Synchronize, cookies
	genListWriter = 1 // Insert, Remove, Replace, ElemReclaim, Call, Barrier, cookies
	genInvoker    = 5 // runs the callbacks
	// 2, 3 and 4 are readers: read sections (nested two deep), lookups
	// inside them, traversals.
)

// genPick weighs the clients: readers act more often.
var genPick = []int{0, 0, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 5, 5}

// An opened is something begun at (or a thing retired at) the
// linearization index at.
type opened struct {
	id uint64
	at int
}

type generator struct {
	rng    *rand.Rand
	s      model.State
	h      linearize.History // in linearization order
	now    int64             // the point of the next operation
	maxRet int64             // the latest return so far (an upper bound)
	last   [genClients]int   // index in h of each client's last event, or -1

	version, key, reader, sync, call, barriers, cookie, trav uint64 // the last id of each kind

	reading  [genClients][]opened // each reader's open sections, innermost last
	walking  [genClients]opened   // each reader's open traversal (id 0: none)
	syncing  uint64               // the updater's open Synchronize, or 0
	barrier  uint64               // the list writer's open Barrier, or 0
	cookies  [genClients][]uint64 // cookies taken and not yet polled complete
	pending  []opened             // callbacks queued and not yet run, by time of Call
	retired  []opened             // replaced versions not yet reclaimed, oldest first
	removed  []opened             // removed elements not yet reclaimed, oldest first
	present  []uint64             // the keys in the list
	gone     uint64               // a key removed from the list, for lookups that miss
	quietIn  int                  // events to go before the next quiescent point
	stuckFor int                  // attempts in a row that emitted nothing
}

// generate returns a legal history of at least n events (a few more: it
// ends with everything closed), the same for the same n and seed.
func generate(n int, seed uint64) linearize.History {
	g := &generator{rng: rand.New(rand.NewPCG(seed, 0x5eed)), s: model.Init(), now: genSpread, maxRet: -1}
	for i := range g.last {
		g.last[i] = -1
	}
	g.h = make(linearize.History, 0, n+n/50+64)
	g.quietIn = g.quietEvents()
	for len(g.h) < n {
		if g.quietIn <= 0 {
			g.quiesce()
			continue
		}
		g.act(genPick[g.rng.IntN(len(genPick))], false)
	}
	g.quiesce()
	return g.h
}

func (g *generator) quietEvents() int { return genQuiet*4/5 + g.rng.IntN(genQuiet*2/5+1) }

// quiesce closes everything open, then leaves a gap in time after which
// every call comes after every return so far.
func (g *generator) quiesce() {
	for g.busy() {
		g.act(genPick[g.rng.IntN(len(genPick))], true)
	}
	if !g.s.Quiescent() {
		panic(fmt.Sprintf("rcucheck: generator: nothing is open, but the model is not quiescent: %v", g.s))
	}
	g.now = max(g.now, g.maxRet+genSpread+1)
	g.quietIn = g.quietEvents()
}

// busy reports whether anything that stops a cut is open.
func (g *generator) busy() bool {
	if g.syncing != 0 || g.barrier != 0 {
		return true
	}
	for c := range genClients {
		if len(g.reading[c]) > 0 || g.walking[c].id != 0 || len(g.cookies[c]) > 0 {
			return true
		}
	}
	return false
}

// minOpen returns the earliest linearization index at which a reader or
// traversal still open began, or MaxInt.
func (g *generator) minOpen() int {
	m := math.MaxInt
	for c := range genClients {
		for _, r := range g.reading[c] {
			m = min(m, r.at)
		}
		if g.walking[c].id != 0 {
			m = min(m, g.walking[c].at)
		}
	}
	return m
}

// act has client c try one operation, only closing ones if closing. It
// reports whether one was emitted.
func (g *generator) act(c int, closing bool) bool {
	var ok bool
	switch c {
	case genUpdater:
		ok = g.updater(c, closing)
	case genListWriter:
		ok = g.listWriter(c, closing)
	case genInvoker:
		ok = g.invoke(c)
	default:
		ok = g.readerAct(c, closing)
	}
	if ok {
		g.stuckFor = 0
	} else if g.stuckFor++; g.stuckFor > 100_000 {
		panic(fmt.Sprintf("rcucheck: generator: no operation is legal (closing %t) in %v", closing, g.s))
	}
	return ok
}

func (g *generator) updater(c int, closing bool) bool {
	if g.syncing != 0 {
		if !g.try(c, model.Op{Kind: model.SyncEnd, ID: g.syncing}) {
			return false
		}
		g.syncing = 0
		return true
	}
	if closing {
		return g.poll(c)
	}
	switch r := g.rng.IntN(20); {
	case r < 5:
		old := g.s.Version()
		if !g.try(c, model.Op{Kind: model.Publish, Version: g.version + 1}) {
			return false
		}
		g.version++
		g.retired = append(g.retired, opened{old, len(g.h) - 1})
		return true
	case r < 10:
		// Versions retire in order, so the oldest is the first to be
		// safe to reclaim.
		if len(g.retired) == 0 || g.minOpen() <= g.retired[0].at ||
			!g.try(c, model.Op{Kind: model.Reclaim, Version: g.retired[0].id}) {
			return false
		}
		g.retired = g.retired[1:]
		return true
	case r < 13:
		return g.queue(c)
	case r < 15:
		if !g.try(c, model.Op{Kind: model.SyncBegin, ID: g.sync + 1}) {
			return false
		}
		g.sync++
		g.syncing = g.sync
		return true
	case r < 17:
		return g.snapshot(c)
	}
	return g.poll(c)
}

func (g *generator) listWriter(c int, closing bool) bool {
	if g.barrier != 0 {
		if !g.try(c, model.Op{Kind: model.BarrierEnd, ID: g.barrier}) {
			return false
		}
		g.barrier = 0
		return true
	}
	if closing {
		return g.poll(c)
	}
	n := len(g.present)
	r := g.rng.IntN(20)
	switch {
	case n < genMaxKeys/4 && r < 12, n < genMaxKeys && r < 6:
		if !g.try(c, model.Op{Kind: model.Insert, Key: g.key + 1}) {
			return false
		}
		g.key++
		g.present = append(g.present, g.key)
		return true
	case n == 0:
		return false
	case r < 9 || n == genMaxKeys && r < 12:
		i := g.rng.IntN(n)
		k := g.present[i]
		if !g.try(c, model.Op{Kind: model.Remove, Key: k, OK: true}) {
			return false
		}
		g.unlist(i)
		return true
	case r < 10:
		return g.gone != 0 && g.try(c, model.Op{Kind: model.Remove, Key: g.gone})
	case r < 13:
		i := g.rng.IntN(n)
		k := g.present[i]
		if !g.try(c, model.Op{Kind: model.Replace, Key: k, Key2: g.key + 1, OK: true}) {
			return false
		}
		g.key++
		g.unlist(i)
		g.present = append(g.present, g.key)
		return true
	case r < 16:
		if len(g.removed) == 0 || g.minOpen() <= g.removed[0].at ||
			!g.try(c, model.Op{Kind: model.ElemReclaim, Key: g.removed[0].id}) {
			return false
		}
		g.removed = g.removed[1:]
		return true
	case r < 17:
		if !g.try(c, model.Op{Kind: model.BarrierBegin, ID: g.barriers + 1}) {
			return false
		}
		g.barriers++
		g.barrier = g.barriers
		return true
	case r < 18:
		return g.queue(c)
	case r < 19:
		return g.snapshot(c)
	}
	return g.poll(c)
}

// unlist takes present[i] out of the list, which the last operation
// removed.
func (g *generator) unlist(i int) {
	k := g.present[i]
	g.present[i] = g.present[len(g.present)-1]
	g.present = g.present[:len(g.present)-1]
	g.removed = append(g.removed, opened{k, len(g.h) - 1})
	g.gone = k
}

func (g *generator) queue(c int) bool {
	if !g.try(c, model.Op{Kind: model.Call, ID: g.call + 1}) {
		return false
	}
	g.call++
	g.pending = append(g.pending, opened{g.call, len(g.h) - 1})
	return true
}

func (g *generator) snapshot(c int) bool {
	if len(g.cookies[c]) >= 2 || !g.try(c, model.Op{Kind: model.Snapshot, ID: g.cookie + 1}) {
		return false
	}
	g.cookie++
	g.cookies[c] = append(g.cookies[c], g.cookie)
	return true
}

// poll polls c's oldest cookie: complete if the model allows it (the
// cookie is then done with), not complete otherwise.
func (g *generator) poll(c int) bool {
	if len(g.cookies[c]) == 0 {
		return false
	}
	id := g.cookies[c][0]
	if g.try(c, model.Op{Kind: model.Poll, ID: id, OK: true}) {
		g.cookies[c] = g.cookies[c][1:]
		return true
	}
	return g.try(c, model.Op{Kind: model.Poll, ID: id})
}

// invoke runs one of the first few pending callbacks that may run.
func (g *generator) invoke(c int) bool {
	open := g.minOpen()
	start := g.rng.IntN(3)
	for j := range min(3, len(g.pending)) {
		i := (start + j) % min(3, len(g.pending))
		if p := g.pending[i]; open > p.at && g.try(c, model.Op{Kind: model.Invoke, ID: p.id}) {
			g.pending = append(g.pending[:i], g.pending[i+1:]...)
			return true
		}
	}
	return false
}

func (g *generator) readerAct(c int, closing bool) bool {
	if t := g.walking[c]; t.id != 0 {
		if !closing && g.rng.IntN(2) == 0 {
			return false // still walking
		}
		if !g.try(c, model.Op{Kind: model.TraverseEnd, ID: t.id, Keys: g.s.Present()}) {
			return false
		}
		g.walking[c] = opened{}
		return true
	}
	depth := len(g.reading[c])
	if closing {
		return depth > 0 && g.readEnd(c)
	}
	r := g.rng.IntN(20)
	switch {
	case depth == 0 && r < 14, depth == 1 && r >= 6 && r < 8:
		if !g.try(c, model.Op{Kind: model.ReadBegin, ID: g.reader + 1, Version: g.s.Version()}) {
			return false
		}
		g.reader++
		g.reading[c] = append(g.reading[c], opened{g.reader, len(g.h) - 1})
		return true
	case depth == 0 && r < 16, depth > 0 && r >= 18:
		if !g.try(c, model.Op{Kind: model.TraverseBegin, ID: g.trav + 1}) {
			return false
		}
		g.trav++
		g.walking[c] = opened{g.trav, len(g.h) - 1}
		return true
	case depth == 0:
		return false
	case r < 6:
		return g.readEnd(c)
	}
	k, in := g.gone, false
	if len(g.present) > 0 && (k == 0 || g.rng.IntN(4) > 0) {
		k, in = g.present[g.rng.IntN(len(g.present))], true
	}
	return k != 0 && g.try(c, model.Op{Kind: model.Lookup, Key: k, OK: in})
}

func (g *generator) readEnd(c int) bool {
	rs := g.reading[c]
	if !g.try(c, model.Op{Kind: model.ReadEnd, ID: rs[len(rs)-1].id}) {
		return false
	}
	g.reading[c] = rs[:len(rs)-1]
	return true
}

// try emits op as client c's next operation if the model finds it legal
// now, and reports whether it did.
func (g *generator) try(c int, op model.Op) bool {
	next, ok := g.s.Step(op)
	if !ok {
		return false
	}
	g.s = next
	g.emit(c, op)
	return true
}

// emit appends op, done by client c, with its interval around the next
// point.
func (g *generator) emit(c int, op model.Op) {
	at := g.now
	g.now += genStride
	call, ret := at, at
	switch op.Kind {
	case model.ReadBegin, model.SyncBegin, model.BarrierBegin, model.Snapshot, model.TraverseBegin:
		call -= g.rng.Int64N(genSpread + 1)
	case model.ReadEnd, model.SyncEnd, model.BarrierEnd, model.Poll, model.TraverseEnd:
		ret += g.rng.Int64N(genSpread + 1)
	default:
		call -= g.rng.Int64N(genSpread + 1)
		ret += g.rng.Int64N(genSpread + 1)
	}
	if i := g.last[c]; i >= 0 {
		p := &g.h[i]
		p.Return = min(p.Return, at-1) // still at or after p's own point
		call = max(call, p.Return+1)
	}
	call = max(call, 0)
	g.maxRet = max(g.maxRet, ret)
	g.last[c] = len(g.h)
	g.h = append(g.h, linearize.Event{Client: c, Call: call, Return: ret, Op: op})
	g.quietIn--
}
