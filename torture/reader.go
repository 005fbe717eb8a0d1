package torture

// Readers: the goroutines whose sections the grace periods must respect.
//
// Each read section loads the current element and checks it at once
// (initialized, not freed, payload matching its version), then spends a
// random while inside: usually nothing, now and then a spin, a yield, a
// sleep, or rarely a hold of milliseconds. Sections nest to a random depth;
// after an inner section ends, its outer section keeps working on its own
// element, so an RCU whose inner unlock ends the outer section is caught.
// At its end a section records its element's age in the Reader Pipe
// histogram (0 and 1 are legal; 2 or more means a grace period that began
// after the element's removal ended while the reader held it) and, for the
// outermost section, how many grace periods ended inside it in the Reader
// Batch histogram (more than one is a near miss). Now and then a section
// takes a polled cookie and checks, just before it ends, that the cookie
// has not completed. A section whose Lock was held up by the injector is
// kept open for a few milliseconds with such a cookie (see inject.go).
//
// A reader goroutine takes one Reader from Ops.Reader for its whole life,
// or registers through Ops.Register (again every reRegister sections); a
// read-exit goroutine takes one for its single section. A Reader from
// Ops.Reader is released (rcuops.Release) on its goroutine once that
// goroutine is done with it; a registered one is unregistered instead.

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"time"

	"github.com/rcukit/rcukit/model"
	"github.com/rcukit/rcukit/rcuops"
)

// reRegister is how many sections a registered reader runs between
// unregistering and registering again.
const reRegister = 4096

type readerCtx struct {
	e     *engine
	id    int // -1 for read-exit goroutines
	style string
	r     rcuops.Reader
	rng   *rand.Rand
	stats *readerStats
	local localStats
	log   Log
}

func (rd *readerCtx) flush() { rd.local.flush(rd.stats) }

func (rd *readerCtx) name() string {
	if rd.id < 0 {
		return "read-exit reader (" + rd.style + ")"
	}
	return fmt.Sprintf("reader %d (%s)", rd.id, rd.style)
}

func (e *engine) reader(id int, registered bool) {
	rd := &readerCtx{e: e, id: id, rng: e.rng(streamReader + uint64(id)), stats: &e.readers[id],
		log: e.log(fmt.Sprintf("reader%d", id))}
	var unregister func()
	if registered {
		rd.style = "registered"
		rd.r, unregister = e.ops.Register()
	} else {
		rd.style = "token"
		rd.r = e.ops.Reader()
	}
	defer func() {
		rd.flush()
		if unregister != nil {
			unregister()
		} else {
			rcuops.Release(rd.r) // done with it, on the goroutine that used it
		}
	}()
	for n := 1; ; n++ {
		if !e.gate.running() {
			rd.flush()
			if !e.gate.park() {
				return
			}
		}
		rd.section(1+rd.rng.IntN(e.cfg.Nest), true)
		if n%256 == 0 || n == 1 { // the first at once, for the health criteria
			rd.flush()
		}
		if registered && n%reRegister == 0 {
			unregister()
			rd.r, unregister = e.ops.Register()
		}
	}
}

// section runs one read section holding depth-1 nested ones.
func (rd *readerCtx) section(depth int, outer bool) {
	e := rd.e
	var log Log // nil unless this section is recorded
	var id, t uint64
	if rd.log != nil && rd.rng.IntN(e.cfg.RecordReads) == 0 && e.readBudget.Add(-1) >= 0 {
		log, id = rd.log, e.ids.Add(1)
		t = log.Begin()
	}
	var woke uint64
	if e.inj != nil {
		woke = e.inj.woke.Load()
	}
	rd.r.Lock()
	late := e.inj != nil && e.inj.woke.Load() != woke // held up inside Lock: a likely straggler
	var g0 uint64
	if outer && e.ops.GPs != nil {
		g0 = e.ops.GPs()
	}
	el := e.cur.Load()
	v, ok := rd.checkLoaded(el)
	loaded := ok
	if log != nil {
		log.End(t, model.Op{Kind: model.ReadBegin, ID: id, Version: v, Damaged: !ok})
	}
	var cookie, cookieID uint64
	polled := e.ops.Snapshot != nil && (late || rd.rng.Uint32N(8) == 0)
	if polled {
		cookie, cookieID = e.takeCookie(log)
	}
	switch {
	case late:
		time.Sleep(time.Duration(1+rd.rng.IntN(4)) * time.Millisecond)
	case log != nil:
		// A recorded section lingers, so that the sampled history holds
		// readers that overlap grace periods, callbacks and reclaims.
		spin(time.Duration(1+rd.rng.IntN(20)) * time.Microsecond)
		if rd.rng.IntN(4) == 0 {
			runtime.Gosched()
		}
	default:
		rd.delay(false)
	}
	if depth > 1 {
		rd.section(depth-1, false)
		// The inner section has ended; this one is still open, so its
		// element must still be intact.
		rd.delay(true)
		if ok {
			ok = rd.checkHeld(el, v, depth)
		}
	}
	if polled && e.poll(log, cookie, cookieID, true) {
		e.fail(KindPollInReader, "Poll(%d) reported a full grace period for a cookie that %s took inside its still-open section", cookie, rd.name())
	}
	age := el.age.Load()
	if ok {
		ok = rd.checkHeld(el, v, depth)
	}
	var g1 uint64
	if outer && e.ops.GPs != nil {
		g1 = e.ops.GPs()
	}
	if log != nil {
		t = log.Begin()
	}
	rd.r.Unlock()
	if log != nil {
		log.End(t, model.Op{Kind: model.ReadEnd, ID: id, Damaged: !ok})
	}

	rd.local.reads++
	if !loaded {
		return // already reported: the element was bad when loaded, its age means nothing
	}
	rd.local.pipe[min(age, PipeLen)]++
	if age >= 2 {
		e.fail(KindPipe, "%s saw element v%d at age %d at the end of a section (depth %d): a grace period that began after the element's removal ended while the reader held it", rd.name(), v, age, depth)
	}
	if outer && e.ops.GPs != nil {
		rd.local.batch[min(g1-g0, PipeLen)]++
	}
}

