package rcutest

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"regexp"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rcukit/rcukit/internal/progress"
	"github.com/rcukit/rcukit/model"
	"github.com/rcukit/rcukit/rcuops"
	"github.com/rcukit/rcukit/torture"
)

// seed is -rcutest.seed: the seed of the Torture and History parts, so
// that a failure's reproduce command runs the same configuration again.
var seed = flag.Uint64("rcutest.seed", 0, "rcutest: seed of the Torture and History parts (0: pick one)")

// A Part is one of the four parts of the suite.
type Part string

// The parts, in the order they run.
const (
	// Guarantees are the guarantee-by-guarantee checks, each on a fresh
	// instance.
	Guarantees Part = "guarantees"
	// Torture is a short torture.Run that must end in SUCCESS.
	Torture Part = "torture"
	// History is a torture.Run whose history is recorded and checked
	// against the RCU model (package model, through package linearize).
	History Part = "history"
	// Corpus replays the committed corpus of the schedule fuzzer (package
	// fuzz): every schedule must run legally.
	Corpus Part = "corpus"
)

var allParts = []Part{Guarantees, Torture, History, Corpus}

// An Option changes how the suite runs.
type Option func(*options)

type options struct {
	parts    []Part
	torture  time.Duration // the torture run
	history  time.Duration // the recorded run
	edits    []func(*torture.Config)
	stop     bool
	blocking bool
	patience time.Duration
	html     string
	bubble   bool // run the guarantee checks in synctest bubbles
}

// Defaults.
const (
	DefaultTortureDuration = 3 * time.Second
	DefaultHistoryDuration = 2 * time.Second
	DefaultPatience        = 20 * time.Second
)

// Parts selects the parts to run; by default all four run. The parts run
// in their fixed order whatever the order given here.
func Parts(parts ...Part) Option {
	if len(parts) == 0 {
		panic("rcutest: Parts needs at least one part")
	}
	for _, p := range parts {
		if !slices.Contains(allParts, p) {
			panic(fmt.Sprintf("rcutest: unknown part %q (want one of %v)", p, allParts))
		}
	}
	return func(o *options) {
		o.parts = nil
		for _, p := range allParts {
			if slices.Contains(parts, p) {
				o.parts = append(o.parts, p)
			}
		}
	}
}

// TortureDuration sets how long the torture run lasts (default
// DefaultTortureDuration). Longer runs find more. A run that has not yet
// gathered the evidence its checks need by then (an element freed, a
// section from every reader) goes on in overtime, and is Inconclusive if
// it still has not.
func TortureDuration(d time.Duration) Option {
	if d <= 0 {
		panic("rcutest: TortureDuration must be positive")
	}
	return func(o *options) { o.torture = d }
}

// HistoryDuration sets how long the recorded, model-checked run lasts
// (default DefaultHistoryDuration).
func HistoryDuration(d time.Duration) Option {
	if d <= 0 {
		panic("rcutest: HistoryDuration must be positive")
	}
	return func(o *options) { o.history = d }
}

// TortureConfig edits the configuration of both torture runs after the
// suite has set its own values (durations, StopOnFailure, no GOMAXPROCS
// shuffling): to fix the seed, add readers, or turn off the plain payload
// (Config.Payload) for an implementation that is expected to fail under
// -race. The suite still sets Config.Out and, for the History part,
// Config.Recorder. An edit that makes the configuration invalid panics
// when the suite starts.
func TortureConfig(edit func(*torture.Config)) Option {
	if edit == nil {
		panic("rcutest: TortureConfig needs an edit function")
	}
	return func(o *options) { o.edits = append(o.edits, edit) }
}

// StopOnFailure stops the suite at its first failure: the checks after it
// are reported as skipped. Useful for implementations expected to fail.
func StopOnFailure() Option { return func(o *options) { o.stop = true } }

// BlockingReaders declares that the implementation's readers may wait
// while a grace period is in progress, as readers of a sync.RWMutex wait
// behind a waiting writer. RCU promises readers that never wait for
// grace periods; an implementation that does not keep that promise may
// still be correct in every other way. With this option the check
// ReadersNeverWaitForGracePeriods is skipped (a nested section must
// still never wait for the grace period its outer section holds up), and
// checks that need a reader to begin while a grace period waits skip that
// step.
func BlockingReaders() Option { return func(o *options) { o.blocking = true } }

// Patience sets how long a check waits for something that must happen
// (Synchronize returning once its readers have ended, a callback running,
// Barrier returning); default DefaultPatience. It is measured in progress
// time, the time the process had to run, so a loaded machine stretches it
// rather than failing a correct implementation, which fails only if it
// takes longer than this while the process runs. Lower it only to catch
// hangs faster.
func Patience(d time.Duration) Option {
	if d <= 0 {
		panic("rcutest: Patience must be positive")
	}
	return func(o *options) { o.patience = d }
}

