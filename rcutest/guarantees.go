package rcutest

// The guarantee checks: one table, which Test and Run both walk. Each
// check runs on a fresh instance, exercises one guarantee of
// model.Guarantees through the ops table, and on failure returns a
// *violation naming the rule it found broken (which need not be the rule
// it is named after: a grace period that never ends is a Progress
// failure of any check).

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rcukit/rcukit/model"
	"github.com/rcukit/rcukit/rcuops"
)

// A check is one row of the table.
type check struct {
	name  string     // the subtest's name, after the guarantee
	rule  model.Rule // the guarantee it checks
	needs need       // what the implementation must have for it to run
	run   func(x *fixture) error
}

// A need is a set of what a check requires of an implementation.
type need uint16

const (
	needExpedited need = 1 << iota
	needCall
	needBarrier
	needPoll
	needGPs
	needPublish
	needRegister
	needReadSampled // the injection point rcuops.PointReadSampled; the check installs an injector
	needNonBlocking // readers that never wait for a grace period (no BlockingReaders)
	needTwo         // two instances at once
)

// missing says why an implementation with ops and these options lacks n,
// or "".
func (n need) missing(o *rcuops.Ops, opts options) string {
	for _, c := range []struct {
		need need
		has  bool
		why  string
	}{
		{needExpedited, o.SynchronizeExpedited != nil, "the implementation has no Ops.SynchronizeExpedited"},
		{needCall, o.Call != nil, "the implementation has no Ops.Call"},
		{needBarrier, o.Barrier != nil, "the implementation has no Ops.Barrier"},
		{needPoll, o.Poll != nil, "the implementation has no polled API (Ops.Snapshot and Ops.Poll)"},
		{needGPs, o.GPs != nil, "the implementation has no grace-period counter (Ops.GPs)"},
		{needPublish, o.Publish != nil, "the implementation has no Ops.Publish (the tools then run init before store themselves)"},
		{needRegister, o.Register != nil, "the implementation has no registered readers (Ops.Register)"},
		{needReadSampled, o.HasPoint(rcuops.PointReadSampled), fmt.Sprintf("the implementation declares no injection point %q (a reader has sampled the grace-period state but is not yet visible to grace periods); this narrow window is left to the torture run and the fuzz corpus", rcuops.PointReadSampled)},
		{needNonBlocking, !opts.blocking, "BlockingReaders declares that readers may wait while a grace period is in progress"},
	} {
		if n&c.need != 0 && !c.has {
			return "skipped: " + c.why
		}
	}
	return ""
}

// pointReadSampled is the injection point the straggler check uses.
const pointReadSampled = rcuops.PointReadSampled

