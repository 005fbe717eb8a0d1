package fuzz

// Schedules: how bytes become a script of steps.
//
// Every byte string decodes to a schedule. Each step takes one byte:
//
//	bits 0-3  the operation (see opcode)
//	bits 4-5  the actor it concerns (A, B, C or D)
//	bits 6-7  an argument: how many sections Lock opens and Unlock
//	          closes (1 + arg), and for Release whether it releases the
//	          actor's hold (even) or the grace-period hold (odd)
//
// Hold and HoldGP take one more byte, which picks the injection point
// (see points); a missing byte picks the first. Input past maxInput
// bytes is ignored, and so are steps past maxSteps.
//
// The decoder keeps a small abstract state of what the script has done so
// far (each actor's nesting depth, which holds are outstanding, which
// actors may still be running a blocking operation) and turns into a no-op
// every step that cannot apply or could deadlock the script: Load or
// Unlock outside a section, Synchronize, Barrier and their kin inside one
// (a reader would wait for itself), a second hold on the same target, a
// Release with nothing to release, and an Await that could wait for a
// later step. So every schedule runs to its end on a correct RCU. The
// no-ops are kept in the script, marked, so that a printed schedule lines
// up with its input bytes.

import (
	"fmt"
	"github.com/rcukit/rcukit/rcuops"
	"slices"
	"strings"
)

// The limits of a schedule.
const (
	maxInput  = 160 // bytes read from an input
	maxSteps  = 96  // steps decoded, no-ops included
	numActors = 4
	maxDepth  = 4 // deepest nesting of read sections per actor
)

// opcode is a step's operation.
type opcode uint8

const (
	opLock        opcode = iota // open 1+arg nested read sections
	opLoad                      // load the current version inside the section
	opUnlock                    // close 1+arg sections (the outermost records the loads' ends)
	opPublish                   // publish a new version through Ops.Publish
	opSyncReclaim               // Synchronize, then reclaim what was retired before it
	opCallReclaim               // Call a callback that reclaims what was retired before the Call
	opBarrier                   // Barrier
	opSnapshot                  // take a polled cookie, claiming what was retired before it
	opPoll                      // Poll the actor's cookie
	opPollReclaim               // Poll the actor's cookie and, if complete, reclaim its claim
	opExpedited                 // SynchronizeExpedited (or Synchronize), then reclaim
	opHold                      // hold the actor at the next hit of a point (next byte)
	opHoldGP                    // hold the grace-period machinery at the next hit of a point
	opRelease                   // release the actor's hold, or the grace-period hold
	opAwait                     // wait until the actor has finished every step given it
	opLockLoad                  // open a section and load
	numOpcodes
)

var opNames = [numOpcodes]string{
	opLock: "lock", opLoad: "load", opUnlock: "unlock", opPublish: "publish",
	opSyncReclaim: "sync-reclaim", opCallReclaim: "call-reclaim", opBarrier: "barrier",
	opSnapshot: "snapshot", opPoll: "poll", opPollReclaim: "poll-reclaim",
	opExpedited: "expedited-reclaim", opHold: "hold", opHoldGP: "hold-gp",
	opRelease: "release", opAwait: "await", opLockLoad: "lock+load",
}

func (o opcode) String() string {
	if o < numOpcodes {
		return opNames[o]
	}
	return fmt.Sprintf("opcode(%d)", uint8(o))
}

// blocking reports whether a step may wait for other actors' sections or
// for grace periods, so that the controller runs it in the background.
func (o opcode) blocking() bool {
	switch o {
	case opSyncReclaim, opBarrier, opExpedited:
		return true
	}
	return false
}

// A step is one instruction of a schedule.
type step struct {
	index int          // position in the script
	at    int          // offset of its first byte in the input
	op    opcode       // what to do
	actor int          // whom it concerns
	count int          // Lock, Unlock: sections to open or close
	point rcuops.Point // Hold, HoldGP: the injection point
	gp    bool         // Release: the grace-period hold rather than the actor's
	noop  string       // why the decoder turned the step into a no-op, or ""
	// yields is how many times the actor yields after the step: 0 in a
	// decoded schedule, drawn in the tests' concurrent plans, whose
	// actors run freely (on one P they would otherwise run one after
	// the other).
	yields int
}

func actorName(a int) string { return string(rune('A' + a)) }

func (s step) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%3d  @%-3d ", s.index, s.at)
	switch s.op {
	case opHold:
		fmt.Fprintf(&b, "hold %s at %s", actorName(s.actor), s.point)
	case opHoldGP:
		fmt.Fprintf(&b, "hold the grace-period machinery at %s", s.point)
	case opRelease:
		if s.gp {
			b.WriteString("release the grace-period hold")
		} else {
			fmt.Fprintf(&b, "release %s", actorName(s.actor))
		}
	case opAwait:
		fmt.Fprintf(&b, "await %s", actorName(s.actor))
	case opLock, opUnlock:
		fmt.Fprintf(&b, "%s: %s", actorName(s.actor), s.op)
		if s.count > 1 {
			fmt.Fprintf(&b, " x%d", s.count)
		}
	default:
		fmt.Fprintf(&b, "%s: %s", actorName(s.actor), s.op)
	}
	if s.noop != "" {
		fmt.Fprintf(&b, "  (no-op: %s)", s.noop)
	}
	return b.String()
}

