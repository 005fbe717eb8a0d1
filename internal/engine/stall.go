package engine

// Stall reports, and how a grace period that waits too long finds who
// waits for it at no cost to waits that do not stall: every wait blocks
// in block, which also listens on e.probe. To ask, the grace-period
// goroutine closes the probe channel and swaps in a fresh one; each waiter
// wakes, appends its stack to e.answers and waits on. The report counts
// the waiters exactly and has the stacks of those that answered in time.

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"time"
)

// Stall is a stall report; rcu.StallReport has the same fields and
// documents them.
type Stall struct {
	Domain       string
	GP           uint64
	Waited       time.Duration
	Readers      int
	Waiters      int
	WaiterStacks []string
	SelfWait     bool
	Held         time.Duration
	Stack        string
	Reader       string
}

// String is the full report.
func (r Stall) String() string {
	var b strings.Builder
	qsbr := strings.HasPrefix(r.Reader, "qsbr ")
	if qsbr {
		fmt.Fprintf(&b, "rcu: stall: grace period %d of %s has waited %v for %d online reader(s) that have not announced a quiescent state since it began",
			r.GP, r.Domain, r.Waited.Round(time.Millisecond), r.Readers)
	} else {
		fmt.Fprintf(&b, "rcu: stall: grace period %d of %s has waited %v for %d read section(s) that began before it and have not ended",
			r.GP, r.Domain, r.Waited.Round(time.Millisecond), r.Readers)
	}
	switch {
	case r.Reader != "" && r.Stack != "":
		fmt.Fprintf(&b, "; %s holds it, registered at:\n%s\n", r.Reader, r.Stack)
	case r.Reader != "":
		fmt.Fprintf(&b, "; %s holds it (rcu.WithDebug records where each reader registered)\n", r.Reader)
	case r.Stack != "":
		fmt.Fprintf(&b, "; the oldest has been open for %v, since:\n%s\n", r.Held.Round(time.Millisecond), r.Stack)
	default:
		b.WriteString(" (rcu.WithDebug records where each section began)\n")
	}
	switch {
	case r.SelfWait && qsbr:
		b.WriteString("rcu: stall: the reader's own goroutine waits for this grace period while the reader is online: it waits for itself and never returns (use Reader.Synchronize, or call Offline before the wait)\n")
	case r.SelfWait:
		b.WriteString("rcu: stall: a goroutine waits for this grace period from inside a Read: a grace-period wait (Synchronize, Barrier, ...) called inside a read section of the same Domain waits for itself and never returns\n")
	}
	switch {
	case qsbr:
		b.WriteString("rcu: stall: the usual causes: a registered reader that neither reports quiescent states nor goes offline (an idle goroutine must call Offline, or Unregister); or a wait (Synchronize, Barrier, Call at the pending bound, ...) called by the goroutine of an online reader (self-deadlock)\n")
	case r.Reader != "":
		b.WriteString("rcu: stall: the usual causes: a ReadLock whose ReadUnlock was forgotten (Reader.Read pairs them for you); a section blocked on something that does not happen; or a grace-period wait called inside a read section of the same Domain (self-deadlock)\n")
	default:
		b.WriteString("rcu: stall: the usual causes: a ReadLock whose ReadUnlock was forgotten (Domain.Read pairs them for you); a section blocked on something that does not happen; or a grace-period wait called inside a read section of the same Domain (self-deadlock)\n")
	}
	if r.Waiters > 0 {
		fmt.Fprintf(&b, "rcu: stall: %d goroutine(s) are blocked waiting on this Domain; a waiter that holds one of its read sections waits for itself", r.Waiters)
		if len(r.WaiterStacks) > 0 {
			b.WriteString(":\n" + strings.Join(r.WaiterStacks, "\n"))
		}
		b.WriteString("\n")
	}
	return b.String()
}

// selfWaits are the frames of a wait called inside a read section that a
// flavor's Read helper opened.
var selfWaits = []string{
	"github.com/rcukit/rcukit/rcu.(*Domain).Read(",
	"github.com/rcukit/rcukit/rcu/qsbr.(*Reader).Read(",
	"github.com/rcukit/rcukit/rcu/registered.(*Reader).Read(",
}

// block waits, with e.mu held, until ch is closed or ctx is done; it
// releases e.mu meanwhile and holds it again when it returns. A stall
// probe that wakes it gets its stack, and it waits on.
func (e *Engine) block(ctx context.Context, ch <-chan struct{}) error {
	for {
		probe := e.probe
		e.blocked++
		e.updateYield()
		e.mu.Unlock()
		var err error
		var stack []byte
		select {
		case <-ch:
		case <-ctx.Done():
			err = ctx.Err()
		case <-probe:
			stack = make([]byte, 16<<10)
			stack = stack[:runtime.Stack(stack, false)]
		}
		e.mu.Lock()
		e.blocked--
		e.updateYield()
		if stack == nil {
			return err
		}
		e.answers = append(e.answers, string(stack))
	}
}

// reportStall completes r with the waiters and delivers it.
// An inline grace period's caller, which waits without blocking, is one of
// the waiters: its stack is taken here.
// holder, when not 0, is the goroutine of the registered reader that holds
// the grace period: a waiter on it waits for itself.
func (e *Engine) reportStall(r Stall, inline bool, holder int64) {
	e.mu.Lock()
	old := e.probe
	e.probe = make(chan struct{})
	e.answers = nil
	if inline {
		stack := make([]byte, 16<<10)
		e.answers = append(e.answers, string(stack[:runtime.Stack(stack, false)]))
	}
	blocked := e.blocked
	r.Waiters = blocked + len(e.answers)
	e.mu.Unlock()
	if blocked > 0 {
		close(old)
		time.Sleep(time.Millisecond) // let the waiters answer
	}
	e.mu.Lock()
	r.WaiterStacks, e.answers = e.answers, nil
	e.stalls++
	e.mu.Unlock()
	self := fmt.Sprintf("goroutine %d [", holder)
	for _, s := range r.WaiterStacks {
		for _, f := range selfWaits {
			r.SelfWait = r.SelfWait || strings.Contains(s, f)
		}
		r.SelfWait = r.SelfWait || holder != 0 && strings.HasPrefix(s, self)
	}
	if h := e.cfg.StallHandler; h != nil {
		h(r)
		return
	}
	Report("%v", r)
}