var checks = []check{
	{"SynchronizeWaitsForPreexistingReaders", model.SyncEarly, 0, func(x *fixture) error {
		return syncWaitsForReader(x, "Synchronize", x.ops.Synchronize, 1)
	}},
	{"SynchronizeWaitsForNestedReaders", model.SyncEarly, 0, checkSyncWaitsForNestedReaders},
	{"SynchronizeWaitsForReadersOnEveryGoroutine", model.SyncEarly, 0, checkSyncWaitsForEveryGoroutine},
	{"SynchronizeWaitsForStragglers", model.SyncEarly, needReadSampled, checkSyncWaitsForStragglers},
	{"SynchronizeIsNotHeldUpByLaterReaders", model.Progress, 0, checkSyncNotHeldUpByLaterReaders},
	{"ReadersNeverWaitForGracePeriods", model.ReaderWaited, needNonBlocking, checkReadersNeverWait},
	{"NestedReadersNeverWaitForGracePeriods", model.ReaderWaited, 0, checkNestedReadersNeverWait},
	{"GracePeriodCounterAdvances", model.OpsContract, needGPs, checkGPCounter},
	{"ConcurrentSynchronizeSharesGracePeriods", model.Progress, needGPs, func(x *fixture) error {
		return syncShares(x, "Synchronize", x.ops.Synchronize)
	}},
	{"SynchronizeExpeditedWaitsForPreexistingReaders", model.SyncEarly, needExpedited, func(x *fixture) error {
		return syncWaitsForReader(x, "SynchronizeExpedited", x.ops.SynchronizeExpedited, 2)
	}},
	{"ConcurrentSynchronizeExpeditedSharesGracePeriods", model.Progress, needExpedited | needGPs, func(x *fixture) error {
		return syncShares(x, "SynchronizeExpedited", x.ops.SynchronizeExpedited)
	}},
	{"CallbackRunsAfterGracePeriod", model.CallbackEarly, needCall, checkCallbackAfterGracePeriod},
	{"CallbacksRunExactlyOnce", model.CallbackTwice, needCall, checkCallbacksExactlyOnce},
	{"OneGracePeriodServesABatch", model.Progress, needCall | needBarrier | needGPs, checkOneGracePeriodServesABatch},
	{"BarrierWaitsForEarlierCallbacks", model.BarrierEarly, needBarrier, checkBarrier},
	{"PollNeverCompletesBeforeEarlierReadersEnd", model.PollEarly, needPoll, checkPollWaitsForReaders},
	{"PollCompletesAfterFullGracePeriod", model.PollIncomplete, needPoll, checkPollCompletes},
	{"PublishInitializesBeforeStore", model.ReadHalfInitialized, needPublish, checkPublish},
	{"SynchronizeWaitsForRegisteredReaders", model.SyncEarly, needRegister, checkRegistered},
	{"InstancesAreIndependent", model.Progress, needTwo, checkInstancesIndependent},
}

// A violation is a check's failure: the rule it found broken, and how.
type violation struct {
	rule model.Rule
	msg  string
}

// Error begins with the rule's property, as every failure message of the
// kit does: "grace period: Synchronize returned while ...".
func (v *violation) Error() string { return v.rule.Property().String() + ": " + v.msg }

// failf returns a violation of rule r.
func failf(r model.Rule, format string, args ...any) error {
	return &violation{rule: r, msg: fmt.Sprintf(format, args...)}
}

// skip is returned by a check that found it cannot run after all.
type skip string

func (s skip) Error() string { return string(s) }

// runCheck runs one check on a fresh instance and cleans up after it.
func (s *suite) runCheck(c check, clk clock) Result {
	if why := c.needs.missing(s.caps, s.opts); why != "" {
		return Result{Status: Skipped, Message: why}
	}
	x := newFixture(s.flavor, s.opts, c.needs&needReadSampled != 0, clk)
	var err error
	func() {
		defer x.recover()
		err = c.run(x)
	}()
	abandoned := x.finish()

	res := Result{Status: Passed}
	var sk skip
	var v *violation
	switch p := x.panicMessage(); {
	case p != "":
		msg, stack, _ := strings.Cut(p, "\n")
		res.Status, res.Message, res.Log = Failed, "the implementation panicked: "+msg, stack
	case errors.As(err, &sk):
		res.Status, res.Message = Skipped, "skipped: "+string(sk)
	case errors.As(err, &v):
		res.Status, res.Rule, res.Message = Failed, v.rule, v.Error()
	case err != nil:
		panic("rcutest: internal error: a check returned " + err.Error())
	}
	if abandoned != "" {
		if res.Status != Failed {
			v := failf(model.Progress, "%s", abandoned).(*violation)
			res.Status, res.Rule, res.Message = Failed, v.rule, v.Error()
		} else {
			res.Message += "; " + abandoned
		}
	}
	x.mu.Lock()
	if len(x.notes) > 0 {
		res.Log = strings.Join(append(x.notes, res.Log), "\n")
	}
	x.mu.Unlock()
	res.Log = strings.TrimSpace(res.Log)
	return res
}

