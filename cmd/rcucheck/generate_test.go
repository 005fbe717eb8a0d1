package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/rcukit/rcukit/linearize"
	"github.com/rcukit/rcukit/model"
)

// A generated history is well formed, legal to both oracles, cut often,
// and has every kind of operation.
func TestGenerateLegal(t *testing.T) {
	h := generate(20_000, 1)
	if len(h) < 20_000 || len(h) > 21_000 {
		t.Fatalf("%d events, want about 20000", len(h))
	}
	if err := h.Validate(); err != nil {
		t.Fatal(err)
	}
	res := linearize.Check(h, linearize.Options{})
	if res.Verdict != linearize.Ok {
		t.Fatalf("porcupine: %s", res.Report())
	}
	// Segments are at least 512 events; quiescent points come about
	// every 1000.
	if res.Segments < len(h)/2000 {
		t.Errorf("%d segments in %d events: too few quiescent points", res.Segments, len(h))
	}
	if dir := linearize.CheckDirect(h); dir.Verdict != linearize.Ok {
		t.Fatalf("direct: %s", dir.Report())
	}
	kinds := map[model.Kind]int{}
	clients := map[int]bool{}
	for _, e := range h {
		kinds[e.Op.Kind]++
		clients[e.Client] = true
	}
	for _, k := range model.Kinds() {
		if kinds[k] == 0 {
			t.Errorf("no %s in the history", k)
		}
	}
	if len(clients) != genClients {
		t.Errorf("%d clients, want %d", len(clients), genClients)
	}
	t.Logf("%d events, %s; kinds %v", len(h), res, kinds)
}

// The events, in the order generated, are a legal sequential run of the
// model whose list never holds more than genMaxKeys keys; each client
// does one thing at a time; and reclaims wait for more than the model
// asks today: a version for every reader and traversal open when it was
// replaced, an element for every reader and traversal open when it was
// removed.
func TestGenerateRun(t *testing.T) {
	h := generate(20_000, 2)
	s := model.Init()
	lastRet := map[int]int64{}
	open := map[[2]uint64]int{}   // (kind, id) of an open reader or traversal -> where it began
	retired := map[uint64]int{}   // version -> where it was replaced
	removedAt := map[uint64]int{} // key -> where it was removed
	maxKeys := 0
	for i, e := range h {
		next, v := s.Apply(e.Op)
		if v != nil {
			t.Fatalf("event %d (%v): %v", i, e, v)
		}
		if r, ok := lastRet[e.Client]; ok && e.Call <= r {
			t.Fatalf("event %d (%v) is called before client %d's previous event returned at %d", i, e, e.Client, r)
		}
		lastRet[e.Client] = e.Return
		op := e.Op
		waitedFor := func(since int) {
			t.Helper()
			for k, at := range open {
				if at < since {
					t.Fatalf("event %d (%v) while %s %d, open since event %d, before event %d, is still open", i, e, model.Kind(k[0]), k[1], at, since)
				}
			}
		}
		switch op.Kind {
		case model.ReadBegin, model.TraverseBegin:
			open[[2]uint64{uint64(op.Kind), op.ID}] = i
		case model.ReadEnd, model.TraverseEnd:
			delete(open, [2]uint64{uint64(op.Kind.Opener()), op.ID})
		case model.Publish:
			retired[s.Version()] = i
		case model.Reclaim:
			waitedFor(retired[op.Version])
		case model.Remove:
			if op.OK {
				removedAt[op.Key] = i
			}
		case model.Replace:
			removedAt[op.Key] = i
		case model.ElemReclaim:
			waitedFor(removedAt[op.Key])
		}
		s = next
		maxKeys = max(maxKeys, len(s.Present()))
	}
	if maxKeys > genMaxKeys || maxKeys < genMaxKeys/4 {
		t.Errorf("the list held up to %d keys, want at most %d and not too few", maxKeys, genMaxKeys)
	}
}

func TestGenerateDeterministic(t *testing.T) {
	encode := func(seed uint64) []byte {
		var b bytes.Buffer
		if err := linearize.Encode(&b, generate(5000, seed)); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	a, b, c := encode(7), encode(7), encode(8)
	if !bytes.Equal(a, b) {
		t.Fatal("two histories from seed 7 differ")
	}
	if bytes.Equal(a, c) {
		t.Fatal("seeds 7 and 8 give the same history")
	}
}

// -generate writes a history that loads and checks legal.
func TestGenerateCommand(t *testing.T) {
	code, out, errOut := runCmd(t, "-generate", "3000", "-seed", "5")
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	h, err := linearize.Decode("stdout", []byte(out))
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	if err := linearize.Encode(&want, generate(3000, 5)); err != nil {
		t.Fatal(err)
	}
	if out != want.String() || len(h) < 3000 {
		t.Fatalf("-generate 3000 -seed 5 wrote %d events, not generate(3000, 5)", len(h))
	}
	for _, args := range [][]string{{"-generate", "0"}, {"-generate", "-3"}, {"-generate", "10", "x.json"}, {"-seed", "3", "x.json"}, {"-generate", "many"}} {
		code, _, errOut := runCmd(t, args...)
		if code != 2 || !strings.Contains(errOut, "usage: rcucheck") {
			t.Errorf("%q: exit %d, stderr %q", args, code, errOut)
		}
	}
}
