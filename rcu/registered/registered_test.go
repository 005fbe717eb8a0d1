package registered_test

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
	"unsafe"

	"github.com/rcukit/rcukit/rcu"
	"github.com/rcukit/rcukit/rcu/registered"
	"github.com/rcukit/rcukit/rcutest"
	"github.com/rcukit/rcukit/torture/flavors"
)

// TestConformance is the kit's guarantee checks on the registered flavor,
// each in a synctest bubble.
func TestConformance(t *testing.T) {
	rcutest.Test(t, flavors.Registered, rcutest.Parts(rcutest.Guarantees), rcutest.Synctest())
}

func done(f func()) <-chan struct{} {
	ch := make(chan struct{})
	go func() {
		defer close(ch)
		f()
	}()
	return ch
}

// returned reports whether ch is closed after a second of the bubble's
// fake time, once every goroutine of the bubble is durably blocked.
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

// TestNestedSections: a grace period waits for the outermost section, and
// an inner ReadUnlock does not end it.
func TestNestedSections(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := registered.New()
		defer d.Close()
		r := d.Register()
		defer r.Unregister()
		r.ReadLock()
		r.ReadLock()
		sync := done(d.Synchronize)
		r.ReadUnlock()
		if returned(sync) {
			t.Fatal("Synchronize returned while the outer section was open")
		}
		r.ReadUnlock()
		if !returned(sync) {
			t.Fatal("Synchronize did not return after the outer section ended")
		}
		d.Synchronize() // no section: at once
	})
}

// TestNewSectionsDoNotHoldAGracePeriod: sections that begin after a grace
// period began are not waited for, so a stream of them cannot hold it.
func TestNewSectionsDoNotHoldAGracePeriod(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := registered.New()
		defer d.Close()
		r := d.Register()
		defer r.Unregister()
		r.ReadLock()
		sync := done(d.Synchronize)
		synctest.Wait() // the grace period has advanced the generation and waits
		r.ReadUnlock()
		r.ReadLock() // a new section, under the new generation
		if !returned(sync) {
			t.Fatal("Synchronize waited for a section that began after it")
		}
		r.ReadUnlock()
	})
}

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
				d := registered.New(opts...)
				defer d.Close()
				idle := d.Register() // outside its sections: must not be named
				defer idle.Unregister()
				r := d.Register()
				defer r.Unregister()
				r.ReadLock()
				sync := done(d.Synchronize)
				rep := <-reports
				r.ReadUnlock()
				<-sync
				msg := rep.String()
				if rep.Readers != 1 || !strings.Contains(msg, "registered reader 2") {
					t.Fatalf("the report does not name reader 2 alone (Readers %d, Reader %q):\n%s", rep.Readers, rep.Reader, msg)
				}
				if got := strings.Contains(rep.Stack, "TestStallNamesTheReader"); got != debug {
					t.Fatalf("registration stack present %v, want %v:\n%s", got, debug, msg)
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
	d := registered.New(rcu.WithDebug())
	defer d.Close()
	r := d.Register()
	r.ReadLock()
	mustPanic(t, "Unregister inside a read section", r.Unregister)
	mustPanic(t, "called inside a read section", d.Synchronize)
	mustPanic(t, "called inside a read section", d.Barrier)
	r.ReadUnlock()
	mustPanic(t, "ReadUnlock without a read section", r.ReadUnlock)
	d.Synchronize()
	r.Unregister()
	mustPanic(t, "ReadLock of an unregistered Reader", r.ReadLock)
	mustPanic(t, "Unregister of an unregistered Reader", r.Unregister)
	mustPanic(t, "ReadUnlock of an unregistered Reader", r.ReadUnlock)

	plain := registered.New()
	defer plain.Close()
	p := plain.Register()
	p.Unregister()
	mustPanic(t, "ReadLock of an unregistered Reader", p.ReadLock) // also without WithDebug

	var zero registered.Domain
	mustPanic(t, "must be made by New", func() { zero.Register() })

	c := registered.New()
	cr := c.Register()
	c.Close()
	mustPanic(t, "ReadLock on a closed Domain", cr.ReadLock)
	mustPanic(t, "Register on a closed Domain", func() { c.Register() })
}

func TestReadersOwnTheirCacheLines(t *testing.T) {
	if n := unsafe.Sizeof(registered.Reader{}); n != 128 {
		t.Fatalf("a Reader is %d bytes, want 128", n)
	}
}

type obj struct{ freed *atomic.Int64 }

func (o *obj) Reclaim() { o.freed.Add(1) }

func TestRetire(t *testing.T) {
	d := registered.New()
	defer d.Close()
	var freed atomic.Int64
	objs := make([]obj, 1001)
	for i := range objs {
		objs[i] = obj{freed: &freed}
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

// TestSelfWaitIsReported: a Synchronize called inside a section of its own
// Domain, which runs the grace period on its own goroutine (it found none
// running), is named in the stall report as a waiter that waits for
// itself.
func TestSelfWaitIsReported(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		reports := make(chan rcu.StallReport, 16)
		d := registered.New(rcu.WithStallTimeout(10*time.Millisecond), rcu.WithStallHandler(func(r rcu.StallReport) {
			select {
			case reports <- r:
			default:
			}
		}))
		r := d.Register()
		stuck := make(chan struct{})
		go func() {
			r.ReadLock()
			d.Synchronize() // waits for itself
			close(stuck)
		}()
		rep := <-reports
		if !rep.SelfWait && !strings.Contains(strings.Join(rep.WaiterStacks, ""), "TestSelfWaitIsReported") || rep.Waiters != 1 {
			t.Fatalf("the report does not show the waiter (Waiters %d):\n%s", rep.Waiters, rep)
		}
		// End the section from here (the report's delivery orders this
		// after the ReadLock), so that the bubble can end.
		r.ReadUnlock()
		<-stuck
		r.Unregister()
		d.Close()
	})
}
