package rcu_test

// The checks of what only rcu.Domain has (the guarantees of any RCU are
// the kit's, package rcutest, which guarantees_test.go runs on the
// reference): contexts, the pending bound, Close, WaitFor, stall reports,
// Pointer. Each check builds fresh domains with mk, exercises one
// guarantee, and returns an error naming what broke. TestRcuGuarantees
// runs them on rcu.Domain; TestChecksCatchBrokenVariants runs them on the
// broken doubles in broken_test.go and wants an error.

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rcukit/rcukit/rcu"
)

// impl is the part of *rcu.Domain the checks use.
type impl interface {
	ReadLock() rcu.Token
	ReadUnlock(rcu.Token)
	Synchronize()
	SynchronizeContext(context.Context) error
	Call(func())
	Barrier()
	BarrierContext(context.Context) error
	Snapshot() rcu.Cookie
	Poll(rcu.Cookie) bool
	WaitFor(rcu.Cookie)
	Stats() rcu.Stats
	Close()
}

type maker func(opts ...rcu.Option) impl

func newDomain(opts ...rcu.Option) impl { return rcu.New(opts...) }

const (
	// hold is how long a check watches for something that must not
	// happen yet. A correct domain never does it, so hold only bounds how
	// quickly a broken one is caught.
	hold = 50 * time.Millisecond
	// prompt is how long a check waits for something that must happen
	// soon, such as a return after a context ends.
	prompt = 2 * time.Second
	// patience is how long a check waits for something that must happen
	// eventually.
	patience = 20 * time.Second
)

// start runs f in a goroutine and returns a channel closed when f returns.
func start(f func()) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	return done
}

func within(ch <-chan struct{}, d time.Duration) bool {
	select {
	case <-ch:
		return true
	case <-time.After(d):
		return false
	}
}

// heldReader opens a read section on its own goroutine and keeps it open
// until release is called.
type heldReader struct {
	release func()
	done    <-chan struct{}
}

func holdReader(d impl) *heldReader {
	in := make(chan struct{})
	out := make(chan struct{})
	done := start(func() {
		t := d.ReadLock()
		close(in)
		<-out
		d.ReadUnlock(t)
	})
	<-in
	var once sync.Once
	return &heldReader{release: func() { once.Do(func() { close(out); <-done }) }, done: done}
}

// checkSyncContextCancel: SynchronizeContext returns ctx.Err() when ctx
// ends first, and the domain still works afterwards.
func checkSyncContextCancel(mk maker) error {
	d := mk()
	defer d.Close()
	r := holdReader(d)
	defer r.release()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	var err error
	done := start(func() { err = d.SynchronizeContext(ctx) })
	if !within(done, prompt) {
		r.release()
		<-done
		return errors.New("SynchronizeContext did not return when its context ended")
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("SynchronizeContext returned %v, want context.DeadlineExceeded", err)
	}
	r.release()
	if !within(start(d.Synchronize), patience) {
		return errors.New("Synchronize hung after a cancelled SynchronizeContext")
	}
	return nil
}

// checkBarrierContextCancel: BarrierContext returns ctx.Err() when ctx ends
// first, and Barrier still works afterwards.
func checkBarrierContextCancel(mk maker) error {
	d := mk()
	defer d.Close()
	r := holdReader(d)
	defer r.release()
	var ran atomic.Int32
	d.Call(func() { ran.Add(1) })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	var err error
	done := start(func() { err = d.BarrierContext(ctx) })
	if !within(done, prompt) {
		r.release()
		<-done
		return errors.New("BarrierContext did not return when its context ended")
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("BarrierContext returned %v, want context.DeadlineExceeded", err)
	}
	r.release()
	d.Barrier()
	if ran.Load() != 1 {
		return errors.New("callback did not run after a cancelled BarrierContext")
	}
	return nil
}

// checkWaitForStartsGracePeriod: WaitFor starts the grace period it needs.
func checkWaitForStartsGracePeriod(mk maker) error {
	d := mk()
	defer d.Close()
	c := d.Snapshot()
	if !within(start(func() { d.WaitFor(c) }), prompt) {
		return errors.New("WaitFor did not start the grace period it waits for")
	}
	if !d.Poll(c) {
		return errors.New("Poll is false after WaitFor returned")
	}
	return nil
}

