package conformance

import (
	"errors"
	"fmt"
	"github.com/rcukit/rcukit/rcuops"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rcukit/rcukit/internal/progress"
	"github.com/rcukit/rcukit/torture"
)

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
		panic("conformance: Parts needs at least one part")
	}
	for _, p := range parts {
		if !slices.Contains(allParts, p) {
			panic(fmt.Sprintf("conformance: unknown part %q (want one of %v)", p, allParts))
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
		panic("conformance: TortureDuration must be positive")
	}
	return func(o *options) { o.torture = d }
}

// HistoryDuration sets how long the recorded, model-checked run lasts
// (default DefaultHistoryDuration).
func HistoryDuration(d time.Duration) Option {
	if d <= 0 {
		panic("conformance: HistoryDuration must be positive")
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
		panic("conformance: TortureConfig needs an edit function")
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
		panic("conformance: Patience must be positive")
	}
	return func(o *options) { o.patience = d }
}

// HistoryHTML names a directory in which the History part writes
// porcupine's visualization of an illegal history. Test uses the test's
// artifact directory (go test -artifacts) unless this is set; Run and
// Check write none unless it is set.
func HistoryHTML(dir string) Option {
	if dir == "" {
		panic("conformance: HistoryHTML needs a directory")
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
	// Message says, for Failed, which guarantee broke and how, starting
	// with the guarantee ("grace period: Synchronize returned while ...");
	// for Skipped and Inconclusive, why.
	Message string
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
	fmt.Fprintf(&b, "conformance: flavor %s", r.Flavor)
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
	}
	for _, u := range unk {
		fmt.Fprintf(&b, "\n  %s: inconclusive: %s", u.Path(), u.Message)
	}
	return errors.New(b.String())
}

// String lists every check with its outcome, one per line.
func (r *Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "conformance: flavor %s\n", r.Flavor)
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
// check's outcome. Each guarantee check runs on a fresh instance from
// f.New. Run panics with a "conformance: ..." message when f or an option
// is unusable, or when f.New returns an ops table the torture engine
// would reject.
func Run(f rcuops.Flavor, opts ...Option) *Report {
	clock := progress.Acquire() // every wait of the suite is in progress time
	defer progress.Release(clock)
	s := newSuite(f, opts)
	rep := &Report{Flavor: f.Name}
	failed := false
	for _, p := range s.opts.parts {
		for _, it := range s.items(p) {
			var res Result
			if failed && s.opts.stop {
				res = notRun(it)
			} else {
				res = s.exec(it, func() string { return s.opts.html })
			}
			failed = failed || res.Status == Failed
			rep.Results = append(rep.Results, res)
		}
	}
	return rep
}

// Check runs the suite on flavor f, like Test, and returns nil if every
// check passed or was skipped, or an error naming each check that failed
// and the guarantee it found broken, and each that could not decide. It
// is Run(f, opts...).Err().
func Check(f rcuops.Flavor, opts ...Option) error { return Run(f, opts...).Err() }

// Test runs the suite on flavor f as subtests of t: one subtest per part
// and, within Guarantees, one per guarantee, each on a fresh instance from
// f.New; within Corpus, one per seed. A check whose optional operations
// are missing is skipped with a note; one that could not decide
// (Inconclusive) is skipped too, with a message that starts with
// "INCONCLUSIVE": it is neither a pass nor a failure. Test does not call t.Parallel, and
// the suite leaves GOMAXPROCS alone, so several implementations may be
// tested in parallel subtests. Test panics as Run does on misuse.
func Test(t *testing.T, f rcuops.Flavor, opts ...Option) {
	if t == nil {
		panic("conformance: Test needs a *testing.T")
	}
	t.Helper()
	clock := progress.Acquire() // every wait of the suite is in progress time
	defer progress.Release(clock)
	s := newSuite(f, opts)
	failed := false
	for _, p := range s.opts.parts {
		t.Run(string(p), func(t *testing.T) {
			for _, it := range s.items(p) {
				body := func(t *testing.T) {
					if failed && s.opts.stop {
						t.Skip(notRun(it).Message)
					}
					res := s.exec(it, func() string {
						if s.opts.html != "" {
							return s.opts.html
						}
						return t.ArtifactDir()
					})
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
	switch r.Status {
	case Passed:
		if r.Log != "" {
			t.Log(r.Log)
		}
	case Failed:
		if r.Log != "" {
			t.Log(r.Log)
		}
		t.Error(r.Message)
	case Skipped:
		t.Skip(r.Message)
	case Inconclusive:
		// Neither a pass nor a failure of the implementation: the run
		// could not judge (a machine too loaded to gather evidence, a
		// model check out of time). Say so, and say why.
		if r.Log != "" {
			t.Log(r.Log)
		}
		t.Skip("INCONCLUSIVE (not a pass): " + r.Message)
	}
}

// item is one check of the suite.
type item struct {
	part Part
	name string
	run  func(s *suite, html func() string) Result
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
		panic("conformance: a Flavor needs a Name and a New function")
	}
	s := &suite{flavor: f, opts: options{
		parts:    allParts,
		torture:  DefaultTortureDuration,
		history:  DefaultHistoryDuration,
		patience: DefaultPatience,
	}}
	for _, o := range opts {
		if o == nil {
			panic("conformance: nil Option")
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

// validate panics with a "conformance: " message when ops is an ops table
// the torture engine would reject, after closing the instance.
func validate(flavor string, o *rcuops.Ops) {
	err := o.Validate()
	if err == nil {
		return
	}
	if o != nil && o.Close != nil {
		o.Close()
	}
	panic(fmt.Sprintf("conformance: flavor %q: %v", flavor, err))
}

// items lists the checks of part p, in the order they run.
func (s *suite) items(p Part) []item {
	switch p {
	case Guarantees:
		items := make([]item, len(guarantees))
		for i, g := range guarantees {
			items[i] = item{part: p, name: g.name, run: func(s *suite, _ func() string) Result { return s.runGuarantee(g) }}
		}
		return items
	case Torture:
		return []item{{part: p, name: string(p), run: (*suite).runTorture}}
	case History:
		return []item{{part: p, name: string(p), run: (*suite).runHistory}}
	case Corpus:
		return s.corpusItems()
	}
	panic(fmt.Sprintf("conformance: unknown part %q", p))
}

// exec runs one check and times it. A panic that escapes the check (from
// the implementation, in a part that does not catch its own) is a failure.
func (s *suite) exec(it item, html func() string) (res Result) {
	start := time.Now()
	defer func() {
		if v := recover(); v != nil {
			res = Result{Status: Failed, Message: fmt.Sprintf("the implementation panicked: %v", v), Log: string(debug.Stack())}
		}
		res.Part, res.Name, res.Elapsed = it.part, it.name, time.Since(start)
	}()
	return it.run(s, html)
}