// Synctest runs each guarantee check in a synctest bubble (package
// testing/synctest), with the instance made inside it: its waits are then
// measured on the bubble's fake clock, which advances only when every
// goroutine of the bubble is durably blocked, so a check takes no
// wall-clock time for its waits and its verdict is the same on every
// machine. Only Test can do that (a bubble needs a *testing.T); Run
// panics with it.
//
// The implementation must fit in a bubble: New starts every goroutine
// that serves the instance (none started earlier, at package init or by
// another instance, may take part), and they wait on channels, sync.Cond,
// sync.WaitGroup or time.Sleep, never for long on a sync.Mutex (a
// goroutine blocked on a mutex is not durably blocked, and the bubble's
// clock stops until it gets it), and Close ends them all. The reference
// rcu.Domain does. A check whose implementation does not fit may hang;
// the Torture, History and Corpus parts never run in a bubble.
func Synctest() Option { return func(o *options) { o.bubble = true } }

// HistoryHTML names a directory in which the History part writes
// porcupine's visualization of an illegal history. Test uses the test's
// artifact directory unless this is set (go test keeps it only with
// -artifacts, and the message says so); Run writes none unless it is set.
func HistoryHTML(dir string) Option {
	if dir == "" {
		panic("rcutest: HistoryHTML needs a directory")
	}
	return func(o *options) { o.html = dir }
}

// A Status is the outcome of one check.
type Status int

// The outcomes.
const (
	Passed       Status = iota + 1
	Failed              // the implementation broke the guarantee the check is named after
	Skipped             // not run: an optional operation is missing, the part is empty, or an earlier check failed under StopOnFailure
	Inconclusive        // the check could not decide (the model checker timed out); never a pass
)

var statusNames = [...]string{Passed: "PASS", Failed: "FAIL", Skipped: "SKIP", Inconclusive: "INCONCLUSIVE"}

func (s Status) String() string {
	if s > 0 && int(s) < len(statusNames) {
		return statusNames[s]
	}
	return fmt.Sprintf("Status(%d)", int(s))
}

// Result is the outcome of one check.
type Result struct {
	Part Part
	// Name is the check's name: for Guarantees the guarantee it checks
	// (SynchronizeWaitsForPreexistingReaders), for Torture and History the
	// part's name, for Corpus the seed's name.
	Name   string
	Status Status
	// Rule is, for Failed, the guarantee of model.Guarantees the check
	// found broken; "" when the implementation panicked.
	Rule model.Rule
	// Message says, for Failed, how the guarantee broke, starting with its
	// property ("grace period: Synchronize returned while ..."); for
	// Skipped and Inconclusive, why.
	Message string
	// Reproduce is, for Failed and Inconclusive, a command that runs the
	// check again, as printed: under Test, a go test command to run in
	// the test's package directory (with -rcutest.seed for the torture
	// runs); under Run, what to run instead.
	Reproduce string
	// Log is supporting detail: a torture run's report, notes of a check.
	Log     string
	Elapsed time.Duration
}

// Path is the check's subtest path under Test: part/name.
func (r Result) Path() string {
	if r.Name == "" || r.Name == string(r.Part) {
		return string(r.Part)
	}
	return string(r.Part) + "/" + r.Name
}

// Report is the outcome of a whole suite.
type Report struct {
	Flavor  string
	Results []Result
}

// Failures returns the results that failed.
func (r *Report) Failures() []Result {
	var fs []Result
	for _, res := range r.Results {
		if res.Status == Failed {
			fs = append(fs, res)
		}
	}
	return fs
}

// Err returns nil if every check passed or was skipped; otherwise an
// error listing every check that failed, with its message, and every
// check that could not decide: an Inconclusive check is not a pass.
func (r *Report) Err() error {
	fs := r.Failures()
	var unk []Result
	for _, res := range r.Results {
		if res.Status == Inconclusive {
			unk = append(unk, res)
		}
	}
	if len(fs) == 0 && len(unk) == 0 {
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "rcutest: flavor %s", r.Flavor)
	if len(fs) > 0 {
		fmt.Fprintf(&b, " failed %d of %d checks", len(fs), len(r.Results))
	}
	if len(unk) > 0 {
		if len(fs) > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, " could not decide %d of %d checks (not a pass)", len(unk), len(r.Results))
	}
	b.WriteString(":")
	for _, f := range fs {
		fmt.Fprintf(&b, "\n  %s: %s", f.Path(), f.Message)
		if f.Reproduce != "" {
			fmt.Fprintf(&b, "\n    reproduce: %s", f.Reproduce)
		}
	}
	for _, u := range unk {
		fmt.Fprintf(&b, "\n  %s: inconclusive: %s", u.Path(), u.Message)
	}
	return errors.New(b.String())
}

