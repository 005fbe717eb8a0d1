package qsbr_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
	"unsafe"

	"github.com/rcukit/rcukit/internal/engine"
	"github.com/rcukit/rcukit/rcu"
	"github.com/rcukit/rcukit/rcu/qsbr"
	"github.com/rcukit/rcukit/rcutest"
	"github.com/rcukit/rcukit/torture/flavors"
)

// TestConformance is the kit's guarantee checks on the qsbr flavor (its
// readers online for each outermost section), each in a synctest bubble.
func TestConformance(t *testing.T) {
	rcutest.Test(t, flavors.QSBR, rcutest.Parts(rcutest.Guarantees), rcutest.Synctest())
}

// done runs f in a goroutine and returns a channel closed when it returns.
func done(f func()) <-chan struct{} {
	ch := make(chan struct{})
	go func() {
		defer close(ch)
		f()
	}()
	return ch
}

// returned reports whether ch is closed once every goroutine of the bubble
// is durably blocked or asleep after a second of the bubble's fake time:
// long enough for every poll of a grace period to have run.
func returned(ch <-chan struct{}) bool {
	time.Sleep(time.Second)
	synctest.Wait()
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// TestGracePeriodWaitsForQuiescentState: an online Reader holds a grace
// period until it announces a quiescent state, and only that.
func TestGracePeriodWaitsForQuiescentState(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := qsbr.New()
		defer d.Close()
		r := d.Register()
		defer r.Unregister()
		r.ReadLock()
		r.ReadUnlock() // a marker only: the Reader is still online
		sync := done(d.Synchronize)
		if returned(sync) {
			t.Fatal("Synchronize returned while an online Reader had not announced a quiescent state")
		}
		r.Quiescent()
		if !returned(sync) {
			t.Fatal("Synchronize did not return after the Reader's quiescent state")
		}
	})
}

// quiescentBeforeDoesNotCount: a quiescent state announced before
// Synchronize was called does not end its grace period.
func quiescentBeforeDoesNotCount(opts ...rcu.Option) error {
	d := qsbr.New(opts...)
	defer d.Close()
	r := d.Register()
	defer r.Unregister()
	r.Quiescent()
	r.Quiescent()
	sync := done(d.Synchronize)
	early := returned(sync)
	r.Quiescent()
	<-sync
	if early {
		return errors.New("Synchronize counted a quiescent state announced before it began")
	}
	return nil
}

func TestQuiescentBeforeGracePeriodDoesNotCount(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		if err := quiescentBeforeDoesNotCount(); err != nil {
			t.Fatal(err)
		}
	})
}

// TestQuiescentCheckCatchesStaleQuiescentStates: the check above fails the
// busted twin whose grace periods accept a quiescent state reported before
// they began, which the tools, whose readers go offline after each
// section, reach only through Online.
func TestQuiescentCheckCatchesStaleQuiescentStates(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		stale := rcu.Option(func(c *engine.Config) { c.Faults |= engine.FaultStaleQuiescent })
		if err := quiescentBeforeDoesNotCount(stale); err == nil {
			t.Fatal("the check passed a domain that accepts stale quiescent states")
		}
	})
}

// TestSelfWaitOfAnOnlineReader: d.Synchronize from the goroutine of an
// online Reader (without WithDebug, which would panic) is reported as a
// wait for itself, with the fix.
func TestSelfWaitOfAnOnlineReader(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		reports := make(chan rcu.StallReport, 16)
		d := qsbr.New(rcu.WithStallTimeout(10*time.Millisecond), rcu.WithStallHandler(func(r rcu.StallReport) {
			select {
			case reports <- r:
			default:
			}
		}))
		var r *qsbr.Reader
		registered := make(chan struct{})
		stuck := make(chan struct{})
		go func() {
			r = d.Register()
			close(registered)
			d.Synchronize() // waits for its own online Reader
			close(stuck)
		}()
		<-registered
		rep := <-reports
		if !rep.SelfWait || !strings.Contains(rep.String(), "use Reader.Synchronize") || !strings.Contains(rep.String(), "online reader(s)") {
			t.Fatalf("the report does not name the self-deadlock (SelfWait %v):\n%s", rep.SelfWait, rep)
		}
		r.Offline() // from here (ordered after Register by the channel), so that the bubble can end
		<-stuck
		r.Unregister()
		d.Close()
	})
}

