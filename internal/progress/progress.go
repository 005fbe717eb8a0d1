// Package progress measures time the process has actually had to run, so
// that a liveness check ("this must happen within 10 s") never fails
// because the machine was slow or the process was starved.
//
// A Clock is driven by a pacer goroutine that sleeps Tick in a loop. Each
// wakeup credits the time since the previous one, but at most MaxCredit: a
// process that runs normally gets nearly all of its wall-clock time
// credited, while the time of a stall longer than MaxCredit, in which even
// a goroutine that only sleeps and wakes was not run (the process was
// descheduled, stopped, or starved by a loaded machine), is not. A bound
// measured on a Clock is a bound on the time the process had: on a loaded
// machine it stretches in wall-clock time, and it never runs out while the
// process is stopped.
//
// The pacer also wakes when the Go scheduler is busy, since a woken
// goroutine goes to the front of its P's queue: contention inside the
// process (more runnable goroutines than Ps) is credited in full. That is
// deliberate: it is the implementation under test, not the machine, that
// decides how its goroutines share the Ps.
//
// Clocks are shared: Acquire starts the pacer on first use, and Release
// of the last holder stops it, so that no goroutine outlives its users.
package progress

import (
	"sync"
	"sync/atomic"
	"time"
)

const (
	// Tick is how often the pacer wakes.
	Tick = time.Millisecond
	// MaxCredit is the most a single wakeup credits: a gap longer than
	// this between two wakeups counts as a stall of the process.
	MaxCredit = 50 * time.Millisecond
)

// A Clock reads the progress time of the process since the pacer started.
type Clock struct {
	credited atomic.Int64 // ns credited up to the last wakeup
	lastWake atomic.Int64 // wall ns (since base) of the last wakeup
	held     atomic.Int32 // Hold calls not yet resumed: credit nothing
	base     time.Time
	stop     chan struct{}
	done     chan struct{}

	mu      sync.Mutex
	samples []sample // one per sampleEvery, for Over; guarded by mu
}

// A sample pairs a wall-clock time with the progress time then.
type sample struct{ wall, progress time.Duration }

const (
	sampleEvery = 100 * time.Millisecond
	keepSamples = 36000 // an hour of samples
)

var shared struct {
	mu    sync.Mutex
	users int
	c     *Clock
}

// Acquire returns the process's Clock, starting its pacer if no one else
// holds it. Every Acquire must be matched by a Release.
func Acquire() *Clock {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.users == 0 {
		shared.c = start()
	}
	shared.users++
	return shared.c
}

// Release gives up a Clock returned by Acquire; the last Release stops
// the pacer. The Clock keeps its last reading.
func Release(c *Clock) {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.c != c || shared.users == 0 {
		panic("progress: Release of a Clock that is not held")
	}
	if shared.users--; shared.users == 0 {
		close(c.stop)
		<-c.done
		shared.c = nil
	}
}

func start() *Clock {
	c := &Clock{base: time.Now(), stop: make(chan struct{}), done: make(chan struct{})}
	c.samples = append(c.samples, sample{})
	go c.pace(time.Sleep)
	return c
}

// pace is the pacer loop; sleep is time.Sleep except in tests.
func (c *Clock) pace(sleep func(time.Duration)) {
	defer close(c.done)
	nextSample := sampleEvery
	for {
		select {
		case <-c.stop:
			return
		default:
		}
		sleep(Tick)
		wall := time.Since(c.base)
		if c.held.Load() == 0 {
			c.credited.Add(int64(min(wall-time.Duration(c.lastWake.Load()), MaxCredit)))
		}
		c.lastWake.Store(int64(wall))
		if wall >= nextSample {
			c.mu.Lock()
			c.samples = append(c.samples, sample{wall, time.Duration(c.credited.Load())})
			if len(c.samples) > keepSamples {
				c.samples = append(c.samples[:0], c.samples[len(c.samples)-keepSamples:]...)
			}
			c.mu.Unlock()
			nextSample = wall + sampleEvery
		}
	}
}

// Now returns the progress time since the pacer started: the time
// credited up to the last wakeup, plus the time since it (at most
// MaxCredit).
func (c *Clock) Now() time.Duration {
	credited := time.Duration(c.credited.Load())
	if c.held.Load() != 0 {
		return credited
	}
	wall := time.Since(c.base)
	last := time.Duration(c.lastWake.Load())
	return credited + min(max(wall-last, 0), MaxCredit)
}

// Hold stops the clock, as if the process were not running, until resume
// is called. It exists for tests of the checks that use a Clock: it lets
// them show that a stalled process is not judged. It affects every holder
// of the shared Clock.
func (c *Clock) Hold() (resume func()) {
	c.held.Add(1)
	var once sync.Once
	return func() { once.Do(func() { c.held.Add(-1) }) }
}

// Since returns the progress time elapsed since the reading p of Now.
func (c *Clock) Since(p time.Duration) time.Duration { return c.Now() - p }

// Over returns how much progress time the process had during the last
// window of wall-clock time (at a resolution of about 100 ms), or all of
// it since the pacer started if that is shorter.
func (c *Clock) Over(window time.Duration) time.Duration {
	now := c.Now()
	from := time.Since(c.base) - window
	c.mu.Lock()
	defer c.mu.Unlock()
	// The newest sample at or before from.
	lo, hi := 0, len(c.samples)-1
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if c.samples[mid].wall <= from {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return now - c.samples[lo].progress
}

// Within waits until ch is closed or d of progress time has passed, and
// reports whether ch was closed.
func (c *Clock) Within(ch <-chan struct{}, d time.Duration) bool {
	start := c.Now()
	for {
		left := d - c.Since(start)
		if left <= 0 {
			select {
			case <-ch:
				return true
			default:
				return false
			}
		}
		t := time.NewTimer(left)
		select {
		case <-ch:
			t.Stop()
			return true
		case <-t.C:
		}
	}
}

// Sleep sleeps for d of progress time, or until stop is closed (nil: never);
// it reports whether it slept the whole time.
func (c *Clock) Sleep(d time.Duration, stop <-chan struct{}) bool {
	if stop == nil {
		stop = make(chan struct{})
	}
	return !c.Within(stop, d)
}

// WaitFor polls cond until it holds or d of progress time has passed, and
// reports whether it held. It polls often at first, then every few
// milliseconds.
func (c *Clock) WaitFor(d time.Duration, cond func() bool) bool {
	start := c.Now()
	for sleep := 50 * time.Microsecond; !cond(); sleep = min(2*sleep, 5*time.Millisecond) {
		if c.Since(start) >= d {
			return cond()
		}
		time.Sleep(sleep)
	}
	return true
}
