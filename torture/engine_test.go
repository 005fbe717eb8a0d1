package torture_test

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"reflect"
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

// quick returns a short configuration for engine tests.
func quick(d time.Duration) torture.Config {
	c := torture.DefaultConfig()
	c.Duration = d
	c.Readers = 2
	c.FakeWriters = 1
	c.StatInterval = 5 * time.Second
	c.Stutter = 0
	c.Shuffle = 0
	c.FwdProgress = 0
	c.ReadExit = 2
	c.Seed = 42
	c.StallTimeout = 5 * time.Second
	return c
}

// run runs f and returns the result and the report. The report is read
// only after Run has returned, so a plain buffer will do (see Config.Out).
func run(t *testing.T, ctx context.Context, f rcuops.Flavor, c torture.Config) (*torture.Result, string) {
	t.Helper()
	var out bytes.Buffer
	c.Out = &out
	res := torture.Run(ctx, f, c)
	report := out.String()
	if testing.Verbose() {
		t.Logf("report:\n%s", report)
	}
	return res, report
}

// syncBuffer is a buffer that may be read while a run writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func lastLine(report string) string {
	lines := strings.Split(strings.TrimRight(report, "\n"), "\n")
	return lines[len(lines)-1]
}

func mustFail(t *testing.T, res *torture.Result, report string, kinds ...torture.Kind) {
	t.Helper()
	if res.Verdict != torture.Failed {
		t.Fatalf("run ended in %v (%v); want FAILURE with %v\n%s", res.Verdict, res.Inconclusive, kinds, report)
	}
	last := lastLine(report)
	if !strings.HasPrefix(last, "End of test: FAILURE: ") {
		t.Fatalf("last line %q is not a FAILURE verdict", last)
	}
	for _, k := range kinds {
		f, ok := failure(res, k)
		if !ok {
			t.Errorf("no %v failure in %v", k, res.Failures)
			continue
		}
		if f.Count == 0 || f.First == "" || f.At <= 0 || f.At > res.Elapsed {
			t.Errorf("%v failure %+v: want a count, a first message, and when it happened", k, f)
		}
		if !strings.Contains(last, k.String()) {
			t.Errorf("verdict %q does not name %q", last, k)
		}
		if !strings.Contains(report, "rcutorture: failure: "+f.String()+"\n") {
			t.Errorf("the report lacks the failure line %q", f)
		}
	}
	first := slices.MinFunc(res.Failures, func(a, b torture.Failure) int { return cmp.Compare(a.At, b.At) })
	if res.FirstFailure != first.At {
		t.Errorf("Result.FirstFailure is %v; the first failure, %v, happened at %v", res.FirstFailure, first.Kind, first.At)
	}
	mustReproduce(t, res, report)
}

// failure returns res's failure of kind k.
func failure(res *torture.Result, k torture.Kind) (torture.Failure, bool) {
	i := slices.IndexFunc(res.Failures, func(f torture.Failure) bool { return f.Kind == k })
	if i < 0 {
		return torture.Failure{}, false
	}
	return res.Failures[i], true
}

// mustReproduce checks that a report prints the seed and the command that
// reproduces the run.
func mustReproduce(t *testing.T, res *torture.Result, report string) {
	t.Helper()
	if !strings.Contains(report, fmt.Sprintf("rcutorture: seed %d\n", res.Seed)) {
		t.Errorf("a %v report must print the seed %d", res.Verdict, res.Seed)
	}
	if !strings.Contains(report, "rcutorture: reproduce: "+res.Command+"\n") || !strings.Contains(res.Command, fmt.Sprintf("-seed %d", res.Seed)) {
		t.Errorf("a %v report must print the command that reproduces it (%q)", res.Verdict, res.Command)
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
		if last := lastLine(report); last != "End of test: SUCCESS" {
			t.Fatalf("a SUCCESS ends with %q", last)
		}
	case torture.Inconclusive:
		t.Skipf("the run could not judge (INCONCLUSIVE): %s; reproduce: %s", strings.Join(res.Inconclusive, "; "), res.Command)
	default:
		t.Fatalf("a correct RCU ended in %v: %v\n%s", res.Verdict, res.Failures, report)
	}
}

