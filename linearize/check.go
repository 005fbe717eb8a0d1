package linearize

import (
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/rcukit/rcukit/model"
)

// A Verdict is the outcome of a check. The zero Verdict is Unknown, so a
// Result that was never filled in is never taken for Ok.
type Verdict int

const (
	Unknown Verdict = iota // the checker could not decide: timeout, a partition over the cap, a malformed history
	Ok                     // a legal linearization exists for every part of the history
	Illegal                // no legal linearization exists: the implementation broke a rule
)

func (v Verdict) String() string {
	switch v {
	case Ok:
		return "ok"
	case Illegal:
		return "illegal"
	}
	return "unknown"
}

// Defaults for Options.
const (
	DefaultTimeout      = time.Minute
	DefaultMaxPartition = 10000
)

// Options configure Check and Stream.
type Options struct {
	// Timeout bounds a whole Check, or one Feed or Close of a Stream; on
	// expiry the verdict is Unknown. 0 means DefaultTimeout.
	Timeout time.Duration
	// MaxPartition is the most operations handed to porcupine at once,
	// whose memory grows as the square of that number. A segment that
	// cannot be cut into partitions this small is Unknown. 0 means
	// DefaultMaxPartition.
	MaxPartition int
	// HTML, if not empty, is where to write porcupine's visualization of
	// an Illegal history: a file name, or an existing directory in which
	// a new file is created.
	HTML string
	// Workers is how many partitions are checked at once. 0 means
	// GOMAXPROCS.
	Workers int
	// Progress, if not nil, is told how far the check has got each time
	// a segment is done: all of its partitions checked, or skipped
	// because an earlier part is Illegal or time ran out. It is called
	// from the goroutines that check, but never twice at once, and
	// Progress.Done grows by one with each call. It should return
	// quickly: the workers wait for it. For Check, Total is the number
	// of segments of the whole history, and the last call before Check
	// returns has Done == Total (no call is made for a malformed
	// history). For a Stream, Done and Total count from the first Feed,
	// and Total grows as Feed and Close find more segments complete.
	Progress func(Progress)
}

// A Progress says how far a check has got, for Options.Progress.
type Progress struct {
	Done   int // segments done
	Total  int // segments to check (for a Stream: known so far)
	Events int // events in the segments done
}

func (o Options) timeout() time.Duration {
	switch {
	case o.Timeout < 0:
		panic("linearize: negative Options.Timeout")
	case o.Timeout == 0:
		return DefaultTimeout
	}
	return o.Timeout
}

func (o Options) maxPartition() int {
	switch {
	case o.MaxPartition < 0:
		panic("linearize: negative Options.MaxPartition")
	case o.MaxPartition == 0:
		return DefaultMaxPartition
	}
	return o.MaxPartition
}

func (o Options) workers() int {
	if o.Workers > 0 {
		return o.Workers
	}
	return runtime.GOMAXPROCS(0)
}

// A Result is the outcome of a check with what is needed to act on it.
type Result struct {
	Verdict Verdict
	// For Illegal: the rule broken, in words, and the operations
	// involved, the one that broke the rule first. Rule is empty if the
	// checker found no linearization but could not single out one
	// operation (Detail then says why).
	Rule   model.Rule
	Detail string
	Ops    []Event
	// Visualization is the path of porcupine's HTML page for an Illegal
	// history, if Options.HTML asked for one; VisualizationErr says why
	// it could not be written, if it could not.
	Visualization    string
	VisualizationErr error
	// Reason says why the verdict is Unknown.
	Reason string

	Events     int           // events checked
	Segments   int           // pieces the history was cut into at quiescent points
	Partitions int           // porcupine checks run
	Largest    int           // operations in the largest of them
	Elapsed    time.Duration // time spent checking
}

