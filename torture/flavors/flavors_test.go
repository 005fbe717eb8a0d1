package flavors_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rcukit/rcukit/internal/broken"
	"github.com/rcukit/rcukit/internal/impl"
	"github.com/rcukit/rcukit/internal/progress"
	"github.com/rcukit/rcukit/linearize"
	"github.com/rcukit/rcukit/model"
	"github.com/rcukit/rcukit/rcuops"
	"github.com/rcukit/rcukit/torture"
	"github.com/rcukit/rcukit/torture/flavors"
)

// budget is how long a broken flavor may run before it must have failed.
const budget = 20 * time.Second

func tableConfig() torture.Config {
	c := torture.DefaultConfig()
	c.Readers = 4
	c.FakeWriters = 2
	c.StatInterval = 5 * time.Second
	c.Stutter = time.Second
	c.Shuffle = 0 // GOMAXPROCS is process-wide; the parallel runs keep it
	c.BarrierCallbacks = 16
	c.FwdProgress = 2 * time.Second
	c.ReadExit = 4
	c.Seed = 1
	return c
}

// TestCorrectFlavorsSucceed: every correct flavor ends in SUCCESS (or,
// on a machine that starved it, INCONCLUSIVE, which skips).
func TestCorrectFlavorsSucceed(t *testing.T) {
	for _, f := range flavors.All() {
		if f.Broken {
			continue
		}
		t.Run(f.Name, func(t *testing.T) {
			t.Parallel()
			c := tableConfig()
			c.Duration = 4 * time.Second
			res, report := run(f, c)
			mustSucceed(t, res, report)
			if last := lastLine(report); last != "End of test: SUCCESS" {
				t.Fatalf("last line %q", last)
			}
			t.Logf("%d reads (%.0f/s), %d versions, %d grace periods", res.Reads, res.ReadsPerSecond(), res.Versions, res.GPs)
		})
	}
}

// TestBrokenFlavorsFail is the engine's negative control: every bug of
// internal/broken meant for it ends in FAILURE within its budget, with a
// failure whose guarantee the bug explains (model.Explains), so that a
// FAILURE for an unrelated reason, or a check that stopped working, does
// not pass. Each is also a broken flavor of the registry.
func TestBrokenFlavorsFail(t *testing.T) {
	for _, b := range broken.For(broken.Torture) {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			if f, ok := flavors.Lookup(b.Name); !ok || !f.Broken {
				t.Errorf("the bug %s is not a broken flavor of the registry", b.Name)
			}
			c := tableConfig()
			c.Duration = budget
			c.StopOnFailure = true
			// A broken flavor's premature reuse would also be a data race
			// on the plain payload; under -race that report would fail
			// this test before the engine's verdict could.
			c.Payload = false
			res, report := run(b.Flavor(), c)
			if res.Verdict != torture.Failed {
				t.Fatalf("broken flavor %s ended in %v within %v; reproduce: %s\n%s", b.Name, res.Verdict, budget, res.Command, report)
			}
			if last := lastLine(report); !strings.HasPrefix(last, "End of test: FAILURE: ") {
				t.Fatalf("last line %q", last)
			}
			if !slices.ContainsFunc(res.Failures, func(f torture.Failure) bool { return model.Explains(b.Breaks, f.Rule()) }) {
				t.Fatalf("broken flavor %s (breaks %v) was caught, but by no failure its bug explains: %s; reproduce: %s", b.Name, b.Breaks, failures(res), res.Command)
			}
			t.Logf("caught after %.2fs: %s", res.FirstFailure.Seconds(), failures(res))
		})
	}
}

// run runs f with c and returns the result and the report, which it reads
// only after Run has returned: a plain buffer will do (see Config.Out).
func run(f rcuops.Flavor, c torture.Config) (*torture.Result, string) {
	var out bytes.Buffer
	c.Out = &out
	res := torture.Run(context.Background(), f, c)
	return res, out.String()
}

// failures lists res's failures with the rule each saw broken.
func failures(res *torture.Result) string {
	s := make([]string, len(res.Failures))
	for i, f := range res.Failures {
		s[i] = fmt.Sprintf("%s [%s]", f, f.Rule())
	}
	return strings.Join(s, "; ")
}

