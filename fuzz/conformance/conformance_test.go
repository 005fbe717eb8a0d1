package conformance_test

import (
	"errors"
	"github.com/rcukit/rcukit/rcuops"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rcukit/rcukit/fuzz/conformance"
	"github.com/rcukit/rcukit/torture"
	"github.com/rcukit/rcukit/torture/flavors"
)

// The tests run in three groups, one after another: the negative tests
// (each stops at its first failure, so they are short and light), then
// the correct flavors (full suites, with torture runs that load the
// machine). Within a group, flavors run in parallel.

// failFast are the options of the negative tests.
func failFast(extra ...conformance.Option) []conformance.Option {
	return append([]conformance.Option{
		conformance.StopOnFailure(),
		conformance.TortureDuration(2 * time.Second),
		conformance.HistoryDuration(time.Second),
		// A broken flavor's premature reuse is also a data race on the
		// engine's plain payload; under -race that report would fail the
		// test before the suite could.
		conformance.TortureConfig(func(c *torture.Config) { c.Payload = false }),
	}, extra...)
}

// caught says which check must catch a broken implementation first, and
// how its message begins.
type caught struct {
	check  string // the result's Path
	prefix string // the guarantee, and how it broke
	also   string // more the message must say, if not empty
}

// caughtBy is the table of the broken flavors of torture/flavors.
var caughtBy = map[string]caught{
	"busted-sync":     {"guarantees/SynchronizeWaitsForPreexistingReaders", "grace period: Synchronize returned while a reader that began before it was still inside", ""},
	"busted-nest":     {"guarantees/SynchronizeWaitsForNestedReaders", "grace period: Synchronize returned while the outer section of a nest was still open", ""},
	"busted-flip":     {"guarantees/SynchronizeWaitsForStragglers", "grace period: Synchronize returned while a straggler was inside", ""},
	"busted-flip-ref": {"guarantees/SynchronizeWaitsForStragglers", "grace period: Synchronize returned while a straggler was inside", ""},
	"busted-call":     {"guarantees/CallbackRunsAfterGracePeriod", "callbacks: a callback ran while a reader that began before its Call was still inside", ""},
	"busted-barrier":  {"guarantees/BarrierWaitsForEarlierCallbacks", "barrier: Barrier returned with 0 of the 100 callbacks queued before it run", ""},
	"busted-poll":     {"guarantees/PollNeverCompletesBeforeEarlierReadersEnd", "polling: Poll reported a cookie complete while a reader that was inside when the cookie was taken was still inside", ""},
	"busted-publish":  {"guarantees/PublishInitializesBeforeStore", "publication: a reader found the object uninitialized", ""},
}

// assertCaught checks that rep failed exactly at want, and that every
// check after it was not run.
func assertCaught(t *testing.T, rep *conformance.Report, want caught) {
	t.Helper()
	fs := rep.Failures()
	if len(fs) == 0 {
		t.Fatalf("the suite passed a broken implementation:\n%s", rep)
	}
	if len(fs) != 1 {
		t.Fatalf("%d failures under StopOnFailure:\n%s", len(fs), rep)
	}
	got := fs[0]
	if got.Path() != want.check || !strings.HasPrefix(got.Message, want.prefix) || !strings.Contains(got.Message, want.also) {
		t.Fatalf("caught by %s: %q\nwant %s: %q...\n%s", got.Path(), got.Message, want.check, want.prefix, rep)
	}
	err := rep.Err()
	if err == nil || !strings.Contains(err.Error(), want.check+": "+want.prefix) {
		t.Fatalf("Err() = %v; want it to name %s and its message", err, want.check)
	}
	i := slices.IndexFunc(rep.Results, func(r conformance.Result) bool { return r.Status == conformance.Failed })
	for _, r := range rep.Results[i+1:] {
		if r.Status != conformance.Skipped || !strings.Contains(r.Message, "not run") {
			t.Errorf("%s after the first failure: %v %q", r.Path(), r.Status, r.Message)
		}
	}
	t.Logf("caught by %s after %v: %s", got.Path(), got.Elapsed.Round(time.Millisecond), got.Message)
}

