package rcutest_test

import (
	"errors"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rcukit/rcukit/internal/broken"
	"github.com/rcukit/rcukit/model"
	"github.com/rcukit/rcukit/rcuops"
	"github.com/rcukit/rcukit/rcutest"
	"github.com/rcukit/rcukit/torture"
	"github.com/rcukit/rcukit/torture/flavors"
)

// failFast are the options of the negative tests.
func failFast(extra ...rcutest.Option) []rcutest.Option {
	return append([]rcutest.Option{
		rcutest.StopOnFailure(),
		rcutest.TortureDuration(2 * time.Second),
		rcutest.HistoryDuration(time.Second),
		// A broken implementation that never ends a wait is caught sooner
		// with less patience; a correct one is not run with these options.
		rcutest.Patience(2 * time.Second),
		// A broken flavor's premature reuse is also a data race on the
		// engine's plain payload; under -race that report would fail the
		// test before the suite could.
		rcutest.TortureConfig(func(c *torture.Config) { c.Payload = false }),
	}, extra...)
}

// bugOptions are the options a bug's base implementation needs.
var bugOptions = map[string][]rcutest.Option{
	// register-noop edits the trivial flavor, whose readers wait behind a
	// grace period that waits for an older reader.
	"register-noop": {rcutest.BlockingReaders()},
	// nest-waits gives up after 1.5 s of progress time: catch it before.
	"nest-waits": {rcutest.Patience(time.Second)},
}

// firstFailure returns rep's only failure under StopOnFailure, having
// checked that every check after it was not run.
func firstFailure(t *testing.T, rep *rcutest.Report) rcutest.Result {
	t.Helper()
	fs := rep.Failures()
	if len(fs) != 1 {
		t.Fatalf("%d failures under StopOnFailure; want 1:\n%s", len(fs), rep)
	}
	i := slices.IndexFunc(rep.Results, func(r rcutest.Result) bool { return r.Status == rcutest.Failed })
	for _, r := range rep.Results[i+1:] {
		if r.Status != rcutest.Skipped || !strings.Contains(r.Message, "not run") {
			t.Errorf("%s after the first failure: %v %q", r.Path(), r.Status, r.Message)
		}
	}
	return fs[0]
}

// TestBrokenImplementationsFail is the kit's negative control: every bug
// of the shared set that the kit must catch fails, at a check that names
// a rule the bug breaks (model.Explains), with a message that starts with
// the rule's property, and an Err that names the check. And every
// guarantee check is the first to catch some bug: none of them is a check
// that cannot fail.
func TestBrokenImplementationsFail(t *testing.T) {
	t.Cleanup(broken.ReleaseStuck)
	var mu sync.Mutex
	caughtBy := map[string]string{} // check path -> bug
	t.Run("bugs", func(t *testing.T) {
		for _, b := range broken.For(broken.Kit) {
			t.Run(b.Name, func(t *testing.T) {
				t.Parallel()
				rep := rcutest.Run(b.Flavor(), failFast(bugOptions[b.Name]...)...)
				got := firstFailure(t, rep)
				if !model.Explains(b.Breaks, got.Rule) {
					t.Fatalf("%s was caught by %s with rule %q, which none of the rules it breaks (%v) explains: %s", b.Name, got.Path(), got.Rule, b.Breaks, got.Message)
				}
				if !strings.HasPrefix(got.Message, got.Rule.Property().String()+": ") {
					t.Errorf("message %q does not begin with the property of its rule %s", got.Message, got.Rule)
				}
				if err := rep.Err(); err == nil || !strings.Contains(err.Error(), got.Path()+": "+got.Message) {
					t.Errorf("Err() = %v; want it to name %s and its message", err, got.Path())
				}
				mu.Lock()
				caughtBy[got.Path()] = b.Name
				mu.Unlock()
				t.Logf("caught by %s (rule %s) after %v: %s", got.Path(), got.Rule, got.Elapsed.Round(time.Millisecond), got.Message)
			})
		}
	})
	rep := rcutest.Run(flavors.Reference, rcutest.Parts(rcutest.Guarantees))
	for _, r := range rep.Results {
		if _, ok := caughtBy[r.Path()]; !ok {
			t.Errorf("no bug of internal/broken shows that %s can fail (caught: %v)", r.Path(), caughtBy)
		}
	}
}

