package rcu_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rcukit/rcukit/rcu"
)

func pass(t *testing.T, check func(maker) error) {
	t.Helper()
	if err := check(newDomain); err != nil {
		t.Fatal(err)
	}
}

func TestSynchronizeWaitsForPreexistingReaders(t *testing.T) {
	pass(t, checkSyncWaitsForPreexistingReaders)
}
func TestSynchronizeWaitsForNestedReaders(t *testing.T) { pass(t, checkSyncWaitsForNestedReaders) }
func TestSynchronizeIgnoresLaterReaders(t *testing.T)   { pass(t, checkSyncIgnoresLaterReaders) }
func TestConcurrentSynchronizeSharesGracePeriods(t *testing.T) {
	pass(t, checkConcurrentSyncsShareGracePeriods)
}
func TestSynchronizeContextCancel(t *testing.T)     { pass(t, checkSyncContextCancel) }
func TestReadersNeverWait(t *testing.T)             { pass(t, checkReadersNeverWait) }
func TestCallbackRunsAfterGracePeriod(t *testing.T) { pass(t, checkCallbackAfterGracePeriod) }
func TestCallbacksRunExactlyOnce(t *testing.T)      { pass(t, checkCallbacksRunExactlyOnce) }
func TestOneGracePeriodServesABatch(t *testing.T)   { pass(t, checkOneGracePeriodServesABatch) }
func TestBarrierWaitsForEarlierCallbacks(t *testing.T) {
	pass(t, checkBarrierWaitsForCallbacks)
}
func TestBarrierContextCancel(t *testing.T)          { pass(t, checkBarrierContextCancel) }
func TestPollAfterFullGracePeriod(t *testing.T)      { pass(t, checkPollAfterFullGracePeriod) }
func TestWaitForStartsGracePeriod(t *testing.T)      { pass(t, checkWaitForStartsGracePeriod) }
func TestCallWaitsAtPendingBound(t *testing.T)       { pass(t, checkCallBounded) }
func TestCloseDrainsCallbacks(t *testing.T)          { pass(t, checkCloseDrains) }
func TestDomainsAreIndependent(t *testing.T)         { pass(t, checkDomainsIndependent) }
func TestReaderNeverSeesReclaimedValue(t *testing.T) { pass(t, checkReclaimNeverSeen) }

// TestChecksCatchBrokenVariants shows that each check above can fail: a
// double with the matching bug must make it return an error.
func TestChecksCatchBrokenVariants(t *testing.T) {
	for _, v := range brokenVariants {
		t.Run(v.name, func(t *testing.T) {
			t.Parallel()
			err := v.check(v.mk)
			if err == nil {
				t.Fatalf("the check passed a double whose bug is %s", v.name)
			}
			t.Logf("caught: %v", err)
		})
	}
}

func TestStallReport(t *testing.T) { pass(t, checkStallReport) }

func TestStallReportWithoutDebugHasNoStack(t *testing.T) {
	reports := make(chan rcu.StallReport, 16)
	d := rcu.New(rcu.WithStallTimeout(10*time.Millisecond, func(r rcu.StallReport) {
		select {
		case reports <- r:
		default:
		}
	}))
	t.Cleanup(d.Close)
	r := holdReader(d)
	done := start(d.Synchronize)
	rep := <-reports
	r.release()
	<-done
	if rep.Readers != 1 || rep.Stack != "" {
		t.Errorf("report %+v: want 1 reader and no stack", rep)
	}
}

func TestPanickingCallbackDoesNotWedge(t *testing.T) {
	got := make(chan any, 1)
	d := rcu.New(rcu.WithPanicHandler(func(v any) { got <- v }))
	t.Cleanup(d.Close)
	var after atomic.Bool
	d.Call(func() { panic("boom") })
	d.Call(func() { after.Store(true) })
	d.Barrier()
	select {
	case v := <-got:
		if v != "boom" {
			t.Errorf("handler got %v, want boom", v)
		}
	default:
		t.Fatal("panic handler was not called")
	}
	if !after.Load() {
		t.Error("the callback after the panicking one did not run")
	}
	s := d.Stats()
	if s.CallbackPanics != 1 || s.CallbacksInvoked != 2 || s.CallbacksPending != 0 {
		t.Errorf("Stats %+v: want 1 panic, 2 invoked, 0 pending", s)
	}
	pass(t, func(maker) error { // the domain still works
		if !within(start(d.Synchronize), patience) {
			return errors.New("Synchronize hung after a callback panicked")
		}
		return nil
	})
}

func TestCallFromCallbackAtBoundDoesNotDeadlock(t *testing.T) {
	d := rcu.New(rcu.WithMaxPending(2))
	t.Cleanup(d.Close)
	var ran atomic.Int32
	for range 2 {
		d.Call(func() {
			for range 5 { // beyond the bound: must not wait for itself
				d.Call(func() { ran.Add(1) })
			}
		})
	}
	if !within(start(d.Barrier), patience) {
		t.Fatal("a callback calling Call at the bound deadlocked")
	}
	d.Barrier()
	if ran.Load() != 10 {
		t.Errorf("ran %d nested callbacks, want 10", ran.Load())
	}
}

func TestSynchronizeContextOnClosedDomain(t *testing.T) {
	d := rcu.New()
	d.Close()
	if err := d.SynchronizeContext(context.Background()); !errors.Is(err, rcu.ErrClosed) {
		t.Errorf("SynchronizeContext after Close = %v, want ErrClosed", err)
	}
	if err := d.BarrierContext(context.Background()); !errors.Is(err, rcu.ErrClosed) {
		t.Errorf("BarrierContext after Close = %v, want ErrClosed", err)
	}
}

func TestStatsCountGracePeriods(t *testing.T) {
	d := rcu.New()
	t.Cleanup(d.Close)
	before := d.Stats()
	d.Synchronize()
	d.Call(func() {})
	d.Barrier()
	s := d.Stats()
	if s.GracePeriods < before.GracePeriods+2 || s.GPSeq != s.GracePeriods {
		t.Errorf("after a Synchronize and a Barrier: %+v (before %+v)", s, before)
	}
	if s.CallbacksQueued != 1 || s.CallbacksInvoked != 1 || s.CallbacksPending != 0 {
		t.Errorf("callback counters: %+v", s)
	}
	if s.LongestGP <= 0 {
		t.Errorf("LongestGP = %v", s.LongestGP)
	}
}