// TestBrokenFlavorsFail is the table test: every broken flavor of
// torture/flavors fails, first at the check of the guarantee it breaks.
func TestBrokenFlavorsFail(t *testing.T) {
	for _, f := range flavors.All() {
		if !f.Broken {
			continue
		}
		want, ok := caughtBy[f.Name]
		if !ok {
			t.Errorf("broken flavor %s has no row in caughtBy", f.Name)
			continue
		}
		t.Run(f.Name, func(t *testing.T) {
			t.Parallel()
			assertCaught(t, conformance.Run(f, failFast()...), want)
		})
	}
}

// The broken doubles of broken_test.go, for the checks that no broken
// flavor reaches first.
var doubles = []struct {
	f    rcuops.Flavor
	opts []conformance.Option
	want caught
}{
	{flagReaders, nil, caught{"guarantees/SynchronizeWaitsForReadersOnEveryGoroutine", "grace period: Synchronize returned while ", "of 4 readers that began before it, each on its own goroutine, were still inside"}},
	{waitsForAll, []conformance.Option{conformance.Patience(2 * time.Second)}, caught{"guarantees/SynchronizeIsNotHeldUpByLaterReaders", "progress: Synchronize did not return within 2s after the reader it waited for ended, while", ""}},
	{lookup("trivial"), []conformance.Option{conformance.Patience(2 * time.Second)}, caught{"guarantees/ReadersNeverWaitForGracePeriods", "readers: read sections on another goroutine waited for a grace period", ""}},
	{nestWaits, []conformance.Option{conformance.Patience(time.Second)}, caught{"guarantees/NestedReadersNeverWaitForGracePeriods", "readers: a nested section waited for a grace period that was waiting for its own outer section", ""}},
	{gpsFrozen, nil, caught{"guarantees/GracePeriodCounterAdvances", "grace-period counter: GPs stayed at 7 across whole Synchronize number 1", ""}},
	{syncUnshared, nil, caught{"guarantees/ConcurrentSynchronizeSharesGracePeriods", "progress: 64 concurrent Synchronize calls, all waiting for one reader, took", ""}},
	{expeditedNoWait, nil, caught{"guarantees/SynchronizeExpeditedWaitsForPreexistingReaders", "grace period: SynchronizeExpedited returned while a reader that began before it was still inside", ""}},
	{expeditedUnshared, nil, caught{"guarantees/ConcurrentSynchronizeExpeditedSharesGracePeriods", "progress: 64 concurrent SynchronizeExpedited calls, all waiting for one reader, took", ""}},
	{callTwice, nil, caught{"guarantees/CallbacksRunExactlyOnce", "callbacks: callback ", "of 1100 ran 2 times; each must run exactly once"}},
	{callLost, []conformance.Option{conformance.Patience(2 * time.Second)}, caught{"guarantees/CallbacksRunExactlyOnce", "callbacks: ", "of 1100 callbacks had not run 2s later: lost callbacks"}},
	{pollNever, nil, caught{"guarantees/PollCompletesAfterFullGracePeriod", "polling: Poll denied completion of a cookie taken before a whole Synchronize", ""}},
	{pollInFlight, nil, caught{"guarantees/PollNeverCompletesBeforeEarlierReadersEnd", "polling: Poll reported a cookie complete while a reader that was inside when the cookie was taken was still inside (a grace period that began before the cookie had ended", ""}},
	{registerNoop, []conformance.Option{conformance.BlockingReaders()}, caught{"guarantees/SynchronizeWaitsForRegisteredReaders", "registered readers: Synchronize returned while a registered reader that began before it was still inside", ""}},
	{gpsBackward, nil, caught{"guarantees/GracePeriodCounterAdvances", "grace-period counter: GPs went back from ", ""}},
	{publishInitTwice, nil, caught{"guarantees/PublishInitializesBeforeStore", "publication: Publish called init 2 times and store 1 times; want once each", ""}},
	{syncStuck, []conformance.Option{conformance.Patience(time.Second)}, caught{"guarantees/SynchronizeWaitsForPreexistingReaders", "progress: Synchronize did not return within 1s after the reader it waited for ended", ""}},
	{panicky, nil, caught{"guarantees/SynchronizeWaitsForPreexistingReaders", "the implementation panicked: boom", ""}},
}