func (r Result) String() string {
	switch r.Verdict {
	case Ok:
		return fmt.Sprintf("ok: %s in %s, %s (largest %s), %v",
			plural(r.Events, "event"), plural(r.Segments, "segment"), plural(r.Partitions, "partition"),
			plural(r.Largest, "operation"), r.Elapsed.Round(time.Millisecond))
	case Illegal:
		if r.Rule == "" {
			return "illegal: " + r.Detail
		}
		return fmt.Sprintf("illegal: %s: %s", r.Rule, r.Detail)
	}
	return "unknown: " + r.Reason
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// Report returns the result with the operations involved, one per line,
// and the path of the visualization, for people to read.
func (r Result) Report() string {
	var b strings.Builder
	b.WriteString(r.String())
	b.WriteString("\n")
	if r.Verdict == Illegal && r.Rule != "" {
		fmt.Fprintf(&b, "  rule %s: %s\n", r.Rule, r.Rule.Doc())
	}
	for i, e := range r.Ops {
		mark := "  "
		if i == 0 {
			mark = "->"
		}
		fmt.Fprintf(&b, "  %s t=[%d,%d] client %d: %v\n", mark, e.Call, e.Return, e.Client, e.Op)
	}
	if r.Visualization != "" {
		fmt.Fprintf(&b, "  visualization: %s\n", r.Visualization)
	}
	if r.VisualizationErr != nil {
		fmt.Fprintf(&b, "  visualization not written: %v\n", r.VisualizationErr)
	}
	return b.String()
}

// Check checks h against the model with porcupine. It validates h first
// (a malformed history is Unknown), cuts it at quiescent points into
// segments, checks each segment's partitions from the state at its cut,
// and on Illegal names the rule broken and the operations involved, and
// writes the visualization that opts.HTML asks for.
//
// Illegal means definitely illegal. Ok means every segment has a legal
// linearization. Unknown is anything else and must never be taken for Ok.
func Check(h History, opts Options) Result {
	start := time.Now()
	deadline := start.Add(opts.timeout())
	if err := h.Validate(); err != nil {
		return Result{Verdict: Unknown, Reason: "malformed history: " + err.Error(), Elapsed: time.Since(start)}
	}
	s := NewStream(opts)
	s.pending = h.Sorted()
	s.finish(deadline)
	s.res.Elapsed = time.Since(start)
	return s.res
}

// A Stream checks a long history in pieces as it is recorded, keeping only
// the events since the last point where it could cut. Feed it what
// Recorder.Drain returns, then Close it.
//
// A Stream checks what it is fed as Check does, but validates only each
// event, not the pairing of begins and ends across the whole history.
type Stream struct {
	opts    Options
	state   model.State // the state at the last cut
	pending History     // events since the last cut, sorted
	horizon int64       // every event checked so far returned by then
	res     Result
	stopped bool // Illegal, or a malformed event: nothing more is checked
	closed  bool
}

// NewStream returns a Stream that checks with opts, starting from
// model.Init.
func NewStream(opts Options) *Stream {
	opts.timeout() // panics early on bad options
	opts.maxPartition()
	return &Stream{opts: opts, state: model.Init(), horizon: -1, res: Result{Verdict: Ok}}
}

// Feed adds events to the history and checks every segment that is now
// complete; it returns the result so far, which covers the events checked
// (Result.Events) and not those waiting for a cut. Events must come in
// time order across calls: each must be called after every event of
// earlier Feeds that has been checked returned, which holds when each
// batch is a Drain taken while every client was idle.
func (s *Stream) Feed(events History) Result {
	if s.closed {
		panic("linearize: Feed after Close")
	}
	start := time.Now()
	s.feed(events, start.Add(s.opts.timeout()))
	s.res.Elapsed += time.Since(start)
	return s.res
}

// Close checks the events still pending as the end of the history and
// returns the final result. Feed must not be called after Close.
func (s *Stream) Close() Result {
	if s.closed {
		return s.res
	}
	start := time.Now()
	s.finish(start.Add(s.opts.timeout()))
	s.res.Elapsed += time.Since(start)
	return s.res
}

// Result returns the result so far.
func (s *Stream) Result() Result { return s.res }

func (s *Stream) feed(events History, deadline time.Time) {
	if s.stopped {
		return
	}
	batch := events.Sorted()
	for i, e := range batch {
		if e.Call <= s.horizon {
			panic(fmt.Sprintf("linearize: Feed of an event called at %d, before the history checked so far ended at %d", e.Call, s.horizon))
		}
		if err := e.Op.Validate(); err != nil || e.Return < e.Call || e.Client < 0 {
			if err == nil {
				err = fmt.Errorf("bad times or client")
			}
			s.unknown(fmt.Sprintf("malformed history: event %d of this batch (%v): %v", i, e, err))
			s.stopped = true
			return
		}
	}
	s.pending = merge(s.pending, batch)
	cs := cuts(s.pending, false)
	if len(cs) == 0 {
		return
	}
	end := cs[len(cs)-1]
	s.check(s.pending[:end], cs, deadline, false)
	s.pending = slices.Clone(s.pending[end:])
}

func (s *Stream) finish(deadline time.Time) {
	s.closed = true
	if !s.stopped && len(s.pending) > 0 {
		s.check(s.pending, cuts(s.pending, true), deadline, true)
	}
	s.pending = nil
}

func (s *Stream) unknown(reason string) {
	if s.res.Verdict == Illegal {
		return
	}
	if s.res.Verdict != Unknown {
		s.res.Verdict, s.res.Reason = Unknown, reason
	}
}

func merge(a, b History) History {
	if len(a) == 0 {
		return b
	}
	out := make(History, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		if compareEvents(b[j], a[i]) < 0 {
			out = append(out, b[j])
			j++
		} else {
			out = append(out, a[i])
			i++
		}
	}
	out = append(out, a[i:]...)
	return append(out, b[j:]...)
}

// minSegment is the fewest events a segment gets when cut points are
// close together: tiny segments cost more in overhead than they save.
const minSegment = 512

// cuts returns the indexes at which evs (sorted by call) can be cut, in
// increasing order, thinned so that segments have at least minSegment
// events where possible; the last cut point is always kept. With final
// the end of evs is a cut too.
//
// A cut before evs[i] needs every earlier event to have returned before
// evs[i] was called, no reader, Synchronize, Barrier or traversal open
// across it, and the segment's last Publish to be definitely after every
// other Publish of the segment. Then every legal linearization of the
// events before the cut ends in the same state (model.State.Settle).
func cuts(evs History, final bool) []int {
	type key struct {
		k  model.Kind
		id uint64
	}
	open := map[key]bool{}
	var (
		all                []int
		maxRet             int64 = -1
		hasPub             bool
		lastPubCall        int64
		lastPubRet, prevPR int64 = -1, -1
	)
	for i, e := range evs {
		if i > 0 && maxRet < e.Call && len(open) == 0 && (!hasPub || prevPR < lastPubCall) {
			all = append(all, i)
			hasPub, prevPR = false, -1
		}
		op := e.Op
		switch op.Kind {
		case model.ReadBegin, model.SyncBegin, model.BarrierBegin, model.TraverseBegin:
			open[key{op.Kind, op.ID}] = true
		case model.ReadEnd, model.SyncEnd, model.BarrierEnd, model.TraverseEnd:
			delete(open, key{op.Kind.Opener(), op.ID})
		case model.Publish:
			if hasPub {
				prevPR = max(prevPR, lastPubRet)
			}
			hasPub, lastPubCall, lastPubRet = true, e.Call, e.Return
		}
		maxRet = max(maxRet, e.Return)
	}
	if final && len(evs) > 0 {
		all = append(all, len(evs))
	}
	var out []int
	last := 0
	for j, c := range all {
		if c-last >= minSegment || j == len(all)-1 {
			out = append(out, c)
			last = c
		}
	}
	return out
}

type task struct {
	pt      part
	seg     int // the index of its segment among those checked together
	verdict Verdict
	reason  string
}

// progress counts the segments of one call of Stream.check as their
// tasks are done, and reports them to Options.Progress.
type progress struct {
	report func(Progress)
	mu     sync.Mutex
	left   []int // tasks not yet done, by segment
	events []int // events, by segment
	now    Progress
}

// taskDone records that a task of segment seg is done, and reports the
// segment when it was the segment's last.
func (p *progress) taskDone(seg int) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.left[seg]--; p.left[seg] == 0 {
		p.now.Done++
		p.now.Events += p.events[seg]
		p.report(p.now)
	}
}

