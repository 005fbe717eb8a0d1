package linearize_test

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/rcukit/rcukit/internal/broken"
	"github.com/rcukit/rcukit/linearize"
	"github.com/rcukit/rcukit/model"
)

// seed returns the seed of a randomized test: RCUKIT_SEED if set, else a
// fresh one. Failures print it.
func seed(t testing.TB) uint64 {
	if s := os.Getenv("RCUKIT_SEED"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("RCUKIT_SEED=%q: %v", s, err)
		}
		return n
	}
	return rand.Uint64()
}

// save writes h into the test's artifact directory and returns the path,
// for failure messages: rcucheck PATH reproduces the verdict.
func save(t testing.TB, name string, h linearize.History) string {
	path := filepath.Join(t.ArtifactDir(), name+".json")
	if err := linearize.Save(path, h); err != nil {
		t.Errorf("saving the history: %v", err)
	}
	return path
}

// Histories of the reference, from many goroutines doing everything at
// once, are legal by both oracles.
func TestRecordedHistoriesLegal(t *testing.T) {
	s := seed(t)
	h := record(t, smallRun, s, reference)
	res := linearize.Check(h, linearize.Options{HTML: t.ArtifactDir()})
	dir := linearize.CheckDirect(h)
	if res.Verdict != linearize.Ok || dir.Verdict != linearize.Ok {
		t.Fatalf("seed %d, %d events, history %s:\nporcupine: %s\ndirect: %s",
			s, len(h), save(t, "history", h), res.Report(), dir.Report())
	}
	if res.Segments < smallRun.rounds {
		t.Errorf("seed %d: %d segments; the rounds should give at least %d quiescent points", s, res.Segments, smallRun.rounds)
	}
	t.Logf("seed %d: %s", s, res)
}

// Histories of each broken implementation meant for the workloads
// (broken.Workload) are Illegal by both oracles, for a rule that the bug
// breaks or one of its consequences.
func TestRecordedHistoriesOfBrokenImplementationsIllegal(t *testing.T) {
	bugs := broken.For(broken.Workload)
	if len(bugs) == 0 {
		t.Fatal("no broken implementation is meant for the workloads")
	}
	for _, b := range bugs {
		t.Run(b.Name, func(t *testing.T) {
			s := seed(t)
			h := record(t, smallRun, s, bug(b))
			path := save(t, "history", h) // kept with go test -artifacts
			res := linearize.Check(h, linearize.Options{HTML: t.ArtifactDir()})
			dir := linearize.CheckDirect(h)
			if res.Verdict != linearize.Illegal || dir.Verdict != linearize.Illegal ||
				!model.Explains(b.Breaks, res.Rule) || !model.Explains(b.Breaks, dir.Rule) {
				t.Fatalf("%s (%s), seed %d, history %s: want illegal, breaking one of %v or their consequences\nporcupine: %s\ndirect: %s",
					b.Name, b.Doc, s, path, b.Breaks, res.Report(), dir.Report())
			}
			if res.Visualization == "" {
				t.Errorf("no visualization: %s", res.Report())
			}
			t.Logf("seed %d\nporcupine: %sdirect: %s", s, res.Report(), dir.Report())
		})
	}
}

// The probes alone, with no rounds, record a legal history of the
// reference and an illegal one of every broken implementation above, for
// the rule it breaks: the negative controls do not depend on the
// scheduler happening to interleave the rounds badly.
func TestProbesAloneCatchEveryBug(t *testing.T) {
	probesOnly := config{probes: true}
	if res := linearize.CheckDirect(record(t, probesOnly, 1, reference)); res.Verdict != linearize.Ok {
		t.Fatalf("reference: %s", res.Report())
	}
	for _, b := range broken.For(broken.Workload) {
		h := record(t, probesOnly, 1, bug(b))
		if res := linearize.CheckDirect(h); res.Verdict != linearize.Illegal || !model.Explains(b.Breaks, res.Rule) {
			t.Errorf("%s, history %s: want illegal, breaking one of %v\n%s", b.Name, save(t, b.Name, h), b.Breaks, res.Report())
		}
	}
}
