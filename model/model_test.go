package model_test

import (
	"strings"
	"testing"

	"github.com/rcukit/rcukit/model"
	"pgregory.net/rapid"
)

// Short constructors keep the tables readable.
func pub(v uint64) model.Op { return model.Op{Kind: model.Publish, Version: v} }
func rb(r, v uint64) model.Op {
	return model.Op{Kind: model.ReadBegin, ID: r, Version: v}
}
func re(r uint64) model.Op { return model.Op{Kind: model.ReadEnd, ID: r} }
func op(k model.Kind, id uint64) model.Op {
	return model.Op{Kind: k, ID: id}
}
func reclaim(v uint64) model.Op { return model.Op{Kind: model.Reclaim, Version: v} }
func poll(c uint64, ok bool) model.Op {
	return model.Op{Kind: model.Poll, ID: c, OK: ok}
}
func ins(k uint64) model.Op { return model.Op{Kind: model.Insert, Key: k} }
func rm(k uint64, ok bool) model.Op {
	return model.Op{Kind: model.Remove, Key: k, OK: ok}
}
func repl(a, b uint64, ok bool) model.Op {
	return model.Op{Kind: model.Replace, Key: a, Key2: b, OK: ok}
}
func look(k uint64, ok bool) model.Op {
	return model.Op{Kind: model.Lookup, Key: k, OK: ok}
}
func te(t uint64, keys ...uint64) model.Op {
	return model.Op{Kind: model.TraverseEnd, ID: t, Keys: keys}
}
func erec(k uint64) model.Op      { return model.Op{Kind: model.ElemReclaim, Key: k} }
func damaged(o model.Op) model.Op { o.Damaged = true; return o }

