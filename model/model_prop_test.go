package model_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/rcukit/rcukit/model"
	"pgregory.net/rapid"
)

// opGen draws random operations that are mostly plausible: fresh ids for
// begins, ids of earlier operations for ends, versions and keys from a
// small pool so that reads and list results are sometimes right and
// sometimes wrong.
type opGen struct {
	next     uint64
	readers  []uint64 // reader ids that began
	syncs    []uint64
	calls    []uint64
	barriers []uint64
	cookies  []uint64
	travs    []uint64
	versions []uint64 // published versions
	early    []uint64 // versions reclaimed before any publication of them
	keys     []uint64 // keys inserted
}

func (g *opGen) fresh() uint64 { g.next++; return g.next }

func pick(t *rapid.T, label string, pool []uint64, g *opGen) uint64 {
	if len(pool) == 0 || rapid.IntRange(0, 9).Draw(t, label+"-fresh") == 0 {
		return g.fresh() // unknown: exercise the error paths
	}
	return rapid.SampledFrom(pool).Draw(t, label)
}

func (g *opGen) draw(t *rapid.T) model.Op {
	kind := rapid.SampledFrom(model.Kinds()).Draw(t, "kind")
	op := model.Op{Kind: kind}
	switch kind {
	case model.Publish:
		op.Version = g.fresh()
		if len(g.early) > 0 && rapid.IntRange(0, 3).Draw(t, "publish-reclaimed") == 0 {
			i := rapid.IntRange(0, len(g.early)-1).Draw(t, "early")
			op.Version = g.early[i]
			g.early = slices.Delete(g.early, i, i+1)
		}
		g.versions = append(g.versions, op.Version)
	case model.ReadBegin:
		op.ID = g.fresh()
		g.readers = append(g.readers, op.ID)
		op.Version = pick(t, "version", append([]uint64{0}, g.versions...), g)
		op.Damaged = rapid.IntRange(0, 19).Draw(t, "damaged") == 0
	case model.ReadEnd:
		op.ID = pick(t, "reader", g.readers, g)
		op.Damaged = rapid.IntRange(0, 19).Draw(t, "damaged") == 0
	case model.SyncBegin:
		op.ID = g.fresh()
		g.syncs = append(g.syncs, op.ID)
	case model.SyncEnd:
		op.ID = pick(t, "sync", g.syncs, g)
	case model.Call:
		op.ID = g.fresh()
		g.calls = append(g.calls, op.ID)
	case model.Invoke:
		op.ID = pick(t, "callback", g.calls, g)
	case model.BarrierBegin:
		op.ID = g.fresh()
		g.barriers = append(g.barriers, op.ID)
	case model.BarrierEnd:
		op.ID = pick(t, "barrier", g.barriers, g)
	case model.Reclaim:
		op.Version = pick(t, "version", append([]uint64{0}, g.versions...), g)
		if op.Version != 0 && !slices.Contains(g.versions, op.Version) && !slices.Contains(g.early, op.Version) {
			g.early = append(g.early, op.Version) // reclaimed unpublished; a later Publish may use it
		}
	case model.Snapshot:
		op.ID = g.fresh()
		g.cookies = append(g.cookies, op.ID)
	case model.Poll:
		op.ID = pick(t, "cookie", g.cookies, g)
		op.OK = rapid.Bool().Draw(t, "ok")
	case model.Insert:
		op.Key = g.fresh()
		g.keys = append(g.keys, op.Key)
	case model.Remove, model.Lookup:
		op.Key = pick(t, "key", g.keys, g)
		op.OK = rapid.Bool().Draw(t, "ok")
		op.Damaged = kind == model.Lookup && rapid.IntRange(0, 19).Draw(t, "damaged") == 0
	case model.Replace:
		op.Key = pick(t, "key", g.keys, g)
		op.Key2 = g.fresh()
		g.keys = append(g.keys, op.Key2)
		op.OK = rapid.Bool().Draw(t, "ok")
	case model.TraverseBegin:
		op.ID = g.fresh()
		g.travs = append(g.travs, op.ID)
	case model.TraverseEnd:
		op.ID = pick(t, "traversal", g.travs, g)
		if len(g.keys) > 0 {
			op.Keys = rapid.SliceOfN(rapid.SampledFrom(g.keys), 0, 6).Draw(t, "keys")
		}
		op.Damaged = rapid.IntRange(0, 19).Draw(t, "damaged") == 0
	case model.ElemReclaim:
		op.Key = pick(t, "key", g.keys, g)
	}
	return op
}

