package rcu

// Debug tracking: a registry of open read sections, kept while any Domain
// created WithDebug is open. Everything here is slow on purpose and runs
// only then.

import (
	"bytes"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

type sectionKey struct {
	d   *Domain
	loc uint32
	w   uint64 // the slot word, unique per section
}

type section struct {
	goid  int64
	start time.Time
	pcs   []uintptr
}

type domainGoroutine struct {
	d    *Domain
	goid int64
}

var tracking struct {
	live atomic.Int32 // open debug Domains; ReadLock and Pointer.Load test it

	mu       sync.Mutex
	sections map[sectionKey]section
	byG      map[int64]int           // open sections per goroutine, any Domain
	byDG     map[domainGoroutine]int // open sections per goroutine and Domain
}

func track(t Token) {
	s := section{goid: goid(), start: time.Now(), pcs: make([]uintptr, 32)}
	s.pcs = s.pcs[:runtime.Callers(4, s.pcs)] // skip Callers, track, readLockSlow, ReadLock
	tracking.mu.Lock()
	defer tracking.mu.Unlock()
	if tracking.sections == nil {
		tracking.sections = make(map[sectionKey]section)
		tracking.byG = make(map[int64]int)
		tracking.byDG = make(map[domainGoroutine]int)
	}
	tracking.sections[sectionKey{t.d, t.loc, t.w}] = s
	tracking.byG[s.goid]++
	tracking.byDG[domainGoroutine{t.d, s.goid}]++
}

// untrack forgets a section. The section is charged to the goroutine that
// opened it, whichever goroutine ends it.
func untrack(t Token) {
	tracking.mu.Lock()
	defer tracking.mu.Unlock()
	k := sectionKey{t.d, t.loc, t.w}
	s, ok := tracking.sections[k]
	if !ok {
		return
	}
	delete(tracking.sections, k)
	decr(tracking.byG, s.goid)
	decr(tracking.byDG, domainGoroutine{t.d, s.goid})
}

func decr[K comparable](m map[K]int, k K) {
	if m[k] <= 1 {
		delete(m, k)
	} else {
		m[k]--
	}
}

// mustRead panics unless the calling goroutine holds a read section.
func mustRead(what string) {
	g := goid()
	tracking.mu.Lock()
	n := tracking.byG[g]
	tracking.mu.Unlock()
	if n == 0 {
		panic("rcu: " + what + " called outside a read-side critical section")
	}
}

// checkReader panics when a debug Domain's grace-period wait is called by a
// goroutine that holds a read section of the same Domain: the wait would
// never end.
func (d *Domain) checkReader(method string) {
	if !d.opts.debug {
		return
	}
	g := goid()
	tracking.mu.Lock()
	n := tracking.byDG[domainGoroutine{d, g}]
	tracking.mu.Unlock()
	if n > 0 {
		panic("rcu: " + method + " called inside a read-side critical section of the same Domain (self-deadlock)")
	}
}

// oldestSection returns how long the oldest tracked section of d counted
// under index idx has been open, and its ReadLock stack.
func oldestSection(d *Domain, idx uint64) (time.Duration, string) {
	tracking.mu.Lock()
	var oldest section
	found := false
	for k, s := range tracking.sections {
		if k.d == d && k.w&slotIdx>>1 == idx && (!found || s.start.Before(oldest.start)) {
			oldest, found = s, true
		}
	}
	tracking.mu.Unlock()
	if !found {
		return 0, ""
	}
	var b strings.Builder
	frames := runtime.CallersFrames(oldest.pcs)
	for {
		f, more := frames.Next()
		b.WriteString(f.Function + "\n\t" + f.File + ":" + strconv.Itoa(f.Line) + "\n")
		if !more {
			break
		}
	}
	return time.Since(oldest.start), b.String()
}

// goid returns the calling goroutine's id, read from its stack header
// ("goroutine 18 [running]:"). About a microsecond: slow paths only.
func goid() int64 {
	var buf [64]byte
	b := buf[:runtime.Stack(buf[:], false)]
	b = bytes.TrimPrefix(b, []byte("goroutine "))
	if i := bytes.IndexByte(b, ' '); i > 0 {
		b = b[:i]
	}
	id, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		panic("rcu: cannot read goroutine id")
	}
	return id
}
