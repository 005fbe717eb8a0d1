package fuzz

// Schedules: how bytes become a script of steps.
//
// Every byte string decodes to a schedule. Each step begins with one
// byte:
//
//	bits 0-3  the action's basic code (see actions)
//	bits 4-5  the actor it concerns (A, B, C or D)
//	bits 6-7  an argument: how many sections lock opens and unlock
//	          closes (1 + arg), and for release whether it releases the
//	          actor's hold (even) or the grace-period hold (odd)
//
// The bytes after it are the action's operands, if it has any: hold and
// hold-gp read one, which picks the injection point (see points). An
// operand past the end of the input reads as 0. Input past maxInput bytes
// is ignored, and so are steps past maxSteps.
//
// The sixteen basic codes are all taken. The escape, a byte with
// hold-gp's code and both argument bits set (0xcc, 0xdc, 0xec, 0xfc),
// says that the next byte is an extended code (see actions): the step is
// that extended action's, for the actor of the escape's bits 4-5, and its
// operands follow. An extended code that no action has yet makes a
// no-op.
//
// Why no change of the table re-means a committed input:
//
//   - A basic code's action, and how it decodes, never change; new
//     actions only take extended codes, and an extended code once given
//     keeps its action.
//   - So the escape is the only byte whose meaning changed since the
//     first version of this encoding, in which those four bytes were a
//     hold-gp (which ignores its argument), and no committed input has
//     one: TestCorpusMeaning pins what every committed input means, and
//     TestDecoderKeepsOldMeanings checks that every input decodes as the
//     first version did up to its first escape.
//   - An extended code not yet given, or a point number not yet given
//     (see points), decodes to a no-op marked unassigned, and no
//     committed input may have one (TestCommittedInputsAreAssigned); so
//     giving that code an action, or that number a point, changes only
//     inputs that are not committed.
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
	"slices"
	"strings"

	"github.com/rcukit/rcukit/rcuops"
)

// The limits of a schedule. They are part of the format: lowering one
// would cut committed inputs short.
const (
	maxInput  = 160 // bytes read from an input
	maxSteps  = 96  // steps decoded, no-ops included
	numActors = 4
	maxDepth  = 4 // deepest nesting of read sections per actor
)

// The escape: a byte b with b&escapeMask == escapeByte.
const (
	escapeMask = 0xcf
	escapeByte = 0xcc // hold-gp's basic code, both argument bits set
)