var ruleCases = []struct {
	name string
	ops  []model.Op
	bad  int // index of the illegal op, or -1
	rule model.Rule
}{
	{"read-ok", []model.Op{pub(1), rb(1, 1), pub(2), rb(2, 2), re(1), re(2)}, -1, ""},
	{"read-initial-version", []model.Op{rb(1, 0), re(1)}, -1, ""},
	{"read-half-initialized", []model.Op{pub(1), damaged(rb(1, 1))}, 1, model.ReadHalfInitialized},
	{"read-unpublished", []model.Op{pub(1), rb(1, 2), pub(2)}, 1, model.ReadUnpublished},
	{"read-stale", []model.Op{pub(1), pub(2), rb(1, 1)}, 2, model.ReadStale},
	{"read-reclaimed", []model.Op{pub(1), rb(1, 1), damaged(re(1))}, 2, model.ReadReclaimed},
	{"reclaim-ok", []model.Op{pub(1), rb(1, 1), pub(2), re(1), reclaim(1)}, -1, ""},
	{"reclaim-while-held", []model.Op{pub(1), rb(1, 1), pub(2), reclaim(1), re(1)}, 3, model.ReclaimWhileHeld},
	{"reclaim-current", []model.Op{pub(1), reclaim(1)}, 1, model.ReclaimCurrent},
	{"reclaim-while-earlier-reader", []model.Op{rb(1, 0), pub(1), pub(2), reclaim(1), re(1)}, 3, model.ReclaimWhileHeld},
	{"reclaim-after-earlier-reader", []model.Op{rb(1, 0), pub(1), re(1), pub(2), reclaim(1)}, -1, ""},
	{"reclaim-later-reader-ok", []model.Op{pub(1), pub(2), rb(1, 2), reclaim(1), re(1)}, -1, ""},
	{"reclaim-unpublished-ok", []model.Op{rb(1, 0), reclaim(1), re(1)}, -1, ""},
	{"read-reclaimed-before-publish", []model.Op{reclaim(1), pub(1), rb(1, 1), re(1)}, 2, model.ReadReclaimed},
	{"reclaim-twice-ok", []model.Op{pub(1), pub(2), reclaim(1), reclaim(1)}, -1, ""},
	{"reclaim-twice-while-held", []model.Op{pub(1), rb(1, 1), pub(2), reclaim(1), re(1), reclaim(1)}, 3, model.ReclaimWhileHeld},
	{"sync-ok-later-reader", []model.Op{op(model.SyncBegin, 1), rb(1, 0), op(model.SyncEnd, 1), re(1)}, -1, ""},
	{"sync-ok-nested", []model.Op{rb(1, 0), rb(2, 0), op(model.SyncBegin, 1), re(2), re(1), op(model.SyncEnd, 1)}, -1, ""},
	{"sync-early", []model.Op{rb(1, 0), rb(2, 0), op(model.SyncBegin, 1), re(2), op(model.SyncEnd, 1), re(1)}, 4, model.SyncEarly},
	{"sync-early-after-later-block", []model.Op{rb(1, 0), op(model.SyncBegin, 1), rb(2, 0), op(model.SyncBegin, 2), re(2), op(model.SyncEnd, 2)}, 5, model.SyncEarly},
	{"callback-ok", []model.Op{rb(1, 0), op(model.Call, 1), re(1), op(model.Invoke, 1)}, -1, ""},
	{"callback-early", []model.Op{rb(1, 0), op(model.Call, 1), op(model.Invoke, 1), re(1)}, 2, model.CallbackEarly},
	{"callback-twice", []model.Op{op(model.Call, 1), op(model.Invoke, 1), op(model.Invoke, 1)}, 2, model.CallbackTwice},
	{"callback-uncalled", []model.Op{op(model.Invoke, 1), op(model.Call, 1)}, 0, model.CallbackUncalled},
	{"barrier-ok-empty", []model.Op{op(model.BarrierBegin, 1), op(model.Call, 1), op(model.BarrierEnd, 1)}, -1, ""},
	{"barrier-early", []model.Op{op(model.Call, 1), op(model.Call, 2), op(model.BarrierBegin, 1), op(model.Invoke, 2), op(model.BarrierEnd, 1)}, 4, model.BarrierEarly},
	{"poll-ok", []model.Op{rb(1, 0), op(model.Snapshot, 1), poll(1, false), re(1), poll(1, true)}, -1, ""},
	{"poll-early", []model.Op{rb(1, 0), op(model.Snapshot, 1), poll(1, true)}, 2, model.PollEarly},
	{"list-ok", []model.Op{ins(1), ins(2), look(1, true), rm(1, true), rm(1, false), repl(2, 3, true), look(2, false), look(3, true)}, -1, ""},
	{"list-lookup", []model.Op{ins(1), rm(1, true), look(1, true)}, 2, model.ListLookup},
	{"list-remove", []model.Op{ins(1), rm(1, false)}, 1, model.ListRemove},
	{"list-replace", []model.Op{repl(1, 2, true)}, 0, model.ListReplace},
	{"traverse-ok", []model.Op{ins(1), ins(2), ins(3), op(model.TraverseBegin, 1), repl(1, 4, true), rm(2, true), ins(5), te(1, 4, 3)}, -1, ""},
	{"traverse-missed", []model.Op{ins(1), ins(2), op(model.TraverseBegin, 1), ins(3), te(1, 2, 3)}, 4, model.ListTraverseMissed},
	{"traverse-missed-replaced", []model.Op{ins(1), op(model.TraverseBegin, 1), repl(1, 2, true), te(1)}, 3, model.ListTraverseMissed},
	{"traverse-phantom", []model.Op{ins(1), rm(1, true), op(model.TraverseBegin, 1), te(1, 1)}, 3, model.ListTraversePhantom},
	{"traverse-duplicate", []model.Op{ins(1), op(model.TraverseBegin, 1), te(1, 1, 1)}, 2, model.ListTraverseDuplicate},
	{"traverse-both-versions", []model.Op{ins(1), op(model.TraverseBegin, 1), repl(1, 2, true), te(1, 1, 2)}, 3, model.ListTraverseDuplicate},
	{"traverse-both-versions-added", []model.Op{op(model.TraverseBegin, 1), ins(1), repl(1, 2, true), repl(2, 3, true), te(1, 1, 3)}, 4, model.ListTraverseDuplicate},
	{"traverse-one-version-added", []model.Op{op(model.TraverseBegin, 1), ins(1), repl(1, 2, true), repl(2, 3, true), te(1, 2)}, -1, ""},
	{"elem-reclaim-unseen-traversal", []model.Op{ins(1), ins(2), op(model.TraverseBegin, 1), rm(1, true), erec(1), te(1, 2)}, 4, model.ListReclaimWhileHeld},
	{"traverse-reclaimed", []model.Op{ins(1), op(model.TraverseBegin, 1), damaged(te(1, 1))}, 2, model.ListReadReclaimed},
	{"lookup-reclaimed", []model.Op{ins(1), damaged(look(1, true))}, 1, model.ListReadReclaimed},
	{"elem-reclaim-ok", []model.Op{ins(1), op(model.TraverseBegin, 1), rm(1, true), te(1, 1), erec(1)}, -1, ""},
	{"elem-reclaim-while-held", []model.Op{ins(1), op(model.TraverseBegin, 1), rm(1, true), erec(1), te(1, 1)}, 3, model.ListReclaimWhileHeld},
	{"elem-reclaim-unremoved", []model.Op{ins(1), erec(1)}, 1, model.ListReclaimUnremoved},
	{"elem-reclaim-twice", []model.Op{ins(1), rm(1, true), erec(1), erec(1)}, 3, model.ListReclaimTwice},
	{"malformed-kind", []model.Op{{Kind: 200}}, 0, model.Malformed},
	{"malformed-end", []model.Op{re(1)}, 0, model.Malformed},
	{"malformed-publish", []model.Op{pub(1), pub(1)}, 1, model.Malformed},
	{"malformed-insert", []model.Op{ins(1), ins(1)}, 1, model.Malformed},
}