func TestCorrectFlavorSucceeds(t *testing.T) {
	c := quick(1500 * time.Millisecond)
	c.Stutter = 300 * time.Millisecond
	c.BarrierCallbacks = 8
	res, report := run(t, context.Background(), trivial("trivial", nil), c)
	mustSucceed(t, res, report)
	if res.Reads == 0 || res.Versions < torture.PipeLen || res.GPs == 0 || res.Callbacks == 0 {
		t.Errorf("the run did too little: %+v", res)
	}
	if res.Pipe[0] == 0 || res.Circulation[torture.PipeLen] == 0 {
		t.Errorf("histograms not filled: pipe %v, circulation %v", res.Pipe, res.Circulation)
	}
	for _, want := range []string{"rcutorture: flavor trivial:", "ops: token readers yes, registered readers yes,", "(1 registered)", "Reader Pipe:", "Reader Batch:", "Free-Block Circulation:"} {
		if !strings.Contains(report, want) {
			t.Errorf("report lacks %q", want)
		}
	}
}

// TestPipeFlagsAgeTwo: with a Synchronize that does not wait and no
// grace-period counter to cross-check, only the elements' ages can tell;
// the Reader Pipe histogram must show ages >= 2, marked with "!!!".
func TestPipeFlagsAgeTwo(t *testing.T) {
	f := trivial("trivial-nowait", func(_ rcuops.Env, o *rcuops.Ops) {
		o.Synchronize = func() {}
		o.GPs, o.Call, o.Barrier, o.Snapshot, o.Poll = nil, nil, nil, nil, nil
	})
	c := quick(time.Second)
	c.Payload = false // the race detector would report the premature reuse first
	res, report := run(t, context.Background(), f, c)
	mustFail(t, res, report, torture.KindPipe, torture.KindFreed, torture.KindReused)
	if !strings.Contains(report, "rcutorture: skipped: Reader Batch and GP-counter checks (no GP counter);") {
		t.Errorf("the report does not say which checks it skipped")
	}
	// The final Reader Pipe line carries the error mark.
	if !strings.Contains(report, "] !!! Reader Pipe: ") {
		t.Errorf("the Reader Pipe line is not marked with !!!")
	}
	var old uint64
	for _, n := range res.Pipe[2:] {
		old += n
	}
	if old == 0 {
		t.Errorf("no read recorded at age >= 2: %v", res.Pipe)
	}
}

func TestWriterStallIsAFailure(t *testing.T) {
	f := trivial("trivial-hang", hangUntilClose)
	c := quick(1200 * time.Millisecond)
	c.FakeWriters = 0
	c.StatInterval = 300 * time.Millisecond
	c.StallTimeout = 300 * time.Millisecond
	res, report := run(t, context.Background(), f, c)
	mustFail(t, res, report, torture.KindWriterStall, torture.KindStuck)
	for _, want := range []string{"writer: in Synchronize for", "writer stack:"} {
		if !strings.Contains(report, want) {
			t.Errorf("the stall report lacks %q", want)
		}
	}
}

func TestContextCancelEndsWithVerdict(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(400*time.Millisecond, cancel)
	c := quick(0) // until the context ends
	clock := progress.Acquire()
	defer progress.Release(clock)
	start := clock.Now()
	res, report := run(t, ctx, trivial("trivial", nil), c)
	if d := clock.Since(start); d > 10*time.Second { // in progress time: a loaded machine does not fail it
		t.Fatalf("the run took %v of progress time after its context was cancelled", d)
	}
	if !res.Interrupted || res.Overtime != 0 {
		t.Fatalf("interrupted=%v overtime=%v; want an interrupted run, without overtime", res.Interrupted, res.Overtime)
	}
	if !strings.Contains(report, "final stats:") {
		t.Errorf("no final stats after the interrupt")
	}
	mustSucceed(t, res, report)
}

