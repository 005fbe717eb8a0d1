package fuzz

// A frozen copy of the schedule decoder as it was before the action table
// and the escape-extended encoding: TestDecoderKeepsOldMeanings holds the
// decoder to it. Only the names differ from the original; do not change
// it.

import (
	"fmt"
	"slices"
	"strings"

	"github.com/rcukit/rcukit/rcuops"
)

// The limits of a schedule.
const (
	oldMaxInput  = 160 // bytes read from an input
	oldMaxSteps  = 96  // steps decoded, no-ops included
	oldNumActors = 4
	oldMaxDepth  = 4 // deepest nesting of read sections per actor
)

func oldActorName(a int) string { return string(rune('A' + a)) }

// opcode is a step's operation.
type oldOpcode uint8

const (
	lopLock        oldOpcode = iota // open 1+arg nested read sections
	lopLoad                         // load the current version inside the section
	lopUnlock                       // close 1+arg sections (the outermost records the loads' ends)
	lopPublish                      // publish a new version through Ops.Publish
	lopSyncReclaim                  // Synchronize, then reclaim what was retired before it
	lopCallReclaim                  // Call a callback that reclaims what was retired before the Call
	lopBarrier                      // Barrier
	lopSnapshot                     // take a polled cookie, claiming what was retired before it
	lopPoll                         // Poll the actor's cookie
	lopPollReclaim                  // Poll the actor's cookie and, if complete, reclaim its claim
	lopExpedited                    // SynchronizeExpedited (or Synchronize), then reclaim
	lopHold                         // hold the actor at the next hit of a point (next byte)
	lopHoldGP                       // hold the grace-period machinery at the next hit of a point
	lopRelease                      // release the actor's hold, or the grace-period hold
	lopAwait                        // wait until the actor has finished every step given it
	lopLockLoad                     // open a section and load
	oldNumOpcodes
)

var oldOpNames = [oldNumOpcodes]string{
	lopLock: "lock", lopLoad: "load", lopUnlock: "unlock", lopPublish: "publish",
	lopSyncReclaim: "sync-reclaim", lopCallReclaim: "call-reclaim", lopBarrier: "barrier",
	lopSnapshot: "snapshot", lopPoll: "poll", lopPollReclaim: "poll-reclaim",
	lopExpedited: "expedited-reclaim", lopHold: "hold", lopHoldGP: "hold-gp",
	lopRelease: "release", lopAwait: "await", lopLockLoad: "lock+load",
}

func (o oldOpcode) String() string {
	if o < oldNumOpcodes {
		return oldOpNames[o]
	}
	return fmt.Sprintf("opcode(%d)", uint8(o))
}

// A step is one instruction of a schedule.
type oldStep struct {
	index int          // position in the script
	at    int          // offset of its first byte in the input
	op    oldOpcode    // what to do
	actor int          // whom it concerns
	count int          // Lock, Unlock: sections to open or close
	point rcuops.Point // Hold, HoldGP: the injection point
	gp    bool         // Release: the grace-period hold rather than the actor's
	noop  string       // why the decoder turned the step into a no-op, or ""
}

func (s oldStep) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%3d  @%-3d ", s.index, s.at)
	switch s.op {
	case lopHold:
		fmt.Fprintf(&b, "hold %s at %s", oldActorName(s.actor), s.point)
	case lopHoldGP:
		fmt.Fprintf(&b, "hold the grace-period machinery at %s", s.point)
	case lopRelease:
		if s.gp {
			b.WriteString("release the grace-period hold")
		} else {
			fmt.Fprintf(&b, "release %s", oldActorName(s.actor))
		}
	case lopAwait:
		fmt.Fprintf(&b, "await %s", oldActorName(s.actor))
	case lopLock, lopUnlock:
		fmt.Fprintf(&b, "%s: %s", oldActorName(s.actor), s.op)
		if s.count > 1 {
			fmt.Fprintf(&b, " x%d", s.count)
		}
	default:
		fmt.Fprintf(&b, "%s: %s", oldActorName(s.actor), s.op)
	}
	if s.noop != "" {
		fmt.Fprintf(&b, "  (no-op: %s)", s.noop)
	}
	return b.String()
}

// A schedule is a decoded input.
type oldSchedule struct {
	steps []oldStep
	depth [oldNumActors]int // each actor's nesting depth after the last step
}

