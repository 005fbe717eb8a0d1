package rcu

// Stall reports, and how a grace period that waits too long finds who
// waits for it at no cost to waits that do not stall: every wait blocks
// in block, which also listens on d.probe. To ask, the grace-period
// goroutine closes the probe channel and swaps in a fresh one; each waiter
// wakes, appends its stack to d.answers and waits on. The report counts
// the waiters exactly and has the stacks of those that answered in time.

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"time"
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
	// SelfWait says that a waiter's stack shows it inside Domain.Read:
	// most likely a wait called inside a read section of the same Domain.
	SelfWait bool
	// Held and Stack describe the oldest section it waits for: how long
	// that section has been open, and the stack of its ReadLock. Both are
	// set only for a Domain created WithDebug.
	Held  time.Duration
	Stack string
}

func (r StallReport) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "rcu: stall: grace period %d of %s has waited %v for %d read section(s) that began before it and have not ended",
		r.GP, r.Domain, r.Waited.Round(time.Millisecond), r.Readers)
	if r.Stack != "" {
		fmt.Fprintf(&b, "; the oldest has been open for %v, since:\n%s\n", r.Held.Round(time.Millisecond), r.Stack)
	} else {
		b.WriteString(" (rcu.WithDebug records where each section began)\n")
	}
	if r.SelfWait {
		b.WriteString("rcu: stall: a goroutine waits for this grace period from inside Domain.Read: a grace-period wait (Synchronize, Barrier, ...) called inside a read section of the same Domain waits for itself and never returns\n")
	}
	b.WriteString("rcu: stall: the usual causes: a ReadLock whose ReadUnlock was forgotten (Domain.Read pairs them for you); a section blocked on something that does not happen; or a grace-period wait called inside a read section of the same Domain (self-deadlock)\n")
	if r.Waiters > 0 {
		fmt.Fprintf(&b, "rcu: stall: %d goroutine(s) are blocked waiting on this Domain; a waiter that holds one of its read sections waits for itself", r.Waiters)
		if len(r.WaiterStacks) > 0 {
			b.WriteString(":\n" + strings.Join(r.WaiterStacks, "\n"))
		}
		b.WriteString("\n")
	}
	return b.String()
}

// block waits, with d.mu held, until ch is closed or ctx is done; it
// releases d.mu meanwhile and holds it again when it returns. A stall
// probe that wakes it gets its stack, and it waits on.
func (d *Domain) block(ctx context.Context, ch <-chan struct{}) error {
	for {
		probe := d.probe
		d.blocked++
		d.updateYield()
		d.mu.Unlock()
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
		d.mu.Lock()
		d.blocked--
		d.updateYield()
		if stack == nil {
			return err
		}
		d.answers = append(d.answers, string(stack))
	}
}

func (d *Domain) reportStall(n, idx uint64, readers int, waited time.Duration) {
	r := StallReport{Domain: d.String(), GP: n, Waited: waited, Readers: readers}
	if d.opts.debug {
		r.Held, r.Stack = oldestSection(d, idx)
	}
	d.mu.Lock()
	old := d.probe
	d.probe = make(chan struct{})
	d.answers = nil
	r.Waiters = d.blocked
	d.mu.Unlock()
	if r.Waiters > 0 {
		close(old)
		time.Sleep(time.Millisecond) // let the waiters answer
	}
	d.mu.Lock()
	r.WaiterStacks, d.answers = d.answers, nil
	d.stalls++
	d.mu.Unlock()
	for _, s := range r.WaiterStacks {
		r.SelfWait = r.SelfWait || strings.Contains(s, "rcu.(*Domain).Read(")
	}
	if h := d.opts.stallHandler; h != nil {
		h(r)
		return
	}
	report("%v", r)
}