func TestBarrierTesterCatchesEarlyBarrier(t *testing.T) {
	f := trivial("trivial-barrier", func(_ rcuops.Env, o *rcuops.Ops) { o.Barrier = func() {} })
	c := quick(20 * time.Second)
	c.StopOnFailure = true
	res, report := run(t, context.Background(), f, c)
	mustFail(t, res, report, torture.KindBarrier)
	// The barrier tester's own message, not only Barrier's cross-check
	// in the writer.
	if !strings.Contains(report, "callbacks queued before it run") {
		t.Errorf("the barrier tester did not report the early Barrier")
	}
	if res.Elapsed > 10*time.Second || !strings.Contains(report, "stopping at the first failure") {
		t.Errorf("StopOnFailure did not end the run at its first failure (it ran %v)", res.Elapsed)
	}
}

func TestGPCounterContract(t *testing.T) {
	f := trivial("trivial-counter", func(_ rcuops.Env, o *rcuops.Ops) {
		o.GPs = func() uint64 { return 7 } // a counter that never advances
	})
	res, report := run(t, context.Background(), f, quick(time.Second))
	mustFail(t, res, report, torture.KindSyncGP, torture.KindCallbackGP, torture.KindPollGP)
}

// TestPollAfterSync: a Poll that never reports completion, even after a
// whole Synchronize that began after the Snapshot.
func TestPollAfterSync(t *testing.T) {
	f := trivial("trivial-poll-never", func(_ rcuops.Env, o *rcuops.Ops) {
		o.Poll = func(uint64) bool { return false }
	})
	res, report := run(t, context.Background(), f, quick(time.Second))
	mustFail(t, res, report, torture.KindPollAfterSync)
}

// TestPollInReader: a Poll that ignores readers completes a cookie taken
// inside a section.
func TestPollInReader(t *testing.T) {
	f := trivial("trivial-poll", func(_ rcuops.Env, o *rcuops.Ops) {
		o.Poll = func(uint64) bool { return true }
	})
	res, report := run(t, context.Background(), f, quick(time.Second))
	mustFail(t, res, report, torture.KindPollInReader)
}

// TestFloodBound: a flavor whose callbacks pile up without bound fails the
// forward-progress check.
func TestFloodBound(t *testing.T) {
	f := trivial("trivial-unbounded", func(_ rcuops.Env, o *rcuops.Ops) {
		var mu sync.Mutex
		var queue []func()
		o.Call = func(f func()) { // callbacks wait for the next Barrier or Close
			mu.Lock()
			queue = append(queue, f)
			mu.Unlock()
		}
		synchronize, closeOps := o.Synchronize, o.Close
		drain := func() {
			synchronize()
			mu.Lock()
			q := queue
			queue = nil
			mu.Unlock()
			for _, f := range q {
				f()
			}
		}
		o.Barrier = drain
		o.Pending = nil
		o.Close = func() {
			drain()
			closeOps()
		}
	})
	c := quick(10 * time.Second)
	c.FakeWriters = 0
	c.BarrierCallbacks = 0
	c.FwdProgress = 200 * time.Millisecond
	c.FwdBound = 1000
	c.StallTimeout = time.Second
	c.StopOnFailure = true
	res, report := run(t, context.Background(), f, c)
	mustFail(t, res, report, torture.KindFwdProgress)
}

func TestConfigArgsRoundTrip(t *testing.T) {
	c := torture.DefaultConfig()
	c.Duration = 90 * time.Second
	c.Overtime = 7 * time.Second
	c.Seed = 12345
	c.Inject = 0.125
	c.Payload = false
	c.StopOnFailure = true
	c.GOMAXPROCS = 3
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	got := torture.DefaultConfig()
	got.RegisterFlags(fs)
	if err := fs.Parse(c.Args()); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, c) {
		t.Fatalf("Args did not round-trip:\n got %+v\nwant %+v", got, c)
	}
	c.Program = "go run ./cmd/mytorture"
	if cmd, want := c.Command(rcuops.Flavor{Name: "x", Tags: "rcuinject"}), "go run ./cmd/mytorture -flavor x "+strings.Join(c.Args(), " "); cmd != want {
		t.Errorf("Command = %q; want %q", cmd, want)
	}
}

