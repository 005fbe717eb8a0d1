package fuzz

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/rcukit/rcukit/rcuops"
	"pgregory.net/rapid"
)

// The tests of the encoding's promise: no change of the action table or
// of the point numbers re-means an input that was committed before it.

// sameUntilExtension compares a decode with the frozen old decoder's: up
// to the first step the new decoder read from an escape, every step must
// print the same, and that step must be one the old decoder read as a
// hold-gp from the same byte; without an escape, the schedules must be
// the same to the end, final depths included. It returns "" or what
// differs.
func sameUntilExtension(in []byte, flavor []rcuops.Point) string {
	old := oldDecode(in, newOldPoints(flavor))
	cur := decode(in, newPoints(flavor))
	for i, st := range cur.steps {
		if st.act.code.extended {
			if i >= len(old.steps) || old.steps[i].at != st.at || old.steps[i].op != lopHoldGP {
				return "the escape at step " + st.String() + " was not a hold-gp before"
			}
			return ""
		}
		if i >= len(old.steps) {
			return "step " + st.String() + " is new"
		}
		if o := old.steps[i].String(); o != st.String() {
			return "step " + st.String() + " was " + o
		}
	}
	if len(old.steps) != len(cur.steps) || old.depth != cur.depth {
		return "the schedules differ in length or final depths"
	}
	return ""
}

// TestDecoderKeepsOldMeanings checks the decoder against a frozen copy of
// the first version of the encoding's (olddecode_test.go): every input
// decodes to the same schedule up to its first escape, for every kind of
// flavor; inputs without an escape, to the same schedule.
func TestDecoderKeepsOldMeanings(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		in := rapid.SliceOfN(rapid.Byte(), 0, maxInput+8).Draw(t, "input")
		if rapid.Bool().Draw(t, "no escapes") {
			in = slices.Clone(in)
			for i := range in {
				if in[i]&escapeMask == escapeByte {
					in[i] &^= 0x80 // hold-gp with argument 1: the same meaning
				}
			}
		}
		p := rapid.SampledFrom(meaningPoints).Draw(t, "flavor")
		if why := sameUntilExtension(in, p.pts); why != "" {
			t.Fatalf("input %q on %s: %s", in, p.name, why)
		}
	})
	for _, in := range randomInputs(3000, 7) {
		for _, p := range meaningPoints {
			if why := sameUntilExtension(in, p.pts); why != "" {
				t.Fatalf("input %q on %s: %s", in, p.name, why)
			}
		}
	}
}

// TestCommittedInputsAreAssigned checks that no committed input uses an
// extended code or a point number that this version has not given out:
// giving one out later would re-mean it.
func TestCommittedInputsAreAssigned(t *testing.T) {
	for _, s := range Seeds() {
		for _, p := range meaningPoints {
			for _, st := range decode(s.Data, newPoints(p.pts)).steps {
				if st.unassigned {
					t.Errorf("seed %s on %s: step %v names what this version has not given out", s.Name, p.name, st)
				}
			}
		}
	}
}

// sameBeforeUnassigned compares decodes of in before and after a change
// that gives out what was unassigned: every step must print the same up
// to the first step that was an unassigned no-op before.
func sameBeforeUnassigned(before, after *schedule) string {
	for i, st := range before.steps {
		if st.unassigned {
			return ""
		}
		if i >= len(after.steps) || after.steps[i].String() != st.String() {
			return "step " + st.String() + " changed"
		}
	}
	if len(before.steps) != len(after.steps) {
		return "the schedules differ in length"
	}
	return ""
}

