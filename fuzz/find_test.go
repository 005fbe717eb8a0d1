package fuzz

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/rcukit/rcukit/torture"
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

// TestFindsBrokenFlavors shows that the schedule fuzzer finds every broken
// flavor of torture/flavors from the committed seeds, naming a rule that
// the flavor's bug breaks, and reports how many pseudo-random inputs it
// takes without the seeds.
//
// busted-flip-ref exists only with -tags rcuinject, the build in which the
// reference has its injection points: without them the straggler window
// is a few instructions wide and no schedule can hold a reader in it.
func TestFindsBrokenFlavors(t *testing.T) {
	var broken []torture.Flavor
	for _, f := range flavors.All() {
		if f.Broken {
			broken = append(broken, f)
		}
	}
	for name := range brokenRules {
		if !slices.ContainsFunc(broken, func(f torture.Flavor) bool { return f.Name == name }) && name != "busted-flip-ref" {
			t.Errorf("no broken flavor %q in torture/flavors", name)
		}
	}
	for _, f := range broken {
		t.Run(f.Name, func(t *testing.T) {
			t.Parallel()
			rules, ok := brokenRules[f.Name]
			if !ok {
				t.Fatalf("broken flavor %s has no expected rules in brokenRules: add them", f.Name)
			}
			check := func(name string, err error) bool {
				if err == nil {
					return false
				}
				var fl *Failure
				if !errors.As(err, &fl) || !slices.Contains(rules, fl.Rule) {
					t.Errorf("%s: %s failed with a rule its bug does not explain (want one of %v):\n%v\nreproduce: go test %s-run '^TestFindsBrokenFlavors$/^%s$' ./fuzz",
						f.Name, name, rules, err, tags(f), f.Name)
					return false
				}
				return true
			}
			// Scheduling decides whether a background operation has
			// finished before the controller moves on, so a seed can miss
			// on a loaded machine; three rounds make that negligible.
			var found []string
			for round := 0; round < 3 && len(found) == 0; round++ {
				for _, s := range Seeds() {
					err := RunSchedule(f, s.Data)
					if check("seed "+s.Name, err) {
						var fl *Failure
						errors.As(err, &fl)
						found = append(found, fmt.Sprintf("%s (%s)", s.Name, fl.Rule))
					}
				}
			}
			if len(found) == 0 {
				t.Fatalf("no committed seed finds broken flavor %s (rules %v); reproduce: go test %s-run '^TestFindsBrokenFlavors$/^%s$' -v ./fuzz",
					f.Name, rules, tags(f), f.Name)
			}
			t.Logf("found by %d of %d seeds: %s", len(found), len(Seeds()), strings.Join(found, ", "))

			const budget = 300
			for i, in := range randomInputs(budget, 1) {
				if err := RunSchedule(f, in); check(fmt.Sprintf("random input %d (%q)", i, in), err) {
					var fl *Failure
					errors.As(err, &fl)
					t.Logf("random inputs alone: found by input %d of %d (%s)", i+1, budget, fl.Rule)
					return
				}
			}
			t.Logf("random inputs alone: not found within %d inputs (the seeds or go test -fuzz are needed)", budget)
		})
	}
}

func tags(f torture.Flavor) string {
	if f.Tags == "" {
		return ""
	}
	return "-tags " + f.Tags + " "
}