// check checks evs, cut at ends (the last is len(evs)), starting from
// s.state, and folds the outcome into s.res. Unless final, each segment
// must end quiescent, and s.state moves to the end of evs.
func (s *Stream) check(evs History, ends []int, deadline time.Time, final bool) {
	var tasks []*task
	st := s.state
	prev := 0
	maxPart := s.opts.maxPartition()
	var prog *progress
	if s.opts.Progress != nil {
		prog = &progress{report: s.opts.Progress, left: make([]int, len(ends)), events: make([]int, len(ends)),
			now: Progress{Done: s.res.Segments, Total: s.res.Segments + len(ends), Events: s.res.Events}}
	}
	for n, end := range ends {
		seg := evs[prev:end]
		if prog != nil {
			prog.events[n] = len(seg)
		}
		ops := make([]model.Op, len(seg))
		for i, e := range seg {
			ops[i] = e.Op
		}
		for _, grp := range model.Partition(ops) {
			pt := part{events: make([]Event, len(grp))}
			sub := make([]model.Op, len(grp))
			for j, i := range grp {
				pt.events[j], sub[j] = seg[i], ops[i]
			}
			pt.init = st.Project(sub)
			t := &task{pt: pt, seg: n}
			if prog != nil {
				prog.left[n]++
			}
			if len(grp) > maxPart {
				t.verdict = Unknown
				t.reason = fmt.Sprintf("a segment of %d events from t=%d to t=%d has a partition of %d operations, over the cap of %d; the history has no quiescent point to cut it at",
					len(seg), seg[0].Call, seg[len(seg)-1].Return, len(grp), maxPart)
			}
			tasks = append(tasks, t)
			s.res.Largest = max(s.res.Largest, len(grp))
		}
		if !final || n < len(ends)-1 {
			var err error
			if st, err = st.Settle(ops); err != nil {
				s.unknown("internal error: cut at a point that is not quiescent: " + err.Error())
				s.stopped = true
				return
			}
		}
		prev = end
	}
	s.run(tasks, deadline, prog)
	s.res.Events += len(evs)
	s.res.Segments += len(ends)
	s.res.Partitions += len(tasks)
	for _, e := range evs {
		s.horizon = max(s.horizon, e.Return)
	}
	s.state = st
	for _, t := range tasks {
		switch t.verdict {
		case Illegal:
			s.illegal(t.pt, evs, deadline)
			s.stopped = true
			return
		case Unknown:
			s.unknown(t.reason)
		}
	}
}

