package torture

import (
	"sync"
	"sync/atomic"
	"time"
)

// gate lets the stutter controller pause every worker and the engine stop
// them. Workers test running() on every loop (one atomic load) and call
// park() when it is false; blocking waits select on halted() so that a
// pause or the stop cuts them short.
type gate struct {
	state atomic.Uint32 // gateRun, gatePause or gateStop

	mu     sync.Mutex    // guards the fields below and state changes
	halt   chan struct{} // closed when a pause or the stop begins; fresh after each resume
	resume chan struct{} // closed when the current pause ends, or at the stop
	parked int           // workers waiting in park
}

const (
	gateRun = iota
	gatePause
	gateStop
)

func (g *gate) init() {
	g.halt = make(chan struct{})
	g.resume = make(chan struct{})
}

func (g *gate) running() bool { return g.state.Load() == gateRun }

// park waits while the gate is paused. It reports false when the run is
// stopping: the worker must return.
func (g *gate) park() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	for {
		switch g.state.Load() {
		case gateStop:
			return false
		case gateRun:
			return true
		}
		ch := g.resume
		g.parked++
		g.mu.Unlock()
		<-ch
		g.mu.Lock()
		g.parked--
	}
}

func (g *gate) halted() <-chan struct{} {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.halt
}

func (g *gate) parkedWorkers() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.parked
}

// pause asks every worker to park.
func (g *gate) pause() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.state.Load() != gateRun {
		return
	}
	g.state.Store(gatePause)
	close(g.halt)
}

// unpause lets parked workers go on.
func (g *gate) unpause() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.state.Load() != gatePause {
		return
	}
	g.state.Store(gateRun)
	g.halt = make(chan struct{})
	close(g.resume)
	g.resume = make(chan struct{})
}

// stop makes every worker return.
func (g *gate) stop() {
	g.mu.Lock()
	defer g.mu.Unlock()
	switch g.state.Swap(gateStop) {
	case gateRun:
		close(g.halt)
		close(g.resume)
	case gatePause:
		close(g.resume)
	}
}

// sleep waits for d, or until a pause or the stop begins. It reports
// whether the run is still running.
func (g *gate) sleep(d time.Duration) bool {
	if d <= 0 {
		return g.running()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-g.halted():
	}
	return g.running()
}