// truthfulKeys makes a drawn operation agree with s, half of the time:
// a TraverseEnd sees the keys present now, a Remove, Lookup or Replace
// reports whether its key is present, a ReadBegin sees the current
// version; so that legal histories are common.
func truthfulKeys(t *rapid.T, op model.Op, s model.State) model.Op {
	if op.Kind == model.TraverseEnd && rapid.Bool().Draw(t, "truthful") {
		op.Keys = s.Present()
		op.Damaged = false
	}
	if (op.Kind == model.Remove || op.Kind == model.Lookup || op.Kind == model.Replace) && rapid.Bool().Draw(t, "truthful") {
		op.OK = slices.Contains(s.Present(), op.Key)
		op.Damaged = false
	}
	if op.Kind == model.ReadBegin && rapid.Bool().Draw(t, "current") {
		op.Version = s.Version()
	}
	return op
}

// The model and its simple twin agree on every step of random histories.
func TestModelMatchesReference(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		g := &opGen{}
		s, ref := model.Init(), newReference()
		n := rapid.IntRange(1, 120).Draw(t, "n")
		for i := range n {
			op := truthfulKeys(t, g.draw(t), s)
			next, v := s.Apply(op)
			rule, refNext := ref.step(op)
			var got model.Rule
			if v != nil {
				got = v.Rule
			}
			if got != rule {
				t.Fatalf("step %d %v in %v: model says %q, reference says %q", i, op, s, got, rule)
			}
			if _, ok := s.Step(op); ok != (v == nil) {
				t.Fatalf("step %d %v: Step and Apply disagree", i, op)
			}
			s, ref = next, refNext
			if got, want := s.Pending(), ref.pending(); !slices.Equal(got, want) {
				t.Fatalf("after step %d %v: pending callbacks %v, reference %v", i, op, got, want)
			}
			if got, want := s.Present(), ref.presentKeys(); !slices.Equal(got, want) {
				t.Fatalf("after step %d %v: present %v, reference %v", i, op, got, want)
			}
		}
	})
}

// Two concurrent read sections that begin in either order, with nothing
// in between, lead to Equal states with equal hashes: that is what makes
// memoization work.
func TestCanonicalStates(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		g := &opGen{}
		s := model.Init()
		n := rapid.IntRange(0, 60).Draw(t, "n")
		for range n {
			if next, ok := s.Step(truthfulKeys(t, g.draw(t), s)); ok {
				s = next
			}
		}
		// Two operations that commute: two ReadBegins, two Calls, two
		// Inserts, or a ReadBegin and a ReadEnd of different readers.
		var a, b model.Op
		pair := rapid.IntRange(0, 3).Draw(t, "pair")
		if _, ok := s.Step(model.Op{Kind: model.ReadBegin, ID: g.next + 1, Version: s.Version()}); !ok && (pair == 0 || pair == 3) {
			pair = 1 // the current version was reclaimed before its publication: no reader may begin
		}
		switch pair {
		case 0:
			a = model.Op{Kind: model.ReadBegin, ID: g.fresh(), Version: s.Version()}
			b = model.Op{Kind: model.ReadBegin, ID: g.fresh(), Version: s.Version()}
		case 1:
			a = model.Op{Kind: model.Call, ID: g.fresh()}
			b = model.Op{Kind: model.Call, ID: g.fresh()}
		case 2:
			a = model.Op{Kind: model.Insert, Key: g.fresh()}
			b = model.Op{Kind: model.Insert, Key: g.fresh()}
		case 3:
			r := g.fresh()
			s = mustSteps(t, s, model.Op{Kind: model.ReadBegin, ID: r, Version: s.Version()})
			a = model.Op{Kind: model.ReadEnd, ID: r}
			b = model.Op{Kind: model.ReadBegin, ID: g.fresh(), Version: s.Version()}
		}
		ab := mustSteps(t, s, a, b)
		ba := mustSteps(t, s, b, a)
		if !ab.Equal(ba) {
			t.Fatalf("%v then %v: %v\n%v then %v: %v", a, b, ab, b, a, ba)
		}
		if ab.Hash() != ba.Hash() {
			t.Fatalf("equal states %v have different hashes", ab)
		}
		if ab.Equal(s) {
			t.Fatalf("the state after %v and %v is Equal to the one before: %v", a, b, s)
		}
	})
}

