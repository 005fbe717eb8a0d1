package torture

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// A failKind is one way a run can fail. Each has a short name that
// prefixes its messages and the verdict.
type failKind int

const (
	failPipe        failKind = iota // a reader saw its element at age >= 2
	failFreed                       // a reader saw a freed (poisoned) element
	failUninit                      // a reader saw an element not yet initialized
	failReused                      // a reader's element was freed and reused while it held it
	failSyncGP                      // Synchronize returned with no grace period counted
	failCallbackGP                  // a callback ran with no grace period counted since its Call
	failPollGP                      // Poll reported completion with no grace period counted
	failPollReader                  // Poll completed a cookie taken inside a still-open section
	failPollSync                    // Poll denied completion after a full Synchronize
	failBarrier                     // Barrier returned before earlier callbacks ran
	failWriterStall                 // no new version for a whole stats interval of progress time
	failFwd                         // a callback flood did not make progress or grew unbounded
	failGPStall                     // the flavor reported a grace-period stall while the process could run
	failQuiesce                     // a stutter pause did not reach a quiescent point
	failStuck                       // a worker did not stop at the end of the run
	failCheck                       // the history checker found an illegal segment
	numFailKinds
)

var failNames = [numFailKinds]string{
	failPipe:        "pipe",
	failFreed:       "freed",
	failUninit:      "uninitialized",
	failReused:      "reused",
	failSyncGP:      "sync-gp",
	failCallbackGP:  "callback-gp",
	failPollGP:      "poll-gp",
	failPollReader:  "poll-in-reader",
	failPollSync:    "poll-after-sync",
	failBarrier:     "barrier",
	failWriterStall: "writer-stall",
	failFwd:         "fwd-progress",
	failGPStall:     "gp-stall",
	failQuiesce:     "quiesce",
	failStuck:       "stuck",
	failCheck:       "check",
}

func (k failKind) String() string { return failNames[k] }

// printedPerKind bounds the failure messages printed for each kind.
const printedPerKind = 5

// failures collects a run's failures.
type failures struct {
	count [numFailKinds]atomic.Uint64
	any   atomic.Bool
	first chan struct{} // closed at the first failure
	once  sync.Once

	mu        sync.Mutex
	firstMsg  [numFailKinds]string
	firstAt   time.Duration // since the start of the run
	undecided []string      // why checks could not judge (see Recorder)
}

func (f *failures) init() { f.first = make(chan struct{}) }

// add records a failure of kind k that happened at elapsed; it reports
// whether the message should be printed. The caller then calls signal.
func (f *failures) add(k failKind, elapsed time.Duration, msg string) bool {
	n := f.count[k].Add(1)
	f.mu.Lock()
	if f.firstMsg[k] == "" {
		f.firstMsg[k] = msg
	}
	if !f.any.Load() {
		f.firstAt = elapsed
		f.any.Store(true)
	}
	f.mu.Unlock()
	return n <= printedPerKind
}

// cannotJudge records that a check could not judge, and why, once per
// reason; it reports whether the reason is new.
func (f *failures) cannotJudge(why string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if slices.Contains(f.undecided, why) {
		return false
	}
	f.undecided = append(f.undecided, why)
	return true
}

// signal closes first, once.
func (f *failures) signal() { f.once.Do(func() { close(f.first) }) }

// reasons summarizes the failures, one per kind, in kind order.
func (f *failures) reasons() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var rs []string
	for k := range numFailKinds {
		if n := f.count[k].Load(); n > 0 {
			msg, _, _ := strings.Cut(f.firstMsg[k], "\n")
			rs = append(rs, fmt.Sprintf("%s x%d: %s", k, n, msg))
		}
	}
	return rs
}

// readerStats are one reader's counters. The reader accumulates locally
// and adds here now and then; the stats line sums all readers.
type readerStats struct {
	reads atomic.Uint64
	pipe  [PipeLen + 1]atomic.Uint64
	batch [PipeLen + 1]atomic.Uint64
	_     [64]byte
}

// localStats is a reader's private tally between flushes.
type localStats struct {
	reads uint64
	pipe  [PipeLen + 1]uint64
	batch [PipeLen + 1]uint64
}

func (l *localStats) flush(s *readerStats) {
	s.reads.Add(l.reads)
	for i := range l.pipe {
		if l.pipe[i] != 0 {
			s.pipe[i].Add(l.pipe[i])
		}
		if l.batch[i] != 0 {
			s.batch[i].Add(l.batch[i])
		}
	}
	*l = localStats{}
}

// counters are the engine's other statistics.
type counters struct {
	versions      atomic.Uint64 // elements published
	syncs         atomic.Uint64 // Synchronize and SynchronizeExpedited calls returned
	polls         atomic.Uint64 // polled waits completed
	cbQueued      atomic.Uint64 // engine callbacks whose Call returned
	cbInvoked     atomic.Uint64 // engine callbacks that have run
	cbIssued      atomic.Uint64 // engine Calls begun (cbIssued - cbInvoked is in flight)
	barriers      atomic.Uint64 // Barrier calls returned
	barrierRounds atomic.Uint64 // barrier-tester rounds
	barrierBad    atomic.Uint64 // rounds in which Barrier returned early
	floods        atomic.Uint64
	floodCbs      atomic.Uint64
	floodMaxPend  atomic.Uint64 // most flood callbacks pending at once
	flavorMaxPend atomic.Uint64 // largest Ops.Pending seen during floods
	readExits     atomic.Uint64
	pauses        atomic.Uint64
	procs         atomic.Int64 // current GOMAXPROCS after a shuffle
	circulation   [PipeLen + 1]atomic.Uint64
}

