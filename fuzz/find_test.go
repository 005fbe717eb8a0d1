package fuzz

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/rcukit/rcukit/internal/broken"
	"github.com/rcukit/rcukit/internal/impl"
	"github.com/rcukit/rcukit/model"
	"github.com/rcukit/rcukit/rcuops"
)

// scenarioFor names, for each bug of internal/broken the fuzzer must
// catch, the hand-written scenario of the corpus whose holds build the
// interleaving its bug needs, so that it fails on nearly every run, not
// only when the scheduler helps.
var scenarioFor = map[string]string{
	"busted-sync":     "sync-waits-for-reader",
	"busted-call":     "call-waits-for-reader",
	"busted-flip":     "straggler",
	"busted-flip-ref": "straggler",
	"busted-nest":     "nested-outer-section",
	"busted-barrier":  "barrier-held-callback",
	"busted-publish":  "publish-init-window",
	"busted-poll":     "poll-waits-for-reader",
}

// randomInputs returns n pseudo-random inputs from a fixed seed: the same
// inputs on every run.
func randomInputs(n int, seed uint64) [][]byte {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	ins := make([][]byte, n)
	for i := range ins {
		in := make([]byte, 1+rng.IntN(maxInput))
		for j := range in {
			in[j] = byte(rng.Uint32())
		}
		ins[i] = in
	}
	return ins
}

// TestScenarioForEveryBug checks that every bug the fuzzer must catch
// has its scenario in the corpus, and that scenarioFor names no other.
func TestScenarioForEveryBug(t *testing.T) {
	seeds := map[string]bool{}
	for _, s := range Seeds() {
		seeds[s.Name] = true
	}
	for _, bug := range broken.For(broken.Fuzz) {
		if sc, ok := scenarioFor[bug.Name]; !ok || !seeds[sc] {
			t.Errorf("bug %s has no scenario in the corpus (scenarioFor: %q): write one that holds the interleaving it needs", bug.Name, sc)
		}
	}
	for name := range scenarioFor {
		bug, ok := broken.Lookup(name)
		switch {
		case !ok && impl.InjectTags == "" && name == "busted-flip-ref":
			// A bug of the build with injection points.
		case !ok || bug.For&broken.Fuzz == 0:
			t.Errorf("scenarioFor names %s, which is not a bug the fuzzer must catch", name)
		}
	}
}

// caught reports whether err is a failure that bug explains: an illegal
// history or a hang whose rule is one the bug breaks, or a consequence.
func caught(bug broken.Bug, err error) (*Failure, bool) {
	var fl *Failure
	if !errors.As(err, &fl) || fl.Kind != Illegal && fl.Kind != Hang {
		return fl, false
	}
	return fl, model.Explains(bug.Breaks, fl.Rule)
}

// TestFindsBrokenFlavors shows that the committed corpus finds every bug
// of internal/broken the fuzzer must catch, naming a rule that the bug
// breaks (or a consequence of one): first through the bug's own scenario
// (scenarioFor), then through any seed; and reports how many
// pseudo-random inputs it takes without the corpus.
//
// busted-flip-ref exists only with -tags rcuinject, the build in which the
// reference has its injection points: without them the straggler window
// is a few instructions wide and no schedule can hold a reader in it.
func TestFindsBrokenFlavors(t *testing.T) {
	seeds := map[string][]byte{}
	for _, s := range Seeds() {
		seeds[s.Name] = s.Data
	}
	for _, bug := range broken.For(broken.Fuzz) {
		f := bug.Flavor()
		t.Run(f.Name, func(t *testing.T) {
			t.Parallel()
			reproduce := fmt.Sprintf("reproduce: go test %s-run '^TestFindsBrokenFlavors$/^%s$' -v ./fuzz", tags(f), f.Name)
			check := func(name string, err error) bool {
				if err == nil {
					return false
				}
				if _, ok := caught(bug, err); !ok {
					t.Errorf("%s: %s failed with what its bug does not explain (it breaks %v):\n%v\n%s",
						f.Name, name, bug.Breaks, err, reproduce)
					return false
				}
				return true
			}

			// The scenario fails on nearly every run (BENCHMARKS.md has
			// the rates): a loaded machine can stretch one of the
			// controller's bounded waits, so it gets up to 20 runs,
			// a few milliseconds each; it stops at the first hit.
			scenario := scenarioFor[f.Name]
			data, ok := seeds[scenario]
			if !ok {
				t.Fatalf("no scenario %q in the corpus for bug %s (scenarioFor)", scenario, f.Name)
			}
			const runs = 20
			hit := 0
			for run := 1; run <= runs && hit == 0; run++ {
				if check("scenario "+scenario, RunSchedule(f, data)) {
					hit = run
				}
			}
			if hit == 0 {
				t.Fatalf("scenario %s did not find bug %s (it breaks %v) in %d runs; %s", scenario, f.Name, bug.Breaks, runs, reproduce)
			}
			t.Logf("scenario %s found it on run %d", scenario, hit)

			var found []string
			for _, s := range Seeds() {
				err := RunSchedule(f, s.Data)
				if check("seed "+s.Name, err) {
					fl, _ := caught(bug, err)
					found = append(found, fmt.Sprintf("%s (%s)", s.Name, fl.Rule))
				}
			}
			t.Logf("one pass over the corpus: found by %d of %d seeds: %s", len(found), len(seeds), strings.Join(found, ", "))

			const budget = 300
			for i, in := range randomInputs(budget, 1) {
				if err := RunSchedule(f, in); check(fmt.Sprintf("random input %d (%q)", i, in), err) {
					fl, _ := caught(bug, err)
					t.Logf("random inputs alone: found by input %d of %d (%s)", i+1, budget, fl.Rule)
					return
				}
			}
			t.Logf("random inputs alone: not found within %d inputs (the corpus or go test -fuzz are needed)", budget)
		})
	}
}

func tags(f rcuops.Flavor) string {
	if f.Tags == "" {
		return ""
	}
	return "-tags " + f.Tags + " "
}
