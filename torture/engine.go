package torture

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rcukit/rcukit/internal/progress"
	"github.com/rcukit/rcukit/linearize"
	"github.com/rcukit/rcukit/rcuops"
)

// A Verdict is how a run ended.
type Verdict int

const (
	// Success: no check failed, and the run gathered enough evidence for
	// its checks to judge.
	Success Verdict = iota + 1
	// Failed: some check failed (FAILURE).
	Failed
	// Inconclusive: no check failed, but the run could not judge: it
	// gathered too little evidence even in overtime (a reader or the
	// writer was starved), or the history check could not decide. It is
	// not a pass, and not a FAILURE of the flavor either.
	Inconclusive
)

var verdictNames = [...]string{Success: "SUCCESS", Failed: "FAILURE", Inconclusive: "INCONCLUSIVE"}

func (v Verdict) String() string {
	if v > 0 && int(v) < len(verdictNames) {
		return verdictNames[v]
	}
	return fmt.Sprintf("Verdict(%d)", int(v))
}

// Result is the outcome of a run. Its Verdict is Failed if any failure
// was recorded (Failures), else Inconclusive if the run could not judge
// (Inconclusive), else Success.
type Result struct {
	Verdict Verdict
	// Failures are what the run found wrong, one per Kind that failed, in
	// Kind order. Each names the guarantee it saw broken (Failure.Rule).
	Failures []Failure
	// Inconclusive says why the run could not judge: health criteria left
	// unmet, a history check that could not decide. A run that failed
	// lists only the undecided history checks here.
	Inconclusive []string
	Seed         uint64
	// Command reproduces the run's configuration: Config.Program with the
	// flavor and every flag or, without a Program, what to run them with
	// (see Config.Command).
	Command string

	Elapsed      time.Duration
	Overtime     time.Duration // how long the run went on after Duration to meet the health criteria
	FirstFailure time.Duration // when the first failure happened; 0 if none
	Interrupted  bool          // the context ended the run
	NotJudged    uint64        // liveness checks not judged because the process was starved

	Reads      uint64 // read sections, nested ones included
	Versions   uint64 // elements published
	GPs        uint64 // grace periods by the flavor's counter (0 without one)
	Callbacks  uint64 // engine callbacks invoked
	NearMisses uint64 // reads whose section saw two or more grace periods end

	Pipe        [PipeLen + 1]uint64 // Reader Pipe: reads by the age of their element at the end
	Batch       [PipeLen + 1]uint64 // Reader Batch: reads by the grace periods that ended inside
	Circulation [PipeLen + 1]uint64 // Free-Block Circulation: elements that reached each age

	// Flavor and Config are the run's flavor and configuration (with its
	// seed), for a report (WriteHTML).
	Flavor rcuops.Flavor
	Config Config
	// CountsGPs says that the flavor counts its grace periods (Ops.GPs):
	// without a counter, GPs, Batch and the samples' GPs are 0.
	CountsGPs bool
	// Samples is what the run did over time, in consecutive intervals of
	// a fifth of Config.StatInterval (between 100ms and 1s) from the
	// start to the end of the run, the last one shorter: the series that
	// the HTML report plots.
	Samples []Sample
}

// ReadsPerSecond is the run's read throughput.
func (r *Result) ReadsPerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Reads) / r.Elapsed.Seconds()
}

