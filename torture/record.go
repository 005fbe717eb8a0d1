package torture

import (
	"errors"
	"sync"

	"github.com/rcukit/rcukit/model"
)

// The history seam: what a model checker sees of a run.
//
// When Config.Recorder is set, every worker records each operation it
// performs as one Op with the logical times at which it was called and at
// which it returned, in a Log of its own: every publication, reclaim,
// Synchronize, Call and invocation, Barrier, Snapshot and Poll that
// reports completion, and one read section in Config.RecordReads, at most
// readsPerSegment of them between two cuts (the others run and are checked
// as usual, unrecorded), so that segments stay small enough for porcupine
// whatever the read throughput. Callback floods are not recorded. Operations that run on a
// flavor's goroutines (callback invocations and the reclaims they do) go to
// one shared Log under the engine's lock. At each stutter pause the engine
// reaches a quiescent point (every worker parked, every callback it queued
// invoked, so no recorded operation is in flight) and calls Cut: the history
// since the previous cut is complete and can be checked on its own, from the
// state at the cut. Close checks the last segment at the end of the run.

// readsPerSegment bounds the read sections recorded between two cuts.
const readsPerSegment = 2500

// The operations are recorded in the model's terms (model.Op). A read
// section is two of them: a ReadBegin around the lock and the load of the
// current element (Damaged: the element was not initialized, or freed,
// when loaded), and a ReadEnd around the last checks and the unlock
// (Damaged: the element did not stay intact throughout), so that a
// sequential model can tell which readers were open when a grace period
// began. A Synchronize, expedited or not, is a SyncBegin and a SyncEnd;
// a Barrier a BarrierBegin and a BarrierEnd; a Poll is recorded when it
// reports completion (and, inside a reader, when it does not).

// A Recorder collects a run's history. -check installs one backed by the
// linearize package (NewChecker); tests may install their own.
//
// An error from Cut or Close is a KindCheck FAILURE of the run, unless it
// wraps ErrInconclusive (errors.Is): then the check could not decide, and
// the run is INCONCLUSIVE unless something else failed, with the error's
// message as the reason the report gives. A *CheckError (errors.As) gives
// the run's Failure the check's linearize.Result.
type Recorder interface {
	// Log returns the log for one worker; the engine uses each Log from
	// one goroutine at a time.
	Log(worker string) Log
	// Cut is called at a quiescent point: no recorded operation is in
	// flight. It checks the history since the previous cut; an error
	// (an illegal segment, naming the rule broken and where its report
	// is) is a FAILURE of the run.
	Cut() error
	// Close checks the last segment, after the run's last operation.
	Close() error
	// Summary says in a line what the checks covered; the report prints
	// it after Close.
	Summary() string
}

// ErrInconclusive is wrapped by a Recorder's error when its check could
// not decide (see Recorder), as NewChecker's *CheckError does for
// linearize's Unknown verdict: the run cannot judge, which is not a pass.
// Its text reads as the start of a reason: wrap it as
// fmt.Errorf("%w: segment 3 timed out", ErrInconclusive).
var ErrInconclusive = errors.New("the check could not decide")

// A Log records the operations of one worker.
type Log interface {
	// Begin returns the logical time at which an operation is called.
	// An operation that is begun but never ended is not recorded.
	Begin() uint64
	// End records op, called at begin, as returning now.
	End(begin uint64, op model.Op)
}

// lockedLog makes a Log safe for concurrent use, for the operations that
// run on a flavor's goroutines.
type lockedLog struct {
	mu  sync.Mutex
	log Log
}

func (l *lockedLog) Begin() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.log.Begin()
}

func (l *lockedLog) End(begin uint64, op model.Op) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.log.End(begin, op)
}
