package linearize_test

import (
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rcukit/rcukit/linearize"
	"github.com/rcukit/rcukit/model"
	"pgregory.net/rapid"
)

// Every rule has a pair of hand-written histories, testdata/rules/RULE-ok
// and RULE-bad. Both oracles find the bad one Illegal for exactly that
// rule and the ok one Ok; and they agree on every history in testdata.
func TestRuleHistories(t *testing.T) {
	have := map[string]bool{}
	files, err := filepath.Glob("testdata/*/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no test data: %v", err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		t.Run(name, func(t *testing.T) {
			h, err := linearize.Load(f)
			if err != nil {
				t.Fatal(err)
			}
			res := linearize.Check(h, linearize.Options{HTML: t.ArtifactDir()})
			dir := linearize.CheckDirect(h)
			if res.Verdict != dir.Verdict || res.Rule != dir.Rule {
				t.Fatalf("%s: the oracles disagree:\nporcupine: %sdirect: %s", f, res.Report(), dir.Report())
			}
			// RULE-bad.json, or RULE.VARIANT-bad.json.
			rule, ok := strings.CutSuffix(name, "-bad")
			rule, _, _ = strings.Cut(rule, ".")
			switch {
			case ok:
				if res.Verdict != linearize.Illegal || string(res.Rule) != rule {
					t.Fatalf("%s: want illegal by %s:\n%s", f, rule, res.Report())
				}
				if res.Visualization == "" || len(res.Ops) == 0 {
					t.Fatalf("%s: an illegal result without operations or visualization:\n%s", f, res.Report())
				}
				have[rule] = true
			case strings.HasSuffix(name, "-ok"):
				if res.Verdict != linearize.Ok {
					t.Fatalf("%s: want ok:\n%s", f, res.Report())
				}
			}
		})
	}
	for _, g := range model.Guarantees() {
		if g.Checked&model.ByModel != 0 && g.Rule != model.Malformed && !have[string(g.Rule)] {
			t.Errorf("rule %s has no testdata/rules/%s-bad.json", g.Rule, g.Rule)
		}
	}
}

