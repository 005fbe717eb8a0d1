package fuzz

import (
	"bytes"
	"github.com/rcukit/rcukit/rcuops"
	"slices"
	"strings"
	"testing"
)

var classicPoints = newPoints([]rcuops.Point{"read-sampled", "gp-start", "gp-flipped", "gp-end"})

// TestDecodeAnyInput checks that every input decodes to a schedule that
// keeps the decoder's promises: nothing that could deadlock a correct
// RCU, sections balanced by the final depths, holds released at most
// once, and a printed form that lines up with the input.
func TestDecodeAnyInput(t *testing.T) {
	inputs := append(randomInputs(2000, 4),
		nil, []byte{}, bytes.Repeat([]byte{0xff}, 1000), bytes.Repeat(build(func(e *enc) { e.put("hold", A, 0) }), 7),
		bytes.Repeat(build(func(e *enc) { e.lockN(A, 4) }), 50), bytes.Repeat(build(func(e *enc) { e.syncReclaim(A) }), 300),
		bytes.Repeat([]byte{escapeByte}, 9), bytes.Repeat([]byte{escapeByte, 1, 9}, 30))
	for _, pts := range []points{classicPoints, newPoints(nil), newPoints([]rcuops.Point{"custom-a", "read-sampled", "custom-b"})} {
		for _, in := range inputs {
			s := decode(in, pts)
			if !slices.Equal(decode(in, pts).steps, s.steps) {
				t.Fatalf("decode(%q) is not deterministic", in)
			}
			checkSchedule(t, in, pts, s)
		}
	}
}

func checkSchedule(t *testing.T, in []byte, pts points, s *schedule) {
	t.Helper()
	if len(s.steps) > maxSteps {
		t.Fatalf("decode(%q): %d steps, more than %d", in, len(s.steps), maxSteps)
	}
	var depth [numActors]int
	var held [numActors]bool
	heldGP := false
	last := -1
	for i, st := range s.steps {
		bad := func(why string) { t.Fatalf("decode(%q): step %v: %s\n%s", in, st, why, s) }
		if st.index != i || st.at <= last || st.at >= min(len(in), maxInput) {
			bad("index or offset out of order")
		}
		last = st.at
		if st.noop != "" {
			if !strings.Contains(st.String(), "(no-op: "+st.noop+")") {
				bad("a no-op not shown as one")
			}
			continue
		}
		a := st.actor
		if st.act.blocking && depth[a] > 0 {
			bad("a grace-period wait inside the actor's own section")
		}
		switch st.act.name {
		case "lock", "lock+load":
			depth[a] += st.count
			if st.count < 1 || depth[a] > maxDepth {
				bad("nesting beyond the limit")
			}
		case "load":
			if depth[a] == 0 {
				bad("load outside a section")
			}
		case "unlock":
			depth[a] -= st.count
			if st.count < 1 || depth[a] < 0 {
				bad("unlock outside a section")
			}
		case "renew":
			if depth[a] > 0 {
				bad("a renew inside a section")
			}
		case "hold", "hold-at":
			if held[a] || !pts.actor[st.point] {
				bad("a second hold, or a point the actor cannot hit")
			}
			held[a] = true
		case "hold-gp", "hold-gp-at":
			if heldGP || !pts.gp[st.point] {
				bad("a second grace-period hold, or a point the flavor cannot hit")
			}
			heldGP = true
		case "release":
			if st.gp && !heldGP || !st.gp && !held[a] {
				bad("a release of nothing")
			}
			if st.gp {
				heldGP = false
			} else {
				held[a] = false
			}
		case "await":
			if held[a] {
				bad("an await of an actor that may be parked")
			}
		case "unknown action":
			bad("an unknown action that is not a no-op")
		}
	}
	if depth != s.depth {
		t.Fatalf("decode(%q): final depths %v, schedule says %v", in, depth, s.depth)
	}
}

// TestDecodePoints checks that a hold's point byte means the same point
// on every flavor that has it, that the flavor's own points come after
// the legacy ones, and that a hold-at's number means the same point on
// every flavor.
func TestDecodePoints(t *testing.T) {
	hold, holdGP, holdAt := actionNamed("hold").code.n, actionNamed("hold-gp").code.n, actionNamed("hold-at").code.n
	in := []byte{hold | A<<4, 0, hold | B<<4, 6, holdGP, 7, hold | C<<4, 8, escapeByte | D<<4, holdAt, 3}
	custom := newPoints([]rcuops.Point{"gp-end", "custom"})
	s := decode(in, custom)
	var got []string
	for _, st := range s.steps {
		got = append(got, string(st.point)+"/"+st.noop)
	}
	want := []string{"read-sampled/no such point on an actor", "publish-store/", "callback/", "custom/", "gp-end/"}
	if !slices.Equal(got, want) {
		t.Errorf("points %q; want %q", got, want)
	}
	if len(custom.legacy) != len(legacyPoints)+1 || !slices.Equal(custom.legacy[:len(legacyPoints)], legacyPoints) {
		t.Errorf("legacy names %q", custom.legacy)
	}
}

// TestScheduleString checks the printed form of each kind of step.
func TestScheduleString(t *testing.T) {
	in := build(func(e *enc) {
		e.hold(A, "read-sampled").lockN(A, 2).load(B).holdGP("gp-end").releaseGP().release(A).await(C).unlockN(A, 2).publish(D)
	})
	want := []string{
		"  0  @0   hold A at read-sampled",
		"  1  @2   A: lock x2",
		"  2  @3   B: load  (no-op: outside a section)",
		"  3  @4   hold the grace-period machinery at gp-end",
		"  4  @6   release the grace-period hold",
		"  5  @7   release A",
		"  6  @8   await C",
		"  7  @9   A: unlock x2",
		"  8  @10  D: publish",
	}
	got := strings.Split(strings.TrimRight(decode(in, classicPoints).String(), "\n"), "\n")
	if !slices.Equal(got, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestCorpusFiles checks the corpus file codec against what go test
// writes and reads, and that bad files are errors.
func TestCorpusFiles(t *testing.T) {
	for _, in := range [][]byte{nil, {0}, []byte("\x00\xff\"\\`\n"), bytes.Repeat([]byte{7}, 300)} {
		out, err := decodeCorpusFile(encodeCorpusFile(in))
		if err != nil || !bytes.Equal(out, in) {
			t.Errorf("round trip of %q: %q, %v", in, out, err)
		}
	}
	if out, err := decodeCorpusFile([]byte("go test fuzz v1\n[]byte(`raw\\x`)\n")); err != nil || string(out) != `raw\x` {
		t.Errorf("raw string: %q, %v", out, err)
	}
	for _, bad := range []string{"", "go test fuzz v2\n[]byte(\"\")\n", "go test fuzz v1\n", "go test fuzz v1\nstring(\"x\")\n",
		"go test fuzz v1\n[]byte(\"a\")\n[]byte(\"b\")\n", "go test fuzz v1\n[]byte(\"\\q\")\n"} {
		if _, err := decodeCorpusFile([]byte(bad)); err == nil {
			t.Errorf("decodeCorpusFile(%q) succeeded", bad)
		}
	}
	seeds := Seeds()
	names := map[string]bool{}
	for _, s := range seeds {
		if names[s.Name] {
			t.Errorf("seed %s twice", s.Name)
		}
		names[s.Name] = true
	}
	if len(seeds) < len(scenarios) {
		t.Errorf("%d seeds, fewer than the %d scenarios", len(seeds), len(scenarios))
	}
}
