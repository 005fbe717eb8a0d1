package fuzz

import (
	"errors"
	"fmt"
	"github.com/rcukit/rcukit/rcuops"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/rcukit/rcukit/torture/flavors"
)

// The rules each broken flavor's bug can break. A grace period that ends
// early also lets a reclaim poison what a reader still holds, which the
// reader or the reclaim may show first; and porcupine, looking for an
// order in which the grace period did wait, may move the reader's load
// after the grace period's start, past a publication, and blame the load
// as stale.
var (
	earlyRules  = []string{"reclaim-while-held", "read-reclaimed", "read-stale"}
	brokenRules = map[string][]string{
		"busted-sync":     append([]string{"sync-early"}, earlyRules...),
		"busted-call":     append([]string{"callback-early"}, earlyRules...),
		"busted-flip":     append([]string{"sync-early", "callback-early", "poll-early"}, earlyRules...),
		"busted-flip-ref": append([]string{"sync-early", "callback-early", "poll-early"}, earlyRules...),
		"busted-nest":     append([]string{"sync-early", "callback-early", "poll-early"}, earlyRules...),
		"busted-barrier":  {"barrier-early"},
		"busted-publish":  {"read-half-initialized"},
		"busted-poll":     append([]string{"poll-early"}, earlyRules...),
	}
)

// scenarioFor names, for each broken flavor, the hand-written scenario of
// the corpus whose holds build the interleaving its bug needs, so that
// it fails on nearly every run, not only when the scheduler helps.
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

// TestFindsBrokenFlavors shows that the committed corpus finds every
// broken flavor of torture/flavors, naming a rule that the flavor's bug
// breaks: first through the flavor's own scenario (scenarioFor), then
// through any seed; and reports how many pseudo-random inputs it takes
// without the corpus.
//
// busted-flip-ref exists only with -tags rcuinject, the build in which the
// reference has its injection points: without them the straggler window
// is a few instructions wide and no schedule can hold a reader in it.
func TestFindsBrokenFlavors(t *testing.T) {
	var broken []rcuops.Flavor
	for _, f := range flavors.All() {
		if f.Broken {
			broken = append(broken, f)
		}
	}
	for name := range brokenRules {
		if !slices.ContainsFunc(broken, func(f rcuops.Flavor) bool { return f.Name == name }) && name != "busted-flip-ref" {
			t.Errorf("no broken flavor %q in torture/flavors", name)
		}
	}
	seeds := map[string][]byte{}
	for _, s := range Seeds() {
		seeds[s.Name] = s.Data
	}
	for _, f := range broken {
		t.Run(f.Name, func(t *testing.T) {
			t.Parallel()
			rules, ok := brokenRules[f.Name]
			if !ok {
				t.Fatalf("broken flavor %s has no expected rules in brokenRules: add them", f.Name)
			}
			reproduce := fmt.Sprintf("reproduce: go test %s-run '^TestFindsBrokenFlavors$/^%s$' -v ./fuzz", tags(f), f.Name)
			check := func(name string, err error) bool {
				if err == nil {
					return false
				}
				var fl *Failure
				if !errors.As(err, &fl) || !slices.Contains(rules, string(fl.Rule)) {
					t.Errorf("%s: %s failed with a rule its bug does not explain (want one of %v):\n%v\n%s",
						f.Name, name, rules, err, reproduce)
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
				t.Fatalf("no scenario %q in the corpus for broken flavor %s (scenarioFor)", scenario, f.Name)
			}
			const runs = 20
			hit := 0
			for run := 1; run <= runs && hit == 0; run++ {
				if check("scenario "+scenario, RunSchedule(f, data)) {
					hit = run
				}
			}
			if hit == 0 {
				t.Fatalf("scenario %s did not find broken flavor %s (rules %v) in %d runs; %s", scenario, f.Name, rules, runs, reproduce)
			}
			t.Logf("scenario %s found it on run %d", scenario, hit)

			var found []string
			for _, s := range Seeds() {
				err := RunSchedule(f, s.Data)
				if check("seed "+s.Name, err) {
					var fl *Failure
					errors.As(err, &fl)
					found = append(found, fmt.Sprintf("%s (%s)", s.Name, fl.Rule))
				}
			}
			t.Logf("one pass over the corpus: found by %d of %d seeds: %s", len(found), len(seeds), strings.Join(found, ", "))

			const budget = 300
			for i, in := range randomInputs(budget, 1) {
				if err := RunSchedule(f, in); check(fmt.Sprintf("random input %d (%q)", i, in), err) {
					var fl *Failure
					errors.As(err, &fl)
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
