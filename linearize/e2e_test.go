package linearize_test

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/rcukit/rcukit/linearize"
	"github.com/rcukit/rcukit/rcu"
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

// Histories of the real Domain, from many goroutines doing everything at
// once, are legal by both oracles.
func TestRecordedHistoriesLegal(t *testing.T) {
	s := seed(t)
	h := run(t, smallRun, s, func(d *rcu.Domain) flavor { return domain{d} })
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

// Histories of each broken double are Illegal by both oracles, for a rule
// that the double breaks.
func TestRecordedHistoriesOfBrokenDoublesIllegal(t *testing.T) {
	for _, b := range brokenDoubles {
		t.Run(b.name, func(t *testing.T) {
			s := seed(t)
			h := run(t, smallRun, s, b.mk)
			path := save(t, "history", h) // kept with go test -artifacts
			res := linearize.Check(h, linearize.Options{HTML: t.ArtifactDir()})
			dir := linearize.CheckDirect(h)
			if res.Verdict != linearize.Illegal || dir.Verdict != linearize.Illegal ||
				!slices.Contains(b.rules, string(res.Rule)) || !slices.Contains(b.rules, string(dir.Rule)) {
				t.Fatalf("seed %d, history %s: want illegal, one of %v\nporcupine: %s\ndirect: %s",
					s, path, b.rules, res.Report(), dir.Report())
			}
			if res.Visualization == "" {
				t.Errorf("no visualization: %s", res.Report())
			}
			t.Logf("seed %d\nporcupine: %sdirect: %s", s, res.Report(), dir.Report())
		})
	}
}