// TestCommandWithoutProgram: a run started with Run directly has no
// Program; its reproduce command says how to get one, with the build
// flags the flavor needs, and the flags.
func TestCommandWithoutProgram(t *testing.T) {
	c := torture.DefaultConfig()
	c.Seed = 9
	cmd := c.Command(rcuops.Flavor{Name: "myrcu", Tags: "rcuinject"})
	want := `a main that calls torture.Main with flavor "myrcu" (built with ` + raceFlag + `-tags rcuinject), run as: <main> -flavor myrcu ` + strings.Join(c.Args(), " ")
	if cmd != want {
		t.Errorf("Command =\n\t%s\nwant\n\t%s", cmd, want)
	}
}

func TestMisusePanics(t *testing.T) {
	// unusable is trivial with one entry of its table broken; Run panics
	// before it can Close the instance, so the test closes it.
	var made []*rcuops.Ops
	t.Cleanup(func() {
		for _, o := range made {
			o.Close()
		}
	})
	unusable := func(edit func(o *rcuops.Ops)) rcuops.Flavor {
		return trivial("trivial", func(_ rcuops.Env, o *rcuops.Ops) {
			made = append(made, &rcuops.Ops{Close: o.Close})
			edit(o)
		})
	}
	for name, f := range map[string]func(){
		"no readers": func() {
			c := quick(time.Second)
			c.Readers = 0
			torture.Run(context.Background(), trivial("trivial", nil), c)
		},
		"no Synchronize": func() {
			torture.Run(context.Background(), unusable(func(o *rcuops.Ops) { o.Synchronize = nil }), quick(time.Second))
		},
		"Barrier without Call": func() {
			torture.Run(context.Background(), unusable(func(o *rcuops.Ops) { o.Call = nil }), quick(time.Second))
		},
		"Poll without Snapshot": func() {
			torture.Run(context.Background(), unusable(func(o *rcuops.Ops) { o.Snapshot = nil }), quick(time.Second))
		},
		"unnamed flavor": func() { torture.Run(context.Background(), rcuops.Flavor{}, quick(time.Second)) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				v := recover()
				if s, _ := v.(string); !strings.HasPrefix(s, "torture: ") {
					t.Fatalf("panic %v; want a \"torture: \" message", v)
				}
			}()
			f()
		})
	}
}

func TestInjector(t *testing.T) {
	var hits atomic.Int64
	var inject func(rcuops.Point)
	f := trivial("trivial-inject", func(env rcuops.Env, o *rcuops.Ops) {
		inject = env.Inject
		o.Injection = []rcuops.Point{"sync"}
		synchronize := o.Synchronize
		o.Synchronize = func() {
			hits.Add(1)
			env.Inject("sync")
			synchronize()
		}
	})
	c := quick(time.Second)
	c.Inject = 1 // act at every hit
	res, report := run(t, context.Background(), f, c)
	if hits.Load() == 0 || !strings.Contains(report, "injections: sync ") {
		t.Errorf("no injection reported (%d hits)", hits.Load())
	}
	func() {
		defer func() {
			if v := recover(); v == nil || !strings.Contains(fmt.Sprint(v), "did not declare") {
				t.Errorf("an undeclared point: panic %v", v)
			}
		}()
		inject("undeclared")
	}()
	mustSucceed(t, res, report) // injection must not break a correct RCU
}

// recorder is a Recorder that checks what the seam promises: no recorded
// operation spans a Cut, and each ends after it begins.
type recorder struct {
	clock atomic.Uint64
	cutAt atomic.Uint64 // the clock at the last Cut
	mu    sync.Mutex
	kinds map[model.Kind]int
	cuts  int
	bad   []string
	fail  error // returned by Cut
	close error // returned by Close
}

type recLog struct{ r *recorder }

func (r *recorder) Log(string) torture.Log { return recLog{r} }

func (l recLog) Begin() uint64 { return l.r.clock.Add(1) }