func TestRules(t *testing.T) {
	for _, c := range ruleCases {
		t.Run(c.name, func(t *testing.T) {
			i, v := model.Explain(model.Init(), c.ops)
			if i != c.bad {
				t.Fatalf("first illegal op %d (%v), want %d", i, v, c.bad)
			}
			if c.bad < 0 {
				return
			}
			if v.Rule != c.rule {
				t.Fatalf("rule %q (%v), want %q", v.Rule, v, c.rule)
			}
			if v.Op.Kind != c.ops[c.bad].Kind || v.Detail == "" {
				t.Fatalf("violation %+v does not describe %v", v, c.ops[c.bad])
			}
		})
	}
}

// Every rule the model checks has a case above; every rule has a
// documentation line and a property; and every rule the cases name is a
// rule the table says the model checks.
func TestRulesCovered(t *testing.T) {
	seen := map[model.Rule]bool{}
	for _, c := range ruleCases {
		seen[c.rule] = true
	}
	for _, g := range model.Guarantees() {
		if g.Checked&model.ByModel != 0 && !seen[g.Rule] {
			t.Errorf("rule %q has no case in TestRules", g.Rule)
		}
		if g.Rule.Doc() == "unknown rule" || g.Property == 0 || g.Checked == 0 {
			t.Errorf("rule %q lacks a doc, a property or a checker: %+v", g.Rule, g)
		}
	}
	for r := range seen {
		if g, ok := r.Guarantee(); r != "" && (!ok || g.Checked&model.ByModel == 0) { // "": a legal case
			t.Errorf("TestRules has a case for rule %q, which the table does not say the model checks", r)
		}
	}
}

func TestStepLeavesStateAlone(t *testing.T) {
	s := model.Init()
	s, _ = s.Step(pub(1))
	s, _ = s.Step(rb(1, 1))
	before := s.String()
	if _, ok := s.Step(re(1)); !ok {
		t.Fatal("ReadEnd of an open reader is illegal")
	}
	if _, ok := s.Step(pub(2)); !ok {
		t.Fatal("Publish is illegal")
	}
	if s.String() != before {
		t.Fatalf("Step modified its receiver: %s, was %s", s, before)
	}
}

func TestZeroStateIsIllegal(t *testing.T) {
	var s model.State
	if _, ok := s.Step(pub(1)); ok {
		t.Fatal("the zero State accepted an operation")
	}
}

func TestOpValidate(t *testing.T) {
	good := []model.Op{pub(1), rb(1, 0), damaged(re(1)), poll(1, true), repl(1, 2, true), te(1, 1, 2), erec(3)}
	for _, o := range good {
		if err := o.Validate(); err != nil {
			t.Errorf("%v: %v", o, err)
		}
	}
	bad := []model.Op{{Kind: 0}, {Kind: 99}, pub(0), {Kind: model.Publish, Version: 1, ID: 2},
		{Kind: model.SyncBegin, ID: 1, OK: true}, {Kind: model.Insert, Key: 1, Keys: []uint64{1}},
		damaged(op(model.Call, 1)), {Kind: model.Remove, Key: 1, Key2: 2}}
	for _, o := range bad {
		if err := o.Validate(); err == nil {
			t.Errorf("%v: no error", o)
		}
	}
}

func TestParseKind(t *testing.T) {
	for _, k := range model.Kinds() {
		got, ok := model.ParseKind(k.String())
		if !ok || got != k {
			t.Errorf("ParseKind(%q) = %v, %t", k.String(), got, ok)
		}
	}
	if _, ok := model.ParseKind("publish "); ok {
		t.Error("ParseKind accepted a bad name")
	}
}

// Settle computes the state after a quiescent stretch without ordering
// it; it agrees with stepping through a legal order.
func TestSettle(t *testing.T) {
	start := mustSteps(t, model.Init(), pub(1), op(model.Call, 1), ins(10), ins(11))
	ops := []model.Op{
		rb(1, 1), op(model.Call, 2), pub(2), re(1), op(model.Invoke, 1),
		op(model.BarrierBegin, 1), op(model.Invoke, 2), op(model.BarrierEnd, 1),
		op(model.Call, 3), reclaim(1), rm(10, true), repl(11, 12, true), ins(13), erec(10),
		op(model.TraverseBegin, 1), te(1, 12, 13),
	}
	want := mustSteps(t, start, ops...)
	got, err := start.Settle(ops)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Equal(want) {
		t.Fatalf("Settle: %v\nstepping: %v", got, want)
	}
	if _, err := start.Settle([]model.Op{rb(5, 1)}); err == nil || !strings.Contains(err.Error(), "still open") {
		t.Fatalf("Settle with an open reader: %v", err)
	}
	open := mustSteps(t, start, rb(5, 1))
	if _, err := open.Settle(nil); err == nil {
		t.Fatal("Settle from a state with an open reader succeeded")
	}
}

// mustSteps applies ops to s in order, failing t on the first illegal one.
func mustSteps(t rapid.TB, s model.State, ops ...model.Op) model.State {
	t.Helper()
	for _, o := range ops {
		next, v := s.Apply(o)
		if v != nil {
			t.Fatalf("%v in %v: %v", o, s, v)
		}
		s = next
	}
	return s
}