// checkCallBounded: at the WithMaxPending bound, Call waits for the backlog
// to drain.
func checkCallBounded(mk maker) error {
	const bound = 10
	d := mk(rcu.WithMaxPending(bound))
	defer d.Close()
	r := holdReader(d)
	defer r.release()
	for range bound {
		d.Call(func() {})
	}
	done := start(func() { d.Call(func() {}) })
	if within(done, hold) {
		return fmt.Errorf("Call returned with %d callbacks pending, above the bound %d", d.Stats().CallbacksPending, bound)
	}
	r.release()
	if !within(done, patience) {
		return errors.New("Call at the bound did not return after the backlog drained")
	}
	return nil
}

// checkCloseDrains: Close returns only after every queued callback ran,
// including callbacks queued by callbacks.
func checkCloseDrains(mk maker) error {
	const n = 100
	d := mk()
	r := holdReader(d)
	var ran atomic.Int32
	for range n {
		d.Call(func() {
			ran.Add(1)
			d.Call(func() { ran.Add(1) })
		})
	}
	done := start(d.Close)
	if within(done, hold) {
		r.release()
		return fmt.Errorf("Close returned with %d of %d callbacks run", ran.Load(), 2*n)
	}
	r.release()
	if !within(done, patience) {
		return errors.New("Close did not return after the callbacks could run")
	}
	if got := ran.Load(); got != 2*n {
		return fmt.Errorf("Close returned with %d of %d callbacks run", got, 2*n)
	}
	return nil
}

// checkReclaimNeverSeen: a writer that swaps in a new version, waits for a
// grace period and then poisons the old one is never caught by a reader:
// no reader ever sees a poisoned version.
func checkReclaimNeverSeen(mk maker) error {
	// poison is atomic so that a broken double shows up as a failed check
	// rather than as a report from the race detector.
	type version struct {
		n      int
		poison atomic.Bool
	}
	d := mk()
	defer d.Close()
	var p rcu.Pointer[version]
	p.Store(&version{n: 1})
	stop := make(chan struct{})
	var bad, reads atomic.Int64
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				t := d.ReadLock()
				v := p.Load()
				if i%16 == 0 {
					time.Sleep(100 * time.Microsecond) // a long read widens the window
				}
				if v.poison.Load() {
					bad.Add(1)
				}
				d.ReadUnlock(t)
				reads.Add(1)
			}
		})
	}
	// Counts, not time: at least 300 versions and 400 read sections, the
	// same work however fast the machine is. The writer sleeps now and
	// then, so that readers asleep inside their sections wake up while it
	// goes on (in a synctest bubble, time advances only then).
	for n := 2; (n <= 300 || reads.Load() < 400) && bad.Load() == 0; n++ {
		old := p.Swap(&version{n: n})
		d.Synchronize()
		old.poison.Store(true)
		if n%8 == 0 {
			time.Sleep(20 * time.Microsecond)
		}
	}
	close(stop)
	wg.Wait()
	if n := bad.Load(); n > 0 {
		return fmt.Errorf("readers saw a reclaimed (poisoned) version %d times", n)
	}
	return nil
}

// checkStallReport: a grace period stuck behind a reader is reported, with
// the reader count and, under WithDebug, the stack of that reader's
// ReadLock.
func checkStallReport(mk maker) error {
	reports := make(chan rcu.StallReport, 16)
	d := mk(rcu.WithDebug(), rcu.WithStallTimeout(10*time.Millisecond), rcu.WithStallHandler(func(r rcu.StallReport) {
		select {
		case reports <- r:
		default:
		}
	}))
	defer d.Close()
	r := holdReader(d) // opened in holdReader: that is the stack to find
	done := start(d.Synchronize)
	defer func() { r.release(); <-done }()
	var rep rcu.StallReport
	select {
	case rep = <-reports:
	case <-time.After(prompt):
		return errors.New("no stall report while a grace period waited for a reader")
	}
	if rep.Readers != 1 || rep.Waited < 10*time.Millisecond || rep.GP == 0 {
		return fmt.Errorf("stall report %+v: want 1 reader, waited >= 10ms, a GP number", rep)
	}
	if !strings.Contains(rep.Stack, "rcu_test.holdReader") || rep.Held < rep.Waited {
		return fmt.Errorf("stall report does not point at the oldest reader's ReadLock:\n%v", rep)
	}
	if d.Stats().StallReports == 0 {
		return errors.New("Stats.StallReports is 0 after a report")
	}
	return nil
}
