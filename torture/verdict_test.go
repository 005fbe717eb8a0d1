package torture_test

// The three verdicts, and the checks that must not judge a starved run.
//
// The tests that hold the progress clock, or need it to run freely, use
// the clock every run shares: they must not run in parallel with the
// package's other tests, so none of them calls t.Parallel.

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rcukit/rcukit/internal/progress"
	"github.com/rcukit/rcukit/linearize"
	"github.com/rcukit/rcukit/model"
	"github.com/rcukit/rcukit/rcuops"
	"github.com/rcukit/rcukit/torture"
)

func TestVerdictString(t *testing.T) {
	for v, want := range map[torture.Verdict]string{
		torture.Success: "SUCCESS", torture.Failed: "FAILURE", torture.Inconclusive: "INCONCLUSIVE", 0: "Verdict(0)",
	} {
		if got := v.String(); got != want {
			t.Errorf("Verdict(%d).String() = %q; want %q", int(v), got, want)
		}
	}
}

// slowSync makes trivial's grace periods take d each, one at a time, and
// leaves Synchronize as the only way to wait for one (no Call, no polling):
// an element is freed only after PipeLen-1 of the writer's own Synchronize
// calls once it is removed, so no sooner than (PipeLen-1)*d into the run.
func slowSync(d time.Duration) func(rcuops.Env, *rcuops.Ops) {
	return func(_ rcuops.Env, o *rcuops.Ops) {
		var mu sync.Mutex
		synchronize := o.Synchronize
		o.Synchronize = func() {
			mu.Lock()
			defer mu.Unlock()
			time.Sleep(d)
			synchronize()
		}
		o.Call, o.Barrier, o.Snapshot, o.Poll = nil, nil, nil, nil
	}
}

// TestStarvedWriterIsInconclusive is the negative control of the health
// check: a correct flavor whose writer cannot free a single element within
// Duration+Overtime (9 s of grace periods against 0.5 s) must end
// INCONCLUSIVE, saying why, and never SUCCESS: a starved writer makes a
// broken RCU look fine. Nor is it a FAILURE: the flavor did nothing wrong.
func TestStarvedWriterIsInconclusive(t *testing.T) {
	c := quick(200 * time.Millisecond)
	c.Overtime = 300 * time.Millisecond
	c.FakeWriters = 0
	res, report := run(t, context.Background(), trivial("trivial-slow", slowSync(time.Second)), c)
	if res.Verdict != torture.Inconclusive || len(res.Failures) > 0 {
		t.Fatalf("a starved run ended in %v (%v); want INCONCLUSIVE\n%s", res.Verdict, res.Failures, report)
	}
	last := lastLine(report)
	const why = "no element reached age 10 and was freed"
	if !strings.HasPrefix(last, "End of test: INCONCLUSIVE: ") || !strings.Contains(last, why) || !strings.Contains(last, "of overtime") {
		t.Errorf("last line %q; want an INCONCLUSIVE verdict saying %q, after overtime", last, why)
	}
	if !slices.ContainsFunc(res.Inconclusive, func(r string) bool { return strings.HasPrefix(r, why) }) {
		t.Errorf("Result.Inconclusive = %q; want %q", res.Inconclusive, why)
	}
	for _, want := range []string{"overtime: " + why, "running on for up to 300ms", "overtime: ended after ", ": the health criteria are still unmet\n", "rcutorture: inconclusive: " + why} {
		if !strings.Contains(report, want) {
			t.Errorf("the report lacks %q", want)
		}
	}
	if res.Overtime <= 0 {
		t.Errorf("Result.Overtime = %v; the run should have gone into overtime", res.Overtime)
	}
	mustReproduce(t, res, report)
}

// TestOvertimeGathersTheEvidence: grace periods of 100 ms free the first
// element no sooner than 0.9 s into the run, long after its Duration of
// 0.1 s; overtime lets the run meet the health criteria and judge.
func TestOvertimeGathersTheEvidence(t *testing.T) {
	c := quick(100 * time.Millisecond)
	c.FakeWriters = 0
	c.Overtime = 30 * time.Second
	res, report := run(t, context.Background(), trivial("trivial-slow", slowSync(100*time.Millisecond)), c)
	if res.Overtime <= 0 || !strings.Contains(report, "overtime: no element reached age 10") {
		t.Fatalf("the run did not go into overtime (Result.Overtime %v)\n%s", res.Overtime, report)
	}
	mustSucceed(t, res, report)
	if !strings.Contains(report, ": the health criteria are met\n") || !strings.Contains(report, "of overtime\n") {
		t.Errorf("the report does not say the run met the health criteria in overtime:\n%s", report)
	}
	if res.Circulation[torture.PipeLen] == 0 {
		t.Errorf("SUCCESS without a freed element: %v", res.Circulation)
	}
}