// syncWaitsForReader: a Synchronize (or its expedited form) called while a
// reader on another goroutine is inside does not return before that
// reader ends, and does return after. With nest > 1 the reader is inside
// nested sections whose inner ones have ended.
func syncWaitsForReader(x *fixture, name string, gp func(), nest int) error {
	r, err := x.reader()
	if err != nil {
		return err
	}
	if err := r.enter(nest); err != nil {
		return err
	}
	if err := r.leave(nest - 1); err != nil {
		return err
	}
	early := failf(model.SyncEarly, "%s returned while a reader that began before it was still inside", name)
	if nest > 1 {
		early = failf(model.SyncEarly, "%s returned while a reader that began before it was still inside (its inner sections had ended, its outer one had not)", name)
	}
	return x.waitsFor(x.begin(gp), r, early, name, "the reader it waited for")
}

// checkSyncWaitsForNestedReaders: ending inner sections leaves the outer
// one open, and Synchronize waits for it.
func checkSyncWaitsForNestedReaders(x *fixture) error {
	r, err := x.reader()
	if err != nil {
		return err
	}
	if err := r.enter(3); err != nil {
		return err
	}
	if err := r.leave(2); err != nil {
		return err
	}
	return x.waitsFor(x.begin(x.ops.Synchronize), r,
		failf(model.SyncEarly, "Synchronize returned while the outer section of a nest was still open (ending the inner sections ended it)"),
		"Synchronize", "the outer section")
}

// checkSyncWaitsForEveryGoroutine: Synchronize waits for every reader that
// began before it, on whichever goroutine, until the last one ends.
func checkSyncWaitsForEveryGoroutine(x *fixture) error {
	const n = 4
	rs := make([]*reader, n)
	for i := range rs {
		r, err := x.readerInside()
		if err != nil {
			return err
		}
		rs[i] = r
	}
	done := x.begin(x.ops.Synchronize)
	for i, r := range rs {
		if x.within(done, hold) {
			return failf(model.SyncEarly, "Synchronize returned while %d of %d readers that began before it, each on its own goroutine, were still inside", n-i, n)
		}
		if err := r.leave(1); err != nil {
			return err
		}
	}
	if !x.within(done, x.patience) {
		return failf(model.Progress, "Synchronize did not return within %v after the %d readers it waited for ended", x.patience, n)
	}
	return nil
}

// checkSyncWaitsForStragglers builds the counter-flip straggler through the
// injection point read-sampled: a reader samples the grace-period state and
// is held there while a whole grace period runs, then makes itself visible
// and stays inside. The next Synchronize began after that reader did, and
// must wait for it.
func checkSyncWaitsForStragglers(x *fixture) error {
	var armed atomic.Bool
	sampled, proceed := make(chan struct{}), make(chan struct{})
	var once sync.Once
	let := func() { once.Do(func() { close(proceed) }) }
	x.atEnd(let)
	x.onInject(func(p rcuops.Point) {
		if p == pointReadSampled && armed.CompareAndSwap(true, false) {
			close(sampled)
			<-proceed
		}
	})
	r, err := x.reader()
	if err != nil {
		return err
	}
	armed.Store(true)
	in := r.lock()
	switch x.waitAny(x.patience, sampled, in) {
	case 1:
		return skip("Reader.Lock returned without reaching the injection point " + string(pointReadSampled))
	case -1:
		return failf(model.Progress, "Reader.Lock neither returned nor reached the injection point %s within %v", pointReadSampled, x.patience)
	}
	// A whole grace period between the reader's sample and its becoming
	// visible. An implementation whose reader is already visible at the
	// point waits for it; then there is no straggler window to test.
	first := x.begin(x.ops.Synchronize)
	if !x.within(first, min(x.patience, 2*time.Second)) {
		let()
		if !x.within(in, x.patience) {
			return failf(model.Progress, "Reader.Lock did not return within %v after the injection point let it go", x.patience)
		}
		r.release()
		if !x.within(first, x.patience) {
			return failf(model.Progress, "Synchronize did not return within %v after the reader it waited for ended", x.patience)
		}
		return skip("Synchronize waited for a reader held at " + string(pointReadSampled) + ", so the reader is already visible there: no straggler window to test")
	}
	let()
	if !x.within(in, x.patience) {
		return failf(model.Progress, "Reader.Lock did not return within %v after the injection point let it go", x.patience)
	}
	return x.waitsFor(x.begin(x.ops.Synchronize), r,
		failf(model.SyncEarly, "Synchronize returned while a straggler was inside: a reader that sampled the grace-period state before an earlier grace period (held at %s across it) and entered its section before this Synchronize began", pointReadSampled),
		"Synchronize", "the straggler")
}

