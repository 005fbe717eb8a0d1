package fuzz

// The actions: what a step of a schedule can do, one row each.
//
// A row says everything about its action: its name in printed schedules,
// where it sits in the byte format (its code), whether it may block, how
// it decodes (its operands, and when it is a no-op), and how it runs
// (on its actor's goroutine, or on the controller's). Adding an action is
// adding a row with the next extended code, and a test of it (in
// action_test.go, or a scenario of the corpus); a basic code, or an
// extended code once given out, is never reused nor given a new meaning
// (see schedule.go for why that keeps committed inputs meaning what they
// meant).

import "fmt"

// An action is one row of the table.
type action struct {
	name string
	code code
	// blocking: the step may wait for other actors' sections or for
	// grace periods. The decoder makes it a no-op inside its actor's own
	// section (it would wait for itself), and the controller lets it run
	// in the background.
	blocking bool
	// decode reads the step's operands, if any, and checks it against
	// what the script has done so far, making it a no-op (x.noop) where
	// it cannot apply or could deadlock the script. arg is bits 6-7 of a
	// basic step's byte, 0 for an extended one. Nil: nothing to check.
	decode func(d *decoder, x *step, arg int)
	// exec runs the step on its actor's goroutine; control runs it on
	// the controller's. Exactly one of them is set.
	exec    func(a *actor, x step)
	control func(r *run, x step)
	// show prints the step, without its index, offset and no-op note.
	// Nil: "A: name", with " xN" for a count above 1.
	show func(x step) string
}

func (a *action) String() string { return a.name }

// A code places an action in the byte format: a basic code is bits 0-3
// of a step's byte; an extended code is the byte after an escape.
type code struct {
	extended bool
	n        uint8
}

func basic(n uint8) code    { return code{n: n} }
func extended(n uint8) code { return code{extended: true, n: n} }

func (c code) String() string {
	if c.extended {
		return fmt.Sprintf("extended %d", c.n)
	}
	return fmt.Sprintf("basic %#x", c.n)
}

// actions is the table. The sixteen basic codes are taken; a new action
// takes the next extended code.
var actions = []*action{
	{name: "lock", code: basic(0x0),
		decode: func(d *decoder, x *step, arg int) { d.open(x, 1+arg) },
		exec:   func(a *actor, x step) { a.lock(x.count) }},
	{name: "load", code: basic(0x1), decode: inSection,
		exec: func(a *actor, _ step) { a.load() }},
	{name: "unlock", code: basic(0x2), decode: (*decoder).close,
		exec: func(a *actor, x step) { a.unlock(x.count) }},
	{name: "publish", code: basic(0x3),
		exec: func(a *actor, _ step) { a.publish() }},
	{name: "sync-reclaim", code: basic(0x4), blocking: true,
		exec: func(a *actor, _ step) { a.syncReclaim(false) }},
	{name: "call-reclaim", code: basic(0x5),
		exec: func(a *actor, _ step) { a.callReclaim() }},
	{name: "barrier", code: basic(0x6), blocking: true,
		exec: func(a *actor, _ step) { a.barrier() }},
	{name: "snapshot", code: basic(0x7),
		exec: func(a *actor, _ step) { a.snapshot() }},
	{name: "poll", code: basic(0x8),
		exec: func(a *actor, _ step) { a.poll(false) }},
	{name: "poll-reclaim", code: basic(0x9),
		exec: func(a *actor, _ step) { a.poll(true) }},
	{name: "expedited-reclaim", code: basic(0xa), blocking: true,
		exec: func(a *actor, _ step) { a.syncReclaim(true) }},
	{name: "hold", code: basic(0xb),
		decode:  func(d *decoder, x *step, _ int) { d.holdActor(x, d.pts.legacyPoint(d.operand())) },
		control: (*run).holdActor, show: showHold},
	// hold-gp ignores its actor and its argument; with both argument
	// bits set its byte is the escape (see schedule.go).
	{name: "hold-gp", code: basic(0xc),
		decode:  func(d *decoder, x *step, _ int) { d.holdGP(x, d.pts.legacyPoint(d.operand())) },
		control: (*run).holdGP, show: showHoldGP},
	{name: "release", code: basic(0xd), decode: (*decoder).release,
		control: (*run).releaseStep, show: showRelease},
	{name: "await", code: basic(0xe), decode: func(d *decoder, x *step, _ int) { d.await(x) },
		control: (*run).await, show: func(x step) string { return "await " + actorName(x.actor) }},
	{name: "lock+load", code: basic(0xf),
		decode: func(d *decoder, x *step, _ int) { d.open(x, 1) },
		exec:   func(a *actor, _ step) { a.lock(1); a.load() }},

	// Extended actions: an escape byte, the code, then the operands.
	{name: "renew", code: extended(0), decode: outsideSections,
		exec: func(a *actor, _ step) { a.renew() }},
	{name: "hold-at", code: extended(1),
		decode:  func(d *decoder, x *step, _ int) { d.holdActor(x, d.pts.numberedPoint(x, d.operand())) },
		control: (*run).holdActor, show: showHold},
	{name: "hold-gp-at", code: extended(2),
		decode:  func(d *decoder, x *step, _ int) { d.holdGP(x, d.pts.numberedPoint(x, d.operand())) },
		control: (*run).holdGP, show: showHoldGP},
}

// unknownAction stands for an extended code that no action has yet: a
// no-op.
var unknownAction = &action{name: "unknown action", code: extended(0xff)}

// The table by code.
var basicActions, extendedActions = indexActions(actions)

func indexActions(rows []*action) (b [16]*action, e map[uint8]*action) {
	e = map[uint8]*action{}
	names := map[string]bool{}
	for _, a := range rows {
		switch {
		case names[a.name]:
			panic("fuzz: two actions named " + a.name)
		case (a.exec == nil) == (a.control == nil):
			panic("fuzz: action " + a.name + " needs exactly one of exec and control")
		case !a.code.extended && a.code.n >= 16, !a.code.extended && b[a.code.n] != nil, a.code.extended && e[a.code.n] != nil:
			panic(fmt.Sprintf("fuzz: action %s: code %v is out of range or taken", a.name, a.code))
		}
		names[a.name] = true
		if a.code.extended {
			e[a.code.n] = a
		} else {
			b[a.code.n] = a
		}
	}
	for n, a := range b {
		if a == nil {
			panic(fmt.Sprintf("fuzz: no action has basic code %#x", n))
		}
	}
	return b, e
}

// actionNamed returns the row called name.
func actionNamed(name string) *action {
	for _, a := range actions {
		if a.name == name {
			return a
		}
	}
	panic("fuzz: no action " + name)
}

// unlockAction closes the sections an actor left open at the end.
var unlockAction = actionNamed("unlock")

func showHold(x step) string { return fmt.Sprintf("hold %s at %s", actorName(x.actor), x.point) }

func showHoldGP(x step) string { return fmt.Sprintf("hold the grace-period machinery at %s", x.point) }

func showRelease(x step) string {
	if x.gp {
		return "release the grace-period hold"
	}
	return "release " + actorName(x.actor)
}