// histGen builds random small histories: a legal sequential run of the
// model with times spread out so that neighbours overlap, and, half of
// the time, one result changed so that it may be illegal.
func histGen(t *rapid.T) (h linearize.History, mutated bool) {
	rng := rand.New(rand.NewPCG(rapid.Uint64().Draw(t, "seed"), 1))
	s := model.Init()
	var next uint64
	fresh := func() uint64 { next++; return next }
	var open []model.Op // begun, not ended: readers, syncs, barriers, cookies, traversals
	var called, versions, keys []uint64
	var early []uint64 // versions reclaimed before their publication
	n := rapid.IntRange(1, 40).Draw(t, "n")
	for tries := 0; len(h) < n && tries < 20*n; tries++ {
		var op model.Op
		pickOpen := func(k model.Kind) (model.Op, int) {
			for i, o := range open {
				if o.Kind == k {
					return o, i
				}
			}
			return model.Op{}, -1
		}
		end := func(begin, kind model.Kind) bool {
			o, i := pickOpen(begin)
			if i < 0 {
				return false
			}
			op = model.Op{Kind: kind, ID: o.ID}
			if kind == model.TraverseEnd {
				op.Keys = s.Present()
			}
			if kind == model.Poll {
				op.OK = rng.IntN(2) == 0
			}
			return true
		}
		ok := true
		switch rng.IntN(16) {
		case 0:
			op = model.Op{Kind: model.Publish, Version: fresh()}
		case 1, 2:
			op = model.Op{Kind: model.ReadBegin, ID: fresh(), Version: s.Version()}
		case 3, 4:
			ok = end(model.ReadBegin, model.ReadEnd)
		case 5:
			op = model.Op{Kind: []model.Kind{model.SyncBegin, model.BarrierBegin, model.Snapshot, model.TraverseBegin}[rng.IntN(4)], ID: fresh()}
		case 6:
			ok = end(model.SyncBegin, model.SyncEnd)
		case 7:
			ok = end(model.BarrierBegin, model.BarrierEnd)
		case 8:
			ok = end(model.Snapshot, model.Poll)
		case 9:
			ok = end(model.TraverseBegin, model.TraverseEnd)
		case 10:
			op = model.Op{Kind: model.Call, ID: fresh()}
		case 11:
			if ok = len(called) > 0; ok {
				op = model.Op{Kind: model.Invoke, ID: called[rng.IntN(len(called))]}
			}
		case 12:
			switch {
			case rng.IntN(4) == 0: // an object freed before it is published, which is legal
				v := fresh()
				op = model.Op{Kind: model.Reclaim, Version: v}
				early = append(early, v)
			case len(versions) > 0:
				op = model.Op{Kind: model.Reclaim, Version: versions[rng.IntN(len(versions))]}
			default:
				ok = false
			}
		case 13:
			op = model.Op{Kind: model.Insert, Key: fresh()}
		case 14:
			if ok = len(keys) > 0; ok {
				k := keys[rng.IntN(len(keys))]
				switch rng.IntN(4) {
				case 0:
					op = model.Op{Kind: model.Remove, Key: k}
				case 1:
					op = model.Op{Kind: model.Replace, Key: k, Key2: fresh()}
				case 2:
					op = model.Op{Kind: model.Lookup, Key: k}
				case 3:
					op = model.Op{Kind: model.ElemReclaim, Key: k}
				}
				in := false
				for _, p := range s.Present() {
					in = in || p == k
				}
				op.OK = in
			}
		case 15:
			op = model.Op{Kind: model.Publish, Version: fresh()}
			if len(early) > 0 && rng.IntN(8) == 0 {
				op.Version = early[0] // legal, until somebody reads it
				early = early[1:]
			}
		}
		if !ok {
			continue
		}
		nextState, legal := s.Step(op)
		if !legal {
			continue
		}
		s = nextState
		switch op.Kind {
		case model.ReadBegin, model.SyncBegin, model.BarrierBegin, model.Snapshot, model.TraverseBegin:
			open = append(open, op)
		case model.ReadEnd, model.SyncEnd, model.BarrierEnd, model.Poll, model.TraverseEnd:
			for i, o := range open {
				if o.ID == op.ID {
					open = append(open[:i], open[i+1:]...)
					break
				}
			}
		case model.Call:
			called = append(called, op.ID)
		case model.Publish:
			versions = append(versions, op.Version)
		case model.Insert:
			keys = append(keys, op.Key)
		case model.Replace:
			keys = append(keys, op.Key2)
		}
		// Times: op i happens at 10i; begins may be called earlier and
		// ends may return later, by up to 25, which keeps every begin
		// returning before its end is called.
		at := int64(10 * (len(h) + 3))
		e := linearize.Event{Client: rng.IntN(4), Call: at, Return: at}
		switch op.Kind {
		case model.ReadBegin, model.SyncBegin, model.BarrierBegin, model.Snapshot, model.TraverseBegin:
			e.Call -= rng.Int64N(26)
		case model.ReadEnd, model.SyncEnd, model.BarrierEnd, model.Poll, model.TraverseEnd:
			e.Return += rng.Int64N(26)
		default:
			e.Call -= rng.Int64N(26)
			e.Return += rng.Int64N(26)
		}
		e.Op = op
		h = append(h, e)
	}
	if len(h) > 0 && rapid.Bool().Draw(t, "mutate") {
		mutated = true
		i := rapid.IntRange(0, len(h)-1).Draw(t, "victim")
		switch rapid.IntRange(0, 3).Draw(t, "how") {
		case 0: // reclaim the version replaced last, perhaps while a reader that began before that is inside
			if v, ok := lastReplaced(h[:i+1]); ok {
				at := h[i].Return + 1
				h = slices.Insert(h, i+1, linearize.Event{Client: 9, Call: at, Return: at, Op: model.Op{Kind: model.Reclaim, Version: v}})
				return h, mutated
			}
		case 1: // a traversal sees both versions of an element replaced while it ran
			for j := range h {
				if old, ok := replacedWhile(h[:j], h[j].Op); ok && h[j].Op.Kind == model.TraverseEnd {
					h[j].Op.Keys = append(h[j].Op.Keys, old)
					return h, mutated
				}
			}
		}
		op := &h[i].Op
		switch op.Kind {
		case model.ReadBegin:
			op.Version = uint64(rng.IntN(int(next) + 1))
			op.Damaged = rng.IntN(4) == 0
		case model.ReadEnd, model.Lookup:
			op.Damaged = true
		case model.TraverseEnd:
			switch old, ok := replacedWhile(h[:i], *op); {
			case ok && rng.IntN(2) == 0:
				op.Keys = append(op.Keys, old) // both versions of one element
			case len(keys) > 0 && rng.IntN(2) == 0:
				op.Keys = append(op.Keys, keys[rng.IntN(len(keys))])
			default:
				op.Damaged = true
			}
		case model.Publish:
			// Its version was reclaimed before: illegal once a reader sees it.
			h = append(h, linearize.Event{Client: 9, Call: h[i].Call - 5, Return: h[i].Call - 4, Op: model.Op{Kind: model.Reclaim, Version: op.Version}})
		case model.Poll, model.Remove, model.Replace:
			op.OK = !op.OK
		case model.Invoke:
			h = append(h, linearize.Event{Client: 9, Call: h[i].Call + 3, Return: h[i].Return + 3, Op: *op})
		case model.Reclaim:
			if v, ok := lastReplaced(h[:i]); ok && rng.IntN(2) == 0 {
				op.Version = v // perhaps while a reader that began before its replacement is inside
			} else {
				op.Version = s.Version()
			}
		}
	}
	return h, mutated
}