// panicky's Synchronize panics: the check reports the panic.
var panicky = wrap("panicky", "rcu", "Synchronize panics", func(ops *rcuops.Ops) {
	ops.Synchronize = func() { panic("boom") }
})

func lookup(name string) rcuops.Flavor {
	f, ok := flavors.Lookup(name)
	if !ok {
		panic("no flavor " + name)
	}
	return f
}

// TestChecksCatchBrokenDoubles shows that the checks no broken flavor
// reaches can fail too.
func TestChecksCatchBrokenDoubles(t *testing.T) {
	t.Cleanup(releaseStuck)
	for _, d := range doubles {
		t.Run(d.f.Name, func(t *testing.T) {
			t.Parallel()
			assertCaught(t, conformance.Run(d.f, failFast(d.opts...)...), d.want)
		})
	}
}

// TestEveryGuaranteeCheckCanFail: each guarantee check is the first to
// catch some broken flavor or double above.
func TestEveryGuaranteeCheckCanFail(t *testing.T) {
	covered := map[string]bool{}
	for _, c := range caughtBy {
		covered[c.check] = true
	}
	for _, d := range doubles {
		covered[d.want.check] = true
	}
	rep := conformance.Run(lookup("busted-sync"), conformance.Parts(conformance.Guarantees), conformance.StopOnFailure())
	if len(rep.Results) < 15 {
		t.Fatalf("only %d guarantee checks:\n%s", len(rep.Results), rep)
	}
	for _, r := range rep.Results {
		if !covered[r.Path()] {
			t.Errorf("no broken implementation shows that %s can fail", r.Path())
		}
	}
}

// TestPartsCatchOnTheirOwn: the torture run, the model-checked history and
// the corpus each fail a broken flavor without the guarantee checks.
func TestPartsCatchOnTheirOwn(t *testing.T) {
	for _, c := range []struct {
		part   conformance.Part
		flavor string
		check  string
		want   []string
	}{
		{conformance.Torture, "busted-sync", "torture", []string{"torture: the run ended in FAILURE", "grace period: ", "seed "}},
		{conformance.History, "busted-barrier", "history", []string{"history: the run ended in FAILURE", "model: check", "rule barrier-early"}},
		// Which schedule catches it first depends on the corpus and, for
		// some schedules, on the interleaving.
		{conformance.Corpus, "busted-flip", "corpus/", []string{"model: schedule ", " broke rule "}},
	} {
		t.Run(string(c.part), func(t *testing.T) {
			t.Parallel()
			html := t.TempDir()
			rep := conformance.Run(lookup(c.flavor), failFast(conformance.Parts(c.part), conformance.HistoryHTML(html))...)
			i := slices.IndexFunc(rep.Results, func(r conformance.Result) bool { return r.Status == conformance.Failed })
			if i < 0 {
				t.Fatalf("the %s part passed %s:\n%s", c.part, c.flavor, rep)
			}
			r := rep.Results[i]
			if r.Part != c.part || !strings.HasPrefix(r.Path(), c.check) {
				t.Fatalf("failed at %s; want %s:\n%s", r.Path(), c.check, rep)
			}
			want := c.want
			if c.part == conformance.History {
				want = append(want, "visualization: "+html+"/") // porcupine's page of the illegal history
			}
			for _, w := range want {
				if !strings.Contains(r.Message, w) {
					t.Errorf("message %q lacks %q", r.Message, w)
				}
			}
			t.Log(r.Message)
		})
	}
}