type engine struct {
	cfg    Config
	flavor rcuops.Flavor
	ops    *rcuops.Ops
	inj    *injector // nil when the run does not inject
	rec    Recorder  // nil unless checking
	start  time.Time
	clock  *progress.Clock // measures every liveness check: see Config
	out    output
	gate   gate
	fails  failures
	c      counters
	gps0   uint64 // the flavor's GP count at the start

	notJudged atomic.Uint64 // liveness checks not judged: the process was starved

	cur     atomic.Pointer[element] // the current element
	pool    pool
	readers []readerStats // one per reader goroutine, and one shared by read-exit goroutines
	w       writerState

	chainMu sync.Mutex
	parked  []*element // callback chains parked by a pause, resumed by the writer

	samples    []Sample    // written by samplerLoop, then by finish
	lastSample snapshot    // the end of the last of samples
	sampleFrom snapshot    // and its start
	lastStats  snapshot    // the last stats line's, written by statsLoop
	json       *jsonStream // nil without Config.JSON

	cbLog      Log          // history of operations on the flavor's goroutines (a lockedLog)
	readBudget atomic.Int64 // read sections that may still be recorded before the next cut
	ids        atomic.Uint64

	nworkers int
	wg       sync.WaitGroup // workers
	ctl      sync.WaitGroup // controllers: stats, stutter, shuffle
	done     chan struct{}  // closed when the controllers must return
}

func (e *engine) elapsed() time.Duration { return time.Since(e.start) }

func (e *engine) fail(k Kind, format string, args ...any) {
	e.failWith(k, nil, fmt.Sprintf(format, args...))
}

// failWith records a failure of kind k, with the history check's result
// for KindCheck.
func (e *engine) failWith(k Kind, check *linearize.Result, msg string) {
	if e.fails.add(k, e.elapsed(), msg, check) {
		e.printf("!!! FAILURE %s: %s", k, msg)
	}
	e.fails.signal()
}

// gps reads the flavor's grace-period counter, or 0 without one.
func (e *engine) gps() uint64 {
	if e.ops.GPs == nil {
		return 0
	}
	return e.ops.GPs()
}

func (e *engine) rng(stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(e.cfg.Seed, stream))
}

// Random streams: one per worker, derived from the seed.
const (
	streamReader = 1 << 32 * (iota + 1)
	streamWriter
	streamFake
	streamBarrier
	streamFwd
	streamReadExit
	streamStutter
	streamShuffle
)

func (e *engine) log(name string) Log {
	if e.rec == nil {
		return nil
	}
	return e.rec.Log(name)
}

// Run tortures a fresh instance of flavor f as cfg says, printing a report
// to cfg.Out, and returns the verdict. The run ends after cfg.Duration,
// when ctx is done (a clean end, as on SIGINT: final stats and a verdict),
// or, with cfg.StopOnFailure, at the first failure. A run whose Duration
// is over before it met the health criteria (every reader completed a
// section, some element was freed) goes on in overtime until it does, for
// at most cfg.Overtime. The report's last line is "End of test: SUCCESS",
// "End of test: FAILURE: <kinds>" or "End of test: INCONCLUSIVE: <why>",
// after the seed and the command that reproduces the configuration.
//
// Run panics with a "torture: ..." message if cfg or the flavor's Ops are
// unusable.
func Run(ctx context.Context, f rcuops.Flavor, cfg Config) *Result {
	if f.Name == "" || f.New == nil {
		panic("torture: a Flavor needs a Name and a New function")
	}
	if err := cfg.Validate(); err != nil {
		panic(err.Error())
	}
	for cfg.Seed == 0 {
		cfg.Seed = rand.Uint64() % 1e9
	}
	e := &engine{cfg: cfg, flavor: f, rec: cfg.Recorder, done: make(chan struct{})}
	e.out.w = cfg.Out
	if e.out.w == nil {
		e.out.w = os.Stdout
	}
	e.gate.init()
	e.fails.init()
	e.clock = progress.Acquire()
	defer progress.Release(e.clock)
	e.start = time.Now()
	now := int64(e.clock.Now()) // the clock is shared: it does not start at 0
	e.w.since.Store(now)
	e.w.progress.Store(now)

	env := rcuops.Env{StallTimeout: cfg.StallTimeout, Stall: e.stallReport}
	if cfg.Inject > 0 {
		e.inj = newInjector(cfg.Inject)
		env.Inject = e.inj.hit
	}
	e.ops = f.New(env)
	validateOps(f.Name, e.ops)
	if e.inj != nil {
		if len(e.ops.Injection) == 0 {
			e.inj = nil
		} else {
			e.inj.declare(e.ops.Injection)
		}
	}

	if cfg.GOMAXPROCS > 0 || cfg.Shuffle > 0 {
		procs.acquire()
		defer procs.release()
		if cfg.GOMAXPROCS > 0 {
			runtime.GOMAXPROCS(cfg.GOMAXPROCS)
		}
	}
	e.c.procs.Store(int64(runtime.GOMAXPROCS(0)))
	e.gps0 = e.gps()
	e.lastSample.gps, e.lastStats.gps = e.gps0, e.gps0 // the series count from here
	if cfg.JSON != nil {
		e.json = &jsonStream{w: cfg.JSON}
	}
	e.printHeader()
	e.jsonStart(cfg.Command(f))
	e.initElements()
	if e.rec != nil {
		e.cbLog = &lockedLog{log: e.rec.Log("callbacks")}
		e.readBudget.Store(readsPerSegment)
	}
	e.startWorkers()

	var deadline <-chan time.Time
	if cfg.Duration > 0 {
		t := time.NewTimer(cfg.Duration)
		defer t.Stop()
		deadline = t.C
	}
	var firstFail <-chan struct{}
	if cfg.StopOnFailure {
		firstFail = e.fails.first
	}
	res := &Result{Seed: cfg.Seed, Command: cfg.Command(f)}
	select {
	case <-deadline:
		e.overtime(ctx, res)
	case <-ctx.Done():
		res.Interrupted = true
		e.printf("interrupted: ending the run")
	case <-firstFail:
		e.printf("stopping at the first failure")
	}
	e.finish(res)
	return res
}