// checkSyncNotHeldUpByLaterReaders: Synchronize waits for the readers that
// began before it, not for the ones that began after: a stream of later
// readers, overlapping so that one is always inside, must not hold it off.
func checkSyncNotHeldUpByLaterReaders(x *fixture) error {
	old, err := x.readerInside()
	if err != nil {
		return err
	}
	a, err := x.reader()
	if err != nil {
		return err
	}
	b, err := x.reader()
	if err != nil {
		return err
	}
	done := x.begin(x.ops.Synchronize)
	x.pause(hold) // let it start waiting for old
	cur, next := a, b
	curIn := cur.lock()
	// A later reader should be inside before old leaves, or a Synchronize
	// that waits for every reader finds none for a moment and returns
	// (under load, the reader's goroutine may not have run yet). A reader
	// that may wait behind the grace period is not waited for; one that
	// waits although it may not is ReadersNeverWaitForGracePeriods' to
	// judge, so after patience this check goes on without it.
	if !x.blocking {
		x.within(curIn, x.patience)
	}
	old.release()
	start := x.clock.now()
	for sections := 0; ; sections++ {
		if x.clock.now()-start >= x.patience {
			return failf(model.Progress, "Synchronize did not return within %v after the reader it waited for ended, while %d read sections that began after it came and went: it waits for readers it need not wait for, so later readers can hold it off forever", x.patience, sections)
		}
		in := next.lock()
		// Keep cur inside until next is: a later reader is always
		// inside. A reader that may wait behind the grace period
		// (BlockingReaders) ends the overlap after a moment.
		overlap := x.patience
		if x.blocking {
			overlap = hold
		}
		switch x.waitAny(overlap, in, done) {
		case 1:
			return nil
		case -1:
			if !x.blocking {
				return failf(model.ReaderWaited, "Reader.Lock did not return within %v while a grace period was in progress (declare BlockingReaders if this is by design)", x.patience)
			}
		}
		// Both are inside now. Let a moment pass before cur leaves: the
		// grace period gets to poll, and in a synctest bubble time gets to
		// advance, which it cannot while this loop keeps readers busy.
		x.pause(time.Millisecond)
		cur.unlock()
		switch x.waitAny(x.patience-(x.clock.now()-start), in, done) {
		case 1:
			return nil
		case -1:
			return failf(model.Progress, "Synchronize did not return within %v after the reader it waited for ended, while %d read sections that began after it came and went: it waits for readers it need not wait for, so later readers can hold it off forever", x.patience, sections)
		}
		cur, next = next, cur
		if closed(done) {
			return nil
		}
	}
}

// checkReadersNeverWait: while a grace period waits for an old reader,
// read sections on another goroutine begin and end.
func checkReadersNeverWait(x *fixture) error {
	// The old reader stays inside until the check returns.
	if _, err := x.readerInside(); err != nil {
		return err
	}
	other, err := x.reader()
	if err != nil {
		return err
	}
	const n = 1000
	if entered, ok := sectionsDuringGracePeriod(x, other, n); !ok {
		return failf(model.ReaderWaited, "read sections on another goroutine waited for a grace period: %d of %d sections entered within %v while Synchronize waited for an older reader (declare BlockingReaders if this is by design)", entered, n, x.patience)
	}
	return nil
}