// String lists every check with its outcome, one per line.
func (r *Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "rcutest: flavor %s\n", r.Flavor)
	for _, res := range r.Results {
		fmt.Fprintf(&b, "%-4s %s (%v)", res.Status, res.Path(), res.Elapsed.Round(time.Millisecond))
		if res.Message != "" {
			fmt.Fprintf(&b, ": %s", res.Message)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// Run runs the suite on flavor f outside go test and reports every
// check's outcome; Report.Err turns it into an error. Each guarantee check
// runs on a fresh instance from f.New. Run panics with an "rcutest: ..."
// message when f or an option is unusable (Synctest among them), or when
// f.New returns an ops table the tools would reject.
func Run(f rcuops.Flavor, opts ...Option) *Report {
	s := newSuite(f, opts)
	if s.opts.bubble {
		panic("rcutest: Synctest needs Test: a synctest bubble needs a *testing.T")
	}
	clock := progress.Acquire() // every wait of the suite is in progress time
	defer progress.Release(clock)
	rep := &Report{Flavor: f.Name}
	failed := false
	for _, p := range s.opts.parts {
		for _, it := range s.items(p) {
			var res Result
			if failed && s.opts.stop {
				res = notRun(it)
			} else {
				res = s.exec(it, runEnv{html: s.opts.html, clock: progressClock{clock}})
			}
			failed = failed || res.Status == Failed
			rep.Results = append(rep.Results, res)
		}
	}
	return rep
}

// Test runs the suite on flavor f as subtests of t: one subtest per part
// and, within Guarantees, one per guarantee, each on a fresh instance from
// f.New; within Corpus, one per seed. A check whose optional operations
// are missing is skipped with a note; one that could not decide
// (Inconclusive) is skipped too, with a message that starts with
// "INCONCLUSIVE": it is neither a pass nor a failure. A check that fails
// says how to run it again. Test does not call t.Parallel, and the suite
// leaves GOMAXPROCS alone, so several implementations may be tested in
// parallel subtests. Test panics as Run does on misuse.
func Test(t *testing.T, f rcuops.Flavor, opts ...Option) {
	if t == nil {
		panic("rcutest: Test needs a *testing.T")
	}
	t.Helper()
	s := newSuite(f, opts)
	clock := progress.Acquire() // every wait outside a bubble is in progress time
	defer progress.Release(clock)
	failed := false
	for _, p := range s.opts.parts {
		t.Run(string(p), func(t *testing.T) {
			for _, it := range s.items(p) {
				body := func(t *testing.T) {
					if failed && s.opts.stop {
						t.Skip(notRun(it).Message)
					}
					env := runEnv{html: s.opts.html, path: t.Name(), clock: progressClock{clock}}
					if env.html == "" {
						env.html = t.ArtifactDir()
					}
					var res Result
					if p == Guarantees && s.opts.bubble {
						stop := watchBubble(clock, t.Name())
						synctest.Test(t, func(*testing.T) {
							env.clock = fakeClock{time.Now()}
							res = s.exec(it, env)
						})
						stop()
					} else {
						res = s.exec(it, env)
					}
					failed = failed || res.Status == Failed
					report(t, res)
				}
				if it.name == string(p) {
					body(t) // a part that is one check is its own subtest
				} else {
					t.Run(it.name, body)
				}
			}
		})
	}
}

func report(t *testing.T, r Result) {
	t.Helper()
	if r.Log != "" && r.Status != Skipped {
		t.Log(r.Log)
	}
	reproduce := ""
	if r.Reproduce != "" {
		reproduce = "\nreproduce: " + r.Reproduce
	}
	switch r.Status {
	case Failed:
		t.Error(r.Message + reproduce)
	case Skipped:
		t.Skip(r.Message)
	case Inconclusive:
		// Neither a pass nor a failure of the implementation: the run
		// could not judge (a machine too loaded to gather evidence, a
		// model check out of time). Say so, and say why.
		t.Skip("INCONCLUSIVE (not a pass): " + r.Message + reproduce)
	}
}

// bubbleTimeout is how long, in progress time, a check may run in a
// synctest bubble before the suite says that it may be stuck there.
const bubbleTimeout = 2 * time.Minute

// watchBubble writes to standard error, if a check run in a synctest
// bubble has not ended after bubbleTimeout of progress time, why it may
// be stuck: the bubble's clock advances only when every goroutine in it
// is durably blocked, which a goroutine waiting for a sync.Mutex, or one
// that spins, never is. It decides nothing: the check goes on, and go
// test's -timeout ends it. stop ends the watch.
func watchBubble(c *progress.Clock, name string) (stop func()) {
	done := make(chan struct{})
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		if !c.Within(done, bubbleTimeout) {
			fmt.Fprintf(os.Stderr, "rcutest: %s has run for %v of progress time in a synctest bubble: if the implementation waits on a sync.Mutex for long, or spins, the bubble's clock cannot advance; run it without rcutest.Synctest()\n", name, bubbleTimeout)
		}
	}()
	return func() { close(done); <-exited }
}

// runEnv is what a check needs from the suite's caller.
type runEnv struct {
	html  string // where the History part writes a visualization; "" for none
	path  string // the check's subtest name under Test; "" under Run
	clock clock  // what the guarantee checks' waits are measured on
}

// testCommand is the go test command that runs the subtest path again,
// in its package's directory, with extra flags. It has -count=1: go test
// would otherwise answer a second run from its cache, and a check that
// hangs on an interleaving may need more than one.
func testCommand(path string, extra ...string) string {
	parts := strings.Split(path, "/")
	for i, p := range parts {
		parts[i] = "^" + regexp.QuoteMeta(p) + "$"
	}
	cmd := []string{"go", "test", "-count=1"}
	if raceEnabled {
		cmd = append(cmd, "-race")
	}
	cmd = append(cmd, "-run", "'"+strings.Join(parts, "/")+"'")
	cmd = append(cmd, extra...)
	return strings.Join(append(cmd, "."), " ")
}

// item is one check of the suite.
type item struct {
	part Part
	name string
	run  func(s *suite, env runEnv) Result
}

func notRun(it item) Result {
	return Result{Part: it.part, Name: it.name, Status: Skipped, Message: "not run: an earlier check failed (StopOnFailure)"}
}

// suite is one suite run: the flavor, its capabilities, the options.
type suite struct {
	flavor  rcuops.Flavor
	caps    *rcuops.Ops // a probe instance's ops, closed: only which entries are nil matters
	opts    options
	torture torture.Config
	history torture.Config
}

func newSuite(f rcuops.Flavor, opts []Option) *suite {
	if f.Name == "" || f.New == nil {
		panic("rcutest: a Flavor needs a Name and a New function")
	}
	s := &suite{flavor: f, opts: options{
		parts:    allParts,
		torture:  DefaultTortureDuration,
		history:  DefaultHistoryDuration,
		patience: DefaultPatience,
	}}
	for _, o := range opts {
		if o == nil {
			panic("rcutest: nil Option")
		}
		o(&s.opts)
	}
	s.torture, s.history = s.configs()
	ops := f.New(rcuops.Env{})
	validate(f.Name, ops)
	caps := *ops
	s.caps = &caps
	if ops.Close != nil {
		ops.Close()
	}
	return s
}

// validate panics with an "rcutest: " message when ops is an ops table
// the tools would reject, after closing the instance.
func validate(flavor string, o *rcuops.Ops) {
	err := o.Validate()
	if err == nil {
		return
	}
	if o != nil && o.Close != nil {
		o.Close()
	}
	panic(fmt.Sprintf("rcutest: flavor %q: %v", flavor, err))
}

// items lists the checks of part p, in the order they run.
func (s *suite) items(p Part) []item {
	switch p {
	case Guarantees:
		items := make([]item, len(checks))
		for i, c := range checks {
			items[i] = item{part: p, name: c.name, run: func(s *suite, env runEnv) Result {
				res := s.runCheck(c, env.clock)
				if res.Status == Failed {
					res.Reproduce = s.reproduce(env, fmt.Sprintf("rcutest.Run(flavor, the same options..., rcutest.Parts(rcutest.Guarantees)), and look for %s", c.name))
				}
				return res
			}}
		}
		return items
	case Torture:
		return []item{{part: p, name: string(p), run: (*suite).runTorture}}
	case History:
		return []item{{part: p, name: string(p), run: (*suite).runHistory}}
	case Corpus:
		return s.corpusItems()
	}
	panic(fmt.Sprintf("rcutest: unknown part %q", p))
}

// reproduce is the command that runs a check again: its go test command
// under Test (with extra flags), otherwise outside.
func (s *suite) reproduce(env runEnv, outside string, extra ...string) string {
	if env.path == "" {
		return outside
	}
	return testCommand(env.path, extra...) + " (in the test's package directory)"
}

// exec runs one check and times it. A panic that escapes the check (from
// the implementation, in a part that does not catch its own) is a failure.
func (s *suite) exec(it item, env runEnv) (res Result) {
	start := time.Now()
	defer func() {
		if v := recover(); v != nil {
			res = Result{Status: Failed, Message: fmt.Sprintf("the implementation panicked: %v", v), Log: string(debug.Stack()),
				Reproduce: s.reproduce(env, "")}
		}
		res.Part, res.Name, res.Elapsed = it.part, it.name, time.Since(start)
	}()
	return it.run(s, env)
}