func (e *engine) printHeader() {
	o := e.ops
	e.header("flavor %s: %s", e.flavor.Name, e.flavor.Doc)
	e.header("config: %s", strings.Join(e.cfg.Args(), " "))
	yes := func(ok bool) string {
		if ok {
			return "yes"
		}
		return "no"
	}
	e.header("ops: token readers yes, registered readers %s, expedited %s, call %s, barrier %s, polled %s, gp counter %s, pending %s, stall reports %s, publish hook %s",
		yes(o.Register != nil), yes(o.SynchronizeExpedited != nil), yes(o.Call != nil), yes(o.Barrier != nil),
		yes(o.Poll != nil), yes(o.GPs != nil), yes(o.Pending != nil), yes(o.Stalls != nil), yes(o.Publish != nil))
	switch {
	case e.inj != nil:
		e.header("injection: p=%g at %s", e.cfg.Inject, joinPoints(o.Injection))
	case len(o.Injection) > 0:
		e.header("injection: off (-inject 0); points: %s", joinPoints(o.Injection))
	default:
		e.header("injection: the flavor has no injection points")
	}
	var skipped []string
	if o.GPs == nil {
		skipped = append(skipped, "Reader Batch and GP-counter checks (no GP counter)")
	}
	if o.Poll == nil {
		skipped = append(skipped, "polled waits and cookie checks (no Snapshot/Poll)")
	}
	if o.Call == nil {
		skipped = append(skipped, "callback chains, call-and-wait and forward progress (no Call)")
	}
	if o.Barrier == nil {
		skipped = append(skipped, "barrier tester (no Barrier)")
	}
	if o.Register == nil {
		skipped = append(skipped, "registered readers (no Register)")
	}
	e.header("workers: %s", strings.Join(e.workerNames(), ", "))
	if len(skipped) > 0 {
		e.header("skipped: %s", strings.Join(skipped, "; "))
	}
}