// checkLoaded checks the element a section has just loaded and returns its
// version, and whether it was intact.
func (rd *readerCtx) checkLoaded(el *element) (uint64, bool) {
	e := rd.e
	st := el.state.Load()
	v := el.version.Load()
	switch st {
	case stateAlloc:
		e.fail(KindUninitialized, "%s loaded an element that was not initialized yet (it last held v%d): it was published before its initialization", rd.name(), v)
		return v, false
	case stateFree:
		e.fail(KindFreed, "%s loaded element v%d after it was freed", rd.name(), v)
		return v, false
	}
	if e.cfg.Payload && el.payload != payloadOf(v) {
		e.fail(KindReused, "%s loaded element v%d whose payload does not match its version", rd.name(), v)
		return v, false
	}
	return v, true
}

// checkHeld checks that an element a section still holds is intact.
func (rd *readerCtx) checkHeld(el *element, v uint64, depth int) bool {
	e := rd.e
	st, now := el.state.Load(), el.version.Load()
	switch {
	case st == stateFree:
		e.fail(KindFreed, "element v%d was freed while %s held it (depth %d)", v, rd.name(), depth)
		return false
	case now != v:
		e.fail(KindReused, "element v%d was freed and reused as v%d while %s held it (depth %d)", v, now, rd.name(), depth)
		return false
	case e.cfg.Payload && el.payload != payloadOf(v):
		e.fail(KindReused, "the payload of element v%d changed while %s held it (depth %d)", v, rd.name(), depth)
		return false
	}
	return true
}

// delay spends a random while inside a section. After an inner section
// ended (afterInner), delays are more frequent: that is the window in which
// an RCU with broken nesting has already ended the outer section.
func (rd *readerCtx) delay(afterInner bool) {
	x := rd.rng.Uint64()
	short, yield, sleep, hold := uint64(64), uint64(512), uint64(16384), uint64(1<<18)
	if afterInner {
		short, yield, sleep, hold = 16, 64, 512, 8192
	}
	switch {
	case x%short == 0:
		spin(time.Duration(1+x>>32%10) * time.Microsecond)
	case x%yield == 1:
		runtime.Gosched()
	case x%sleep == 2:
		time.Sleep(time.Duration(10+x>>32%990) * time.Microsecond)
	case x%hold == 3:
		time.Sleep(time.Duration(2+x>>32%18) * time.Millisecond)
	}
}

// readExitWorker starts bursts of goroutines that each run one read section
// (registering and unregistering where the flavor supports it) and exit.
func (e *engine) readExitWorker() {
	rng := e.rng(streamReadExit)
	stats := &e.readers[e.cfg.Readers]
	for {
		if !e.gate.sleep(time.Duration(100+rng.IntN(200)) * time.Millisecond) {
			if !e.gate.park() {
				return
			}
			continue
		}
		var wg sync.WaitGroup
		for i := range e.cfg.ReadExit {
			seed := rng.Uint64()
			wg.Add(1)
			go func() {
				defer wg.Done()
				rd := &readerCtx{e: e, id: -1, rng: rand.New(rand.NewPCG(seed, streamReadExit)), stats: stats, log: e.log("read-exit")}
				if e.ops.Register != nil && i%2 == 0 {
					var unregister func()
					rd.style = "registered"
					rd.r, unregister = e.ops.Register()
					defer unregister()
				} else {
					rd.style = "token"
					rd.r = e.ops.Reader()
					defer rcuops.Release(rd.r)
				}
				rd.section(1+rd.rng.IntN(e.cfg.Nest), true)
				rd.flush()
			}()
		}
		wg.Wait()
		e.c.readExits.Add(uint64(e.cfg.ReadExit))
	}
}
