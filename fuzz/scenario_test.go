package fuzz

import (
	"bytes"
	"flag"
	"fmt"
	"github.com/rcukit/rcukit/rcuops"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/rcukit/rcukit/torture/flavors"
	"pgregory.net/rapid"
)

// Scenarios: hand-written schedules, each aimed at one guarantee, that
// make up the committed seed corpus (testdata/fuzz/FuzzSchedule/<name>).
// go test ./fuzz -run TestScenarioSeeds -update-seeds rewrites the files
// from this list.

var updateSeeds = flag.Bool("update-seeds", false, "rewrite the scenario seeds under testdata/fuzz/FuzzSchedule")

// enc builds an input step by step.
type enc []byte

const (
	A = iota
	B
	C
	D
)

// put appends a step of the action called name: for a basic action one
// byte, with arg in bits 6-7; for an extended one the escape and the code.
// Operands follow.
func (e *enc) put(name string, actor, arg int) *enc {
	c := actionNamed(name).code
	if c.extended {
		*e = append(*e, escapeByte|byte(actor&3)<<4, c.n)
		return e
	}
	*e = append(*e, c.n|byte(actor&3)<<4|byte(arg&3)<<6)
	return e
}

func (e *enc) lock(a int) *enc                 { return e.put("lock", a, 0) }
func (e *enc) lockN(a, n int) *enc             { return e.put("lock", a, n-1) }
func (e *enc) load(a int) *enc                 { return e.put("load", a, 0) }
func (e *enc) lockLoad(a int) *enc             { return e.put("lock+load", a, 0) }
func (e *enc) unlock(a int) *enc               { return e.put("unlock", a, 0) }
func (e *enc) unlockN(a, n int) *enc           { return e.put("unlock", a, n-1) }
func (e *enc) publish(a int) *enc              { return e.put("publish", a, 0) }
func (e *enc) syncReclaim(a int) *enc          { return e.put("sync-reclaim", a, 0) }
func (e *enc) expedited(a int) *enc            { return e.put("expedited-reclaim", a, 0) }
func (e *enc) callReclaim(a int) *enc          { return e.put("call-reclaim", a, 0) }
func (e *enc) barrier(a int) *enc              { return e.put("barrier", a, 0) }
func (e *enc) snapshot(a int) *enc             { return e.put("snapshot", a, 0) }
func (e *enc) poll(a int) *enc                 { return e.put("poll", a, 0) }
func (e *enc) pollReclaim(a int) *enc          { return e.put("poll-reclaim", a, 0) }
func (e *enc) await(a int) *enc                { return e.put("await", a, 0) }
func (e *enc) release(a int) *enc              { return e.put("release", a, 0) }
func (e *enc) releaseGP() *enc                 { return e.put("release", 0, 1) }
func (e *enc) hold(a int, p rcuops.Point) *enc { return e.put("hold", a, 0).point(p) }
func (e *enc) holdGP(p rcuops.Point) *enc      { return e.put("hold-gp", 0, 0).point(p) }
func (e *enc) renew(a int) *enc                { return e.put("renew", a, 0) }

// holdAt and holdGPAt hold at a point by its stable number.
func (e *enc) holdAt(a int, p rcuops.Point) *enc { return e.put("hold-at", a, 0).number(p) }
func (e *enc) holdGPAt(p rcuops.Point) *enc      { return e.put("hold-gp-at", 0, 0).number(p) }

// point appends a hold's point byte: p's index in legacyPoints.
func (e *enc) point(p rcuops.Point) *enc {
	i := slices.Index(legacyPoints, p)
	if i < 0 {
		panic("no legacy point " + p)
	}
	*e = append(*e, byte(i))
	return e
}

// number appends a hold-at's point byte: p's stable number.
func (e *enc) number(p rcuops.Point) *enc {
	i := slices.Index(pointNumbers, p)
	if i < 0 {
		panic("no numbered point " + p)
	}
	*e = append(*e, byte(i))
	return e
}

type scenario struct {
	name string
	doc  string
	in   []byte
}

func build(f func(e *enc)) []byte {
	var e enc
	f(&e)
	return e
}

