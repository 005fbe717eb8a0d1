package rcutest

// The fixture of a guarantee check: a fresh instance of the flavor, and
// the goroutines the check drives it from.
//
// Timing is one-sided. A check waits hold for something that must not
// happen yet (a correct implementation never does it, however slow the
// machine, so hold only bounds how fast a bug is seen), and up to patience
// for something that must happen. Both are measured in progress time
// (see within). Every goroutine a check starts is
// counted; when the check returns, the fixture ends every read section
// still open, waits for those goroutines, and only then closes the
// instance. A goroutine stuck in the implementation (a deadlock) cannot be
// ended; it is abandoned after patience and the result says so.

import (
	"fmt"
	"github.com/rcukit/rcukit/model"
	"github.com/rcukit/rcukit/rcuops"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// hold is how long a check watches for something that must not happen.
const hold = 50 * time.Millisecond

type fixture struct {
	clock    clock
	flavor   rcuops.Flavor
	ops      *rcuops.Ops
	others   []*rcuops.Ops // more instances of the flavor (another), closed by finish
	patience time.Duration
	blocking bool // BlockingReaders was declared

	hook atomic.Pointer[func(point rcuops.Point)] // the check's injector, if any

	wg       sync.WaitGroup // goroutines started by the check
	cleanups []func()       // run last first when the check returns; used by the check's goroutine only

	mu       sync.Mutex
	panicked string // the first panic of the implementation on a check's goroutine, with its stack
	notes    []string
}

// newFixture builds a fresh instance. With inject, the instance's Env has
// an injector that calls the hook the check installs with onInject.
func newFixture(f rcuops.Flavor, o options, inject bool, c clock) *fixture {
	x := &fixture{clock: c, flavor: f, patience: o.patience, blocking: o.blocking}
	var env rcuops.Env
	if inject {
		env.Inject = func(p rcuops.Point) {
			if h := x.hook.Load(); h != nil {
				(*h)(p)
			}
		}
	}
	x.ops = f.New(env)
	validate(f.Name, x.ops)
	return x
}

// another returns a second, independent instance of the flavor, which
// finish closes.
func (x *fixture) another() *rcuops.Ops {
	ops := x.flavor.New(rcuops.Env{})
	validate(x.flavor.Name, ops)
	x.others = append(x.others, ops)
	return ops
}

// onInject installs h as the injector.
func (x *fixture) onInject(h func(point rcuops.Point)) { x.hook.Store(&h) }

// atEnd registers f to run when the check returns, before the fixture
// waits for its goroutines.
func (x *fixture) atEnd(f func()) { x.cleanups = append(x.cleanups, f) }

func (x *fixture) note(format string, args ...any) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.notes = append(x.notes, fmt.Sprintf(format, args...))
}

// recover records a panic of the implementation. Deferred directly.
func (x *fixture) recover() {
	if v := recover(); v != nil {
		x.mu.Lock()
		defer x.mu.Unlock()
		if x.panicked == "" {
			x.panicked = fmt.Sprintf("%v\n%s", v, debug.Stack())
		}
	}
}

func (x *fixture) panicMessage() string {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.panicked
}

// spawn runs f on a new goroutine and returns a channel closed when f
// returns (or panics).
func (x *fixture) spawn(f func()) <-chan struct{} {
	done := make(chan struct{})
	x.wg.Add(1)
	go func() {
		defer x.wg.Done()
		defer close(done)
		defer x.recover()
		f()
	}()
	return done
}

// begin runs f on a new goroutine, waits until that goroutine is about
// to call f, and returns a channel closed when f returns. Watching that
// channel for hold then measures f, not the scheduling of its goroutine.
func (x *fixture) begin(f func()) <-chan struct{} {
	entered := make(chan struct{})
	done := x.spawn(func() {
		close(entered)
		f()
	})
	<-entered // the goroutine runs nothing of the implementation's before this
	return done
}

// call runs f on a goroutine of its own and reports whether it returned
// within patience; what is an operation that must return (Synchronize with
// no reader inside, Call, Publish).
func (x *fixture) call(f func()) bool { return x.within(x.spawn(f), x.patience) }

// finish ends the check: it runs the cleanups, waits for the check's
// goroutines and closes the instance. It returns a note when goroutines
// had to be abandoned.
func (x *fixture) finish() string {
	x.hook.Store(nil)
	for _, c := range slices.Backward(x.cleanups) {
		c()
	}
	if !x.waitGroup(&x.wg, x.patience) {
		return fmt.Sprintf("goroutines of the check were still inside the implementation %v after every read section had ended; they are abandoned and the instance is not closed", x.patience)
	}
	for _, ops := range append([]*rcuops.Ops{x.ops}, x.others...) {
		if ops.Close == nil {
			continue
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			defer x.recover()
			ops.Close()
		}()
		if !x.within(done, x.patience) {
			return fmt.Sprintf("Close did not return within %v; its goroutine is abandoned", x.patience)
		}
	}
	return ""
}