// A step is one instruction of a schedule.
type step struct {
	index int          // position in the script
	at    int          // offset of its first byte in the input
	act   *action      // what to do
	actor int          // whom it concerns
	count int          // lock, unlock: sections to open or close
	point rcuops.Point // holds: the injection point
	gp    bool         // release: the grace-period hold rather than the actor's
	noop  string       // why the decoder turned the step into a no-op, or ""
	// unassigned: the step is a no-op because it names an extended code
	// or a point number that this version has not given out.
	unassigned bool
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
	if s.act.show != nil {
		b.WriteString(s.act.show(s))
	} else {
		fmt.Fprintf(&b, "%s: %s", actorName(s.actor), s.act.name)
		if s.count > 1 {
			fmt.Fprintf(&b, " x%d", s.count)
		}
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

// points are the injection points a schedule may hold at, for one
// flavor. A schedule names a point in one of two ways:
//
//   - A hold or hold-gp step's point byte indexes legacy, modulo its
//     length: the eight points of the first version of the encoding, in
//     their order, then the flavor's other points in the flavor's order.
//     So a point byte means the same point on every flavor that has it
//     (and whatever byte it is, on every flavor without points of its
//     own), and never changes, since legacyPoints never does.
//   - A hold-at or hold-gp-at step's point byte is a stable number, an
//     index of pointNumbers. A new point is reached through a new number,
//     which changes no old one.
//
// An actor may be held at any of the flavor's points and at the fuzzer's
// publish-init and publish-store, the flavor's own goroutines at any of
// its points and at callback: which goroutine actually hits a point is
// the flavor's business (classic runs a Synchronize's grace period on the
// caller). A point the target can never hit, because the flavor does not
// have it, makes the hold a no-op.
type points struct {
	legacy   []rcuops.Point
	numbered []rcuops.Point        // pointNumbers
	actor    map[rcuops.Point]bool // holdable on an actor
	gp       map[rcuops.Point]bool // holdable on the flavor's own goroutines
}

// legacyPoints are the points of the first version of the encoding, in
// its order. Frozen: a hold's point byte indexes them.
var legacyPoints = []rcuops.Point{
	rcuops.PointReadSampled, rcuops.PointGPStart, rcuops.PointGPFlipped, rcuops.PointGPEnd, rcuops.PointInvoke,
	rcuops.PointPublishInit, rcuops.PointPublishStore, rcuops.PointCallback,
}

// pointNumbers gives each point a hold-at can name its stable number, its
// index. Append only: a number, once given, keeps its point.
var pointNumbers = []rcuops.Point{
	0: rcuops.PointReadSampled,
	1: rcuops.PointGPStart,
	2: rcuops.PointGPFlipped,
	3: rcuops.PointGPEnd,
	4: rcuops.PointInvoke,
	5: rcuops.PointPublishInit,
	6: rcuops.PointPublishStore,
	7: rcuops.PointCallback,
}

// The fuzzer's own points (see hold.go): where its actors can be held,
// and where the flavor's goroutines can, besides the flavor's points.
var (
	ownActorPoints = []rcuops.Point{rcuops.PointPublishInit, rcuops.PointPublishStore}
	ownGPPoints    = []rcuops.Point{rcuops.PointCallback}
)

// newPoints returns the points of a flavor with the given injection
// points.
func newPoints(flavor []rcuops.Point) points { return newPointsNumbered(flavor, pointNumbers) }

func newPointsNumbered(flavor, numbered []rcuops.Point) points {
	p := points{legacy: slices.Clone(legacyPoints), numbered: numbered,
		actor: map[rcuops.Point]bool{}, gp: map[rcuops.Point]bool{}}
	for _, name := range flavor {
		if !slices.Contains(p.legacy, name) {
			p.legacy = append(p.legacy, name)
		}
		p.actor[name], p.gp[name] = true, true
	}
	for _, name := range ownActorPoints {
		p.actor[name] = true
	}
	for _, name := range ownGPPoints {
		p.gp[name] = true
	}
	return p
}

// legacyPoint is the point a hold's point byte b names.
func (p points) legacyPoint(b byte) rcuops.Point { return p.legacy[int(b)%len(p.legacy)] }

// numberedPoint is the point with number n, or "" (making x an
// unassigned no-op) if no point has it yet.
func (p points) numberedPoint(x *step, n byte) rcuops.Point {
	if int(n) >= len(p.numbered) {
		x.noop, x.unassigned = fmt.Sprintf("no point number %d in this version", n), true
		return ""
	}
	return p.numbered[n]
}

// A decoder turns an input into steps, keeping the abstract state.
type decoder struct {
	data []byte // the input, cut at maxInput
	i    int    // the offset of the byte being read
	pts  points
	ext  map[uint8]*action // the extended actions by code: extendedActions
	abstract
}

// abstract is what the script has done so far, as far as the schedule
// itself tells.
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
func decode(data []byte, pts points) *schedule { return decodeWith(data, pts, extendedActions) }

// decodeWith is decode with the given extended actions, for the tests of
// what adding one changes.
func decodeWith(data []byte, pts points, ext map[uint8]*action) *schedule {
	if len(data) > maxInput {
		data = data[:maxInput]
	}
	d := &decoder{data: data, pts: pts, ext: ext}
	s := &schedule{}
	for ; d.i < len(d.data) && len(s.steps) < maxSteps; d.i++ {
		s.steps = append(s.steps, d.step(len(s.steps)))
	}
	s.depth = d.depth
	return s
}

// step decodes the step that begins at d.i, leaving d.i at its last byte.
func (d *decoder) step(index int) step {
	b := d.data[d.i]
	x := step{index: index, at: d.i, actor: int(b>>4) & 3}
	arg := int(b >> 6)
	if b&escapeMask == escapeByte {
		n := d.operand()
		x.act, arg = d.ext[n], 0
		if x.act == nil {
			x.act, x.noop, x.unassigned = unknownAction, fmt.Sprintf("no extended action %d in this version", n), true
			return x
		}
	} else {
		x.act = basicActions[b&0x0f]
	}
	if x.act.blocking {
		if d.depth[x.actor] > 0 {
			x.noop = "inside a section it would wait for"
			return x
		}
		d.busy[x.actor] = true
	}
	if x.act.decode != nil {
		x.act.decode(d, &x, arg)
	}
	return x
}

// operand reads the next byte of the input, or 0 past its end.
func (d *decoder) operand() byte {
	if d.i+1 >= len(d.data) {
		return 0
	}
	d.i++
	return d.data[d.i]
}

// What the actions' decode functions share.

// open decodes a step that opens n sections, fewer if the nesting would
// exceed maxDepth.
func (d *decoder) open(x *step, n int) {
	a := x.actor
	x.count = min(n, maxDepth-d.depth[a])
	if x.count == 0 {
		x.noop = "nesting too deep"
		return
	}
	if d.depth[a] == 0 {
		d.uncertain[a] = d.held[a]
	}
	d.depth[a] += x.count
}

// close decodes an unlock of 1+arg sections, fewer if fewer are open.
func (d *decoder) close(x *step, arg int) {
	a := x.actor
	x.count = min(1+arg, d.depth[a])
	if x.count == 0 {
		x.noop = "outside a section"
		return
	}
	d.depth[a] -= x.count
	if d.depth[a] == 0 {
		d.uncertain[a] = false
	}
}

// inSection makes a step that needs an open section a no-op outside one.
func inSection(d *decoder, x *step, _ int) {
	if d.depth[x.actor] == 0 {
		x.noop = "outside a section"
	}
}

// outsideSections makes a step that needs every section of its actor
// closed a no-op inside one.
func outsideSections(d *decoder, x *step, _ int) {
	if d.depth[x.actor] > 0 {
		x.noop = "inside a section"
	}
}

func (d *decoder) holdActor(x *step, p rcuops.Point) {
	x.point = p
	switch {
	case x.noop != "":
	case !d.pts.actor[p]:
		x.noop = "no such point on an actor"
	case d.held[x.actor]:
		x.noop = "already held"
	default:
		d.held[x.actor] = true
	}
}

func (d *decoder) holdGP(x *step, p rcuops.Point) {
	x.point, x.actor = p, 0
	switch {
	case x.noop != "":
	case !d.pts.gp[p]:
		x.noop = "no such point in the flavor"
	case d.heldGP:
		x.noop = "already held"
	default:
		d.heldGP = true
	}
}

func (d *decoder) release(x *step, arg int) {
	a := x.actor
	x.gp = arg&1 == 1
	switch {
	case x.gp && !d.heldGP, !x.gp && !d.held[a]:
		x.noop = "nothing to release"
	case x.gp:
		d.heldGP = false
	default:
		d.held[a] = false
		d.uncertain[a] = false // a parked Lock now goes on
	}
}

func (d *decoder) await(x *step) {
	a := x.actor
	switch {
	case d.held[a]:
		x.noop = "it may be parked at its hold"
	case d.busy[a] && d.blockedByOthers(a):
		x.noop = "it may wait for a later step"
	default:
		d.busy[a] = false
	}
}

// blockedByOthers reports whether a blocking step of actor a could wait
// for something only a later step ends: another actor's section that is
// surely open, or the grace-period hold.
func (d *decoder) blockedByOthers(a int) bool {
	if d.heldGP {
		return true
	}
	for b := range numActors {
		if b != a && d.depth[b] > 0 && !d.uncertain[b] {
			return true
		}
	}
	return false
}
