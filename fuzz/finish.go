package fuzz

// Finishing a run, and telling a hang.
//
// At the end every hold is released and disarmed, each actor closes the
// sections it left open, the controller waits for every actor, for every
// callback (Barrier), and closes the instance. An operation that has not
// finished within hangTimeout of progress time (the time the process had
// to run, see internal/progress) after that is reported as a hang.

import (
	"fmt"
	"strings"
	"time"

	"github.com/rcukit/rcukit/internal/progress"
)

// hangTimeout bounds, in progress time, how long the end of a run waits
// for what is still running once everything was released; a variable for
// the tests of hangs.
var hangTimeout = 10 * time.Second

// finish releases everything, closes every section, waits for every
// operation and callback, and closes the instance. It returns what never
// finished, or "".
func (r *run) finish() string {
	r.mu.Lock()
	r.closing = true
	for _, a := range r.actors {
		r.releaseLocked(&a.hold)
	}
	r.releaseLocked(&r.gpHold)
	r.mu.Unlock()
	for i, a := range r.actors {
		if d := r.sched.depth[i]; d > 0 {
			a.q <- step{index: len(r.sched.steps), act: unlockAction, actor: i, count: d}
		}
		close(a.q)
	}
	// Every bound here is in progress time (internal/progress): a run on
	// a starved machine is given the time it needs, and only an
	// operation that does not finish while the process runs is a hang.
	clock := progress.Acquire()
	defer progress.Release(clock)
	start := clock.Now()
	left := func() time.Duration { return hangTimeout - clock.Since(start) }
	var stuck []string
	for _, a := range r.actors {
		if clock.Within(a.done, left()) {
			continue
		}
		for _, b := range r.actors {
			select {
			case <-b.done:
			default:
				stuck = append(stuck, r.describeStuck(b))
			}
		}
		return fmt.Sprintf("after every hold was released and every section closed, these never finished within %v:\n  %s",
			hangTimeout, strings.Join(stuck, "\n  "))
	}
	if r.ops.Barrier != nil {
		if !clock.Within(goDone(r.ops.Barrier), left()) {
			return fmt.Sprintf("a final Barrier, with every section closed and every hold released, did not return within %v", hangTimeout)
		}
	}
	if r.ops.Close != nil {
		if !clock.Within(goDone(r.ops.Close), left()) {
			return fmt.Sprintf("Ops.Close did not return within %v", hangTimeout)
		}
	}
	if !clock.WaitFor(left(), func() bool { return r.invoked.Load() >= r.called.Load() }) {
		return fmt.Sprintf("%d of %d callbacks never ran within %v after every section closed and every hold was released",
			r.called.Load()-r.invoked.Load(), r.called.Load(), hangTimeout)
	}
	return ""
}

// goDone runs f on a new goroutine and returns a channel closed when it
// returns; if it never does, the goroutine is abandoned.
func goDone(f func()) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	return done
}

func (r *run) describeStuck(a *actor) string {
	now := a.now.Load()
	if now == 0 {
		return fmt.Sprintf("actor %s: between steps", actorName(a.idx))
	}
	if int(now-1) >= len(r.sched.steps) {
		return fmt.Sprintf("actor %s: closing its %d open sections", actorName(a.idx), r.sched.depth[a.idx])
	}
	return fmt.Sprintf("actor %s: step %s", actorName(a.idx), strings.TrimSpace(r.sched.steps[now-1].String()))
}
