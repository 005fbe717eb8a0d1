package rcutest

// The suite's waits, on one of two clocks.
//
// Outside a bubble, every wait is measured in progress time (package
// internal/progress): the time the process actually had to run. On a slow
// or loaded machine the waits stretch in wall-clock time, so neither a
// correct implementation's verdict (something must happen within
// patience) nor a broken one's (something must not happen within hold)
// depends on the machine's speed.
//
// Inside a synctest bubble (the Synctest option), every wait is on the
// bubble's fake clock, which advances only when every goroutine of the
// bubble is durably blocked: a wait then measures steps the implementation
// took, costs no wall-clock time, and is the same on every machine.

import (
	"reflect"
	"sync"
	"time"

	"github.com/rcukit/rcukit/internal/progress"
)

// A clock measures the waits of one check.
type clock interface {
	now() time.Duration
	// after returns a channel that is closed or receives once d of the
	// clock's time has passed from now, and a function that stops it.
	after(d time.Duration) (<-chan time.Time, func() bool)
}

// progressClock is the process's progress clock, held for as long as the
// suite runs.
type progressClock struct{ c *progress.Clock }

func (p progressClock) now() time.Duration { return p.c.Now() }

// after waits on wall-clock timers until d of progress time has passed.
func (p progressClock) after(d time.Duration) (<-chan time.Time, func() bool) {
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- time.Now()
		return ch, func() bool { return false }
	}
	stop := make(chan struct{})
	var once sync.Once
	start := p.c.Now()
	go func() {
		for {
			left := d - p.c.Since(start)
			if left <= 0 {
				ch <- time.Now()
				return
			}
			t := time.NewTimer(left)
			select {
			case <-t.C:
			case <-stop:
				t.Stop()
				return
			}
		}
	}()
	return ch, func() bool { once.Do(func() { close(stop) }); return true }
}

// fakeClock is the fake clock of the synctest bubble the check runs in.
type fakeClock struct{ base time.Time }

func (f fakeClock) now() time.Duration { return time.Since(f.base) }

func (fakeClock) after(d time.Duration) (<-chan time.Time, func() bool) {
	t := time.NewTimer(d)
	return t.C, t.Stop
}

// within waits until ch is closed or d has passed, and reports whether ch
// was closed.
func (x *fixture) within(ch <-chan struct{}, d time.Duration) bool {
	return x.waitAny(d, ch) == 0
}

// pause waits for d.
func (x *fixture) pause(d time.Duration) { x.waitAny(d) }

// watch polls bad for d, and reports whether it ever held.
func (x *fixture) watch(d time.Duration, bad func() bool) bool {
	start := x.clock.now()
	for sleep := 50 * time.Microsecond; !bad(); sleep = min(2*sleep, 5*time.Millisecond) {
		if x.clock.now()-start >= d {
			return bad()
		}
		x.pause(min(sleep, d))
	}
	return true
}

// eventually polls cond until it holds or d has passed, and reports
// whether it held.
func (x *fixture) eventually(d time.Duration, cond func() bool) bool { return x.watch(d, cond) }

// waitAny waits until one of chs is closed, for at most d, and returns its
// index, or -1.
func (x *fixture) waitAny(d time.Duration, chs ...<-chan struct{}) int {
	timer, stop := x.clock.after(d)
	defer stop()
	cases := make([]reflect.SelectCase, len(chs)+1)
	for i, ch := range chs {
		cases[i] = reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(ch)}
	}
	cases[len(chs)] = reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(timer)}
	i, _, _ := reflect.Select(cases)
	if i < len(chs) {
		return i
	}
	// The time is up; a channel closed at the same moment still counts.
	for j, ch := range chs {
		select {
		case <-ch:
			return j
		default:
		}
	}
	return -1
}

// waitGroup waits for wg for at most d, and reports whether it finished.
func (x *fixture) waitGroup(wg *sync.WaitGroup, d time.Duration) bool {
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	return x.within(done, d)
}

func closed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
