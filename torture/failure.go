package torture

// Failures: what a run found wrong, typed. Every check of the engine has a
// Kind, and every Kind but KindCheck names the guarantee of the model's
// table (model.Guarantees) that it sees broken; a history-check failure
// names the rule its linearize.Result found. The text of a failure is a
// view of it (Failure.String), never the source of its kind.

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rcukit/rcukit/linearize"
	"github.com/rcukit/rcukit/model"
)

// A Kind is one way a run can fail: the check that saw it.
type Kind uint8

// The kinds, in the order in which a report lists them.
const (
	KindPipe          Kind = iota + 1 // a reader saw its element at age >= 2 at the end of its section
	KindFreed                         // a reader saw a freed (poisoned) element
	KindUninitialized                 // a reader saw an element not yet initialized
	KindReused                        // a reader's element was freed and reused while it held it
	KindSyncGP                        // Synchronize returned with no grace period counted
	KindCallbackGP                    // a callback ran with no grace period counted since its Call
	KindPollGP                        // Poll reported completion with no grace period counted
	KindPollInReader                  // Poll completed a cookie taken inside a still-open section
	KindPollAfterSync                 // Poll denied completion after a whole Synchronize
	KindBarrier                       // Barrier returned before earlier callbacks ran
	KindWriterStall                   // no new version for a whole stats interval of progress time
	KindFwdProgress                   // a callback flood did not make progress or grew unbounded
	KindGPStall                       // the flavor reported a grace-period stall while the process could run
	KindQuiesce                       // a stutter pause did not reach a quiescent point
	KindStuck                         // a worker did not stop at the end of the run
	KindCheck                         // the history check found the history illegal, or its Recorder failed
	numKinds                          // one past the last
)

var kinds = [numKinds]struct {
	name string
	rule model.Rule
}{
	KindPipe:          {"pipe", model.ReclaimWhileHeld},
	KindFreed:         {"freed", model.ReadReclaimed},
	KindUninitialized: {"uninitialized", model.ReadHalfInitialized},
	KindReused:        {"reused", model.ReadReclaimed},
	KindSyncGP:        {"sync-gp", model.SyncEarly},
	KindCallbackGP:    {"callback-gp", model.CallbackEarly},
	KindPollGP:        {"poll-gp", model.PollEarly},
	KindPollInReader:  {"poll-in-reader", model.PollEarly},
	KindPollAfterSync: {"poll-after-sync", model.PollIncomplete},
	KindBarrier:       {"barrier", model.BarrierEarly},
	KindWriterStall:   {"writer-stall", model.Progress},
	KindFwdProgress:   {"fwd-progress", model.Progress},
	KindGPStall:       {"gp-stall", model.Progress},
	KindQuiesce:       {"quiesce", model.Progress},
	KindStuck:         {"stuck", model.Progress},
	KindCheck:         {"check", ""},
}

// Kinds returns every Kind, in report order.
func Kinds() []Kind {
	ks := make([]Kind, 0, numKinds-1)
	for k := KindPipe; k < numKinds; k++ {
		ks = append(ks, k)
	}
	return ks
}

func (k Kind) valid() bool { return k >= KindPipe && k < numKinds }

// String is the kind's short name, which prefixes its messages and names
// it in the verdict: "pipe", "sync-gp", "check".
func (k Kind) String() string {
	if !k.valid() {
		return fmt.Sprintf("Kind(%d)", uint8(k))
	}
	return kinds[k].name
}

// Rule is the guarantee that a failure of kind k sees broken: a row of
// model.Guarantees checked ByTorture. KindCheck has no rule of its own
// (its failure's rule is the one the history check found; see
// Failure.Rule), and neither has an invalid Kind: Rule returns "".
func (k Kind) Rule() model.Rule {
	if !k.valid() {
		return ""
	}
	return kinds[k].rule
}

// A Failure is every failure of one Kind in a run.
type Failure struct {
	Kind  Kind
	Count uint64 // how many times the check failed
	// First is the message of the first failure of this kind, whole; it
	// may run over several lines (a stack dump, the history check's
	// report).
	First string
	// At is when the first failure of this kind happened, since the start
	// of the run.
	At time.Duration
	// Check is the history check's result, for a KindCheck failure found
	// by a checker that returned a *CheckError (NewChecker's); nil
	// otherwise.
	Check *linearize.Result
}

// Rule is the guarantee f saw broken: its Kind's rule, or for KindCheck
// the rule of the history check's result ("" when the checker did not
// name one).
func (f Failure) Rule() model.Rule {
	if f.Kind == KindCheck {
		if f.Check != nil && f.Check.Verdict == linearize.Illegal {
			return f.Check.Rule
		}
		return ""
	}
	return f.Kind.Rule()
}

// String is the failure as the report's "failure:" lines give it: the
// kind, the count and the first line of the first message, as in
// "pipe x3: reader 1 (token) saw element v9 at age 2 ...".
func (f Failure) String() string {
	first, _, _ := strings.Cut(f.First, "\n")
	return fmt.Sprintf("%s x%d: %s", f.Kind, f.Count, first)
}

// printedPerKind bounds the failure messages printed for each kind.
const printedPerKind = 5

// failures collects a run's failures.
type failures struct {
	count [numKinds]atomic.Uint64 // added to under mu; read without it by the stats lines
	any   atomic.Bool
	first chan struct{} // closed at the first failure
	once  sync.Once

	mu        sync.Mutex
	firstMsg  [numKinds]string
	at        [numKinds]time.Duration // since the start of the run
	check     *linearize.Result       // the first KindCheck failure's result, if it has one
	undecided []string                // why checks could not judge (see Recorder)
}

func (f *failures) init() { f.first = make(chan struct{}) }

// add records a failure of kind k that happened at elapsed, with the
// history check's result for a KindCheck failure that has one; it reports
// whether the message should be printed. The caller then calls signal.
func (f *failures) add(k Kind, elapsed time.Duration, msg string, check *linearize.Result) bool {
	f.mu.Lock()
	n := f.count[k].Add(1) // under mu, so that list sees each count with its message
	if n == 1 {
		f.firstMsg[k], f.at[k] = msg, elapsed
		if k == KindCheck {
			f.check = check
		}
	}
	f.any.Store(true)
	f.mu.Unlock()
	return n <= printedPerKind
}

// cannotJudge records that a check could not judge, and why, once per
// reason; it reports whether the reason is new.
func (f *failures) cannotJudge(why string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, u := range f.undecided {
		if u == why {
			return false
		}
	}
	f.undecided = append(f.undecided, why)
	return true
}

// signal closes first, once.
func (f *failures) signal() { f.once.Do(func() { close(f.first) }) }

// total is the number of failures of every kind.
func (f *failures) total() uint64 {
	var n uint64
	for k := range f.count {
		n += f.count[k].Load()
	}
	return n
}

// list returns the failures, one per kind, in kind order.
func (f *failures) list() []Failure {
	f.mu.Lock()
	defer f.mu.Unlock()
	var fs []Failure
	for _, k := range Kinds() {
		n := f.count[k].Load()
		if n == 0 {
			continue
		}
		fl := Failure{Kind: k, Count: n, First: f.firstMsg[k], At: f.at[k]}
		if k == KindCheck {
			fl.Check = f.check
		}
		fs = append(fs, fl)
	}
	return fs
}