func (s *oldSchedule) String() string {
	var b strings.Builder
	for _, st := range s.steps {
		b.WriteString(st.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// points are the injection points a schedule may hold at. A Hold's
// point byte indexes names, which starts with the points the flavors of
// this module use, always in the same order, so that a committed seed
// means the same hold on every flavor that has the point; the flavor's
// other points follow. An actor may be held at any of the flavor's points
// and at the fuzzer's publish-init and publish-store, the flavor's own
// goroutines at any of its points and at callback: which goroutine
// actually hits a point is the flavor's business (classic runs a
// Synchronize's grace period on the caller). A point the target can never
// hit, because the flavor does not have it, makes the Hold a no-op.
type oldPoints struct {
	names []rcuops.Point
	actor map[rcuops.Point]bool // holdable on an actor
	gp    map[rcuops.Point]bool // holdable on the flavor's own goroutines
}

// knownPoints come first in points.names, always in this order.
var oldKnownPoints = []rcuops.Point{
	rcuops.PointReadSampled, rcuops.PointGPStart, rcuops.PointGPFlipped, rcuops.PointGPEnd, rcuops.PointInvoke,
	rcuops.PointPublishInit, rcuops.PointPublishStore, rcuops.PointCallback,
}

func newOldPoints(flavor []rcuops.Point) oldPoints {
	p := oldPoints{names: append([]rcuops.Point(nil), oldKnownPoints...), actor: map[rcuops.Point]bool{}, gp: map[rcuops.Point]bool{}}
	for _, name := range flavor {
		if !slices.Contains(p.names, name) {
			p.names = append(p.names, name)
		}
		p.actor[name], p.gp[name] = true, true
	}
	p.actor[rcuops.PointPublishInit], p.actor[rcuops.PointPublishStore] = true, true
	p.gp[rcuops.PointCallback] = true
	return p
}

// pick returns the point named by the byte after position i of data, and
// the position of the last byte used.
func (p oldPoints) pick(data []byte, i int) (rcuops.Point, int) {
	if i+1 >= len(data) {
		return p.names[0], i
	}
	return p.names[int(data[i+1])%len(p.names)], i + 1
}

// decoder state: what the script has done so far, as far as the
// schedule itself tells.
type oldAbstract struct {
	depth [oldNumActors]int
	// uncertain: the actor's open section began while it had a hold
	// outstanding, so it may still be parked inside its Lock and not
	// yet counted; an Await of another actor may then wait in vain only
	// for a bounded time (see run.await).
	uncertain [oldNumActors]bool
	held      [oldNumActors]bool // a hold on the actor is armed or holding
	heldGP    bool
	// busy: the actor was given a blocking step since it was last
	// awaited.
	busy [oldNumActors]bool
}

// decode turns data into a schedule over the given injection points.
func oldDecode(data []byte, pts oldPoints) *oldSchedule {
	if len(data) > oldMaxInput {
		data = data[:oldMaxInput]
	}
	s := &oldSchedule{}
	var st oldAbstract
	for i := 0; i < len(data) && len(s.steps) < oldMaxSteps; i++ {
		b := data[i]
		x := oldStep{index: len(s.steps), at: i, op: oldOpcode(b & 0x0f), actor: int(b>>4) & 3}
		arg := int(b >> 6)
		a := x.actor
		switch x.op {
		case lopLock, lopLockLoad:
			x.count = 1
			if x.op == lopLock {
				x.count = 1 + arg
			}
			if st.depth[a]+x.count > oldMaxDepth {
				x.count = oldMaxDepth - st.depth[a]
			}
			if x.count == 0 {
				x.noop = "nesting too deep"
				break
			}
			if st.depth[a] == 0 {
				st.uncertain[a] = st.held[a]
			}
			st.depth[a] += x.count
		case lopLoad:
			if st.depth[a] == 0 {
				x.noop = "outside a section"
			}
		case lopUnlock:
			x.count = min(1+arg, st.depth[a])
			if x.count == 0 {
				x.noop = "outside a section"
				break
			}
			st.depth[a] -= x.count
			if st.depth[a] == 0 {
				st.uncertain[a] = false
			}
		case lopSyncReclaim, lopBarrier, lopExpedited:
			if st.depth[a] > 0 {
				x.noop = "inside a section it would wait for"
				break
			}
			st.busy[a] = true
		case lopHold:
			x.point, i = pts.pick(data, i)
			switch {
			case !pts.actor[x.point]:
				x.noop = "no such point on an actor"
			case st.held[a]:
				x.noop = "already held"
			default:
				st.held[a] = true
			}
		case lopHoldGP:
			x.point, i = pts.pick(data, i)
			x.actor = 0
			switch {
			case !pts.gp[x.point]:
				x.noop = "no such point in the flavor"
			case st.heldGP:
				x.noop = "already held"
			default:
				st.heldGP = true
			}
		case lopRelease:
			x.gp = arg&1 == 1
			switch {
			case x.gp && !st.heldGP, !x.gp && !st.held[a]:
				x.noop = "nothing to release"
			case x.gp:
				st.heldGP = false
			default:
				st.held[a] = false
				st.uncertain[a] = false // a parked Lock now goes on
			}
		case lopAwait:
			if st.held[a] {
				x.noop = "it may be parked at its hold"
				break
			}
			if st.busy[a] && oldBlockedByOthers(&st, a) {
				x.noop = "it may wait for a later step"
				break
			}
			st.busy[a] = false
		}
		s.steps = append(s.steps, x)
	}
	s.depth = st.depth
	return s
}

// oldBlockedByOthers reports whether a blocking step of actor a could wait
// for something only a later step ends: another actor's section that is
// surely open, or the grace-period hold.
func oldBlockedByOthers(st *oldAbstract, a int) bool {
	if st.heldGP {
		return true
	}
	for b := range oldNumActors {
		if b != a && st.depth[b] > 0 && !st.uncertain[b] {
			return true
		}
	}
	return false
}