// sectionsDuringGracePeriod starts a Synchronize, which waits for a
// reader already inside (it ends when that reader does, at cleanup), and
// then runs n sections on rd's goroutine; it reports how many began within
// patience, and whether all of them did.
func sectionsDuringGracePeriod(x *fixture, rd *reader, n int) (int32, bool) {
	x.begin(x.ops.Synchronize)
	x.pause(hold) // let it start waiting
	var entered atomic.Int32
	sections := rd.a.do(func() {
		for range n {
			rd.r.Lock()
			entered.Add(1)
			rd.r.Unlock()
		}
	})
	ok := x.within(sections, x.patience)
	return entered.Load(), ok
}

// checkNestedReadersNeverWait: a goroutine inside a section that a grace
// period waits for can open and close nested sections: otherwise the two
// wait for each other forever.
func checkNestedReadersNeverWait(x *fixture) error {
	r, err := x.readerInside()
	if err != nil {
		return err
	}
	const n = 100
	if entered, ok := sectionsDuringGracePeriod(x, r, n); !ok {
		return failf(model.ReaderWaited, "a nested section waited for a grace period that was waiting for its own outer section (a deadlock): %d of %d nested sections entered within %v", entered, n, x.patience)
	}
	return nil
}

// checkGPCounter: the grace-period counter never goes back, and a whole
// Synchronize covers at least one increment (the torture engine relies on
// both).
func checkGPCounter(x *fixture) error {
	for i := range 3 {
		g0 := x.ops.GPs()
		if !x.call(x.ops.Synchronize) {
			return failf(model.Progress, "Synchronize with no reader inside did not return within %v", x.patience)
		}
		g1 := x.ops.GPs()
		switch {
		case g1 < g0:
			return failf(model.OpsContract, "GPs went back from %d to %d", g0, g1)
		case g1 == g0:
			return failf(model.SyncEarly, "GPs stayed at %d across whole Synchronize number %d: it must count the grace period Synchronize waited for", g0, i+1)
		}
	}
	return nil
}

// syncShares: many Synchronize calls waiting behind one reader finish in a
// few grace periods, not one each.
func syncShares(x *fixture, name string, gp func()) error {
	const callers = 64
	r, err := x.readerInside()
	if err != nil {
		return err
	}
	g0 := x.ops.GPs()
	var entered sync.WaitGroup
	entered.Add(callers)
	dones := make([]<-chan struct{}, callers)
	for i := range dones {
		dones[i] = x.spawn(func() {
			entered.Done()
			gp()
		})
	}
	entered.Wait()
	x.pause(2 * hold) // let them all block
	r.release()
	start := x.clock.now()
	for _, d := range dones {
		if !x.within(d, x.patience-(x.clock.now()-start)) {
			return failf(model.Progress, "%d concurrent %s calls did not all return within %v after the reader they waited for ended", callers, name, x.patience)
		}
	}
	if n := x.ops.GPs() - g0; n > callers/4 {
		return failf(model.Progress, "%d concurrent %s calls, all waiting for one reader, took %d grace periods: concurrent callers must share grace periods", callers, name, n)
	}
	return nil
}