// panicky's Synchronize panics: the check reports the panic.
var panicky = rcuops.Flavor{Name: "panicky", Broken: true, New: func(env rcuops.Env) *rcuops.Ops {
	ops := flavors.Reference.New(env)
	ops.Synchronize = func() { panic("boom") }
	return ops
}}

func TestPanicIsAFailure(t *testing.T) {
	got := firstFailure(t, rcutest.Run(panicky, failFast()...))
	if got.Path() != "guarantees/SynchronizeWaitsForPreexistingReaders" || !strings.HasPrefix(got.Message, "the implementation panicked: boom") {
		t.Fatalf("caught by %s: %q", got.Path(), got.Message)
	}
}

// TestPartsCatchOnTheirOwn: the torture run, the model-checked history and
// the corpus each fail a broken flavor without the guarantee checks, with
// a rule that the bug explains.
func TestPartsCatchOnTheirOwn(t *testing.T) {
	for _, c := range []struct {
		part rcutest.Part
		bug  string
		want []string
	}{
		{rcutest.Torture, "busted-sync", []string{"torture: the run ended in FAILURE", "grace period: ", "seed "}},
		{rcutest.History, "busted-barrier", []string{"history: the run ended in FAILURE", "rule barrier-early"}},
		{rcutest.Corpus, "busted-flip", []string{"schedule ", " broke rule "}},
	} {
		t.Run(string(c.part), func(t *testing.T) {
			t.Parallel()
			b, ok := broken.Lookup(c.bug)
			if !ok {
				t.Fatalf("no bug %q", c.bug)
			}
			html := t.TempDir()
			rep := rcutest.Run(b.Flavor(), failFast(rcutest.Parts(c.part), rcutest.HistoryHTML(html))...)
			got := firstFailure(t, rep)
			if got.Part != c.part || !model.Explains(b.Breaks, got.Rule) {
				t.Fatalf("failed at %s with rule %q; want the %s part, with a rule of %v:\n%s", got.Path(), got.Rule, c.part, b.Breaks, rep)
			}
			want := c.want
			if c.part == rcutest.History {
				want = append(want, "visualization: "+html+"/") // porcupine's page of the illegal history
			}
			for _, w := range want {
				if !strings.Contains(got.Message, w) {
					t.Errorf("message %q lacks %q", got.Message, w)
				}
			}
			if got.Reproduce == "" {
				t.Errorf("no reproduce command for a failure of the %s part", c.part)
			}
		})
	}
}

// needs are the options each correct flavor of torture/flavors needs.
var needs = map[string][]rcutest.Option{
	// trivial's readers are sync.RWMutex readers: they wait behind a
	// grace period that waits for an older reader.
	"trivial": {rcutest.BlockingReaders()},
}

// TestCorrectFlavorsPass runs the whole suite, with its default
// durations, on every correct flavor. A check that could not judge
// (Inconclusive) is a skip under rcutest.Test, never a failure.
func TestCorrectFlavorsPass(t *testing.T) {
	for _, f := range flavors.All() {
		if f.Broken {
			continue
		}
		t.Run(f.Name, func(t *testing.T) {
			t.Parallel()
			rcutest.Test(t, f, needs[f.Name]...)
		})
	}
}

// TestSynctest runs the guarantee checks of the reference in synctest
// bubbles, where their waits cost no wall-clock time.
func TestSynctest(t *testing.T) {
	rcutest.Test(t, flavors.Reference, rcutest.Parts(rcutest.Guarantees), rcutest.Synctest())
}

// TestTestReportsFailures runs rcutest.Test on a broken flavor in a child
// process and reads its verdict: the failing check is a failed subtest
// with the message and a reproduce command, the checks after it are
// skipped; and the reproduce command, run as printed (with the child's
// environment), fails that check alone again.
func TestTestReportsFailures(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go test in a child process")
	}
	const failed = "TestHelperBrokenFlavor/guarantees/SynchronizeWaitsForNestedReaders"
	out, err := helper(exec.Command(os.Args[0], "-test.run=^TestHelperBrokenFlavor$", "-test.v", "-test.count=1"))
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		t.Fatalf("the child passed or did not run (%v):\n%s", err, out)
	}
	for _, want := range []string{
		"--- PASS: TestHelperBrokenFlavor/guarantees/SynchronizeWaitsForPreexistingReaders",
		"--- FAIL: " + failed,
		"grace period: Synchronize returned while the outer section of a nest was still open",
		"--- SKIP: TestHelperBrokenFlavor/guarantees/ReadersNeverWaitForGracePeriods",
		"not run: an earlier check failed (StopOnFailure)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the child's output lacks %q:\n%s", want, out)
		}
	}
	_, cmd, ok := strings.Cut(out, "reproduce: ")
	cmd, _, _ = strings.Cut(cmd, " (in the test's package directory)")
	if !ok || !strings.HasPrefix(cmd, "go test ") {
		t.Fatalf("no reproduce command in:\n%s", out)
	}
	out, err = helper(exec.Command("sh", "-c", cmd+" -v"))
	if !errors.As(err, &exit) || !strings.Contains(out, "--- FAIL: "+failed) || strings.Contains(out, "--- PASS: TestHelperBrokenFlavor/guarantees/SynchronizeWaitsForPreexistingReaders") {
		t.Fatalf("the reproduce command %q did not fail that check alone (%v):\n%s", cmd, err, out)
	}
}

