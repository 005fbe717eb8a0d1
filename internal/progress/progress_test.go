package progress

import (
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestWithin(t *testing.T) {
	c := Acquire()
	defer Release(c)
	closed := make(chan struct{})
	close(closed)
	if !c.Within(closed, time.Hour) {
		t.Fatal("Within of a closed channel reported false")
	}
	// Never closed: it must give up once 5 ms of progress have passed,
	// however long that takes in wall-clock time.
	start := c.Now()
	if c.Within(make(chan struct{}), 5*time.Millisecond) {
		t.Fatal("Within of a channel that is never closed reported true")
	}
	if got := c.Since(start); got < 5*time.Millisecond {
		t.Fatalf("Within gave up after %v of progress, before the 5ms it was given", got)
	}
	if c.WaitFor(2*time.Millisecond, func() bool { return false }) {
		t.Fatal("WaitFor of a condition that never holds reported true")
	}
	if !c.WaitFor(time.Hour, func() bool { return true }) {
		t.Fatal("WaitFor of a condition that holds reported false")
	}
}

// TestHoldStopsTheClock: while the clock is held, as when the process is
// stopped, no progress is credited at all, and a bound measured on the
// clock does not run out.
func TestHoldStopsTheClock(t *testing.T) {
	c := Acquire()
	defer Release(c)
	resume := c.Hold()
	before := c.Now()
	gaveUp := make(chan bool)
	go func() { gaveUp <- !c.Within(make(chan struct{}), 10*time.Millisecond) }()
	time.Sleep(40 * time.Millisecond) // several wakeups of the pacer
	if now := c.Now(); now != before {
		t.Fatalf("the held clock moved from %v to %v", before, now)
	}
	select {
	case <-gaveUp:
		t.Fatal("a 10ms bound ran out while the clock was held")
	default:
	}
	resume()
	if !<-gaveUp {
		t.Fatal("Within reported a channel that was never closed as closed")
	}
}

// TestStallIsNotCredited drives the pacer by hand: every wakeup comes
// long after the one before, as when the process is starved, so each
// credits exactly MaxCredit.
func TestStallIsNotCredited(t *testing.T) {
	c := &Clock{base: time.Now(), stop: make(chan struct{}), done: make(chan struct{})}
	c.samples = append(c.samples, sample{})
	wake, woke := make(chan struct{}), make(chan struct{})
	go c.pace(func(time.Duration) {
		woke <- struct{}{}
		<-wake
	})
	<-woke // the pacer is asleep
	const wakeups = 3
	for range wakeups {
		time.Sleep(2 * MaxCredit)
		wake <- struct{}{}
		<-woke
	}
	if got, want := time.Duration(c.credited.Load()), wakeups*MaxCredit; got != want {
		t.Errorf("after %d wakeups each more than %v apart, %v was credited; want %v", wakeups, MaxCredit, got, want)
	}
	before := c.Now()
	over := c.Over(time.Hour)
	if after := c.Now(); over < before || over > after {
		t.Errorf("Over(an hour) = %v, want all of the progress, between %v and %v", over, before, after)
	}
	close(c.stop)
	wake <- struct{}{}
	<-c.done
}

func TestReleaseOfUnheldClockPanics(t *testing.T) {
	defer func() {
		if v := recover(); v == nil {
			t.Fatal("no panic")
		}
	}()
	Release(&Clock{})
}
