package engine

// Registered readers: the read side that packages rcu/qsbr and
// rcu/registered share. Each reader owns a Slot whose word, Ctr, only its
// goroutine writes: 0 while the reader holds nothing (offline, or outside
// every section), otherwise the generation it last saw, from the flavor's
// control word, with bit 0 set. A grace period advances the generation to
// g and waits until every registered reader's word is 0 or carries a
// generation of at least g.
//
// Why one scan suffices (the reference needs two, because its index has
// two values and repeats): generations are 64 bits and never repeat. A
// reader that holds something from before the grace period began stored
// its word, with an older generation, before the grace period advanced
// the generation, or it stored it afterwards. Every atomic here is
// sequentially consistent, so in the first case the scan reads a word with
// an older generation and waits until the reader stores again; in the
// second case (a straggler, which loaded the generation before the advance
// and stored it after the scan read its old word) the reader's accesses
// come after its store, hence after the grace period's advance, and the
// writer's removal before the grace period is visible to them: the reader
// cannot hold what the grace period protects. The same argument covers a
// reader registered while the scan runs: the scan reads the table after
// the advance, and the reader's first store follows its registration.

import (
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// The generation's place in a flavor's control word: above the flag bits.
const (
	GenShift = 8
	GenOne   = 1 << GenShift
	GenMask  = ^uint64(GenOne - 1)
)

// A Slot is one registered reader's word and what stall reports say of it.
// A flavor embeds it first in its reader handle.
type Slot struct {
	Ctr  atomic.Uint64 // written by the owner only: 0, or generation<<GenShift | 1
	ID   uint64        // set at registration
	Goid int64         // the registering goroutine
	PCs  []uintptr     // its registration stack, under WithDebug
}

// Word is the value a reader stores to say it has seen the generation in
// ctl.
func Word(ctl uint64) uint64 { return ctl&GenMask | 1 }

// A Table is a flavor's registry of readers. Its zero value is empty.
// Register and Unregister copy the list, so that a scan reads it without a
// lock: they cost O(readers), which suits long-lived readers, not a
// registration per short-lived goroutine.
type Table struct {
	mu   sync.Mutex
	ids  uint64                  // guarded by mu
	list atomic.Pointer[[]*Slot] // replaced, never modified, under mu

	cached []*Slot // FaultCachedReaders: the list of the previous grace period
}

// Register adds s to t and numbers it; with debug, it records the caller's
// stack, skipping skip frames.
func (t *Table) Register(s *Slot, debug bool, skip int) {
	s.Goid = Goid()
	if debug {
		s.PCs = make([]uintptr, 32)
		s.PCs = s.PCs[:runtime.Callers(skip+2, s.PCs)]
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.ids++
	s.ID = t.ids
	var list []*Slot
	if old := t.list.Load(); old != nil {
		list = slices.Clone(*old)
	}
	list = append(list, s)
	t.list.Store(&list) // pairs with the Load in Wait
}

// Unregister removes s from t.
func (t *Table) Unregister(s *Slot) {
	t.mu.Lock()
	defer t.mu.Unlock()
	old := *t.list.Load()
	list := make([]*Slot, 0, len(old))
	for _, x := range old {
		if x != s {
			list = append(list, x)
		}
	}
	t.list.Store(&list)
}

// Len returns the number of registered readers.
func (t *Table) Len() int {
	if l := t.list.Load(); l != nil {
		return len(*l)
	}
	return 0
}

// Wait is a grace period of a flavor with registered readers, for its
// Readers.Wait: it advances the generation in ctl and waits until every
// reader has passed it. kind names the flavor's readers in stall reports.
func (t *Table) Wait(gp *GP, ctl *atomic.Uint64, kind string) {
	cfg := &gp.e.cfg
	g := ctl.Add(GenOne) >> GenShift // the advance; pairs with the Loads of readers
	var list []*Slot
	if l := t.list.Load(); l != nil { // after the advance: see the package comment
		list = *l
	}
	if cfg.Fault(FaultCachedReaders) {
		list, t.cached = t.cached, list
	}
	holds := func(w uint64) bool { return w != 0 && w>>GenShift < g }
	switch {
	case cfg.Fault(FaultStaleQuiescent):
		holds = func(w uint64) bool { return w != 0 && w>>GenShift < g-1 }
	case cfg.Fault(FaultOneFlip):
		holds = func(w uint64) bool { return w != 0 && (w>>GenShift)&1 != g&1 }
	}
	var first *Slot // the first reader the last poll found holding
	gp.Await(func() int {
		n := 0
		first = nil
		for _, s := range list {
			if holds(s.Ctr.Load()) {
				if n == 0 {
					first = s
				}
				n++
			}
		}
		return n
	}, func(r *Stall) {
		if first == nil {
			return
		}
		r.Reader = fmt.Sprintf("%s reader %d (registered by goroutine %d)", kind, first.ID, first.Goid)
		gp.Holder = first.Goid
		r.Stack = formatPCs(first.PCs)
	})
}

// formatPCs renders a stack recorded by runtime.Callers.
func formatPCs(pcs []uintptr) string {
	if len(pcs) == 0 {
		return ""
	}
	var b strings.Builder
	frames := runtime.CallersFrames(pcs)
	for {
		f, more := frames.Next()
		b.WriteString(f.Function + "\n\t" + f.File + ":" + strconv.Itoa(f.Line) + "\n")
		if !more {
			break
		}
	}
	return b.String()
}