// helper runs cmd with the environment that makes TestHelperBrokenFlavor
// run.
func helper(cmd *exec.Cmd, env ...string) (string, error) {
	cmd.Env = append(os.Environ(), "RCUTEST_HELPER=busted-nest")
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestHelperBrokenFlavor(t *testing.T) {
	name := os.Getenv("RCUTEST_HELPER")
	if name == "" {
		t.Skip("the child process of TestTestReportsFailures and TestTestKeepsVisualizations")
	}
	b, _ := broken.Lookup(name)
	part := rcutest.Guarantees
	if p := os.Getenv("RCUTEST_HELPER_PART"); p != "" {
		part = rcutest.Part(p)
	}
	rcutest.Test(t, b.Flavor(), rcutest.Parts(part), rcutest.StopOnFailure())
}

// TestTestKeepsVisualizations runs the History part of rcutest.Test on a
// broken flavor in a child process: porcupine's visualization goes to the
// test's artifact directory, the failure says how to keep it, and with
// -artifacts the file is there after the test has ended.
func TestTestKeepsVisualizations(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go test in a child process")
	}
	env := []string{"RCUTEST_HELPER=busted-barrier", "RCUTEST_HELPER_PART=" + string(rcutest.History)}
	args := []string{"-test.run=^TestHelperBrokenFlavor$", "-test.v", "-test.count=1"}
	out, err := helper(exec.Command(os.Args[0], args...), env...)
	if !strings.Contains(out, "--- FAIL: TestHelperBrokenFlavor/history") || err == nil {
		t.Fatalf("the History part did not fail the broken flavor (%v):\n%s", err, out)
	}
	if !strings.Contains(out, "run go test with -artifacts to keep it") {
		t.Errorf("the failure does not say how to keep the visualization:\n%s", out)
	}
	dir := t.TempDir()
	out, _ = helper(exec.Command(os.Args[0], append(args, "-test.artifacts", "-test.outputdir="+dir)...), env...)
	_, path, ok := strings.Cut(out, "visualization: ")
	path, _, _ = strings.Cut(path, ";")
	path = strings.TrimSpace(strings.Fields(path + " ")[0])
	if !ok || !strings.HasPrefix(path, dir) {
		t.Fatalf("with -artifacts, no visualization under %s:\n%s", dir, out)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("with -artifacts, the visualization is gone after the test: %v", err)
	}
	if strings.Contains(out, "run go test with -artifacts to keep it") {
		t.Errorf("with -artifacts, the failure still says how to keep the visualization:\n%s", out)
	}
}