// checkCallbackAfterGracePeriod: a callback does not run while a reader
// that began before its Call is inside, runs once that reader ends, and
// runs once.
func checkCallbackAfterGracePeriod(x *fixture) error {
	r, err := x.readerInside()
	if err != nil {
		return err
	}
	var ran atomic.Int32
	var g0 uint64
	var mu sync.Mutex
	var seen []uint64 // GPs at each run of the callback
	if x.ops.GPs != nil {
		g0 = x.ops.GPs()
	}
	if !x.call(func() {
		x.ops.Call(func() {
			if x.ops.GPs != nil {
				g := x.ops.GPs()
				mu.Lock()
				seen = append(seen, g)
				mu.Unlock()
			}
			ran.Add(1)
		})
	}) {
		return failf(model.Progress, "Call did not return within %v", x.patience)
	}
	if x.watch(hold, func() bool { return ran.Load() != 0 }) {
		return failf(model.CallbackEarly, "a callback ran while a reader that began before its Call was still inside")
	}
	r.release()
	if !x.eventually(x.patience, func() bool { return ran.Load() > 0 }) {
		return failf(model.Progress, "a callback did not run within %v after the reader it waited for ended", x.patience)
	}
	x.pause(hold) // a second run may be late
	if n := ran.Load(); n != 1 {
		return failf(model.CallbackTwice, "a callback ran %d times; it must run exactly once", n)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) > 0 && seen[0] <= g0 {
		return failf(model.CallbackEarly, "a callback ran with GPs at %d, as at its Call: no grace period counted between them", seen[0])
	}
	return nil
}

// checkCallbacksExactlyOnce: every one of many callbacks, queued from
// several goroutines and from callbacks, runs exactly once.
func checkCallbacksExactlyOnce(x *fixture) error {
	const callers, per, childEvery = 4, 250, 10
	const parents = callers * per
	const total = parents + parents/childEvery
	var runs [total]atomic.Int32
	var ran atomic.Int64
	count := func(k int) {
		runs[k].Add(1)
		ran.Add(1)
	}
	dones := make([]<-chan struct{}, callers)
	for c := range dones {
		dones[c] = x.spawn(func() {
			for i := range per {
				k := c*per + i
				x.ops.Call(func() {
					count(k)
					if k%childEvery == 0 {
						x.ops.Call(func() { count(parents + k/childEvery) })
					}
				})
			}
		})
	}
	for _, d := range dones {
		if !x.within(d, x.patience) {
			return failf(model.Progress, "%d calls of Call did not return within %v", per, x.patience)
		}
	}
	if !x.eventually(x.patience, func() bool { return ran.Load() >= total }) {
		missing := 0
		for k := range runs {
			if runs[k].Load() == 0 {
				missing++
			}
		}
		if missing > 0 {
			return failf(model.Progress, "%d of %d callbacks had not run %v later: lost callbacks", missing, total, x.patience)
		}
	}
	x.pause(hold) // a second run may be late
	for k := range runs {
		if n := runs[k].Load(); n != 1 {
			return failf(model.CallbackTwice, "callback %d of %d ran %d times; each must run exactly once", k, total, n)
		}
	}
	return nil
}

// checkBarrier: Barrier with nothing queued returns; Barrier returns only
// after every callback queued before it has run.
func checkBarrier(x *fixture) error {
	if !x.call(x.ops.Barrier) {
		return failf(model.Progress, "Barrier with no callbacks queued did not return within %v", x.patience)
	}
	r, err := x.readerInside()
	if err != nil {
		return err
	}
	const n = 100
	var ran atomic.Int32
	if !x.call(func() {
		for range n {
			x.ops.Call(func() { ran.Add(1) })
		}
	}) {
		return failf(model.Progress, "%d calls of Call did not return within %v", n, x.patience)
	}
	done := x.begin(x.ops.Barrier)
	if x.within(done, hold) {
		if got := ran.Load(); got == n {
			return failf(model.CallbackEarly, "the %d callbacks queued before Barrier had all run while a reader that began before their Call was still inside", n)
		}
		return failf(model.BarrierEarly, "Barrier returned with %d of the %d callbacks queued before it run", ran.Load(), n)
	}
	r.release()
	if !x.within(done, x.patience) {
		return failf(model.Progress, "Barrier did not return within %v after its callbacks could run", x.patience)
	}
	if got := ran.Load(); got != n {
		return failf(model.BarrierEarly, "Barrier returned with %d of the %d callbacks queued before it run", got, n)
	}
	return nil
}

