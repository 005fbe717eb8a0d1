package flavors_test

import (
	"bytes"
	"context"
	"github.com/rcukit/rcukit/rcuops"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rcukit/rcukit/internal/progress"
	"github.com/rcukit/rcukit/linearize"
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

// caughtBy names, for each broken flavor, the engine's checks that its bug
// can trip; at least one of them must be among the run's failures, so
// that a FAILURE for an unrelated reason, or a check that stopped
// working, does not pass.
var caughtBy = map[string][]string{
	"busted-sync":     {"pipe", "sync-gp", "freed", "reused"},
	"busted-call":     {"callback-gp", "pipe", "freed", "reused"},
	"busted-barrier":  {"barrier"},
	"busted-poll":     {"poll-in-reader", "poll-gp", "pipe", "freed", "reused"},
	"busted-publish":  {"uninitialized"},
	"busted-nest":     {"pipe", "poll-in-reader", "sync-gp", "callback-gp", "freed", "reused"},
	"busted-flip":     {"poll-in-reader", "pipe", "sync-gp", "callback-gp", "poll-gp", "freed", "reused"},
	"busted-flip-ref": {"poll-in-reader", "pipe", "sync-gp", "callback-gp", "poll-gp", "freed", "reused"},
}

// TestFlavors is the table test: every broken flavor ends in FAILURE
// within its budget, caught by a check its bug explains, and every
// correct flavor ends in SUCCESS.
func TestFlavors(t *testing.T) {
	for _, f := range flavors.All() {
		t.Run(f.Name, func(t *testing.T) {
			t.Parallel()
			c := tableConfig()
			if f.Broken {
				c.Duration = budget
				c.StopOnFailure = true
				// A broken flavor's premature reuse would also be a data
				// race on the plain payload; under -race that report would
				// fail this test before the engine's verdict could.
				c.Payload = false
			} else {
				c.Duration = 4 * time.Second
			}
			var out lockedBuffer
			c.Out = &out
			res := torture.Run(context.Background(), f, c)
			report := out.String()
			last := report[strings.LastIndex(strings.TrimRight(report, "\n"), "\n")+1:]
			switch {
			case f.Broken && res.Verdict != torture.Failure:
				t.Fatalf("broken flavor %s ended in %v within %v; reproduce: %s\n%s", f.Name, res.Verdict, budget, res.Command, report)
			case f.Broken:
				if !strings.HasPrefix(last, "End of test: FAILURE: ") {
					t.Fatalf("last line %q", last)
				}
				want, ok := caughtBy[f.Name]
				if !ok {
					t.Fatalf("broken flavor %s has no entry in caughtBy: add the checks its bug trips", f.Name)
				}
				if !slices.ContainsFunc(res.Reasons, func(r string) bool {
					kind, _, _ := strings.Cut(r, ":") // "barrier x2: ..."
					kind, _, _ = strings.Cut(kind, " ")
					return slices.Contains(want, kind)
				}) {
					t.Fatalf("broken flavor %s was caught, but by none of %v: %v; reproduce: %s", f.Name, want, res.Reasons, res.Command)
				}
				t.Logf("caught after %.2fs: %s", res.FirstFailure.Seconds(), strings.Join(res.Reasons, "; "))
			default:
				mustSucceed(t, res, report)
				if last != "End of test: SUCCESS\n" {
					t.Fatalf("last line %q", last)
				}
				t.Logf("%d reads (%.0f/s), %d versions, %d grace periods", res.Reads, res.ReadsPerSecond(), res.Versions, res.GPs)
			}
		})
	}
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
		t.Fatalf("correct flavor ended in %v: %v\nreproduce: %s\n%s", res.Verdict, res.Reasons, res.Command, report)
	}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
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
				if p == "read-sampled" && armed.CompareAndSwap(true, false) {
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
	for _, want := range []string{"rcu", "trivial", "classic", "busted-sync", "busted-call", "busted-flip", "busted-nest", "busted-barrier", "busted-publish", "busted-poll"} {
		if !slices.Contains(names, want) {
			t.Errorf("no flavor %q in %v", want, names)
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

// TestCheckFlagsBrokenFlavorsThroughTheModel runs broken flavors with the
// history checker: the model itself must find each one illegal, naming the
// rule, and write the visualization; a correct flavor's history must check.
func TestCheckFlagsBrokenFlavorsThroughTheModel(t *testing.T) {
	// The rules each bug can break first: an early grace period also lets
	// an element be reclaimed under a reader.
	reclaim := []string{"reclaim-while-held", "read-reclaimed"}
	for _, c := range []struct {
		flavor string
		rules  []string
	}{
		{"busted-sync", append([]string{"sync-early"}, reclaim...)},
		{"busted-call", append([]string{"callback-early"}, reclaim...)},
		{"busted-barrier", []string{"barrier-early"}},
		{"busted-publish", []string{"read-half-initialized"}},
		{"busted-poll", append([]string{"poll-early"}, reclaim...)},
		{"rcu", nil},
	} {
		t.Run(c.flavor, func(t *testing.T) {
			t.Parallel()
			f, _ := flavors.Lookup(c.flavor)
			cfg := tableConfig()
			cfg.Duration = 1500 * time.Millisecond
			cfg.Stutter = 200 * time.Millisecond
			cfg.FwdProgress = 0
			cfg.Payload = !f.Broken
			dir := t.TempDir()
			cfg.Recorder = torture.NewChecker(linearize.Options{HTML: dir, Timeout: time.Minute})
			var out lockedBuffer
			cfg.Out = &out
			res := torture.Run(context.Background(), f, cfg)
			if c.rules == nil {
				mustSucceed(t, res, out.String())
				if !regexp.MustCompile(`check: ok: [1-9][0-9]* events`).MatchString(out.String()) {
					t.Fatalf("the run passed, but its history check did not check anything:\n%s", out.String())
				}
				return
			}
			var check string
			for _, r := range res.Reasons {
				if strings.HasPrefix(r, "check ") {
					check = r
				}
			}
			if !slices.ContainsFunc(c.rules, func(r string) bool { return strings.Contains(check, "rule "+r+" ") }) {
				t.Fatalf("the model did not flag any of the rules %v; reasons %v", c.rules, res.Reasons)
			}
			if html, _ := filepath.Glob(filepath.Join(dir, "*.html")); len(html) == 0 || !strings.Contains(check, html[0]) {
				t.Errorf("no visualization named in %q (files %v)", check, html)
			}
			t.Log(check)
		})
	}
}