func TestMisusePanics(t *testing.T) {
	rcu := flavors.Reference
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
		{"Test without t", func() { rcutest.Test(nil, rcu) }, "rcutest: Test needs a *testing.T"},
		{"empty flavor", func() { rcutest.Run(rcuops.Flavor{}) }, "rcutest: a Flavor needs a Name and a New function"},
		{"nil ops", func() {
			rcutest.Run(rcuops.Flavor{Name: "nil", New: func(rcuops.Env) *rcuops.Ops { return nil }})
		}, `rcutest: flavor "nil": its New returned nil Ops`},
		{"no Reader", func() { rcutest.Run(with(func(o *rcuops.Ops) { o.Reader = nil })) }, `rcutest: flavor "edited": Ops.Reader is required`},
		{"no Synchronize", func() { rcutest.Run(with(func(o *rcuops.Ops) { o.Synchronize = nil })) }, `rcutest: flavor "edited": Ops.Synchronize is required`},
		{"Barrier without Call", func() { rcutest.Run(with(func(o *rcuops.Ops) { o.Call = nil })) }, `rcutest: flavor "edited": Ops.Barrier needs Ops.Call`},
		{"Poll without Snapshot", func() { rcutest.Run(with(func(o *rcuops.Ops) { o.Snapshot = nil })) }, `rcutest: flavor "edited": Ops.Snapshot and Ops.Poll come together`},
		{"repeated point", func() {
			rcutest.Run(with(func(o *rcuops.Ops) { o.Injection = []rcuops.Point{"a", "a"} }))
		}, `rcutest: flavor "edited": injection point "a" is empty or repeated`},
		{"no parts", func() { rcutest.Parts() }, "rcutest: Parts needs at least one part"},
		{"unknown part", func() { rcutest.Parts("everything") }, `rcutest: unknown part "everything"`},
		{"zero torture", func() { rcutest.TortureDuration(0) }, "rcutest: TortureDuration must be positive"},
		{"negative history", func() { rcutest.HistoryDuration(-time.Second) }, "rcutest: HistoryDuration must be positive"},
		{"zero patience", func() { rcutest.Patience(0) }, "rcutest: Patience must be positive"},
		{"nil edit", func() { rcutest.TortureConfig(nil) }, "rcutest: TortureConfig needs an edit function"},
		{"no html dir", func() { rcutest.HistoryHTML("") }, "rcutest: HistoryHTML needs a directory"},
		{"nil option", func() { rcutest.Run(rcu, nil) }, "rcutest: nil Option"},
		{"Synctest without Test", func() { rcutest.Run(rcu, rcutest.Synctest()) }, "rcutest: Synctest needs Test"},
		{"bad config", func() {
			rcutest.Run(rcu, rcutest.TortureConfig(func(c *torture.Config) { c.Readers = 0 }))
		}, "rcutest: TortureConfig: torture: Config.Readers (-readers) is 0; it must be at least 1"},
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
	for s, want := range map[rcutest.Status]string{
		rcutest.Passed: "PASS", rcutest.Failed: "FAIL", rcutest.Skipped: "SKIP",
		rcutest.Inconclusive: "INCONCLUSIVE", 0: "Status(0)",
	} {
		if got := s.String(); got != want {
			t.Errorf("Status(%d).String() = %q; want %q", int(s), got, want)
		}
	}

	ok := rcutest.Run(flavors.Reference, rcutest.Parts(rcutest.Corpus))
	if err := ok.Err(); err != nil || len(ok.Results) == 0 {
		t.Fatalf("corpus on rcu: %v\n%s", err, ok)
	}
	for _, r := range ok.Results {
		if r.Part != rcutest.Corpus || r.Status != rcutest.Passed || r.Path() != "corpus/"+r.Name {
			t.Errorf("result %+v", r)
		}
	}

	b, _ := broken.Lookup("busted-sync")
	bad := rcutest.Run(b.Flavor(), rcutest.Parts(rcutest.Guarantees, rcutest.Torture), rcutest.StopOnFailure())
	n := len(bad.Results)
	err := bad.Err()
	if err == nil {
		t.Fatal("Err() is nil for a failed suite")
	}
	for _, want := range []string{
		"rcutest: flavor busted-sync failed 1 of ",
		"\n  guarantees/SynchronizeWaitsForPreexistingReaders: grace period: Synchronize returned while a reader",
		"\n    reproduce: rcutest.Run(flavor, the same options..., rcutest.Parts(rcutest.Guarantees)), and look for SynchronizeWaitsForPreexistingReaders",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Err() = %q; lacks %q", err, want)
		}
	}
	undecided := &rcutest.Report{Flavor: "x", Results: []rcutest.Result{
		{Part: rcutest.Guarantees, Name: "BarrierWaitsForEarlierCallbacks", Status: rcutest.Passed},
		{Part: rcutest.History, Name: string(rcutest.History), Status: rcutest.Inconclusive, Message: "the model check could not decide: timeout"},
	}}
	if err := undecided.Err(); err == nil || !strings.Contains(err.Error(), "could not decide 1 of 2 checks (not a pass):\n  history: inconclusive: the model check could not decide") {
		t.Errorf("Err() of a report with an inconclusive check = %v; want an error naming it", err)
	}
	s := bad.String()
	for _, want := range []string{
		"rcutest: flavor busted-sync\n",
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