// checkPollWaitsForReaders: a cookie taken while a reader is inside (on
// the reader's goroutine or another) does not poll complete before that
// reader ends, whatever grace periods run meanwhile: in particular not
// when a grace period that began before the cookie ends, if a reader that
// began after that grace period but before the cookie is still inside.
func checkPollWaitsForReaders(x *fixture) error {
	const msg = "Poll reported a cookie complete while a reader that was inside when the cookie was taken was still inside"
	a, err := x.readerInside()
	if err != nil {
		return err
	}
	var inside uint64
	if !x.within(a.a.do(func() { inside = x.ops.Snapshot() }), x.patience) {
		return failf(model.Progress, "Snapshot did not return within %v", x.patience)
	}
	outside := x.ops.Snapshot()
	if x.ops.Poll(inside) || x.ops.Poll(outside) {
		return failf(model.PollEarly, msg)
	}
	first := x.begin(x.ops.Synchronize) // waits for a
	if x.watch(hold, func() bool { return x.ops.Poll(inside) || x.ops.Poll(outside) }) {
		return failf(model.PollEarly, msg+" (a grace period waiting for that reader was in progress)")
	}
	// b begins while first waits for a, so first need not wait for b; a
	// cookie taken now must wait for b anyway.
	b, err := x.reader()
	if err != nil {
		return err
	}
	bIn := b.lock()
	wait := x.patience
	if x.blocking {
		wait = hold
	}
	if !x.within(bIn, wait) {
		if !x.blocking {
			return failf(model.ReaderWaited, "Reader.Lock did not return within %v while a grace period was in progress (declare BlockingReaders if this is by design)", x.patience)
		}
		x.note("a reader did not enter within %v while a grace period was in progress (BlockingReaders): skipped the step with a grace period that began before the cookie", hold)
		a.release()
		if !x.within(first, x.patience) {
			return failf(model.Progress, "Synchronize did not return within %v after the reader it waited for ended", x.patience)
		}
		return nil
	}
	late := x.ops.Snapshot()
	a.release()
	if !x.within(first, x.patience) {
		return failf(model.Progress, "Synchronize did not return within %v after the reader it waited for ended", x.patience)
	}
	if x.watch(hold, func() bool { return x.ops.Poll(late) }) {
		return failf(model.PollEarly, msg+" (a grace period that began before the cookie had ended: it does not cover readers that began after it)")
	}
	b.release()
	return nil
}

// checkPollCompletes: a cookie taken before a whole Synchronize polls
// complete after it, and the grace-period counter has then advanced.
func checkPollCompletes(x *fixture) error {
	for i := range 3 {
		var g0 uint64
		if x.ops.GPs != nil {
			g0 = x.ops.GPs()
		}
		c := x.ops.Snapshot()
		if i == 1 {
			// the cookie taken inside a reader that then ends
			r, err := x.readerInside()
			if err != nil {
				return err
			}
			c = x.ops.Snapshot()
			if err := r.leave(1); err != nil {
				return err
			}
		}
		if !x.call(x.ops.Synchronize) {
			return failf(model.Progress, "Synchronize with no reader inside did not return within %v", x.patience)
		}
		if !x.ops.Poll(c) {
			return failf(model.PollIncomplete, "Poll denied completion of a cookie taken before a whole Synchronize")
		}
		if x.ops.GPs != nil && x.ops.GPs() <= g0 {
			return failf(model.PollEarly, "Poll reported completion with no grace period counted since the Snapshot")
		}
	}
	return nil
}

