package rcu_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rcukit/rcukit/rcu"
)

// stalls collects the stall reports of a Domain.
type stalls struct {
	mu      sync.Mutex
	reports []rcu.StallReport
	got     chan struct{} // closed at the first report
	once    sync.Once
}

func newStalls() *stalls { return &stalls{got: make(chan struct{})} }

func (s *stalls) handler() rcu.Option {
	return rcu.WithStallHandler(func(r rcu.StallReport) {
		s.mu.Lock()
		s.reports = append(s.reports, r)
		s.mu.Unlock()
		s.once.Do(func() { close(s.got) })
	})
}

func (s *stalls) first() rcu.StallReport {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reports[0]
}

// checkStallReportsOnByDefault: with no stall option but a handler, a
// forgotten ReadUnlock makes the grace period that waits for it report a
// stall after DefaultStallTimeout, and the report names the likely cause.
func checkStallReportsOnByDefault(mk maker) error {
	s := newStalls()
	d := mk(s.handler())
	defer d.Close()
	forgotten := d.ReadLock() // and never unlocked, until the end
	done := start(d.Synchronize)
	if !within(s.got, rcu.DefaultStallTimeout+patience) {
		d.ReadUnlock(forgotten)
		<-done
		return fmt.Errorf("no stall report %v after Synchronize began waiting for a section that was never ended", rcu.DefaultStallTimeout+patience)
	}
	d.ReadUnlock(forgotten)
	<-done
	r := s.first()
	if r.Waited < rcu.DefaultStallTimeout || r.Readers != 1 || r.Waiters != 1 {
		return fmt.Errorf("stall report %+v: want one reader, one waiter, and at least %v waited", r, rcu.DefaultStallTimeout)
	}
	if msg := r.String(); !strings.Contains(msg, "a ReadLock whose ReadUnlock was forgotten") {
		return fmt.Errorf("the stall report does not name a forgotten ReadUnlock:\n%s", msg)
	}
	return nil
}

// TestStallReportsGoToStandardError: a Domain made with no options at all
// reports a stall on standard error, where a forgotten ReadUnlock that
// would otherwise hang every later Synchronize in silence shows up.
func TestStallReportsGoToStandardError(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "stderr")
	if err != nil {
		t.Fatal(err)
	}
	saved := os.Stderr
	os.Stderr = f
	defer func() { os.Stderr = saved }()
	bubble(t, func(t *testing.T) {
		var d rcu.Domain // the zero Domain, with the default options
		defer d.Close()
		forgotten := d.ReadLock()
		done := start(d.Synchronize)
		time.Sleep(rcu.DefaultStallTimeout + time.Second)
		d.ReadUnlock(forgotten)
		<-done
	})
	os.Stderr = saved
	out, err := os.ReadFile(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"rcu: stall: grace period", "for 1 read section(s) that began before it and have not ended", "a ReadLock whose ReadUnlock was forgotten"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("standard error lacks %q; it has:\n%s", want, out)
		}
	}
}

// TestSynchronizeInsideOwnSectionIsReported: a grace-period wait called
// inside a read section of the same Domain never returns. Without
// WithDebug nothing stops it, but the stall report names the cause and
// carries the waiting goroutine's stack, which shows where it is.
func TestSynchronizeInsideOwnSectionIsReported(t *testing.T) {
	bubble(t, func(t *testing.T) {
		s := newStalls()
		d := rcu.New(s.handler())
		defer d.Close()
		ctx, cancel := context.WithCancel(context.Background())
		var err error
		done := start(func() {
			d.Read(func() { err = d.SynchronizeContext(ctx) }) // waits for itself
		})
		if !within(s.got, rcu.DefaultStallTimeout+patience) {
			cancel()
			<-done
			t.Fatal("no stall report while Synchronize waited for its own section")
		}
		cancel()
		<-done
		if !errors.Is(err, context.Canceled) {
			t.Errorf("SynchronizeContext = %v, want context.Canceled", err)
		}
		r := s.first()
		msg := r.String()
		if !r.SelfWait || !strings.Contains(msg, "called inside a read section of the same Domain waits for itself") {
			t.Errorf("the report does not name the self-deadlock (SelfWait %v):\n%s", r.SelfWait, msg)
		}
		if r.Waiters != 1 || len(r.WaiterStacks) != 1 || !strings.Contains(r.WaiterStacks[0], "TestSynchronizeInsideOwnSectionIsReported") {
			t.Errorf("the report does not carry the waiting goroutine's stack (%d waiters):\n%s", r.Waiters, msg)
		}
	})
}

