package rcu

// Debug tracking: a registry of open read sections, kept while any Domain
// created WithDebug is open. Everything here is slow on purpose and runs
// only then.

import (
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
	"weak"

	"github.com/rcukit/rcukit/internal/engine"
)

type sectionKey struct {
	d *Domain
	s *uint64
	w uint64 // the slot word, unique per section
}

type section struct {
	goid  int64
	start time.Time
	pcs   []uintptr
}

var tracking struct {
	live atomic.Int32 // open debug Domains; ReadLock and Pointer.Load test it

	mu       sync.Mutex
	sections map[sectionKey]section
	byG      map[int64]map[*Domain]int // open sections per goroutine and Domain
	pointers map[any]*Domain           // the Domain each Pointer was first loaded under, by weak pointer
}

func track(t Token) {
	s := section{goid: goid(), start: time.Now(), pcs: make([]uintptr, 32)}
	s.pcs = s.pcs[:runtime.Callers(3, s.pcs)] // skip Callers, track, ReadLock
	tracking.mu.Lock()
	defer tracking.mu.Unlock()
	if tracking.sections == nil {
		tracking.sections = make(map[sectionKey]section)
		tracking.byG = make(map[int64]map[*Domain]int)
		tracking.pointers = make(map[any]*Domain)
	}
	tracking.sections[sectionKey(t)] = s
	held := tracking.byG[s.goid]
	if held == nil {
		held = make(map[*Domain]int)
		tracking.byG[s.goid] = held
	}
	held[t.d]++
}

// untrack forgets a section. The section is charged to the goroutine that
// opened it, whichever goroutine ends it.
func untrack(t Token) {
	tracking.mu.Lock()
	defer tracking.mu.Unlock()
	k := sectionKey(t)
	s, ok := tracking.sections[k]
	if !ok {
		return
	}
	delete(tracking.sections, k)
	held := tracking.byG[s.goid]
	if held[t.d]--; held[t.d] <= 0 {
		delete(held, t.d)
	}
	if len(held) == 0 {
		delete(tracking.byG, s.goid)
	}
}

// heldDomains names the Domains of a goroutine's held sections. The
// caller holds tracking.mu.
func heldDomains(held map[*Domain]int) string {
	names := make([]string, 0, len(held))
	for d := range held {
		names = append(names, d.String())
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

// mustRead panics unless the calling goroutine holds a read section, and,
// when d is not nil, a read section of d.
func mustRead(what string, d *Domain) {
	g := goid()
	tracking.mu.Lock()
	defer tracking.mu.Unlock()
	held := tracking.byG[g]
	switch {
	case len(held) == 0:
		panic("rcu: " + what + " called outside a read-side critical section")
	case d != nil && held[d] == 0:
		panic(fmt.Sprintf("rcu: %s called inside read sections of %s only; it belongs to %s, whose grace periods do not wait for this reader",
			what, heldDomains(held), d))
	}
}

// mustReadPointer is mustRead for Pointer.Load: a Pointer is bound to the
// first Domain it is loaded under, when that is the only Domain the
// loading goroutine holds sections of; a later Load inside sections of
// other Domains only panics.
//
// It takes the Pointer as a pointerKey, a type of the same layout, so that
// it is not generic and Load stays small enough to inline.
func mustReadPointer(p *pointerKey) {
	g := goid()
	key := weak.Make(p)
	tracking.mu.Lock()
	defer tracking.mu.Unlock()
	held := tracking.byG[g]
	if len(held) == 0 {
		panic("rcu: Pointer.Load called outside a read-side critical section")
	}
	d, bound := tracking.pointers[key]
	switch {
	case bound && held[d] == 0:
		panic(fmt.Sprintf("rcu: Pointer.Load inside read sections of %s only, but this Pointer is read under %s (its first Load was inside a section of it only), whose grace periods do not wait for this reader",
			heldDomains(held), d))
	case !bound && len(held) == 1:
		for d := range held {
			tracking.pointers[key] = d
		}
		runtime.AddCleanup(p, func(k weak.Pointer[pointerKey]) {
			tracking.mu.Lock()
			delete(tracking.pointers, k)
			tracking.mu.Unlock()
		}, key)
	}
}

// pointerKey is the layout of every Pointer[T], for the debug registry.
type pointerKey struct {
	_ noCopy
	v unsafe.Pointer
}

// checkReader panics when a debug Domain's grace-period wait is called by a
// goroutine that holds a read section of the same Domain: the wait would
// never end.
func (d *Domain) checkReader(method string) {
	if !d.opts.Debug {
		return
	}
	g := goid()
	tracking.mu.Lock()
	n := tracking.byG[g][d]
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

// goid returns the calling goroutine's id (slow paths only).
func goid() int64 { return engine.Goid() }