// needs are the options each correct flavor of torture/flavors needs.
var needs = map[string][]conformance.Option{
	// trivial's readers are sync.RWMutex readers: they wait behind a
	// grace period that waits for an older reader.
	"trivial": {conformance.BlockingReaders()},
}

// TestCorrectFlavorsPass runs the whole suite, with its default
// durations, on every correct flavor. A check that could not judge
// (Inconclusive) is a skip under conformance.Test, never a failure.
func TestCorrectFlavorsPass(t *testing.T) {
	for _, f := range flavors.All() {
		if f.Broken {
			continue
		}
		t.Run(f.Name, func(t *testing.T) {
			t.Parallel()
			conformance.Test(t, f, needs[f.Name]...)
		})
	}
}

// TestTestReportsFailures runs conformance.Test on a broken flavor in a
// child process and reads its verdict: the failing check is a failed
// subtest with the message, the checks after it are skipped.
func TestTestReportsFailures(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperBrokenFlavor$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), "CONFORMANCE_HELPER=busted-nest")
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		t.Fatalf("the child passed or did not run (%v):\n%s", err, out)
	}
	for _, want := range []string{
		"--- PASS: TestHelperBrokenFlavor/guarantees/SynchronizeWaitsForPreexistingReaders",
		"--- FAIL: TestHelperBrokenFlavor/guarantees/SynchronizeWaitsForNestedReaders",
		"grace period: Synchronize returned while the outer section of a nest was still open",
		"--- SKIP: TestHelperBrokenFlavor/guarantees/ReadersNeverWaitForGracePeriods",
		"not run: an earlier check failed (StopOnFailure)",
		"--- FAIL: TestHelperBrokenFlavor/guarantees ",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the child's output lacks %q:\n%s", want, out)
		}
	}
}

func TestHelperBrokenFlavor(t *testing.T) {
	name := os.Getenv("CONFORMANCE_HELPER")
	if name == "" {
		t.Skip("the child process of TestTestReportsFailures")
	}
	conformance.Test(t, lookup(name), conformance.Parts(conformance.Guarantees), conformance.StopOnFailure())
}

func TestMisusePanics(t *testing.T) {
	rcu := lookup("rcu")
	with := func(edit func(*rcuops.Ops)) rcuops.Flavor {
		return rcuops.Flavor{Name: "edited", New: func(env rcuops.Env) *rcuops.Ops {
			ops := rcu.New(env)
			edit(ops)
			return ops
		}}
	}
	for _, c := range []struct {
		name string
		f    func()
		want string
	}{
		{"Test without t", func() { conformance.Test(nil, rcu) }, "conformance: Test needs a *testing.T"},
		{"empty flavor", func() { conformance.Run(rcuops.Flavor{}) }, "conformance: a Flavor needs a Name and a New function"},
		{"nil ops", func() {
			conformance.Run(rcuops.Flavor{Name: "nil", New: func(rcuops.Env) *rcuops.Ops { return nil }})
		}, `conformance: flavor "nil": its New returned nil Ops`},
		{"no Reader", func() { conformance.Run(with(func(o *rcuops.Ops) { o.Reader = nil })) }, `conformance: flavor "edited": Ops.Reader is required`},
		{"no Synchronize", func() { conformance.Run(with(func(o *rcuops.Ops) { o.Synchronize = nil })) }, `conformance: flavor "edited": Ops.Synchronize is required`},
		{"Barrier without Call", func() { conformance.Run(with(func(o *rcuops.Ops) { o.Call = nil })) }, `conformance: flavor "edited": Ops.Barrier needs Ops.Call`},
		{"Poll without Snapshot", func() { conformance.Run(with(func(o *rcuops.Ops) { o.Snapshot = nil })) }, `conformance: flavor "edited": Ops.Snapshot and Ops.Poll come together`},
		{"repeated point", func() {
			conformance.Run(with(func(o *rcuops.Ops) { o.Injection = []rcuops.Point{"a", "a"} }))
		}, `conformance: flavor "edited": injection point "a" is empty or repeated`},
		{"no parts", func() { conformance.Parts() }, "conformance: Parts needs at least one part"},
		{"unknown part", func() { conformance.Parts("everything") }, `conformance: unknown part "everything"`},
		{"zero torture", func() { conformance.TortureDuration(0) }, "conformance: TortureDuration must be positive"},
		{"negative history", func() { conformance.HistoryDuration(-time.Second) }, "conformance: HistoryDuration must be positive"},
		{"zero patience", func() { conformance.Patience(0) }, "conformance: Patience must be positive"},
		{"nil edit", func() { conformance.TortureConfig(nil) }, "conformance: TortureConfig needs an edit function"},
		{"no html dir", func() { conformance.HistoryHTML("") }, "conformance: HistoryHTML needs a directory"},
		{"nil option", func() { conformance.Run(rcu, nil) }, "conformance: nil Option"},
		{"bad config", func() {
			conformance.Run(rcu, conformance.TortureConfig(func(c *torture.Config) { c.Readers = 0 }))
		}, "conformance: TortureConfig: torture: Config.Readers is 0"},
	} {
		t.Run(c.name, func(t *testing.T) {
			defer func() {
				msg, _ := recover().(string)
				if !strings.HasPrefix(msg, c.want) {
					t.Errorf("panic %q; want %q...", msg, c.want)
				}
			}()
			c.f()
		})
	}
}