func (e *engine) workerNames() []string {
	c := e.cfg
	n := []string{fmt.Sprintf("%d readers (%d registered)", c.Readers, e.registeredReaders()), "1 writer"}
	if c.FakeWriters > 0 {
		n = append(n, fmt.Sprintf("%d fake writers", c.FakeWriters))
	}
	if e.barrierTester() {
		n = append(n, fmt.Sprintf("barrier tester (%d cbs/round)", c.BarrierCallbacks))
	}
	if e.fwdProgress() {
		n = append(n, fmt.Sprintf("fwd-progress (flood every %v)", c.FwdProgress))
	}
	if c.ReadExit > 0 {
		n = append(n, fmt.Sprintf("read-exit (%d per burst)", c.ReadExit))
	}
	if c.Stutter > 0 {
		n = append(n, fmt.Sprintf("stutter (every %v)", c.Stutter))
	}
	if c.Shuffle > 0 {
		n = append(n, fmt.Sprintf("shuffle (every %v)", c.Shuffle))
	}
	return n
}

func (e *engine) registeredReaders() int {
	if e.ops.Register == nil {
		return 0
	}
	return e.cfg.Readers / 2
}

func (e *engine) barrierTester() bool { return e.cfg.BarrierCallbacks > 0 && e.ops.Barrier != nil }

func (e *engine) fwdProgress() bool { return e.cfg.FwdProgress > 0 && e.ops.Call != nil }

func (e *engine) startWorkers() {
	c := e.cfg
	e.readers = make([]readerStats, c.Readers+1)
	reg := e.registeredReaders()
	spawn := func(f func()) {
		e.nworkers++
		e.wg.Add(1)
		go func() {
			defer e.wg.Done()
			f()
		}()
	}
	for i := range c.Readers {
		registered := i < reg
		spawn(func() { e.reader(i, registered) })
	}
	spawn(e.writer)
	for i := range c.FakeWriters {
		spawn(func() { e.fakeWriter(i) })
	}
	if e.barrierTester() {
		spawn(e.barrierWorker)
	}
	if e.fwdProgress() {
		spawn(e.fwdWorker)
	}
	if c.ReadExit > 0 {
		spawn(e.readExitWorker)
	}
	control := func(f func()) {
		e.ctl.Add(1)
		go func() {
			defer e.ctl.Done()
			f()
		}()
	}
	control(e.statsLoop)
	control(e.samplerLoop)
	if c.Stutter > 0 {
		control(e.stutterLoop)
	}
	if c.Shuffle > 0 {
		control(e.shuffleLoop)
	}
}

// waitGroup waits for wg, up to d of progress time, and reports whether
// it finished.
func (e *engine) waitGroup(wg *sync.WaitGroup, d time.Duration) bool {
	ch := make(chan struct{})
	go func() {
		wg.Wait()
		close(ch)
	}()
	return e.clock.Within(ch, d)
}

// pendingCallbacks is the number of engine callbacks queued but not run.
func (e *engine) pendingCallbacks() uint64 { return e.c.cbIssued.Load() - e.c.cbInvoked.Load() }

// overtime runs the run on after its Duration while the health criteria
// are unmet, for at most Config.Overtime of wall-clock time, so that a run
// on a slow or loaded machine gathers the evidence a verdict needs instead
// of giving up. A failure, or the end of ctx, ends it early; a run that
// has already failed needs no more evidence.
func (e *engine) overtime(ctx context.Context, res *Result) {
	unmet := e.unmet()
	if e.cfg.Overtime == 0 || len(unmet) == 0 || e.fails.any.Load() {
		return
	}
	e.printf("overtime: %s; running on for up to %v until the health criteria are met", strings.Join(unmet, "; "), e.cfg.Overtime)
	start := time.Now()
	limit := time.NewTimer(e.cfg.Overtime)
	defer limit.Stop()
	poll := time.NewTicker(10 * time.Millisecond)
	defer poll.Stop()
	end := func(how string) {
		res.Overtime = time.Since(start)
		e.printf("overtime: ended after %v: %s", res.Overtime.Round(time.Millisecond), how)
	}
	for {
		select {
		case <-limit.C:
			end("the health criteria are still unmet")
			return
		case <-ctx.Done():
			res.Interrupted = true
			end("interrupted")
			return
		case <-e.fails.first:
			end("a failure")
			return
		case <-poll.C:
			if len(e.unmet()) == 0 {
				end("the health criteria are met")
				return
			}
		}
	}
}