// TestWriterStallIsNotJudgedWhileTheClockIsHeld runs the hung Synchronize
// of TestWriterStallIsAFailure with the progress clock held, as if the
// process were stopped: however long the writer hangs in wall-clock time,
// no writer stall is reported while the clock is held. Once it runs again,
// the stall is reported. Holds the shared clock: no t.Parallel.
func TestWriterStallIsNotJudgedWhileTheClockIsHeld(t *testing.T) {
	clock := progress.Acquire()
	defer progress.Release(clock)
	resume := clock.Hold()
	defer resume()

	f := trivial("trivial-hang", hangUntilClose)
	c := quick(600 * time.Millisecond)
	c.FakeWriters = 0
	c.StatInterval = 200 * time.Millisecond
	c.StallTimeout = 200 * time.Millisecond
	var out syncBuffer // read while the run writes it
	c.Out = &out
	done := make(chan *torture.Result, 1)
	go func() { done <- torture.Run(context.Background(), f, c) }()

	// Five stats blocks: the run is past its Duration, in overtime (no
	// element can be freed), and unheld it would have reported the stall
	// at the second block. The run cannot end meanwhile: its hung writer
	// does not stop, and the stuck check waits for progress time.
	for strings.Count(out.String(), "Reader Pipe:") < 5 {
		time.Sleep(10 * time.Millisecond)
	}
	held := out.String()
	if strings.Contains(held, "FAILURE writer-stall") {
		t.Errorf("a writer stall was reported while the clock was held:\n%s", held)
	}
	if !strings.Contains(held, "overtime: ") {
		t.Errorf("the run is not in overtime after its Duration:\n%s", held)
	}
	resume()
	res := <-done
	mustFail(t, res, out.String(), torture.KindWriterStall, torture.KindStuck)
}

// stallReporting is the correct trivial, with stall reports: it hands the
// test the Env.Stall of its run, to deliver a report when the test
// chooses.
func stallReporting(stall chan<- func(string)) rcuops.Flavor {
	return trivial("trivial-stall", func(env rcuops.Env, o *rcuops.Ops) {
		var n atomic.Uint64
		o.Stalls = n.Load
		stall <- func(r string) {
			n.Add(1)
			env.Stall(r)
		}
	})
}

// runWithStall runs stallReporting, in which deliver delivers a stall
// report through the function it is given; a run without a Duration ends
// then.
func runWithStall(t *testing.T, c torture.Config, deliver func(stall func(string))) (*torture.Result, string) {
	t.Helper()
	var out bytes.Buffer // read once Run has returned
	c.Out = &out
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stall := make(chan func(string), 1)
	done := make(chan *torture.Result, 1)
	go func() { done <- torture.Run(ctx, stallReporting(stall), c) }()
	deliver(<-stall)
	if c.Duration == 0 {
		cancel()
	}
	res := <-done
	if testing.Verbose() {
		t.Logf("report:\n%s", out.String())
	}
	return res, out.String()
}

const stallMsg = "grace period 7 has waited for 1 reader"

// TestStallReportOfAStarvedProcessIsNotJudged: the flavor's stall reports
// come from its wall clock. One that arrives when the process has had no
// progress time in the whole StallTimeout window (the clock is held) is a
// note, counted in the health line, not a FAILURE. Holds the shared
// clock: no t.Parallel.
func TestStallReportOfAStarvedProcessIsNotJudged(t *testing.T) {
	clock := progress.Acquire()
	defer progress.Release(clock)
	resume := clock.Hold()
	defer resume()
	const window = 300 * time.Millisecond
	// Held for the whole window and two of the clock's samples more,
	// whatever the clock did before this test.
	time.Sleep(window + 200*time.Millisecond)
	c := quick(300 * time.Millisecond)
	c.StallTimeout = window
	res, report := runWithStall(t, c, func(stall func(string)) { stall(stallMsg) })
	if strings.Contains(report, "FAILURE gp-stall") {
		t.Errorf("a stall report of a starved process was judged:\n%s", report)
	}
	if !regexp.MustCompile(`\] gp-stall report \(not judged: the process was starved, with .* of progress time in the last 300ms\): ` + stallMsg + "\n").MatchString(report) {
		t.Errorf("no note of the report not judged:\n%s", report)
	}
	if res.NotJudged != 1 || !strings.Contains(report, ", liveness checks not judged: 1 (the process was starved)") {
		t.Errorf("Result.NotJudged = %d, and the health line must count it:\n%s", res.NotJudged, report)
	}
	mustSucceed(t, res, report)
}