func lastLine(report string) string {
	report = strings.TrimRight(report, "\n")
	return report[strings.LastIndex(report, "\n")+1:]
}

// mustSucceed holds a run of a correct flavor to SUCCESS. A run that
// could not judge (INCONCLUSIVE: the machine starved it) is skipped with
// its reasons and the command that reproduces it: it is neither a pass
// nor a failure.
func mustSucceed(t *testing.T, res *torture.Result, report string) {
	t.Helper()
	switch res.Verdict {
	case torture.Success:
	case torture.Inconclusive:
		t.Skipf("the run could not judge (INCONCLUSIVE): %s; reproduce: %s", strings.Join(res.Inconclusive, "; "), res.Command)
	default:
		t.Fatalf("correct flavor ended in %v: %s\nreproduce: %s\n%s", res.Verdict, failures(res), res.Command, report)
	}
}

// TestClassicWaitsForStragglers builds the counter-flip straggler by hand
// through the injection point: a reader samples the index and stalls while
// a whole grace period flips it, then counts itself under what is now the
// inactive index. classic's next grace period must wait for it; busted-flip,
// the same code without the straggler wait, does not.
func TestClassicWaitsForStragglers(t *testing.T) {
	for _, c := range []struct {
		flavor string
		waits  bool
	}{{"classic", true}, {"busted-flip", false}} {
		t.Run(c.flavor, func(t *testing.T) {
			f, ok := flavors.Lookup(c.flavor)
			if !ok {
				t.Fatalf("no flavor %q", c.flavor)
			}
			var armed atomic.Bool
			sampled, proceed := make(chan struct{}), make(chan struct{})
			ops := f.New(rcuops.Env{Inject: func(p rcuops.Point) {
				if p == rcuops.PointReadSampled && armed.CompareAndSwap(true, false) {
					close(sampled)
					<-proceed
				}
			}})
			defer ops.Close()
			r := ops.Reader()
			armed.Store(true)
			inside, release, readerDone := make(chan struct{}), make(chan struct{}), make(chan struct{})
			go func() {
				defer close(readerDone)
				r.Lock() // stalls at read-sampled
				close(inside)
				<-release
				r.Unlock()
			}()
			<-sampled
			ops.Synchronize() // a whole grace period, flip included, between sample and count
			close(proceed)
			<-inside // counted now, under the inactive index

			done := make(chan struct{})
			go func() {
				defer close(done)
				ops.Synchronize()
			}()
			// In progress time (internal/progress), so that neither the
			// correct flavor (which must wait) nor the broken one (which
			// must return) is misjudged on a starved machine.
			clock := progress.Acquire()
			defer progress.Release(clock)
			bound := 200 * time.Millisecond
			if !c.waits {
				bound = 10 * time.Second
			}
			waited := !clock.Within(done, bound)
			close(release)
			<-readerDone
			<-done
			if waited != c.waits {
				t.Fatalf("Synchronize waited for the straggler: %v; want %v", waited, c.waits)
			}
		})
	}
}

func TestRegistry(t *testing.T) {
	names := flavors.Names()
	for _, want := range []string{"rcu", "trivial", "classic"} {
		if f, ok := flavors.Lookup(want); !ok || f.Broken {
			t.Errorf("no correct flavor %q in %v", want, names)
		}
	}
	bugs := broken.For(broken.Torture)
	for _, b := range bugs {
		if f, ok := flavors.Lookup(b.Name); !ok || !f.Broken || f.Doc != b.Doc || f.Tags != b.Tags {
			t.Errorf("the bug %s is not a broken flavor of the registry: %+v", b.Name, f)
		}
	}
	for _, f := range flavors.All() {
		if f.Broken && !slices.ContainsFunc(bugs, func(b broken.Bug) bool { return b.Name == f.Name }) {
			t.Errorf("broken flavor %s is not a bug of internal/broken for the engine", f.Name)
		}
	}
	seenBroken := false
	for _, f := range flavors.All() {
		if f.Doc == "" || f.New == nil {
			t.Errorf("flavor %q lacks a Doc or New", f.Name)
		}
		if seenBroken && !f.Broken {
			t.Errorf("correct flavor %q listed after a broken one", f.Name)
		}
		seenBroken = seenBroken || f.Broken
		if g, ok := flavors.Lookup(f.Name); !ok || g.Name != f.Name {
			t.Errorf("Lookup(%q) = %v, %v", f.Name, g.Name, ok)
		}
	}
	if _, ok := flavors.Lookup("nope"); ok {
		t.Errorf("Lookup of an unknown name succeeded")
	}
	for in, want := range map[string]string{"rcuu": "rcu", "trival": "trivial", "busted-fip": "busted-flip", "zzzzzzzz": ""} {
		if got := flavors.Nearest(in); got != want {
			t.Errorf("Nearest(%q) = %q; want %q", in, got, want)
		}
	}
}