// unmet returns the health criteria the run has not met yet. They are
// counts, never times: every reader has completed a section, and some
// element has reached age PipeLen and been freed. A run that has not met
// them cannot judge: a starved reader or writer makes a broken RCU look
// fine.
func (e *engine) unmet() []string {
	var why []string
	starved := 0
	for i := range e.cfg.Readers {
		if e.readers[i].reads.Load() == 0 {
			starved++
		}
	}
	if starved > 0 {
		why = append(why, fmt.Sprintf("%d of %d readers never completed a read section: the readers were starved", starved, e.cfg.Readers))
	}
	if e.c.circulation[PipeLen].Load() == 0 {
		why = append(why, fmt.Sprintf("no element reached age %d and was freed (versions published: %d): the writer was starved, so the freed-element checks never ran",
			PipeLen, e.c.versions.Load()))
	}
	return why
}

// stallReport is Env.Stall. A flavor measures its stalls on the wall
// clock, so a report counts as a FAILURE only if the process had at least
// half of the StallTimeout window to run; otherwise the machine, not the
// flavor, may have held up the grace period, and the report is a note.
func (e *engine) stallReport(report string) {
	window := e.cfg.StallTimeout
	if had := e.clock.Over(window); had < window/2 {
		if e.notJudged.Add(1) <= printedPerKind {
			e.printf("gp-stall report (not judged: the process was starved, with %v of progress time in the last %v): %s",
				had.Round(time.Millisecond), window, report)
		}
		return
	}
	e.fail(KindGPStall, "%s", report)
}

// recorderErr handles an error from the Recorder: one that wraps
// ErrInconclusive makes the run inconclusive, its message the reason; any
// other is a KindCheck FAILURE, which keeps the check's result when the
// error is a *CheckError.
func (e *engine) recorderErr(err error) {
	if errors.Is(err, ErrInconclusive) {
		if why := err.Error(); e.fails.cannotJudge(why) {
			e.printf("could not judge: %s", why)
		}
		return
	}
	var check *linearize.Result
	if ce, ok := errors.AsType[*CheckError](err); ok {
		r := ce.Result
		check = &r
	}
	e.failWith(KindCheck, check, err.Error())
}