// scenarios are the committed seeds. Their names say which guarantee
// they exercise; their docs what a broken RCU does in them.
var scenarios = []scenario{
	{"empty", "no steps at all", []byte{}},
	{"sync-waits-for-reader", "a Synchronize that returns before a reader that began before it has ended lets the reclaim poison what the reader holds", build(func(e *enc) {
		e.lockLoad(A).publish(C).syncReclaim(B).unlock(A).await(B).lockLoad(A).unlock(A)
	})},
	{"expedited-waits-for-reader", "the same with SynchronizeExpedited", build(func(e *enc) {
		e.lockLoad(A).publish(C).expedited(B).unlock(A).await(B)
	})},
	{"call-waits-for-reader", "a callback that runs before a reader that began before its Call has ended reclaims what the reader holds", build(func(e *enc) {
		e.lockLoad(A).publish(C).callReclaim(B).unlock(A).barrier(B).await(B)
	})},
	{"nested-outer-section", "ending an inner section must not end the outer one: a Synchronize must still wait for it", build(func(e *enc) {
		e.lockN(A, 2).load(A).unlock(A).publish(C).syncReclaim(B).lockLoad(D).unlock(D).unlockN(A, 1).await(B)
	})},
	{"nested-load-after-inner", "a version loaded after an inner section ended is still protected by the outer one", build(func(e *enc) {
		e.lockN(A, 2).unlock(A).load(A).publish(C).syncReclaim(B).unlock(A).await(B)
	})},
	{"straggler", "a reader parked between sampling the index and counting itself while a whole Synchronize runs, then counted under the inactive index, must be waited for by the next grace period", build(func(e *enc) {
		e.hold(A, "read-sampled").lock(A).syncReclaim(B).await(B).release(A).load(A).publish(C).syncReclaim(B).unlock(A).await(B)
	})},
	{"straggler-expedited", "the straggler against an expedited grace period, with a second reader", build(func(e *enc) {
		e.hold(A, "read-sampled").lock(A).expedited(B).await(B).release(A).load(A).lockLoad(D).publish(C).expedited(B).unlock(D).unlock(A).await(B)
	})},
	{"straggler-call", "the straggler against a callback's grace period", build(func(e *enc) {
		e.hold(A, "read-sampled").lock(A).syncReclaim(B).await(B).release(A).load(A).publish(C).callReclaim(B).unlock(A).barrier(B).await(B)
	})},
	{"straggler-poll", "the straggler against a polled cookie", build(func(e *enc) {
		e.hold(A, "read-sampled").lock(A).syncReclaim(B).await(B).release(A).load(A).publish(C).snapshot(D).syncReclaim(B).pollReclaim(D).unlock(A).await(B).pollReclaim(D)
	})},
	{"publish-store-window", "a reader that loads a version right after it became reachable must find it initialized", build(func(e *enc) {
		e.hold(C, "publish-store").publish(C).lockLoad(A).release(C).unlock(A).syncReclaim(B).await(B)
	})},
	{"publish-init-window", "a version must not be reachable before its initialization has finished", build(func(e *enc) {
		e.hold(C, "publish-init").publish(C).lockLoad(A).release(C).unlock(A).lockLoad(A).unlock(A)
	})},
	{"poll-waits-for-reader", "a cookie taken while a reader is inside must not poll complete before the reader ends", build(func(e *enc) {
		e.lockLoad(A).publish(C).snapshot(B).pollReclaim(B).poll(B).unlock(A).syncReclaim(D).await(D).pollReclaim(B)
	})},
	{"poll-inside-section", "a cookie a reader takes inside its own section does not complete before the section ends", build(func(e *enc) {
		e.lockLoad(A).snapshot(A).publish(C).syncReclaim(B).pollReclaim(A).unlock(A).await(B).pollReclaim(A)
	})},
	{"barrier-waits-for-callback", "Barrier must wait for a callback that waits for a reader", build(func(e *enc) {
		e.lockLoad(A).publish(C).callReclaim(B).barrier(D).unlock(A).await(D)
	})},
	{"barrier-held-callback", "Barrier must wait for a callback parked before it runs", build(func(e *enc) {
		e.holdGP("callback").publish(C).callReclaim(B).barrier(D).releaseGP().await(D).lockLoad(A).unlock(A)
	})},
	{"gp-flipped-reader", "a reader that begins while a grace period is parked after its flip", build(func(e *enc) {
		e.lockLoad(D).holdGP("gp-flipped").publish(C).syncReclaim(B).unlock(D).lockLoad(A).releaseGP().publish(C).syncReclaim(B).unlock(A).await(B)
	})},
	{"gp-start-reader", "a reader that begins while a grace period is parked at its start, then a second grace period", build(func(e *enc) {
		e.holdGP("gp-start").publish(C).syncReclaim(B).lockLoad(A).releaseGP().publish(C).syncReclaim(D).unlock(A).await(B).await(D)
	})},
	{"caller-gp-parked", "a grace period parked inside the caller's own Synchronize (flavors that run grace periods on the caller) while readers come and go", build(func(e *enc) {
		e.hold(B, "gp-flipped").lockLoad(A).publish(C).syncReclaim(B).unlock(A).lockLoad(D).release(B).publish(C).syncReclaim(B).unlock(D).await(B)
	})},
	{"invoke-parked", "the callback goroutine parked before a callback runs while a second Call and a Barrier come", build(func(e *enc) {
		e.holdGP("invoke").publish(C).callReclaim(B).lockLoad(A).publish(C).callReclaim(B).barrier(D).unlock(A).releaseGP().await(D)
	})},
	{"reader-renewed", "a reader that releases its Reader between two sections, each waited for by a grace period, and takes a fresh one", build(func(e *enc) {
		e.lockLoad(A).publish(C).syncReclaim(B).unlock(A).renew(A).lockLoad(A).publish(C).syncReclaim(D).unlock(A).await(B).await(D)
	})},
	{"mixed", "a bit of everything over four actors", build(func(e *enc) {
		e.lockLoad(A).lockLoad(B).publish(C).snapshot(D).callReclaim(C).unlock(A).syncReclaim(A).lockN(B, 2).load(B).
			publish(D).pollReclaim(D).unlockN(B, 3).expedited(D).barrier(C).await(A).await(C).await(D).lockLoad(A).unlock(A)
	})},
}

