package rcu_test

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rcukit/rcukit/rcu"
)

// mustPanic runs f and fails unless it panics with a message containing want.
func mustPanic(t *testing.T, want string, f func()) {
	t.Helper()
	defer func() {
		t.Helper()
		v := recover()
		if v == nil {
			t.Fatalf("no panic, want one containing %q", want)
		}
		msg := fmt.Sprint(v)
		if !strings.HasPrefix(msg, "rcu: ") || !strings.Contains(msg, want) {
			t.Fatalf("panic %q, want an rcu: message containing %q", msg, want)
		}
	}()
	f()
}

func TestReadUnlockTwicePanics(t *testing.T) {
	d := rcu.New()
	t.Cleanup(d.Close)
	tok := d.ReadLock()
	d.ReadUnlock(tok)
	mustPanic(t, "not held", func() { d.ReadUnlock(tok) })
}

func TestReadUnlockTwiceInsideNestPanics(t *testing.T) {
	bubble(t, func(t *testing.T) {
		d := rcu.New()
		defer d.Close()
		outer := d.ReadLock()
		inner := d.ReadLock()
		d.ReadUnlock(inner)
		mustPanic(t, "not held", func() { d.ReadUnlock(inner) })
		// The failed unlock changed nothing: outer is still held and ends once.
		done := start(d.Synchronize)
		if within(done, hold) {
			t.Fatal("a rejected double unlock ended the outer section")
		}
		d.ReadUnlock(outer)
		<-done
	})
}

func TestReadUnlockOfReusedSlotPanics(t *testing.T) {
	d := rcu.New()
	t.Cleanup(d.Close)
	old := d.ReadLock()
	d.ReadUnlock(old)
	cur := d.ReadLock() // most likely takes the same slot again
	mustPanic(t, "not held", func() { d.ReadUnlock(old) })
	d.ReadUnlock(cur)
}

func TestReadUnlockForeignTokenPanics(t *testing.T) {
	a, b := rcu.New(), rcu.New()
	t.Cleanup(a.Close)
	t.Cleanup(b.Close)
	mustPanic(t, "no ReadLock returned", func() { a.ReadUnlock(rcu.Token{}) })
	tok := b.ReadLock()
	mustPanic(t, "another Domain", func() { a.ReadUnlock(tok) })
	b.ReadUnlock(tok)
}

func TestCallNilPanics(t *testing.T) {
	d := rcu.New()
	t.Cleanup(d.Close)
	mustPanic(t, "nil function", func() { d.Call(nil) })
}

func TestClosedDomainPanics(t *testing.T) {
	d := rcu.New()
	open := d.ReadLock()
	c := d.Snapshot()
	d.Close()
	d.ReadUnlock(open) // a section from before Close may still end
	for name, f := range map[string]func(){
		"ReadLock":             func() { d.ReadLock() },
		"Read":                 func() { d.Read(func() {}) },
		"Synchronize":          d.Synchronize,
		"SynchronizeExpedited": d.SynchronizeExpedited,
		"Call":                 func() { d.Call(func() {}) },
		"Barrier":              d.Barrier,
		"Snapshot":             func() { d.Snapshot() },
		"Poll":                 func() { d.Poll(c) },
		"WaitFor":              func() { d.WaitFor(c) },
		"Close":                d.Close,
	} {
		t.Run(name, func(t *testing.T) { mustPanic(t, "closed Domain", f) })
	}
}

// TestConcurrentClosePanicsOnce: of two Closes at once, one closes the
// Domain and the other panics once it is closed.
func TestConcurrentClosePanicsOnce(t *testing.T) {
	d := rcu.New()
	d.Call(func() {})
	var panics atomic.Int32
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			defer func() {
				if v := recover(); v != nil {
					if !strings.Contains(fmt.Sprint(v), "rcu: Close of a closed Domain") {
						t.Errorf("Close panicked with %v", v)
					}
					panics.Add(1)
				}
			}()
			d.Close()
		})
	}
	wg.Wait()
	if n := panics.Load(); n != 1 {
		t.Errorf("%d of two concurrent Closes panicked, want 1", n)
	}
}

// TestStatsOfUnusedZeroDomain: Stats of a zero Domain that was never used
// reports zeros and starts nothing (goleak would see its goroutines).
func TestStatsOfUnusedZeroDomain(t *testing.T) {
	var d rcu.Domain
	if s := d.Stats(); s != (rcu.Stats{}) {
		t.Errorf("Stats of an unused zero Domain = %+v", s)
	}
}

func TestBadOptionsPanic(t *testing.T) {
	mustPanic(t, "WithMaxPending", func() { rcu.WithMaxPending(0) })
	mustPanic(t, "WithStallTimeout", func() { rcu.WithStallTimeout(-time.Second) })
	mustPanic(t, "WithStallHandler", func() { rcu.WithStallHandler(nil) })
	mustPanic(t, "WithPanicHandler", func() { rcu.WithPanicHandler(nil) })
	mustPanic(t, "nil Domain", func() { rcu.NewList[int](nil, nil) })
}