// lastReplaced returns the version that the last Publish in h replaced.
func lastReplaced(h linearize.History) (uint64, bool) {
	var pubs []uint64
	for _, e := range h {
		if e.Op.Kind == model.Publish {
			pubs = append(pubs, e.Op.Version)
		}
	}
	switch len(pubs) {
	case 0:
		return 0, false
	case 1:
		return 0, true
	}
	return pubs[len(pubs)-2], true
}

// replacedWhile returns the old key of a Replace in h, after the
// traversal that end ends began, whose new key end saw.
func replacedWhile(h linearize.History, end model.Op) (uint64, bool) {
	began := false
	for _, e := range h {
		switch {
		case e.Op.Kind == model.TraverseBegin && e.Op.ID == end.ID:
			began = true
		case began && e.Op.Kind == model.Replace && e.Op.OK && slices.Contains(end.Keys, e.Op.Key2):
			return e.Op.Key, true
		}
	}
	return 0, false
}

// The direct checker is sound: whatever it finds Illegal, porcupine does
// too; porcupine finds legal every history generated without a mutation;
// and the mutations do make both oracles find histories illegal. Where
// both do, they may blame different rules (the log counts how often): a
// mutation can break several rules at once.
func TestDirectCheckerSound(t *testing.T) {
	stats := map[string]int{}
	defer func() { t.Logf("porcupine/direct verdicts: %v", stats) }()
	defer func() {
		if stats["illegal/illegal"] == 0 {
			t.Errorf("no mutated history was found illegal by both oracles: the test shows nothing about soundness")
		}
	}()
	rapid.Check(t, func(t *rapid.T) {
		h, mutated := histGen(t)
		if err := h.Validate(); err != nil {
			t.Fatalf("generated a malformed history: %v\n%v", err, h)
		}
		res := linearize.Check(h, linearize.Options{})
		dir := linearize.CheckDirect(h)
		switch {
		case res.Verdict == linearize.Unknown || dir.Verdict == linearize.Unknown:
			t.Fatalf("porcupine: %sdirect: %s", res.Report(), dir.Report())
		case dir.Verdict == linearize.Illegal && res.Verdict != linearize.Illegal:
			t.Fatalf("direct: %sporcupine: %shistory: %v", dir.Report(), res.Report(), h)
		case !mutated && res.Verdict != linearize.Ok:
			t.Fatalf("a legal run checks %s\nhistory: %v", res.Report(), h)
		}
		stats[res.Verdict.String()+"/"+dir.Verdict.String()]++
		if res.Verdict == linearize.Illegal {
			stats["porcupine "+string(res.Rule)]++
		}
		if res.Verdict == linearize.Illegal && dir.Verdict == linearize.Illegal && res.Rule != dir.Rule {
			stats["rule "+string(res.Rule)+" vs "+string(dir.Rule)]++
		}
	})
}