// TestStallHandlerPanicInAnInlineGracePeriod: a stall handler that panics
// on the goroutine of a Synchronize that runs its grace period itself
// leaves the Domain whole: the panic reaches that caller, the grace period
// is finished by the grace-period goroutine, and everything else works.
func TestStallHandlerPanicInAnInlineGracePeriod(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var once atomic.Bool
		d := qsbr.New(rcu.WithStallTimeout(10*time.Millisecond), rcu.WithStallHandler(func(rcu.StallReport) {
			if once.CompareAndSwap(false, true) {
				panic("handler")
			}
		}))
		r := d.Register()
		var got any
		func() {
			defer func() { got = recover() }()
			d.Synchronize() // inline: r is online and silent, so it stalls
		}()
		if got != "handler" {
			t.Fatalf("recovered %v, want the handler's panic", got)
		}
		c := d.Snapshot()
		other := done(d.Synchronize)
		for quiet := false; !quiet; { // the reader's loop: report until the wait ends
			r.Quiescent()
			select {
			case <-other:
				quiet = true
			case <-time.After(time.Millisecond):
			}
		}
		if !d.Poll(c) {
			t.Fatal("no grace period completed after the handler's panic")
		}
		r.Unregister()
		d.Close()
	})
}

// TestOfflineReaderHoldsNothing: grace periods do not wait for an offline
// Reader, and wait again once it is back online.
func TestOfflineReaderHoldsNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := qsbr.New()
		defer d.Close()
		r := d.Register()
		defer r.Unregister()
		r.Offline()
		if r.IsOnline() {
			t.Fatal("IsOnline after Offline")
		}
		d.Synchronize() // must not wait
		r.Online()
		sync := done(d.Synchronize)
		if returned(sync) {
			t.Fatal("Synchronize did not wait for a Reader that came back online before it")
		}
		r.Offline()
		<-sync
	})
}

// TestReaderSynchronizeGoesOffline: a registered goroutine waits through
// its Reader without waiting for itself, and is online again after.
func TestReaderSynchronizeGoesOffline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := qsbr.New(rcu.WithDebug())
		defer d.Close()
		r := d.Register()
		defer r.Unregister()
		r.Synchronize()
		if !r.IsOnline() {
			t.Fatal("Reader.Synchronize left the Reader offline")
		}
	})
}

// TestStallNamesTheReader: the stall report names the Reader that neither
// reported nor went offline, with its registration stack under WithDebug.
func TestStallNamesTheReader(t *testing.T) {
	for _, debug := range []bool{false, true} {
		t.Run(fmt.Sprint("debug=", debug), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				reports := make(chan rcu.StallReport, 16)
				opts := []rcu.Option{rcu.WithStallTimeout(10 * time.Millisecond), rcu.WithStallHandler(func(r rcu.StallReport) {
					select {
					case reports <- r:
					default:
					}
				})}
				if debug {
					opts = append(opts, rcu.WithDebug())
				}
				d := qsbr.New(opts...)
				defer d.Close()
				quiet := d.Register() // offline: must not be named
				quiet.Offline()
				defer quiet.Unregister()
				r := d.Register()
				defer r.Unregister()
				sync := done(d.Synchronize)
				rep := <-reports
				r.Offline()
				<-sync
				msg := rep.String()
				if rep.Readers != 1 || !strings.Contains(rep.Reader, "qsbr reader 2") || !strings.Contains(msg, "qsbr reader 2") {
					t.Fatalf("the report does not name reader 2 alone (Readers %d, Reader %q):\n%s", rep.Readers, rep.Reader, msg)
				}
				if got := strings.Contains(rep.Stack, "TestStallNamesTheReader"); got != debug {
					t.Fatalf("registration stack present %v, want %v:\n%s", got, debug, msg)
				}
				if !strings.Contains(msg, "must call Offline") {
					t.Fatalf("the report does not say how to fix it:\n%s", msg)
				}
			})
		})
	}
}