// run checks the tasks that have no verdict yet, several at once. Tasks
// after the first one found Illegal are skipped (left Unknown). Each task,
// checked or skipped, is counted in prog (which may be nil).
func (s *Stream) run(tasks []*task, deadline time.Time, prog *progress) {
	var next atomic.Int64
	var firstIllegal atomic.Int64
	firstIllegal.Store(int64(len(tasks)))
	var wg sync.WaitGroup
	for range min(s.opts.workers(), len(tasks)) {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= int64(len(tasks)) {
					return
				}
				t := tasks[i]
				switch left := time.Until(deadline); {
				case t.reason != "":
				case i > firstIllegal.Load():
					t.reason = "not checked: an earlier part is illegal"
				case left <= 0:
					t.reason = "timeout before this part could be checked"
				default:
					t.verdict, t.reason = t.pt.check(left)
					if t.verdict == Illegal {
						for {
							f := firstIllegal.Load()
							if f <= i || firstIllegal.CompareAndSwap(f, i) {
								break
							}
						}
					}
				}
				prog.taskDone(t.seg)
			}
		})
	}
	wg.Wait()
}

// illegal fills s.res for the Illegal part pt of evs.
func (s *Stream) illegal(pt part, evs History, deadline time.Time) {
	left := max(time.Until(deadline), 10*time.Second) // the verdict is in; naming it may take a little longer
	b := pt.explain(left)
	r := &s.res
	r.Verdict, r.Reason = Illegal, ""
	if b.culprit >= 0 {
		r.Rule, r.Detail = b.violation.Rule, b.violation.Detail
		c := pt.events[b.culprit]
		r.Ops = append([]Event{c}, related(evs, b.violation.Related, c)...)
	} else {
		r.Detail = b.reason
	}
	if s.opts.HTML != "" {
		r.Visualization, r.VisualizationErr = visualize(s.opts.HTML, b.model, b.info)
	}
}

// related returns the events of evs (other than the culprit) that refs
// name, at most a dozen (from the first refs), in time order.
func related(evs []Event, refs []model.Ref, culprit Event) []Event {
	var idx []int
	for _, ref := range refs {
		for i, e := range evs {
			if len(idx) < 12 && !sameEvent(e, culprit) && matches(ref, e.Op) && !slices.Contains(idx, i) {
				idx = append(idx, i)
			}
		}
	}
	slices.Sort(idx)
	out := make([]Event, len(idx))
	for j, i := range idx {
		out[j] = evs[i]
	}
	return out
}

func sameEvent(a, b Event) bool {
	return a.Client == b.Client && a.Call == b.Call && a.Return == b.Return && a.Op.Kind == b.Op.Kind
}

func matches(ref model.Ref, op model.Op) bool {
	switch ref.Kind {
	case model.ReadBegin:
		return (op.Kind == model.ReadBegin || op.Kind == model.ReadEnd) && op.ID == ref.Subject
	case model.TraverseBegin:
		return (op.Kind == model.TraverseBegin || op.Kind == model.TraverseEnd) && op.ID == ref.Subject
	case model.Insert:
		return op.Kind == model.Insert && op.Key == ref.Subject ||
			op.Kind == model.Replace && op.OK && op.Key2 == ref.Subject
	}
	return op.Kind == ref.Kind && op.Subject() == ref.Subject
}

// visualize writes porcupine's page to dest, a file or an existing
// directory, and returns the file's path.
func visualize(dest string, m porcupine.Model, info porcupine.LinearizationInfo) (string, error) {
	path := dest
	if fi, err := os.Stat(dest); err == nil && fi.IsDir() {
		f, err := os.CreateTemp(dest, "rcukit-illegal-*.html")
		if err != nil {
			return "", err
		}
		path = f.Name()
		f.Close()
	}
	if err := porcupine.VisualizePath(m, info, path); err != nil {
		return "", err
	}
	return path, nil
}