// rapidTargets are the fuzz targets made with rapid.MakeFuzz, whose
// inputs are rapid's bit streams. Their seeds are pseudo-random inputs of
// rapidSeedLen bytes that rapid runs to the end (it skips an input it
// runs out of): short, because go test -fuzz minimizes every new input it
// keeps byte by byte, at one run per byte.
var rapidTargets = map[string]func(*rapid.T){
	"FuzzDomainStateMachine":    domainProperty(referenceDomain, nil),
	"FuzzListStateMachine":      listProperty(referenceList, nil),
	"FuzzDomainConcurrentPlans": domainPlanProperty(flavors.Reference, nil),
	"FuzzListConcurrentPlans":   listPlanProperty(referenceList, nil),
}

const rapidSeeds, rapidSeedLen = 4, 768

// runsToEnd reports whether rapid runs prop on data to its end.
func runsToEnd(t *testing.T, name string, prop func(*rapid.T), data []byte) bool {
	skipped := false
	t.Run(name, func(t *testing.T) {
		defer func() { skipped = t.Skipped() }()
		rapid.MakeFuzz(prop)(t, data)
	})
	return !skipped
}

// TestRapidSeeds checks that rapid runs every committed seed of the rapid
// targets to its end. With -update-seeds it first rewrites them: the
// first rapidSeeds pseudo-random inputs that it runs to the end.
func TestRapidSeeds(t *testing.T) {
	for target, prop := range rapidTargets {
		dir := filepath.Join("testdata/fuzz", target)
		if *updateSeeds {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			for i, n := uint64(0), 0; n < rapidSeeds; i++ {
				rng := rand.New(rand.NewPCG(uint64(len(target)), i))
				data := make([]byte, rapidSeedLen)
				for j := range data {
					data[j] = byte(rng.Uint32())
				}
				if runsToEnd(t, fmt.Sprintf("%s/candidate-%d", target, i), prop, data) {
					file := filepath.Join(dir, fmt.Sprintf("random-%d", n))
					if err := os.WriteFile(file, encodeCorpusFile(data), 0o644); err != nil {
						t.Fatal(err)
					}
					n++
				}
			}
		}
		files, err := filepath.Glob(filepath.Join(dir, "*"))
		if err != nil || len(files) == 0 {
			t.Fatalf("no seeds in %s (%v); run go test ./fuzz -run '^TestRapidSeeds$' -update-seeds", dir, err)
		}
		for _, file := range files {
			b, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			data, err := decodeCorpusFile(b)
			if err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			name := filepath.Base(file)
			if !runsToEnd(t, target+"/"+name, prop, data) {
				t.Errorf("rapid skipped seed %s: too short for a run; reproduce: go test -run '^%s$/^%s$' ./fuzz", file, target, name)
			}
		}
	}
}

// TestScenarioSeeds checks that every scenario is committed as a seed,
// byte for byte (or rewrites them with -update-seeds).
func TestScenarioSeeds(t *testing.T) {
	committed := map[string][]byte{}
	for _, s := range Seeds() {
		committed[s.Name] = s.Data
	}
	for _, s := range scenarios {
		file := filepath.Join(corpusDir, s.name)
		if *updateSeeds {
			if err := os.WriteFile(file, encodeCorpusFile(s.in), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, ok := committed[s.name]
		switch {
		case !ok:
			t.Errorf("scenario %s is not committed as %s; run go test ./fuzz -run '^TestScenarioSeeds$' -update-seeds", s.name, file)
		case !bytes.Equal(got, s.in):
			t.Errorf("%s differs from scenario %s: %q, want %q; run go test ./fuzz -run '^TestScenarioSeeds$' -update-seeds", file, s.name, got, s.in)
		}
	}
}