func TestReport(t *testing.T) {
	for s, want := range map[conformance.Status]string{
		conformance.Passed: "PASS", conformance.Failed: "FAIL", conformance.Skipped: "SKIP",
		conformance.Inconclusive: "INCONCLUSIVE", 0: "Status(0)",
	} {
		if got := s.String(); got != want {
			t.Errorf("Status(%d).String() = %q; want %q", int(s), got, want)
		}
	}

	ok := conformance.Run(lookup("rcu"), conformance.Parts(conformance.Corpus))
	if err := ok.Err(); err != nil || len(ok.Results) == 0 {
		t.Fatalf("corpus on rcu: %v\n%s", err, ok)
	}
	for _, r := range ok.Results {
		if r.Part != conformance.Corpus || r.Status != conformance.Passed || r.Path() != "corpus/"+r.Name {
			t.Errorf("result %+v", r)
		}
	}

	bad := conformance.Run(lookup("busted-sync"), conformance.Parts(conformance.Guarantees, conformance.Torture), conformance.StopOnFailure())
	n := len(bad.Results)
	err := bad.Err()
	if err == nil {
		t.Fatal("Err() is nil for a failed suite")
	}
	for _, want := range []string{
		"conformance: flavor busted-sync failed 1 of ",
		"\n  guarantees/SynchronizeWaitsForPreexistingReaders: grace period: Synchronize returned while a reader",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Err() = %q; lacks %q", err, want)
		}
	}
	undecided := &conformance.Report{Flavor: "x", Results: []conformance.Result{
		{Part: conformance.Guarantees, Name: "BarrierWaitsForEarlierCallbacks", Status: conformance.Passed},
		{Part: conformance.History, Name: string(conformance.History), Status: conformance.Inconclusive, Message: "the model check could not decide: timeout"},
	}}
	if err := undecided.Err(); err == nil || !strings.Contains(err.Error(), "could not decide 1 of 2 checks (not a pass):\n  history: inconclusive: the model check could not decide") {
		t.Errorf("Err() of a report with an inconclusive check = %v; want an error naming it", err)
	}
	s := bad.String()
	for _, want := range []string{
		"conformance: flavor busted-sync\n",
		"FAIL guarantees/SynchronizeWaitsForPreexistingReaders (",
		"SKIP torture (0s): not run: an earlier check failed (StopOnFailure)\n",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("String() lacks %q:\n%s", want, s)
		}
	}
	if strings.Count(s, "\n") != n+1 || bad.Results[n-1].Path() != "torture" {
		t.Errorf("String() should list the %d checks, the torture run last:\n%s", n, s)
	}
}