// waitingCallsPanic: Barrier and Close from a callback would wait for
// themselves; they panic, the domain recovers the panic and carries on.
func TestWaitingFromCallbackPanics(t *testing.T) {
	got := make(chan any, 2)
	d := rcu.New(rcu.WithPanicHandler(func(v any) { got <- v }))
	defer d.Close()
	d.Call(func() { d.Barrier() })
	d.Call(func() { d.Close() })
	d.Barrier()
	for _, want := range []string{"Barrier called from a callback", "Close called from a callback"} {
		v := <-got
		if s := fmt.Sprint(v); !strings.Contains(s, want) {
			t.Errorf("callback panic %q, want %q", s, want)
		}
	}
}

func TestDebugLoadOutsideReadSectionPanics(t *testing.T) {
	d := rcu.New(rcu.WithDebug())
	t.Cleanup(d.Close)
	var p rcu.Pointer[int]
	p.Store(new(int))
	mustPanic(t, "Pointer.Load called outside", func() { p.Load() })
	d.Read(func() { p.Load() })

	other := rcu.New() // sections of non-debug domains count too
	t.Cleanup(other.Close)
	var q rcu.Pointer[int]
	q.Store(new(int))
	other.Read(func() { q.Load() })

	l := rcu.NewList[int](d, nil)
	mustPanic(t, "List.All called outside", func() {
		for range l.All() {
		}
	})
}

func TestDebugSynchronizeInsideReadSectionPanics(t *testing.T) {
	d := rcu.New(rcu.WithDebug())
	t.Cleanup(d.Close)
	other := rcu.New(rcu.WithDebug())
	t.Cleanup(other.Close)
	d.Read(func() {
		mustPanic(t, "Synchronize called inside", d.Synchronize)
		mustPanic(t, "SynchronizeExpedited called inside", d.SynchronizeExpedited)
		mustPanic(t, "Barrier called inside", d.Barrier)
		mustPanic(t, "WaitFor called inside", func() { d.WaitFor(d.Snapshot()) })
		other.Synchronize() // another domain: no deadlock, no panic
	})
	d.Synchronize()
	// A section opened on one goroutine and ended on another is charged
	// to the goroutine that opened it.
	tok := d.ReadLock()
	<-start(func() { d.ReadUnlock(tok) })
	d.Synchronize()
}

// TestDebugLoadUnderWrongDomainPanics: a Pointer read under one Domain and
// then loaded inside a section of only another Domain would not be waited
// for by the first Domain's grace periods; WithDebug makes that Load
// panic, naming both Domains. The same holds for a List and its Domain.
func TestDebugLoadUnderWrongDomainPanics(t *testing.T) {
	a, b := rcu.New(rcu.WithDebug()), rcu.New()
	t.Cleanup(a.Close)
	t.Cleanup(b.Close)
	var p rcu.Pointer[int]
	p.Store(new(int))
	a.Read(func() { p.Load() }) // binds p to a
	b.Read(func() {
		mustPanic(t, "this Pointer is read under "+a.String(), func() { p.Load() })
		mustPanic(t, "inside read sections of "+b.String()+" only", func() { p.Load() })
		a.Read(func() { p.Load() }) // inside sections of both: fine
	})
	a.Read(func() { p.Load() })

	l := rcu.NewList[int](a, nil)
	l.PushBack(1)
	b.Read(func() {
		mustPanic(t, "it belongs to "+a.String(), func() {
			for range l.All() {
			}
		})
	})
	a.Read(func() {
		for range l.All() {
		}
	})

	// A Pointer first loaded inside sections of two Domains at once is
	// bound to neither, until a Load inside sections of one of them only.
	var q rcu.Pointer[int]
	q.Store(new(int))
	a.Read(func() { b.Read(func() { q.Load() }) })
	b.Read(func() { q.Load() }) // binds q to b
	a.Read(func() { mustPanic(t, "this Pointer is read under "+b.String(), func() { q.Load() }) })
}

// TestManyBlockedReaders keeps more readers blocked inside sections than a
// shard has slots, on one P, so that sections overflow the slot tables;
// grace periods still wait for every one of them.
func TestManyBlockedReaders(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	bubble(t, func(t *testing.T) {
		d := rcu.New()
		defer d.Close()
		const n = 200
		var wg sync.WaitGroup
		var entered sync.WaitGroup
		release := make(chan struct{})
		entered.Add(n)
		for range n {
			wg.Go(func() {
				tok := d.ReadLock()
				entered.Done()
				<-release
				d.ReadUnlock(tok)
			})
		}
		entered.Wait()
		done := start(d.Synchronize)
		if within(done, hold) {
			t.Fatal("Synchronize returned while readers were blocked inside")
		}
		close(release)
		wg.Wait()
		<-done

		// Overflow tokens are checked like slot tokens.
		toks := make([]rcu.Token, n)
		for i := range toks {
			toks[i] = d.ReadLock()
		}
		for _, tok := range toks {
			d.ReadUnlock(tok)
		}
		mustPanic(t, "not held", func() { d.ReadUnlock(toks[n-1]) })
	})
}