func (l recLog) End(begin uint64, op model.Op) {
	now := l.r.clock.Add(1)
	l.r.mu.Lock()
	defer l.r.mu.Unlock()
	switch {
	case begin >= now:
		l.r.bad = append(l.r.bad, fmt.Sprintf("%v ends at %d before it begins at %d", op.Kind, now, begin))
	case begin < l.r.cutAt.Load():
		l.r.bad = append(l.r.bad, fmt.Sprintf("%v began at %d, before the Cut at %d, and ended after it", op.Kind, begin, l.r.cutAt.Load()))
	}
	l.r.kinds[op.Kind]++
}

func (r *recorder) Cut() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cuts++
	r.cutAt.Store(r.clock.Add(1))
	return r.fail
}

func (r *recorder) Close() error { return r.close }

func (r *recorder) Summary() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return fmt.Sprintf("%d cuts", r.cuts)
}

func TestRecorderCutsAtQuiescentPoints(t *testing.T) {
	rec := &recorder{kinds: map[model.Kind]int{}}
	c := quick(1500 * time.Millisecond)
	c.Stutter = 200 * time.Millisecond
	c.BarrierCallbacks = 4
	c.FakeWriters = 2
	c.Recorder = rec
	res, report := run(t, context.Background(), trivial("trivial", nil), c)
	if !strings.Contains(res.Command, " -check") {
		t.Errorf("a recorded run's command lacks -check: %q", res.Command)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.cuts == 0 {
		t.Fatalf("no Cut in a run with stutter:\n%s", report)
	}
	if want := fmt.Sprintf("\nrcutorture: check: %d cuts\n", rec.cuts); !strings.Contains(report, want) {
		t.Errorf("the report lacks the Recorder's Summary, %q", want)
	}
	for _, b := range rec.bad {
		t.Error(b)
	}
	mustSucceed(t, res, report) // recording must not break the run
	for _, k := range []model.Kind{model.Publish, model.ReadBegin, model.ReadEnd, model.SyncBegin,
		model.SyncEnd, model.Call, model.Invoke, model.BarrierBegin, model.BarrierEnd,
		model.Reclaim, model.Snapshot, model.Poll} {
		if rec.kinds[k] == 0 {
			t.Errorf("no %v recorded", k)
		}
	}
}

// TestRecorderIllegalSegmentIsAFailure: an error from Cut is a KindCheck
// FAILURE. A *CheckError gives the Failure its linearize.Result, and the
// Failure its rule; any other error is a Failure without a rule.
func TestRecorderIllegalSegmentIsAFailure(t *testing.T) {
	illegal := linearize.Result{Verdict: linearize.Illegal, Rule: model.SyncEarly, Detail: "reader 3 was still inside", Visualization: "/tmp/x.html"}
	for _, c := range []struct {
		name string
		err  error
		rule model.Rule
	}{
		{"plain error", errors.New("segment 1 is illegal: rule grace-period; see /tmp/x.html"), ""},
		{"CheckError", &torture.CheckError{Result: illegal}, model.SyncEarly},
	} {
		t.Run(c.name, func(t *testing.T) {
			rec := &recorder{kinds: map[model.Kind]int{}, fail: c.err}
			cfg := quick(2 * time.Second)
			cfg.Stutter = 200 * time.Millisecond
			cfg.Recorder = rec
			cfg.StopOnFailure = true
			res, report := run(t, context.Background(), trivial("trivial", nil), cfg)
			mustFail(t, res, report, torture.KindCheck)
			first, _, _ := strings.Cut(c.err.Error(), "\n")
			if !strings.Contains(report, "!!! FAILURE check: "+first) {
				t.Errorf("the checker's message %q is not in the report", first)
			}
			f, _ := failure(res, torture.KindCheck)
			if f.Rule() != c.rule {
				t.Errorf("the check failure's Rule() = %q; want %q", f.Rule(), c.rule)
			}
			if c.rule != "" && (f.Check == nil || !reflect.DeepEqual(*f.Check, illegal)) {
				t.Errorf("the check failure's Check = %+v; want the CheckError's Result", f.Check)
			}
			if c.rule == "" && f.Check != nil {
				t.Errorf("a plain error gave the failure a check result: %+v", f.Check)
			}
		})
	}
}
