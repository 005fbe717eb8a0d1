package linearize

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/rcukit/rcukit/model"
)

// An Event is one recorded operation: who did it, when it was called and
// when it returned, in logical time, and what it did and observed.
type Event struct {
	Client int      // the recording client, from 0
	Call   int64    // logical time of the call
	Return int64    // logical time of the return; Call <= Return
	Op     model.Op // the operation and its results
}

func (e Event) String() string {
	return fmt.Sprintf("[%d,%d] client %d: %v", e.Call, e.Return, e.Client, e.Op)
}

// A History is a set of recorded events. Its order does not matter to
// Check; Recorder returns them sorted by call time.
type History []Event

// Sorted returns a copy of h sorted by call time, then return time, then
// client.
func (h History) Sorted() History {
	out := slices.Clone(h)
	slices.SortStableFunc(out, compareEvents)
	return out
}

func compareEvents(a, b Event) int {
	if c := cmp.Compare(a.Call, b.Call); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Return, b.Return); c != 0 {
		return c
	}
	return cmp.Compare(a.Client, b.Client)
}

// A ValidationError says which event makes a history malformed.
type ValidationError struct {
	Event int // index of the event in the history
	Msg   string
}

func (e *ValidationError) Error() string { return fmt.Sprintf("event %d: %s", e.Event, e.Msg) }

// Validate reports whether h is well formed, which Check assumes: every
// operation is valid (model.Op.Validate); times are not negative and no
// event returns before it is called; each version is published at most
// once and each key is inserted (by Insert or a successful Replace) at
// most once; each reader, sync, callback, barrier, cookie and traversal
// begins at most once and ends at most once, after it began (its begin
// returned before its end was called); every Poll is of a cookie whose
// Snapshot returned before the Poll was called.
//
// A violation of the RCU rules is not malformed: a callback invoked twice,
// or a reader that never ends, is for Check to judge. Validate returns a
// *ValidationError naming the lowest-numbered event at fault.
func (h History) Validate() error {
	type key struct {
		k  model.Kind
		id uint64
	}
	first := map[key]int{}
	var errs []*ValidationError
	bad := func(i int, format string, args ...any) {
		errs = append(errs, &ValidationError{i, fmt.Sprintf(format, args...)})
	}
	// again records that event i uses k, or returns the event that used
	// it first. (The message is formatted only for a repeat: formatting
	// one for every event would cost more than the rest of Validate.)
	again := func(i int, k key) (int, bool) {
		if j, ok := first[k]; ok {
			return j, true
		}
		first[k] = i
		return 0, false
	}
	for i, e := range h {
		op := e.Op
		if err := op.Validate(); err != nil {
			bad(i, "%v", err)
			continue
		}
		switch {
		case e.Client < 0:
			bad(i, "negative client %d", e.Client)
			continue
		case e.Call < 0:
			bad(i, "negative call time %d", e.Call)
			continue
		case e.Return < e.Call:
			bad(i, "returns at %d, before its call at %d", e.Return, e.Call)
			continue
		}
		switch op.Kind {
		case model.Publish:
			if j, ok := again(i, key{op.Kind, op.Version}); ok {
				bad(i, "version %d published twice, already at event %d", op.Version, j)
			}
		case model.Insert:
			if j, ok := again(i, key{model.Insert, op.Key}); ok {
				bad(i, "key %d inserted twice, already at event %d", op.Key, j)
			}
		case model.Replace:
			if !op.OK {
				break // a Replace that failed put nothing in
			}
			if j, ok := again(i, key{model.Insert, op.Key2}); ok {
				bad(i, "key %d inserted twice, already at event %d", op.Key2, j)
			}
		case model.ReadBegin, model.ReadEnd, model.SyncBegin, model.SyncEnd, model.Call,
			model.BarrierBegin, model.BarrierEnd, model.Snapshot, model.TraverseBegin, model.TraverseEnd:
			if j, ok := again(i, key{op.Kind, op.ID}); ok {
				bad(i, "%s of id %d twice, already at event %d", op.Kind, op.ID, j)
			}
		}
	}
	for i, e := range h {
		b := e.Op.Kind.Opener()
		if e.Op.Kind == model.Poll {
			b = model.Snapshot // a Poll needs its cookie
		}
		if b == 0 || e.Op.Validate() != nil {
			continue
		}
		j, ok := first[key{b, e.Op.ID}]
		switch {
		case !ok:
			bad(i, "%v without a %s of id %d", e.Op, b, e.Op.ID)
		case h[j].Return >= e.Call:
			bad(i, "%v called at %d, but its %s (event %d) returned only at %d", e.Op, e.Call, b, j, h[j].Return)
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return slices.MinFunc(errs, func(a, b *ValidationError) int { return cmp.Compare(a.Event, b.Event) })
}
