package rcu_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/rcukit/rcukit/rcu"
)

// buffer is a pooled buffer: retiring it returns it to its pool.
type buffer struct {
	data []byte
	pool *sync.Pool
}

func (b *buffer) Reclaim() { b.pool.Put(b) }

// Replace a pooled buffer: the old one goes back to the pool only after
// every reader that could see it is done, without a closure per retire.
func ExampleReplace() {
	d := rcu.New()
	defer d.Close()
	pool := &sync.Pool{New: func() any { return &buffer{data: make([]byte, 0, 64)} }}
	var cur rcu.Pointer[buffer]

	for i := range 3 {
		b := pool.Get().(*buffer)
		b.pool = pool
		b.data = fmt.Appendf(b.data[:0], "version %d", i)
		rcu.Replace(d, &cur, b) // publish b; the buffer it replaced returns to the pool after a grace period
	}
	d.Read(func() { fmt.Println(string(cur.Load().data)) })
	d.Barrier() // every retired buffer is back in the pool
	// Output:
	// version 2
}

// order is a value whose Reclaim records its name.
type order struct {
	name string
	log  *[]string
}

func (o *order) Reclaim() { *o.log = append(*o.log, o.name) }

// TestRetireRunsInQueueOrderWithCall: retired values and Call's functions
// share one queue, in the order they were queued, and Barrier waits for
// both.
func TestRetireRunsInQueueOrderWithCall(t *testing.T) {
	d := rcu.New()
	defer d.Close()
	var log []string // written by the callback goroutine only
	for i := range 6 {
		name := fmt.Sprint(i)
		if i%2 == 0 {
			d.Retire(&order{name: "retire " + name, log: &log})
		} else {
			d.Call(func() { log = append(log, "call "+name) })
		}
	}
	d.Barrier()
	want := "[retire 0 call 1 retire 2 call 3 retire 4 call 5]"
	if got := fmt.Sprint(log); got != want {
		t.Fatalf("callbacks ran as %s, want %s", got, want)
	}
	if s := d.Stats(); s.CallbacksQueued != 6 || s.CallbacksInvoked != 6 {
		t.Fatalf("Stats %+v: want 6 queued and 6 invoked", s)
	}
}

// TestRetireWaitsForReaders: a retired value is not reclaimed while a
// section that began before the Retire is open.
func TestRetireWaitsForReaders(t *testing.T) {
	bubble(t, func(t *testing.T) {
		d := rcu.New()
		defer d.Close()
		var log []string
		tok := d.ReadLock()
		d.Retire(&order{name: "x", log: &log})
		barrier := start(d.Barrier)
		if within(barrier, hold) {
			t.Fatal("the retired value was reclaimed while a reader that could see it was inside")
		}
		d.ReadUnlock(tok)
		<-barrier
		if len(log) != 1 {
			t.Fatalf("reclaimed %v, want x once", log)
		}
	})
}

func TestReplaceAllocatesNothing(t *testing.T) {
	d := rcu.New()
	defer d.Close()
	var log []string
	objs := make([]order, 1001)
	for i := range objs {
		objs[i] = order{name: "o", log: &log}
	}
	var p rcu.Pointer[order]
	i := 0
	allocs := testing.AllocsPerRun(1000, func() {
		rcu.Replace(d, &p, &objs[i])
		i++
	})
	d.Barrier()
	if allocs != 0 {
		t.Fatalf("Replace allocated %v times per call, want 0", allocs)
	}
	if len(log) != 1000 {
		t.Fatalf("%d values reclaimed, want 1000 (every one but the last published)", len(log))
	}
}

func TestRetireMisuse(t *testing.T) {
	d := rcu.New()
	mustPanic(t, "Retire of a nil value", func() { d.Retire(nil) })
	var p rcu.Pointer[order]
	mustPanic(t, "Replace with a nil value", func() { rcu.Replace(d, &p, nil) })
	var log []string
	v := &order{name: "v", log: &log}
	rcu.Replace(d, &p, v)
	rcu.Replace(d, &p, v) // itself: nothing to retire
	d.Barrier()
	if len(log) != 0 {
		t.Fatalf("Replace of a value by itself retired %v", log)
	}
	d.Close()
	mustPanic(t, "Retire on a closed Domain", func() { d.Retire(&order{}) })
}
