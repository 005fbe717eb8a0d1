package rcu

// Stall reports: the engine (internal/engine) finds the waiters, and each
// flavor says which readers hold the grace period.

import (
	"time"

	"github.com/rcukit/rcukit/internal/engine"
)

// A StallReport describes a grace period that has waited for readers
// longer than the stall timeout. That is nearly always one of two bugs: a
// ReadLock whose ReadUnlock was forgotten, or a grace-period wait called
// inside a read section of the same Domain, which waits for itself. Its
// String method is the full report, which names both.
type StallReport struct {
	Domain  string        // the Domain, as its String method names it
	GP      uint64        // the grace period's sequence number
	Waited  time.Duration // how long it has waited so far
	Readers int           // sections it is waiting for
	// Waiters is how many goroutines are blocked in a wait on the Domain
	// (Synchronize, SynchronizeExpedited, SynchronizeContext, WaitFor,
	// Barrier, BarrierContext, Call at the pending bound, Close), and
	// WaiterStacks the stacks of those that answered the report's probe.
	Waiters      int
	WaiterStacks []string
	// SelfWait says that a waiter waits for itself: its stack shows it
	// inside a Read of the same package's Domain or Reader (most likely a
	// wait called inside a read section), or it runs on the goroutine of
	// the registered reader named by Reader.
	SelfWait bool
	// Held and Stack describe the oldest section it waits for: how long
	// that section has been open, and the stack of its ReadLock. Both are
	// set only for a Domain created WithDebug. For a flavor with
	// registered readers (packages rcu/qsbr and rcu/registered), Stack is
	// the registration stack of the reader named by Reader, under
	// WithDebug.
	Held  time.Duration
	Stack string
	// Reader names the registered reader that holds the grace period, in
	// the flavors that have them; empty for a Domain.
	Reader string
}

// String is the full report.
func (r StallReport) String() string { return engine.Stall(r).String() }
