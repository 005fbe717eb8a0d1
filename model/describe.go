package model

import (
	"fmt"
	"slices"
	"strings"
)

func refs(k Kind, ids []uint64) []Ref {
	out := make([]Ref, len(ids))
	for i, id := range ids {
		out[i] = Ref{k, id}
	}
	return out
}

// list writes "reader r1" or "readers r1, r2 and r3" (at most 5 named).
func list(noun, prefix string, ids []uint64) string {
	var b strings.Builder
	b.WriteString(noun)
	if len(ids) != 1 {
		b.WriteString("s")
	}
	const most = 5
	for i, id := range ids {
		switch {
		case i == 0:
			b.WriteString(" ")
		case i == most:
			fmt.Fprintf(&b, " and %d more", len(ids)-most)
			return b.String()
		case i == len(ids)-1:
			b.WriteString(" and ")
		default:
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s%d", prefix, id)
	}
	return b.String()
}

func readerList(ids []uint64) string { return list("reader", "r", ids) }

func wereWas(ids []uint64) string {
	if len(ids) == 1 {
		return "was"
	}
	return "were"
}

func isNot(in bool) string {
	if in {
		return "was"
	}
	return "was not"
}

// String describes s for people, for example in porcupine's
// visualization: the current version, open readers, what waits for them,
// pending callbacks and the list.
func (s State) String() string {
	if !s.valid {
		return "invalid state"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "v%d", s.cur)
	if len(s.readers) > 0 {
		b.WriteString(" readers[")
		for i, h := range s.readers {
			if i > 0 {
				b.WriteString(" ")
			}
			fmt.Fprintf(&b, "r%d:v%d", h.id, h.version)
		}
		b.WriteString("]")
	}
	writeWaits(&b, " waiting", s.rd, "r")
	if len(s.cb) > 0 {
		writeWaits(&b, " callbacks", s.cb, "k")
	}
	if len(s.present) > 0 || len(s.travs) > 0 {
		fmt.Fprintf(&b, " list%v", s.present)
	}
	for _, t := range s.travs {
		fmt.Fprintf(&b, " t%d{must %v", t.id, t.base)
		if len(t.gone) > 0 {
			fmt.Fprintf(&b, " gone %v", t.gone)
		}
		for _, a := range t.alts {
			fmt.Fprintf(&b, " %d|%v", a.base, a.keys)
		}
		for _, a := range t.extra {
			fmt.Fprintf(&b, " once %d|%v", a.base, a.keys)
		}
		if len(t.added) > 0 {
			fmt.Fprintf(&b, " may %v", t.added)
		}
		b.WriteString("}")
	}
	writeWaits(&b, " unreclaimed", s.tr, "t")
	return b.String()
}

// writeWaits writes w as "[r1 r2 <- s3 k4 | r5]": each block's items, then
// the waiters that wait for it and every block before it.
func writeWaits(b *strings.Builder, name string, w waits, prefix string) {
	if len(w) == 0 {
		return
	}
	b.WriteString(name)
	b.WriteString("[")
	for i, blk := range w {
		if i > 0 {
			b.WriteString(" | ")
		}
		for j, it := range blk.items {
			if j > 0 {
				b.WriteString(" ")
			}
			fmt.Fprintf(b, "%s%d", prefix, it)
		}
		if len(blk.waiters) > 0 {
			b.WriteString(" <-")
			for _, x := range blk.waiters {
				fmt.Fprintf(b, " %s", waiterName(x))
			}
		}
	}
	b.WriteString("]")
}

func waiterName(x waiter) string {
	switch x.kind {
	case SyncBegin:
		return fmt.Sprintf("s%d", x.id)
	case Call:
		return fmt.Sprintf("k%d", x.id)
	case Snapshot:
		return fmt.Sprintf("c%d", x.id)
	case BarrierBegin:
		return fmt.Sprintf("b%d", x.id)
	case Remove:
		return fmt.Sprintf("%d", x.id)
	case Publish:
		return fmt.Sprintf("v%d", x.id)
	}
	return fmt.Sprintf("%s:%d", x.kind, x.id)
}

// Equal reports whether s and t are the same state.
func (s State) Equal(t State) bool {
	if s.valid != t.valid || s.cur != t.cur ||
		!slices.Equal(s.published, t.published) ||
		!slices.Equal(s.readers, t.readers) ||
		!s.rd.equal(t.rd) || !s.cb.equal(t.cb) ||
		!slices.Equal(s.invoked, t.invoked) ||
		!slices.Equal(s.freed, t.freed) ||
		!sameKeys(s.present, t.present) ||
		!slices.Equal(s.used, t.used) ||
		!slices.Equal(s.reclaimed, t.reclaimed) ||
		!s.tr.equal(t.tr) ||
		len(s.travs) != len(t.travs) {
		return false
	}
	for i := range s.travs {
		a, b := s.travs[i], t.travs[i]
		if a.id != b.id || !sameKeys(a.base, b.base) || !slices.Equal(a.gone, b.gone) ||
			!slices.Equal(a.added, b.added) || !sameAlts(a.alts, b.alts) || !sameAlts(a.extra, b.extra) {
			return false
		}
	}
	return true
}

func sameAlts(a, b []alt) bool {
	return slices.EqualFunc(a, b, func(x, y alt) bool { return x.base == y.base && slices.Equal(x.keys, y.keys) })
}

// sameKeys is slices.Equal with a shortcut for slices that share memory,
// as the present sets of states reached from one another often do.
func sameKeys(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	if len(a) == 0 || &a[0] == &b[0] {
		return true
	}
	return slices.Equal(a, b)
}

// Hash returns a hash of s: equal states have equal hashes. It skips the
// parts that only grow (published versions, run callbacks, used and
// reclaimed keys), which a checker that compares states reached by the
// same set of operations finds equal anyway.
func (s State) Hash() uint64 {
	h := mix(0, s.cur)
	for _, r := range s.readers {
		h = mix(h, r.id)
	}
	h = s.rd.hash(h)
	h = s.cb.hash(h)
	h = mix(h, uint64(len(s.present)))
	for _, t := range s.travs {
		h = mix(h, t.id)
		h = mix(h, uint64(len(t.gone))<<32|uint64(len(t.added)))
	}
	return s.tr.hash(h)
}