// TestNewActionsAndPointsKeepMeanings adds an extended action and a point
// number, as a later version will, and checks that every committed input,
// and every other input up to its first step that named what was not yet
// given out, means what it meant.
func TestNewActionsAndPointsKeepMeanings(t *testing.T) {
	next := uint8(len(extendedActions))
	if extendedActions[next] != nil {
		t.Fatalf("extended code %d is taken: extended codes are given out in order", next)
	}
	ext := maps.Clone(extendedActions)
	ext[next] = &action{name: "later", code: extended(next), decode: func(d *decoder, x *step, _ int) { x.count = int(d.operand()) },
		exec: func(*actor, step) {}}
	later := rcuops.Point("later-point")
	numbered := append(slices.Clone(pointNumbers), later)
	flavors := append(slices.Clone(meaningPoints), struct {
		name string
		pts  []rcuops.Point
	}{"with-later-point", []rcuops.Point{later, "read-sampled"}})

	// Half the inputs get the new code and number often.
	inputs := randomInputs(3000, 8)
	holdAt := actionNamed("hold-at").code.n
	for i, in := range inputs {
		for j := 1; j < len(in) && i%2 == 0; j++ {
			switch {
			case in[j-1]&escapeMask == escapeByte && j%3 == 0:
				in[j] = next
			case in[j-1]&escapeMask == escapeByte:
				in[j] = holdAt
			case j >= 2 && in[j-2]&escapeMask == escapeByte && in[j-1] == holdAt:
				in[j] = byte(len(pointNumbers))
			}
		}
	}
	for _, s := range Seeds() {
		inputs = append(inputs, s.Data)
	}
	seeds := len(inputs) - len(Seeds())
	for i, in := range inputs {
		for _, f := range flavors {
			before := decode(in, newPoints(f.pts))
			after := decodeWith(in, newPointsNumbered(f.pts, numbered), ext)
			why := sameBeforeUnassigned(before, after)
			if i >= seeds && before.String() != after.String() {
				why = "a committed input changed"
			}
			if why != "" {
				t.Fatalf("input %q on %s: %s\nbefore:\n%safter:\n%s", in, f.name, why, before, after)
			}
		}
	}
}

// TestActionTable checks the table's rows: every basic code has an
// action, extended codes are given out in order from 0, and the checks
// that keep a malformed row out of it.
func TestActionTable(t *testing.T) {
	for n, a := range basicActions {
		if a.code != basic(uint8(n)) {
			t.Errorf("action %s under basic code %#x has code %v", a, n, a.code)
		}
	}
	for n := range uint8(len(extendedActions)) {
		if a := extendedActions[n]; a == nil || a.code != extended(n) {
			t.Errorf("extended code %d: %v; extended codes are given out in order", n, a)
		}
	}
	if len(basicActions)+len(extendedActions) != len(actions) {
		t.Errorf("%d actions, %d indexed", len(actions), len(basicActions)+len(extendedActions))
	}
	run := func(*actor, step) {}
	for _, c := range []struct {
		rows []*action
		want string
	}{
		{append(slices.Clone(actions), &action{name: "lock", code: extended(9), exec: run}), "fuzz: two actions named lock"},
		{append(slices.Clone(actions), &action{name: "x", code: extended(0), exec: run}), "fuzz: action x: code extended 0 is out of range or taken"},
		{append(slices.Clone(actions), &action{name: "x", code: extended(9)}), "fuzz: action x needs exactly one of exec and control"},
		{actions[1:], "fuzz: no action has basic code 0x0"},
	} {
		func() {
			defer func() {
				if v := recover(); v == nil || !strings.Contains(v.(string), c.want) {
					t.Errorf("indexActions: recovered %v; want %q", v, c.want)
				}
			}()
			indexActions(c.rows)
		}()
	}
	if !slices.Equal(pointNumbers[:len(legacyPoints)], legacyPoints) {
		t.Errorf("pointNumbers %q do not begin with the legacy points %q", pointNumbers, legacyPoints)
	}
	seen := map[rcuops.Point]bool{}
	for _, p := range pointNumbers {
		if seen[p] {
			t.Errorf("point %s has two numbers", p)
		}
		seen[p] = true
	}
}

// TestEscape checks how extended steps decode and print: the escape's
// actor, a code no action has, an escape at the end of the input.
func TestEscape(t *testing.T) {
	in := []byte{escapeByte | C<<4, 0, escapeByte | B<<4, 0xfe, escapeByte | D<<4}
	want := []string{
		"  0  @0   C: renew",
		"  1  @2   B: unknown action  (no-op: no extended action 254 in this version)",
		"  2  @4   D: renew", // the missing code reads as 0
	}
	got := strings.Split(strings.TrimRight(decode(in, classicPoints).String(), "\n"), "\n")
	if !slices.Equal(got, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if s := decode(in, classicPoints); !s.steps[1].unassigned || s.steps[0].unassigned {
		t.Errorf("unassigned marks: %v, %v", s.steps[0].unassigned, s.steps[1].unassigned)
	}
	in = build(func(e *enc) { e.put("hold-at", A, 0) })
	in = append(in, byte(len(pointNumbers)))
	if st := decode(in, classicPoints).steps[0]; !st.unassigned || st.noop == "" {
		t.Errorf("a hold at an unassigned number: %v (unassigned %v)", st, st.unassigned)
	}
}
