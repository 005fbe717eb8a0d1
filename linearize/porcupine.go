package linearize

import (
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/rcukit/rcukit/model"
)

// A part is one partition of one segment: operations that porcupine checks
// together from one initial state.
type part struct {
	events []Event
	init   model.State
}

// panicked records the first panic raised inside the model while
// porcupine ran it; porcupine runs Step on its own goroutines, where a
// panic would kill the process.
type panicked struct{ v atomic.Pointer[string] }

func (p *panicked) catch(what string) {
	if r := recover(); r != nil {
		s := fmt.Sprintf("model panicked in %s: %v", what, r)
		p.v.CompareAndSwap(nil, &s)
	}
}

// porcupineModel adapts model.State to porcupine. Inputs are model.Op
// values (with their results), outputs are unused.
func porcupineModel(init model.State, p *panicked) porcupine.Model {
	return porcupine.Model{
		Init: func() any { return init },
		Step: func(state, input, _ any) (ok bool, next any) {
			defer p.catch("Step")
			s, ok1 := state.(model.State)
			op, ok2 := input.(model.Op)
			if !ok1 || !ok2 {
				return false, state
			}
			return swap(s.Step(op))
		},
		Equal: func(a, b any) (eq bool) {
			defer p.catch("Equal")
			x, ok1 := a.(model.State)
			y, ok2 := b.(model.State)
			return ok1 && ok2 && x.Equal(y)
		},
		Hash: func(state any) (h uint64) {
			defer p.catch("Hash")
			if s, ok := state.(model.State); ok {
				return s.Hash()
			}
			return 0
		},
		DescribeOperation: func(input, _ any) string {
			if op, ok := input.(model.Op); ok {
				return op.String()
			}
			return fmt.Sprint(input)
		},
		DescribeState: func(state any) string {
			if s, ok := state.(model.State); ok {
				str := s.String()
				if len(str) > 600 {
					str = str[:600] + "..."
				}
				return str
			}
			return fmt.Sprint(state)
		},
	}
}

func swap(s model.State, ok bool) (bool, any) { return ok, s }

func (pt part) operations() []porcupine.Operation {
	ops := make([]porcupine.Operation, len(pt.events))
	for i, e := range pt.events {
		ops[i] = porcupine.Operation{ClientId: e.Client, Input: e.Op, Call: e.Call, Return: e.Return}
	}
	return ops
}

// check runs porcupine on pt with a timeout (> 0).
func (pt part) check(timeout time.Duration) (Verdict, string) {
	var p panicked
	res := porcupine.CheckOperationsTimeout(porcupineModel(pt.init, &p), pt.operations(), timeout)
	if s := p.v.Load(); s != nil {
		return Unknown, *s
	}
	switch res {
	case porcupine.Ok:
		return Ok, ""
	case porcupine.Illegal:
		return Illegal, ""
	}
	return Unknown, fmt.Sprintf("porcupine timed out after %v on %d operations", timeout.Round(time.Millisecond), len(pt.events))
}

// blame is what explain finds: the operation that no linearization can
// take next, and why.
type blame struct {
	culprit   int // index into pt.events, or -1
	violation *model.Violation
	info      porcupine.LinearizationInfo
	model     porcupine.Model
	reason    string // why no culprit was found
}

// explain runs porcupine's verbose check on pt, which a plain check found
// Illegal, and names the rule broken. Porcupine reports the longest
// prefixes that have a legal linearization; from the end of the longest
// one, every operation that could come next is illegal (otherwise the
// prefix would be longer). The one among them that returned first is
// blamed, and model.State.Apply says why.
func (pt part) explain(timeout time.Duration) blame {
	var p panicked
	m := porcupineModel(pt.init, &p)
	res, info := porcupine.CheckOperationsVerbose(m, pt.operations(), timeout)
	b := blame{culprit: -1, info: info, model: m}
	if s := p.v.Load(); s != nil {
		b.reason = *s
		return b
	}
	if res != porcupine.Illegal {
		b.reason = fmt.Sprintf("the verbose check said %s", res)
		return b
	}
	var longest []int
	for _, part := range info.PartialLinearizations() {
		for _, seq := range part {
			if len(seq) > len(longest) || len(seq) == len(longest) && slices.Compare(seq, longest) < 0 {
				longest = seq
			}
		}
	}
	s := pt.init
	done := make([]bool, len(pt.events))
	for _, id := range longest {
		if id < 0 || id >= len(pt.events) {
			b.reason = "porcupine returned an operation id out of range"
			return b
		}
		next, v := s.Apply(pt.events[id].Op)
		if v != nil { // cannot happen: the prefix is legal
			b.culprit, b.violation = id, v
			return b
		}
		s, done[id] = next, true
	}
	minRet := int64(-1)
	for i, e := range pt.events {
		if !done[i] && (minRet < 0 || e.Return < minRet) {
			minRet = e.Return
		}
	}
	for i, e := range pt.events {
		if done[i] || e.Call > minRet {
			continue
		}
		if _, v := s.Apply(e.Op); v != nil && (b.culprit < 0 || e.Return < pt.events[b.culprit].Return ||
			e.Return == pt.events[b.culprit].Return && e.Call < pt.events[b.culprit].Call) {
			b.culprit, b.violation = i, v
		}
	}
	if b.culprit < 0 {
		b.reason = "no linearization exists, but every operation that could come next after the longest legal prefix is legal there (did the verbose check time out?)"
	}
	return b
}