// TestStallReportsCanBeTurnedOff: WithStallTimeout(0) turns reports off,
// and checkStallReportsOnByDefault then fails: it is the check's negative
// control.
func TestStallReportsCanBeTurnedOff(t *testing.T) {
	bubble(t, func(t *testing.T) {
		off := func(opts ...rcu.Option) impl { return rcu.New(append(opts, rcu.WithStallTimeout(0))...) }
		if err := checkStallReportsOnByDefault(off); err == nil {
			t.Fatal("a Domain with stall reports off passed the check that wants a report")
		}
	})
}

// TestZeroDomainFirstUseIsSafe: goroutines that use a zero Domain for the
// first time at once set it up once, and its Close stops what that
// started (goleak checks at the end of the package's tests).
func TestZeroDomainFirstUseIsSafe(t *testing.T) {
	for _, first := range []string{"ReadLock", "Synchronize", "Call", "Snapshot", "Stats", "Close"} {
		t.Run(first, func(t *testing.T) {
			var d rcu.Domain
			var wg sync.WaitGroup
			var calls atomic.Int32
			for range 8 {
				wg.Go(func() {
					switch first {
					case "ReadLock":
						d.ReadUnlock(d.ReadLock())
					case "Synchronize":
						d.Synchronize()
					case "Call":
						d.Call(func() { calls.Add(1) })
					case "Snapshot":
						d.Poll(d.Snapshot())
					case "Stats":
						d.Stats()
					}
				})
			}
			wg.Wait()
			if first != "Close" {
				d.Synchronize()
				d.Barrier()
			}
			d.Close()
			if first == "Call" && calls.Load() != 8 {
				t.Errorf("%d of 8 callbacks ran before Close returned", calls.Load())
			}
			mustPanic(t, "closed Domain", func() { d.ReadLock() })
		})
	}
}

// TestPreemptedReaderDoesNotHoldGracePeriods: at GOMAXPROCS 1, a goroutine
// spinning through read sections keeps the only P. A reader it preempted
// inside a section, or the grace-period goroutine itself, would wait for
// its time slice to end, so that every Synchronize lasted a whole slice,
// during which the spinner runs hundreds of thousands of sections. Since
// new readers yield once while a grace period is pending, a Synchronize
// lasts a few of the spinner's sections. The check counts sections, not
// time: a slower machine runs fewer of them in a slice, but the fixed
// Domain needs only a few whatever the speed.
func TestPreemptedReaderDoesNotHoldGracePeriods(t *testing.T) {
	if err := checkSynchronizeUnderSpinningReader(rcu.New); err != nil {
		t.Fatal(err)
	}
}

// checkSynchronizeUnderSpinningReader fails when a spinning reader runs
// a median of more than 1000 sections during one Synchronize. The fixed
// reference needs at most a handful; without the yield it takes a time
// slice of the scheduler, 10 ms, tens of thousands of sections even
// under the race detector on a loaded machine.
func checkSynchronizeUnderSpinningReader(mk func(...rcu.Option) *rcu.Domain) error {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	d := mk()
	defer d.Close()
	var sections atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			for range 64 {
				d.ReadUnlock(d.ReadLock())
				sections.Add(1)
			}
		}
	})
	defer func() { close(stop); wg.Wait() }()
	const syncs = 21
	per := make([]int64, syncs)
	for i := range per {
		before := sections.Load()
		d.Synchronize()
		per[i] = sections.Load() - before
	}
	slices.Sort(per)
	if median := per[syncs/2]; median > 1000 {
		return fmt.Errorf("a spinning reader ran a median of %d sections during each Synchronize (sorted: %v): the grace period waited for time slices", median, per)
	}
	return nil
}