// snapshot is a consistent-enough copy of every counter for one stats line.
type snapshot struct {
	at       time.Duration
	reads    uint64
	pipe     [PipeLen + 1]uint64
	batch    [PipeLen + 1]uint64
	circ     [PipeLen + 1]uint64
	versions uint64
	gps      uint64
}

func (e *engine) snapshot() snapshot {
	s := snapshot{at: e.elapsed(), versions: e.c.versions.Load()}
	for i := range e.readers {
		r := &e.readers[i]
		s.reads += r.reads.Load()
		for j := range s.pipe {
			s.pipe[j] += r.pipe[j].Load()
			s.batch[j] += r.batch[j].Load()
		}
	}
	for j := range s.circ {
		s.circ[j] = e.c.circulation[j].Load()
	}
	if e.ops.GPs != nil {
		s.gps = e.ops.GPs()
	}
	return s
}

func nonzeroFrom(h []uint64, from int) uint64 {
	var n uint64
	for _, v := range h[from:] {
		n += v
	}
	return n
}

func hist(h []uint64) string {
	var b strings.Builder
	for i, v := range h {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprint(&b, v)
	}
	return b.String()
}

// rate formats n events over d as a per-second figure.
func rate(n uint64, d time.Duration) string {
	if d <= 0 {
		return "-"
	}
	r := float64(n) / d.Seconds()
	switch {
	case r >= 1e6:
		return fmt.Sprintf("%.2fM/s", r/1e6)
	case r >= 1e3:
		return fmt.Sprintf("%.1fk/s", r/1e3)
	}
	return fmt.Sprintf("%.0f/s", r)
}

// printStats prints one block of stats lines; prev is the previous block's
// snapshot, for rates.
func (e *engine) printStats(s, prev snapshot) {
	mark := func(bad bool) string {
		if bad {
			return "!!! "
		}
		return ""
	}
	var errs uint64
	for k := range numFailKinds {
		errs += e.fails.count[k].Load()
	}
	nearMiss := nonzeroFrom(s.batch[:], 2)
	gps := "n/a"
	if e.ops.GPs != nil {
		gps = fmt.Sprint(s.gps - e.gps0)
	}
	e.printf("%sreads %d (%s) versions %d gps %s syncs %d polls %d cbs %d/%d errors %d near-misses %d",
		mark(errs > 0), s.reads, rate(s.reads-prev.reads, s.at-prev.at), s.versions, gps,
		e.c.syncs.Load(), e.c.polls.Load(), e.c.cbInvoked.Load(), e.c.cbQueued.Load(), errs, nearMiss)

	var extra []string
	if e.cfg.BarrierCallbacks > 0 && e.ops.Barrier != nil {
		extra = append(extra, fmt.Sprintf("barrier: rounds %d failed %d", e.c.barrierRounds.Load(), e.c.barrierBad.Load()))
	}
	if e.cfg.FwdProgress > 0 && e.ops.Call != nil {
		fp := fmt.Sprintf("fwd: floods %d cbs %d max-pending %d", e.c.floods.Load(), e.c.floodCbs.Load(), e.c.floodMaxPend.Load())
		if e.ops.Pending != nil {
			fp += fmt.Sprintf(" flavor-max-pending %d", e.c.flavorMaxPend.Load())
		}
		extra = append(extra, fp)
	}
	if e.cfg.ReadExit > 0 {
		extra = append(extra, fmt.Sprintf("read-exit %d", e.c.readExits.Load()))
	}
	if e.cfg.Stutter > 0 {
		extra = append(extra, fmt.Sprintf("pauses %d", e.c.pauses.Load()))
	}
	if e.ops.Stalls != nil {
		extra = append(extra, fmt.Sprintf("stall-reports %d", e.ops.Stalls()))
	}
	extra = append(extra, fmt.Sprintf("gomaxprocs %d", e.c.procs.Load()))
	bad := e.c.barrierBad.Load() > 0 || e.fails.count[failFwd].Load() > 0 || e.fails.count[failGPStall].Load() > 0
	e.printf("%s%s", mark(bad), strings.Join(extra, " | "))

	e.printf("%sReader Pipe: %s", mark(nonzeroFrom(s.pipe[:], 2) > 0), hist(s.pipe[:]))
	if e.ops.GPs != nil {
		e.printf("Reader Batch: %s", hist(s.batch[:]))
	}
	e.printf("Free-Block Circulation: %s", hist(s.circ[:]))
	if e.inj != nil {
		e.printf("injections: %s", e.inj.summary())
	}
}

// output serializes the run's report lines.
type output struct {
	mu sync.Mutex
	w  io.Writer
}

func (o *output) line(s string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	io.WriteString(o.w, s+"\n")
}

// printf prints one report line stamped with the run's elapsed time.
func (e *engine) printf(format string, args ...any) {
	e.out.line(fmt.Sprintf("[%7.2fs] ", e.elapsed().Seconds()) + fmt.Sprintf(format, args...))
}

// header prints an unstamped line.
func (e *engine) header(format string, args ...any) {
	e.out.line("rcutorture: " + fmt.Sprintf(format, args...))
}

func formatUint(v uint64) string { return fmt.Sprint(v) }