// TestStallReportIsAFailure is its positive control: the same report from
// a process that has had the whole window to run is a FAILURE. The
// engine asks for half of the window; the report comes once the process
// has had 90% of it. Uses the shared clock: no t.Parallel.
func TestStallReportIsAFailure(t *testing.T) {
	clock := progress.Acquire()
	defer progress.Release(clock)
	const window = time.Second
	c := quick(0) // until the report is delivered
	c.StallTimeout = window
	res, report := runWithStall(t, c, func(stall func(string)) {
		if !clock.WaitFor(time.Minute, func() bool { return clock.Over(window) >= window*9/10 }) {
			stall("") // unblock the run
			t.Skipf("the process never had 90%% of a %v window to run in a minute of progress: the machine is too loaded to show a judged stall report", window)
		}
		stall(stallMsg)
	})
	mustFail(t, res, report, torture.KindGPStall)
	if res.NotJudged != 0 {
		t.Errorf("Result.NotJudged = %d; want 0", res.NotJudged)
	}
}

// TestRecorderThatCannotDecideIsInconclusive: a history check that cannot
// decide, at a Cut or at Close, makes the run INCONCLUSIVE, not FAILURE:
// the error wraps ErrInconclusive, and its message is the reason.
func TestRecorderThatCannotDecideIsInconclusive(t *testing.T) {
	undecided := fmt.Errorf("%w: segment 3: porcupine timed out", torture.ErrInconclusive)
	for _, at := range []string{"Cut", "Close"} {
		t.Run(at, func(t *testing.T) {
			rec := &recorder{kinds: map[model.Kind]int{}}
			if at == "Cut" {
				rec.fail = undecided
			} else {
				rec.close = undecided
			}
			c := quick(time.Second)
			c.Stutter = 200 * time.Millisecond
			c.Recorder = rec
			res, report := run(t, context.Background(), trivial("trivial", nil), c)
			if res.Verdict != torture.Inconclusive || len(res.Failures) > 0 {
				t.Fatalf("ended in %v (%v); want INCONCLUSIVE\n%s", res.Verdict, res.Failures, report)
			}
			const why = "the check could not decide: segment 3: porcupine timed out"
			if !slices.Contains(res.Inconclusive, why) {
				t.Errorf("Result.Inconclusive = %q; want it to hold %q", res.Inconclusive, why)
			}
			if last := lastLine(report); !strings.HasPrefix(last, "End of test: INCONCLUSIVE: ") || !strings.Contains(last, why) {
				t.Errorf("last line %q", last)
			}
			mustReproduce(t, res, report)
		})
	}
}

// TestCheckerThatCannotDecideIsInconclusive: NewChecker's Unknown verdict
// (here: no partition can be as small as MaxPartition 1) wraps
// ErrInconclusive, and so makes the run INCONCLUSIVE.
func TestCheckerThatCannotDecideIsInconclusive(t *testing.T) {
	c := quick(time.Second)
	c.Stutter = 200 * time.Millisecond
	c.Recorder = torture.NewChecker(linearize.Options{MaxPartition: 1})
	res, report := run(t, context.Background(), trivial("trivial", nil), c)
	if res.Verdict != torture.Inconclusive || len(res.Failures) > 0 {
		t.Fatalf("ended in %v (%v); want INCONCLUSIVE\n%s", res.Verdict, res.Failures, report)
	}
	if !slices.ContainsFunc(res.Inconclusive, func(r string) bool { return strings.HasPrefix(r, "the history check could not decide: ") }) {
		t.Errorf("Result.Inconclusive = %q; want the history check's reason", res.Inconclusive)
	}
	if !strings.Contains(report, "rcutorture: check: unknown: ") {
		t.Errorf("the check's summary is not in the report:\n%s", report)
	}
}