// TestCheckFlagsBrokenFlavorsThroughTheModel runs the bugs meant for the
// history check with it: the model itself must find each one illegal,
// with a rule the bug explains, and write the visualization; a correct
// flavor's history must check.
func TestCheckFlagsBrokenFlavorsThroughTheModel(t *testing.T) {
	bugs := broken.For(broken.History)
	if len(bugs) == 0 {
		t.Fatal("internal/broken has no bug for the history check")
	}
	for _, b := range append([]broken.Bug{{Name: flavors.Reference.Name}}, bugs...) {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			f := flavors.Reference
			if b.New != nil {
				f = b.Flavor()
			}
			cfg := tableConfig()
			cfg.Duration = 1500 * time.Millisecond
			cfg.Stutter = 200 * time.Millisecond
			cfg.FwdProgress = 0
			cfg.Payload = !f.Broken
			dir := t.TempDir()
			cfg.Recorder = torture.NewChecker(linearize.Options{HTML: dir, Timeout: time.Minute})
			res, report := run(f, cfg)
			if !f.Broken {
				mustSucceed(t, res, report)
				if !regexp.MustCompile(`check: ok: [1-9][0-9]* events`).MatchString(report) {
					t.Fatalf("the run passed, but its history check did not check anything:\n%s", report)
				}
				return
			}
			i := slices.IndexFunc(res.Failures, func(f torture.Failure) bool { return f.Kind == torture.KindCheck })
			if i < 0 {
				if len(res.Inconclusive) > 0 { // the check could not decide: it did not judge
					t.Skipf("the history check could not judge (INCONCLUSIVE): %s; reproduce: %s", strings.Join(res.Inconclusive, "; "), res.Command)
				}
				t.Fatalf("the model did not flag %s (breaks %v); failures: %s; reproduce: %s", b.Name, b.Breaks, failures(res), res.Command)
			}
			check := res.Failures[i]
			if check.Check == nil || !model.Explains(b.Breaks, check.Rule()) {
				t.Fatalf("the model flagged %s (breaks %v) with a rule its bug does not explain: %v", b.Name, b.Breaks, check)
			}
			if v := check.Check.Visualization; v == "" || filepath.Dir(v) != dir {
				t.Errorf("no visualization written to %s: %q", dir, v)
			} else if _, err := os.Stat(v); err != nil {
				t.Errorf("the visualization was not written: %v", err)
			}
			t.Log(check)
		})
	}
}

// TestElsewhere: the flavors that need -tags rcuinject are, in the build
// without it, flavors of another build (no New, their Tags); in the build
// with it, every flavor is here.
func TestElsewhere(t *testing.T) {
	injectOnly := []string{"busted-flip-ref", "busted-reg-oneflip"}
	away := flavors.Elsewhere()
	for _, name := range injectOnly {
		_, here := flavors.Lookup(name)
		i := slices.IndexFunc(away, func(f rcuops.Flavor) bool { return f.Name == name })
		switch {
		case impl.InjectTags == "" && (here || i < 0 || away[i].Tags != "rcuinject" || away[i].New != nil || away[i].Doc == ""):
			t.Errorf("without rcuinject: %s here %v; elsewhere %+v", name, here, away)
		case impl.InjectTags != "" && (!here || len(away) != 0):
			t.Errorf("with rcuinject: %s here %v; elsewhere %+v", name, here, away)
		}
	}
	if impl.InjectTags == "" && len(away) != len(injectOnly) {
		t.Errorf("without rcuinject: elsewhere %+v, want %v", away, injectOnly)
	}
}