// A schedule is a decoded input.
type schedule struct {
	steps []step
	depth [numActors]int // each actor's nesting depth after the last step
}

func (s *schedule) String() string {
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
type points struct {
	names []rcuops.Point
	actor map[rcuops.Point]bool // holdable on an actor
	gp    map[rcuops.Point]bool // holdable on the flavor's own goroutines
}

// The fuzzer's own points, besides the flavor's: inside the publication
// (at the start of init, and right after store made the version
// reachable), and at the start of every callback.
const (
	pointPublishInit  = rcuops.PointPublishInit
	pointPublishStore = rcuops.PointPublishStore
	pointCallback     = rcuops.PointCallback
)

// knownPoints come first in points.names, always in this order.
var knownPoints = []rcuops.Point{
	rcuops.PointReadSampled, rcuops.PointGPStart, rcuops.PointGPFlipped, rcuops.PointGPEnd, rcuops.PointInvoke,
	pointPublishInit, pointPublishStore, pointCallback,
}

func newPoints(flavor []rcuops.Point) points {
	p := points{names: append([]rcuops.Point(nil), knownPoints...), actor: map[rcuops.Point]bool{}, gp: map[rcuops.Point]bool{}}
	for _, name := range flavor {
		if !slices.Contains(p.names, name) {
			p.names = append(p.names, name)
		}
		p.actor[name], p.gp[name] = true, true
	}
	p.actor[pointPublishInit], p.actor[pointPublishStore] = true, true
	p.gp[pointCallback] = true
	return p
}

// pick returns the point named by the byte after position i of data, and
// the position of the last byte used.
func (p points) pick(data []byte, i int) (rcuops.Point, int) {
	if i+1 >= len(data) {
		return p.names[0], i
	}
	return p.names[int(data[i+1])%len(p.names)], i + 1
}

// decoder state: what the script has done so far, as far as the
// schedule itself tells.
type abstract struct {
	depth [numActors]int
	// uncertain: the actor's open section began while it had a hold
	// outstanding, so it may still be parked inside its Lock and not
	// yet counted; an Await of another actor may then wait in vain only
	// for a bounded time (see run.await).
	uncertain [numActors]bool
	held      [numActors]bool // a hold on the actor is armed or holding
	heldGP    bool
	// busy: the actor was given a blocking step since it was last
	// awaited.
	busy [numActors]bool
}

// decode turns data into a schedule over the given injection points.
func decode(data []byte, pts points) *schedule {
	if len(data) > maxInput {
		data = data[:maxInput]
	}
	s := &schedule{}
	var st abstract
	for i := 0; i < len(data) && len(s.steps) < maxSteps; i++ {
		b := data[i]
		x := step{index: len(s.steps), at: i, op: opcode(b & 0x0f), actor: int(b>>4) & 3}
		arg := int(b >> 6)
		a := x.actor
		switch x.op {
		case opLock, opLockLoad:
			x.count = 1
			if x.op == opLock {
				x.count = 1 + arg
			}
			if st.depth[a]+x.count > maxDepth {
				x.count = maxDepth - st.depth[a]
			}
			if x.count == 0 {
				x.noop = "nesting too deep"
				break
			}
			if st.depth[a] == 0 {
				st.uncertain[a] = st.held[a]
			}
			st.depth[a] += x.count
		case opLoad:
			if st.depth[a] == 0 {
				x.noop = "outside a section"
			}
		case opUnlock:
			x.count = min(1+arg, st.depth[a])
			if x.count == 0 {
				x.noop = "outside a section"
				break
			}
			st.depth[a] -= x.count
			if st.depth[a] == 0 {
				st.uncertain[a] = false
			}
		case opSyncReclaim, opBarrier, opExpedited:
			if st.depth[a] > 0 {
				x.noop = "inside a section it would wait for"
				break
			}
			st.busy[a] = true
		case opHold:
			x.point, i = pts.pick(data, i)
			switch {
			case !pts.actor[x.point]:
				x.noop = "no such point on an actor"
			case st.held[a]:
				x.noop = "already held"
			default:
				st.held[a] = true
			}
		case opHoldGP:
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
		case opRelease:
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
		case opAwait:
			if st.held[a] {
				x.noop = "it may be parked at its hold"
				break
			}
			if st.busy[a] && blockedByOthers(&st, a) {
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

// blockedByOthers reports whether a blocking step of actor a could wait
// for something only a later step ends: another actor's section that is
// surely open, or the grace-period hold.
func blockedByOthers(st *abstract, a int) bool {
	if st.heldGP {
		return true
	}
	for b := range numActors {
		if b != a && st.depth[b] > 0 && !st.uncertain[b] {
			return true
		}
	}
	return false
}
