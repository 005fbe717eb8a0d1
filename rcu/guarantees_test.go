package rcu_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	rcuimpl "github.com/rcukit/rcukit/internal/impl"
	"github.com/rcukit/rcukit/rcu"
	"github.com/rcukit/rcukit/rcuops"
	"github.com/rcukit/rcukit/rcutest"
	"github.com/rcukit/rcukit/torture/flavors"
)

// pass runs check on the reference inside a synctest bubble. Time there is
// fake: it advances only when every goroutine of the bubble is blocked, so
// a check's waits ("must not happen within hold", "must happen within
// patience") are measured in steps the Domain takes, not in the speed of
// the machine, and they cost no wall-clock time.
func pass(t *testing.T, check func(maker) error) {
	t.Helper()
	bubble(t, func(t *testing.T) {
		if err := check(newDomain); err != nil {
			t.Fatal(err)
		}
	})
}

// bubble runs f in a synctest bubble. A goroutine that f left running
// (a broken double's, after its check failed) gets patience of the
// bubble's time to end: the bubble must not end while any runs.
func bubble(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	synctest.Test(t, func(t *testing.T) {
		f(t)
		time.Sleep(patience)
	})
}

// TestConformance is the kit (package rcutest) run on the reference:
// every guarantee check, each in a synctest bubble, where its waits are
// measured in the Domain's own steps and cost no wall-clock time. (The
// kit's own tests run its Torture, History and Corpus parts on the
// reference too.)
func TestConformance(t *testing.T) {
	rcutest.Test(t, flavors.Reference, rcutest.Parts(rcutest.Guarantees), rcutest.Synctest())
}

// TestConformanceOfTheZeroDomain is the kit run on zero Domains, which set
// themselves up with the default options at their first use.
func TestConformanceOfTheZeroDomain(t *testing.T) {
	zero := rcuops.Flavor{Name: "rcu-zero", Doc: "the zero rcu.Domain", New: func(rcuops.Env) *rcuops.Ops {
		return rcuimpl.Of(new(rcu.Domain))
	}}
	rcutest.Test(t, zero, rcutest.Parts(rcutest.Guarantees), rcutest.Synctest())
}

// rcuChecks are the checks of check_test.go, of what only rcu.Domain has,
// under the names of the guarantees they check.
var rcuChecks = []struct {
	name  string
	check func(maker) error
}{
	{"SynchronizeContextCancel", checkSyncContextCancel},
	{"BarrierContextCancel", checkBarrierContextCancel},
	{"WaitForStartsGracePeriod", checkWaitForStartsGracePeriod},
	{"CallWaitsAtPendingBound", checkCallBounded},
	{"CloseDrainsCallbacks", checkCloseDrains},
	{"ReaderNeverSeesReclaimedValue", checkReclaimNeverSeen},
	{"StallReport", checkStallReport},
	{"StallReportsAreOnByDefault", checkStallReportsOnByDefault},
}

// TestRcuGuarantees runs every check of what only rcu.Domain has, one
// subtest per guarantee.
func TestRcuGuarantees(t *testing.T) {
	for _, c := range rcuChecks {
		t.Run(c.name, func(t *testing.T) { pass(t, c.check) })
	}
}

// TestZeroDomain runs those checks on zero Domains. (A check that needs
// options gets a Domain from New.)
func TestZeroDomain(t *testing.T) {
	zero := func(opts ...rcu.Option) impl {
		if len(opts) > 0 {
			return rcu.New(opts...)
		}
		return new(rcu.Domain)
	}
	for _, c := range rcuChecks {
		t.Run(c.name, func(t *testing.T) {
			bubble(t, func(t *testing.T) {
				if err := c.check(zero); err != nil {
					t.Fatal(err)
				}
			})
		})
	}
}

// TestChecksCatchBrokenVariants shows that each check above can fail: a
// double with the matching bug must make it return an error. The doubles
// run in bubbles too, so that a bug is caught however slow the machine.
func TestChecksCatchBrokenVariants(t *testing.T) {
	for _, v := range brokenVariants {
		t.Run(v.name, func(t *testing.T) {
			t.Parallel()
			bubble(t, func(t *testing.T) {
				err := v.check(v.mk)
				if err == nil {
					t.Fatalf("the check passed a double whose bug is %s", v.name)
				}
				t.Logf("caught: %v", err)
			})
		})
	}
}

func TestStallReportWithoutDebugHasNoStack(t *testing.T) {
	bubble(t, func(t *testing.T) {
		reports := make(chan rcu.StallReport, 16)
		d := rcu.New(rcu.WithStallTimeout(10*time.Millisecond), rcu.WithStallHandler(func(r rcu.StallReport) {
			select {
			case reports <- r:
			default:
			}
		}))
		defer d.Close()
		r := holdReader(d)
		done := start(d.Synchronize)
		rep := <-reports
		r.release()
		<-done
		if rep.Readers != 1 || rep.Stack != "" {
			t.Errorf("report %+v: want 1 reader and no stack", rep)
		}
	})
}

func TestPanickingCallbackDoesNotWedge(t *testing.T) {
	bubble(t, func(t *testing.T) {
		got := make(chan any, 1)
		d := rcu.New(rcu.WithPanicHandler(func(v any) { got <- v }))
		defer d.Close()
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
		if !within(start(d.Synchronize), patience) { // the domain still works
			t.Fatal("Synchronize hung after a callback panicked")
		}
	})
}

func TestCallFromCallbackAtBoundDoesNotDeadlock(t *testing.T) {
	bubble(t, func(t *testing.T) {
		d := rcu.New(rcu.WithMaxPending(2))
		defer d.Close()
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
	})
}

func TestContextMethodsOnClosedDomain(t *testing.T) {
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
	bubble(t, func(t *testing.T) {
		d := rcu.New()
		before := d.Stats()
		r := holdReader(d)
		done := start(d.Synchronize)
		time.Sleep(hold) // the grace period waits this long for r
		r.release()
		<-done
		d.Call(func() {})
		d.Barrier()
		s := d.Stats()
		if s.GracePeriods < before.GracePeriods+2 || s.GPSeq != s.GracePeriods {
			t.Errorf("after a Synchronize and a Barrier: %+v (before %+v)", s, before)
		}
		if s.CallbacksQueued != 1 || s.CallbacksInvoked != 1 || s.CallbacksPending != 0 {
			t.Errorf("callback counters: %+v", s)
		}
		if s.LongestGP < hold {
			t.Errorf("LongestGP = %v after a grace period that waited %v for a reader", s.LongestGP, hold)
		}
		d.Close()
		if after := d.Stats(); after != s {
			t.Errorf("Stats after Close = %+v, want the counters as they were, %+v", after, s)
		}
	})
}
