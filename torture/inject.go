package torture

// The injector: what the engine does at a flavor's injection points.
//
// Black-box stress rarely lands in a window a few instructions wide (a
// reader that has sampled the grace-period index but not yet counted itself,
// say). At each hit of a point the injector acts with probability
// Config.Inject: it spins for a few microseconds, yields, sleeps for up to a
// millisecond, or, rarely, holds the goroutine for milliseconds, long enough
// for whole grace periods to pass inside the window.
//
// A reader whose Lock was held up by a sleep or a hold (it sees woke
// change across its Lock) is a likely straggler: it began a section late,
// on state it sampled before the delay. The reader then keeps that section
// open for a few milliseconds and checks a polled cookie taken inside it,
// so that the grace periods that follow must visibly wait for it.
//
// Hits come from any goroutine, the flavor's own included, so the injector
// draws from math/rand/v2's per-thread generator rather than from the run's
// seeded sources: scheduling makes a run unrepeatable anyway, and a shared
// seeded source would serialize every reader on one lock.

import (
	"fmt"
	"github.com/rcukit/rcukit/rcuops"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync/atomic"
	"time"
)

type injector struct {
	threshold uint64 // act when a uniform uint64 falls below it
	points    atomic.Pointer[map[rcuops.Point]*pointStats]
	order     []rcuops.Point
	woke      atomic.Uint64 // sleeps and holds that have ended
}

type pointStats struct {
	spins, yields, sleeps, holds atomic.Uint64
}

func newInjector(p float64) *injector {
	in := &injector{threshold: ^uint64(0)}
	if t := math.Ldexp(p, 64); t < math.Ldexp(1, 64) {
		in.threshold = uint64(t)
	}
	return in
}

// declare fixes the flavor's points; hits before it are ignored.
func (in *injector) declare(points []rcuops.Point) {
	m := make(map[rcuops.Point]*pointStats, len(points))
	for _, p := range points {
		m[p] = new(pointStats)
	}
	in.order = append([]rcuops.Point(nil), points...)
	in.points.Store(&m)
}

// hit is Env.Inject.
func (in *injector) hit(point rcuops.Point) {
	mp := in.points.Load()
	if mp == nil {
		return
	}
	ps := (*mp)[point]
	if ps == nil {
		panic(fmt.Sprintf("torture: injection at point %q, which the flavor did not declare in Ops.Injection", point))
	}
	if rand.Uint64() >= in.threshold {
		return
	}
	switch r := rand.Uint32N(100); {
	case r < 40:
		ps.spins.Add(1)
		spin(time.Duration(1+rand.IntN(20)) * time.Microsecond)
	case r < 70:
		ps.yields.Add(1)
		runtime.Gosched()
	case r < 95:
		ps.sleeps.Add(1)
		time.Sleep(time.Duration(10+rand.IntN(990)) * time.Microsecond)
		in.woke.Add(1)
	default:
		ps.holds.Add(1)
		time.Sleep(time.Duration(2+rand.IntN(18)) * time.Millisecond)
		in.woke.Add(1)
	}
}

func (in *injector) summary() string {
	mp := in.points.Load()
	if mp == nil {
		return "none"
	}
	var parts []string
	for _, p := range in.order {
		s := (*mp)[p]
		parts = append(parts, fmt.Sprintf("%s %d/%d/%d/%d", p, s.spins.Load(), s.yields.Load(), s.sleeps.Load(), s.holds.Load()))
	}
	return strings.Join(parts, ", ") + " (spin/yield/sleep/hold)"
}

// spin busy-waits for about d without yielding.
func spin(d time.Duration) {
	for t := time.Now(); time.Since(t) < d; {
	}
}