// An actor is a goroutine that runs functions in order: the one goroutine
// a rcuops.Reader belongs to. Its queue is buffered so that a check can
// queue an Unlock behind a Lock that is blocked.
type actor struct {
	x *fixture

	mu     sync.Mutex
	work   chan func()
	closed bool // no more work is taken
}

func (x *fixture) newActor() *actor {
	a := &actor{x: x, work: make(chan func(), 256)}
	x.wg.Add(1)
	go func() {
		defer x.wg.Done()
		for f := range a.work {
			f()
		}
	}()
	x.atEnd(a.close) // registered first, so it runs after the releases
	return a
}

// do queues f and returns a channel closed when f has returned. On a
// closed actor (an operation that returned only after its check ended)
// it does nothing and returns a channel that is never closed.
func (a *actor) do(f func()) <-chan struct{} {
	done := make(chan struct{})
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return done
	}
	a.work <- func() {
		defer close(done)
		defer a.x.recover()
		f()
	}
	return done
}

func (a *actor) close() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.closed = true
	close(a.work)
}

// A reader is a rcuops.Reader on an actor of its own. The check's
// goroutine counts the sections it has asked for (open); when the check
// returns, the fixture ends them.
type reader struct {
	x          *fixture
	a          *actor
	r          rcuops.Reader // used on the actor only
	open       int           // sections locked and not unlocked, as queued
	unregister func()        // for registered readers; used on the actor only
}

// reader returns a new token-style reader (Ops.Reader) on its own
// goroutine; when the check returns, its sections end and it is released
// (rcuops.Release) there.
func (x *fixture) reader() (*reader, error) {
	rd := &reader{x: x, a: x.newActor()}
	if !rd.x.within(rd.a.do(func() { rd.r = x.ops.Reader() }), x.patience) {
		return nil, failf(model.Progress, "Ops.Reader did not return within %v", x.patience)
	}
	x.atEnd(func() {
		rd.release()
		rd.a.do(func() { rcuops.Release(rd.r) }) // its goroutine is done with it
	})
	return rd, nil
}

// readerInside returns a new reader (see reader) already inside a read
// section.
func (x *fixture) readerInside() (*reader, error) {
	rd, err := x.reader()
	if err != nil {
		return nil, err
	}
	if err := rd.enter(1); err != nil {
		return nil, err
	}
	return rd, nil
}

// registered returns a new reader registered on its own goroutine with
// Ops.Register; it is unregistered there when the check returns.
func (x *fixture) registered() (*reader, error) {
	rd := &reader{x: x, a: x.newActor()}
	if !rd.x.within(rd.a.do(func() { rd.r, rd.unregister = x.ops.Register() }), x.patience) {
		return nil, failf(model.Progress, "Ops.Register did not return within %v", x.patience)
	}
	x.atEnd(func() {
		rd.release()
		rd.a.do(func() {
			if rd.unregister != nil {
				rd.unregister()
				rd.unregister = nil
			}
		})
	})
	return rd, nil
}

// waitsFor checks that the operation whose end done signals, begun while
// r was inside, waits for r: it has not returned after hold, and returns
// within patience once r's sections end. early is the failure when it
// returned before; what names the operation and after what r is, in the
// failure when it does not return.
func (x *fixture) waitsFor(done <-chan struct{}, r *reader, early error, what, after string) error {
	if x.within(done, hold) {
		return early
	}
	r.release()
	if !x.within(done, x.patience) {
		return failf(model.Progress, "%s did not return within %v after %s ended", what, x.patience, after)
	}
	return nil
}

func (rd *reader) lock() <-chan struct{} {
	rd.open++
	return rd.a.do(func() { rd.r.Lock() })
}

func (rd *reader) unlock() <-chan struct{} {
	if rd.open == 0 {
		panic("rcutest: internal error: unlock of a reader with no open section")
	}
	rd.open--
	return rd.a.do(func() { rd.r.Unlock() })
}

// enter opens n nested sections and waits until the reader is inside.
// No grace period runs then, so Lock must return.
func (rd *reader) enter(n int) error {
	for range n {
		if !rd.x.within(rd.lock(), rd.x.patience) {
			return failf(model.Progress, "Reader.Lock did not return within %v, with no grace period running", rd.x.patience)
		}
	}
	return nil
}

// leave ends n sections and waits until they have ended.
func (rd *reader) leave(n int) error {
	for range n {
		if !rd.x.within(rd.unlock(), rd.x.patience) {
			return failf(model.Progress, "Reader.Unlock did not return within %v", rd.x.patience)
		}
	}
	return nil
}

// release ends every open section without waiting.
func (rd *reader) release() {
	for rd.open > 0 {
		rd.unlock()
	}
}