func (e *engine) finish(res *Result) {
	close(e.done)
	e.ctl.Wait()
	e.gate.stop()
	stopped := e.waitGroup(&e.wg, e.cfg.StallTimeout)
	if !stopped {
		e.fail(KindStuck, "workers did not stop within %v of the end of the run; %s", e.cfg.StallTimeout, e.writerDump())
	}
	if !e.clock.WaitFor(e.cfg.StallTimeout, func() bool { return e.pendingCallbacks() == 0 }) {
		e.fail(KindStuck, "%d engine callbacks still not invoked %v after the end of the run", e.pendingCallbacks(), e.cfg.StallTimeout)
	}
	s := e.snapshot() // before Close: the flavor's counters may not outlive it
	if e.ops.Close != nil {
		e.ops.Close()
	}
	if !stopped && !e.waitGroup(&e.wg, e.cfg.StallTimeout) {
		e.printf("!!! some workers are still stuck after Close; abandoning them")
	}

	res.Elapsed = s.at
	res.NotJudged = e.notJudged.Load()
	res.Flavor, res.Config, res.CountsGPs = e.flavor, e.cfg, e.ops.GPs != nil
	res.Samples = e.finalSamples(s)
	e.jsonInterval(e.lastStats, s)
	e.printf("final stats:")
	e.printStats(s, snapshot{})
	unmet := e.checkHealth(s, res)
	if e.rec != nil {
		if err := e.rec.Close(); err != nil {
			e.recorderErr(err)
		}
		e.header("check: %s", e.rec.Summary())
	}

	res.Reads, res.Versions, res.Pipe, res.Batch, res.Circulation = s.reads, s.versions, s.pipe, s.batch, s.circ
	if e.ops.GPs != nil {
		res.GPs = s.gps - e.gps0
	}
	res.Callbacks = e.c.cbInvoked.Load()
	res.NearMisses = nonzeroFrom(s.batch[:], 2)
	res.Failures = e.fails.list()
	for i, f := range res.Failures {
		if i == 0 || f.At < res.FirstFailure {
			res.FirstFailure = f.At
		}
	}
	e.fails.mu.Lock()
	res.Inconclusive = append(res.Inconclusive, e.fails.undecided...)
	e.fails.mu.Unlock()
	switch {
	case len(res.Failures) > 0:
		res.Verdict = Failed
	case len(unmet)+len(res.Inconclusive) > 0:
		res.Inconclusive = append(unmet, res.Inconclusive...)
		res.Verdict = Inconclusive
	default:
		res.Verdict = Success
	}

	e.header("seed %d", e.cfg.Seed)
	e.header("reproduce: %s", res.Command)
	for _, r := range res.Inconclusive {
		e.header("inconclusive: %s", r)
	}
	switch res.Verdict {
	case Success:
		e.out.line("End of test: SUCCESS")
	case Inconclusive:
		e.out.line("End of test: INCONCLUSIVE: " + strings.Join(res.Inconclusive, "; "))
	case Failed:
		kinds := make([]string, len(res.Failures))
		for i, f := range res.Failures {
			e.header("failure: %s", f)
			kinds[i] = f.Kind.String()
		}
		e.header("first failure after %.2fs", res.FirstFailure.Seconds())
		e.out.line("End of test: FAILURE: " + strings.Join(kinds, ", "))
	}
	e.jsonVerdict(res)
	e.out.close()
}

// checkHealth prints the health line and returns the health criteria the
// run left unmet (see unmet), each saying how far the run went to meet
// them, or nil for a run that failed: a failure needs no more evidence.
func (e *engine) checkHealth(s snapshot, res *Result) []string {
	minReads := ^uint64(0)
	for i := range e.cfg.Readers {
		minReads = min(minReads, e.readers[i].reads.Load())
	}
	line := fmt.Sprintf("health: %d versions (%s), %d elements freed, reads per reader >= %d, %d near misses",
		s.versions, rate(s.versions, s.at), s.circ[PipeLen], minReads, nonzeroFrom(s.batch[:], 2))
	if res.Overtime > 0 {
		line += fmt.Sprintf(", %v of overtime", res.Overtime.Round(time.Millisecond))
	}
	if res.NotJudged > 0 {
		line += fmt.Sprintf(", liveness checks not judged: %d (the process was starved)", res.NotJudged)
	}
	e.header("%s", line)
	if e.fails.any.Load() {
		return nil
	}
	unmet := e.unmet()
	var after string
	switch {
	case res.Interrupted:
		after = "the run was interrupted"
	case e.cfg.Overtime == 0:
		after = "without overtime: Overtime is 0"
	case res.Overtime > 0:
		after = fmt.Sprintf("after %v of overtime", res.Overtime.Round(time.Millisecond))
	}
	if after != "" {
		for i := range unmet {
			unmet[i] += " (" + after + ")"
		}
	}
	return unmet
}

// procs shares GOMAXPROCS changes among concurrent runs: the first run to
// change it saves the value, the last one restores it.
var procs procShare

type procShare struct {
	mu    sync.Mutex
	users int
	saved int
}

func (p *procShare) acquire() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.users == 0 {
		p.saved = runtime.GOMAXPROCS(0)
	}
	p.users++
}

func (p *procShare) release() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.users--; p.users == 0 {
		runtime.GOMAXPROCS(p.saved)
	}
}

func joinPoints(ps []rcuops.Point) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = string(p)
	}
	return strings.Join(s, ", ")
}