// checkPublish: Publish runs init before store. The suite's store makes a
// reader on another goroutine look at the object the moment it becomes
// reachable, so a store that comes first is seen, deterministically.
func checkPublish(x *fixture) error {
	r, err := x.reader()
	if err != nil {
		return err
	}
	var inits, stores atomic.Int32
	var initialized, sawUninit, storedEarly atomic.Bool
	initF := func() {
		inits.Add(1)
		initialized.Store(true)
	}
	storeF := func() {
		stores.Add(1)
		if !initialized.Load() {
			storedEarly.Store(true)
		}
		// The object is reachable now: a reader that finds it must find
		// it initialized. Wait for the reader only briefly, so that an
		// implementation that holds readers off during Publish is not
		// stalled here.
		looked := r.a.do(func() {
			r.r.Lock()
			if !initialized.Load() {
				sawUninit.Store(true)
			}
			r.r.Unlock()
		})
		x.within(looked, hold)
	}
	if !x.call(func() { x.ops.Publish(initF, storeF) }) {
		return failf(model.Progress, "Publish did not return within %v", x.patience)
	}
	switch {
	case sawUninit.Load():
		return failf(model.ReadHalfInitialized, "a reader found the object uninitialized: Publish made it reachable (store) before initializing it (init)")
	case storedEarly.Load():
		return failf(model.ReadHalfInitialized, "Publish made the object reachable (store) before initializing it (init), so a reader could see it uninitialized")
	case inits.Load() != 1 || stores.Load() != 1:
		return failf(model.OpsContract, "Publish called init %d times and store %d times; want once each", inits.Load(), stores.Load())
	}
	return nil
}

// checkRegistered: Synchronize waits for a registered reader inside a
// section (nested, inner ended), not for one outside any section, and not
// for one that has unregistered.
func checkRegistered(x *fixture) error {
	r, err := x.registered()
	if err != nil {
		return err
	}
	if err := r.enter(2); err != nil {
		return err
	}
	if err := r.leave(1); err != nil {
		return err
	}
	if err := x.waitsFor(x.begin(x.ops.Synchronize), r,
		failf(model.SyncEarly, "Synchronize returned while a registered reader that began before it was still inside"),
		"Synchronize", "the registered reader it waited for"); err != nil {
		return err
	}
	if !x.call(x.ops.Synchronize) {
		return failf(model.Progress, "Synchronize did not return within %v while a registered reader sat outside any section", x.patience)
	}
	if !x.within(r.a.do(func() { r.unregister(); r.unregister = nil }), x.patience) {
		return failf(model.Progress, "unregister did not return within %v", x.patience)
	}
	if !x.call(x.ops.Synchronize) {
		return failf(model.Progress, "Synchronize did not return within %v after the registered reader unregistered", x.patience)
	}
	return nil
}

// checkOneGracePeriodServesABatch: callbacks queued together, behind one
// reader, wait for a few grace periods, not one each.
func checkOneGracePeriodServesABatch(x *fixture) error {
	const n = 1000
	r, err := x.readerInside()
	if err != nil {
		return err
	}
	g0 := x.ops.GPs()
	if !x.call(func() {
		for range n {
			x.ops.Call(func() {})
		}
	}) {
		return failf(model.Progress, "%d calls of Call did not return within %v", n, x.patience)
	}
	r.release()
	if !x.call(x.ops.Barrier) {
		return failf(model.Progress, "Barrier did not return within %v after its callbacks could run", x.patience)
	}
	if gps := x.ops.GPs() - g0; gps > 8 {
		return failf(model.Progress, "%d callbacks queued together took %d grace periods: one grace period must serve a batch", n, gps)
	}
	return nil
}

// checkInstancesIndependent: a reader inside a section of one instance
// does not hold up the grace periods of another, as a shared global state
// would.
func checkInstancesIndependent(x *fixture) error {
	// The reader stays inside until the check returns.
	if _, err := x.readerInside(); err != nil {
		return err
	}
	other := x.another()
	if !x.call(other.Synchronize) {
		return failf(model.Progress, "a reader inside a section of one instance held up the Synchronize of another for %v: instances must be independent", x.patience)
	}
	return nil
}