// Partition is sound: a sequence is legal if and only if each of its
// groups is legal from the projected state.
func TestPartitionSound(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		g := &opGen{}
		s := model.Init()
		// A legal prefix, to start from an interesting state.
		for range rapid.IntRange(0, 30).Draw(t, "prefix") {
			if next, ok := s.Step(truthfulKeys(t, g.draw(t), s)); ok {
				s = next
			}
		}
		ops := make([]model.Op, rapid.IntRange(1, 40).Draw(t, "n"))
		probe := s
		for i := range ops {
			ops[i] = truthfulKeys(t, g.draw(t), probe)
			if next, ok := probe.Step(ops[i]); ok {
				probe = next
			}
		}
		whole, _ := model.Explain(s, ops)
		parts := true
		for _, grp := range model.Partition(ops) {
			sub := make([]model.Op, len(grp))
			for j, i := range grp {
				sub[j] = ops[i]
			}
			if i, _ := model.Explain(s.Project(sub), sub); i >= 0 {
				parts = false
			}
		}
		if (whole < 0) != parts {
			t.Fatalf("whole sequence legal: %t, every group legal: %t\nstate %v\nops %v", whole < 0, parts, s, ops)
		}
	})
}

// Step never panics, whatever the operation and whatever the state.
func FuzzStep(f *testing.F) {
	f.Add([]byte{1, 1, 2, 3, 4, 5})
	f.Add([]byte{13, 7, 17, 9, 18, 9, 14, 7, 19, 7})
	f.Fuzz(func(t *testing.T, data []byte) {
		s := model.Init()
		for len(data) >= 2 {
			op := model.Op{
				Kind:    model.Kind(data[0] % 24),
				ID:      uint64(data[1] % 8),
				Version: uint64(data[1] % 5),
				Key:     uint64(data[1] % 6),
				Key2:    uint64(data[1]%6 + 1),
				OK:      data[0]&0x40 != 0,
				Damaged: data[0]&0x80 != 0 && data[1]&1 != 0,
			}
			for _, b := range data[2:min(len(data), 4)] {
				op.Keys = append(op.Keys, uint64(b%6))
			}
			data = data[2:]
			_ = op.String()
			next, v := s.Apply(op)
			if _, ok := s.Step(op); ok != (v == nil) {
				t.Fatalf("Step and Apply disagree on %v", op)
			}
			if v != nil && v.Error() == "" {
				t.Fatal("empty violation")
			}
			again, _ := s.Apply(op)
			if !next.Equal(again) || next.Hash() != again.Hash() {
				t.Fatal("applying an op twice to one state gave different states")
			}
			_ = next.String()
			s = next
		}
	})
}

func ExampleExplain() {
	ops := []model.Op{
		{Kind: model.Publish, Version: 1},
		{Kind: model.ReadBegin, ID: 1, Version: 1},
		{Kind: model.SyncBegin, ID: 1},
		{Kind: model.SyncEnd, ID: 1}, // reader 1 is still inside
		{Kind: model.ReadEnd, ID: 1},
	}
	i, v := model.Explain(model.Init(), ops)
	fmt.Println(i, v.Rule)
	fmt.Println(v)
	// Output:
	// 3 sync-early
	// sync-early: Synchronize s1 returned while reader r1, which began before it, was still inside
}