func mustPanic(t *testing.T, want string, f func()) {
	t.Helper()
	defer func() {
		t.Helper()
		msg := fmt.Sprint(recover())
		if !strings.HasPrefix(msg, "rcu: ") || !strings.Contains(msg, want) {
			t.Fatalf("panic %q, want an rcu: message containing %q", msg, want)
		}
	}()
	f()
}

func TestMisusePanics(t *testing.T) {
	d := qsbr.New(rcu.WithDebug())
	defer d.Close()
	r := d.Register()
	r.ReadLock()
	mustPanic(t, "Quiescent inside a read section", r.Quiescent)
	mustPanic(t, "Offline inside a read section", r.Offline)
	mustPanic(t, "Unregister inside a read section", r.Unregister)
	r.ReadUnlock()
	mustPanic(t, "ReadUnlock without a read section", r.ReadUnlock)
	mustPanic(t, "is online (it would wait for itself)", d.Synchronize)
	mustPanic(t, "is online (it would wait for itself)", d.Barrier)
	r.Offline()
	mustPanic(t, "ReadLock of an offline Reader", r.ReadLock)
	d.Synchronize() // offline: fine
	r.Unregister()
	mustPanic(t, "after Unregister", r.Quiescent)
	mustPanic(t, "after Unregister", r.Online)
	mustPanic(t, "after Unregister", r.ReadLock)

	mustPanic(t, "after Unregister", r.Synchronize)

	plain := qsbr.New()
	p := plain.Register()
	p.Unregister()
	mustPanic(t, "after Unregister", p.ReadLock) // also without WithDebug
	mustPanic(t, "after Unregister", p.Quiescent)
	plain.Close()

	bounded := qsbr.New(rcu.WithDebug(), rcu.WithMaxPending(2))
	b := bounded.Register()
	bounded.Call(func() {})
	bounded.Call(func() {})
	mustPanic(t, "Call called by a goroutine whose Reader", func() { bounded.Call(func() {}) })
	b.ReadLock()
	mustPanic(t, "Reader.Synchronize inside a read section", b.Synchronize)
	b.ReadUnlock()
	b.Unregister()
	bounded.Close()

	var zero qsbr.Domain
	mustPanic(t, "must be made by New", func() { zero.Register() })
	mustPanic(t, "must be made by New", zero.Synchronize)

	c := qsbr.New()
	c.Close()
	mustPanic(t, "Register on a closed Domain", func() { c.Register() })
	mustPanic(t, "Synchronize on a closed Domain", c.Synchronize)
	if err := c.SynchronizeContext(context.Background()); !errors.Is(err, rcu.ErrClosed) {
		t.Fatalf("SynchronizeContext on a closed Domain: %v, want rcu.ErrClosed", err)
	}
}

// TestReadersOwnTheirCacheLines: a Reader is exactly two cache lines, so
// that the allocator's 128-byte class keeps every Reader's word off every
// other Reader's lines.
func TestReadersOwnTheirCacheLines(t *testing.T) {
	if n := unsafe.Sizeof(qsbr.Reader{}); n != 128 {
		t.Fatalf("a Reader is %d bytes, want 128", n)
	}
}

type obj struct {
	n     int
	freed *atomic.Int64
}

func (o *obj) Reclaim() { o.freed.Add(1) }

// TestRetire: Replace retires each replaced value once, after a grace
// period, allocating nothing.
func TestRetire(t *testing.T) {
	d := qsbr.New()
	defer d.Close()
	var freed atomic.Int64
	objs := make([]obj, 1001)
	for i := range objs {
		objs[i] = obj{n: i, freed: &freed}
	}
	var p rcu.Pointer[obj]
	rcu.Replace(d, &p, &objs[0])
	i := 1
	allocs := testing.AllocsPerRun(999, func() {
		rcu.Replace(d, &p, &objs[i])
		i++
	})
	d.Barrier()
	if got := freed.Load(); got != 1000 {
		t.Fatalf("%d values reclaimed, want 1000", got)
	}
	if allocs != 0 {
		t.Fatalf("Replace allocated %v times per call, want 0", allocs)
	}
}
