//go:build rcuinject

package rcu_test

// Tests that need the injection points and faults of -tags rcuinject.

import (
	"errors"
	"sync/atomic"
	"testing"

	"github.com/rcukit/rcukit/rcu"
)

// checkStragglerWaitedFor builds the counter-flip straggler: a reader that
// samples the index, stalls while a whole grace period runs and flips it,
// then counts itself under what is now the inactive index and reads the
// current version. The next grace period must still wait for it.
func checkStragglerWaitedFor(opts ...rcu.Option) error {
	var armed atomic.Bool
	sampled, proceed := make(chan struct{}), make(chan struct{})
	d := rcu.New(append(opts, rcu.WithInjector(func(p rcu.Point) {
		if p == rcu.PointReadSampled && armed.CompareAndSwap(true, false) {
			close(sampled)
			<-proceed
		}
	}))...)
	defer d.Close()

	armed.Store(true)
	inside, release := make(chan struct{}), make(chan struct{})
	reader := start(func() {
		t := d.ReadLock() // stalls at PointReadSampled
		close(inside)
		<-release
		d.ReadUnlock(t)
	})
	<-sampled
	d.Synchronize() // a whole grace period, flip included, while the reader is between sample and count
	close(proceed)
	<-inside // the reader is now counted under the inactive index

	done := start(d.Synchronize)
	if within(done, hold) {
		close(release)
		<-reader
		return errors.New("Synchronize returned while a straggler reader (counted under the inactive index) was inside")
	}
	close(release)
	<-reader
	if !within(done, patience) {
		return errors.New("Synchronize did not return after the straggler ended")
	}
	return nil
}

func TestSynchronizeWaitsForStragglers(t *testing.T) {
	bubble(t, func(t *testing.T) {
		if err := checkStragglerWaitedFor(); err != nil {
			t.Fatal(err)
		}
	})
}

// TestFaultsAreCaught: the reference with FaultSkipStragglers, the one
// fault of its grace periods that no ops-table edit can make, fails the
// straggler check. The torture and fuzz packages build busted-flip-ref on
// it (internal/broken), where the other broken implementations are
// ops-table edits; FaultNoYield has TestNoYieldIsCaught.
func TestFaultsAreCaught(t *testing.T) {
	bubble(t, func(t *testing.T) {
		err := checkStragglerWaitedFor(rcu.WithFaults(rcu.FaultSkipStragglers))
		if err == nil {
			t.Fatal("the check passed a Domain whose grace periods skip the stragglers")
		}
		t.Logf("caught: %v", err)
	})
}

// TestNoYieldIsCaught: without the yield of new readers while a grace
// period is pending, a spinning reader at GOMAXPROCS 1 holds every
// Synchronize for a time slice, and the check sees it. (Not in a bubble,
// and not parallel: it is about the real scheduler, at GOMAXPROCS 1.)
func TestNoYieldIsCaught(t *testing.T) {
	mk := func(opts ...rcu.Option) *rcu.Domain {
		return rcu.New(append(opts, rcu.WithFaults(rcu.FaultNoYield))...)
	}
	err := checkSynchronizeUnderSpinningReader(mk)
	if err == nil {
		t.Fatal("the check passed a Domain whose readers do not yield")
	}
	t.Logf("caught: %v", err)
}
