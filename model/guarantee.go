package model

// The table of guarantees: one row per Rule. It is the one place a
// guarantee is declared. The model's rule list and their docs, the direct
// oracle's precedence (package linearize), the stress engine's failure
// kinds (package torture), the conformance kit's checks (package rcutest)
// and the negative controls' "caught by" sets are derived from it, or held
// to it by tests that fail when a row lacks one of its views. CONTRIBUTING.md
// has the recipe for adding a row.

// A Property is one of the properties every RCU owes (P1-P7 in NOTES and
// the package documentation), or the list's own semantics.
type Property uint8

// The properties.
const (
	Publication    Property = iota + 1 // P1: readers see published objects fully initialized
	GracePeriod                        // P2: Synchronize waits for the readers that began before it
	Reclamation                        // P3: nothing is reclaimed while a reader may still see it
	Callbacks                          // P4: a callback runs once, after a grace period
	Barriers                           // P5: Barrier waits for the callbacks queued before it
	Polling                            // P6: a cookie completes only after a full grace period, and then does
	Liveness                           // P7: readers never wait; waits end; callbacks stay bounded
	ListSemantics                      // the RCU-protected list: a set of keys, traversals, reclaims
	OpsTable                           // not a property of RCU: the promises of an implementation's ops table
	Wellformedness                     // not a property of RCU: a history no execution can produce
)

var propertyNames = [...]struct{ tag, name string }{
	Publication:    {"P1", "publication"},
	GracePeriod:    {"P2", "grace period"},
	Reclamation:    {"P3", "reclamation"},
	Callbacks:      {"P4", "callbacks"},
	Barriers:       {"P5", "barrier"},
	Polling:        {"P6", "polling"},
	Liveness:       {"P7", "progress"},
	ListSemantics:  {"list", "list"},
	OpsTable:       {"ops", "ops table"},
	Wellformedness: {"-", "malformed history"},
}

// String names p in a few words, as failure messages begin: "grace
// period".
func (p Property) String() string {
	if p > 0 && int(p) < len(propertyNames) {
		return propertyNames[p].name
	}
	return "unknown property"
}

// Tag is p's number in the list of properties: "P2".
func (p Property) Tag() string {
	if p > 0 && int(p) < len(propertyNames) {
		return propertyNames[p].tag
	}
	return "?"
}

// A Checker is a set of the tools that can see a guarantee broken.
type Checker uint8

// The checkers.
const (
	// ByModel: the model (this package) and linearize's two oracles,
	// from a recorded history.
	ByModel Checker = 1 << iota
	// ByTorture: the stress engine, with a failure kind of its own.
	ByTorture
	// ByKit: the conformance kit, with a check named after it.
	ByKit
)

// A Guarantee is one row of the table.
type Guarantee struct {
	Rule     Rule
	Property Property
	// Doc says what breaking the rule means, in a sentence.
	Doc string
	// Checked says which tools can see it broken.
	Checked Checker
	// Consequences are the rules a history may break first, before it
	// shows this one, when an implementation breaks this one: an early
	// grace period also lets a reclaim poison what a reader still holds.
	// The negative controls accept those too.
	Consequences []Rule
}

// early is what an early end of any grace-period wait lets happen next.
var early = []Rule{ReclaimWhileHeld, ReadReclaimed, ReadStale}

// guarantees is the table, in the order in which State.Apply checks the
// rules that one operation can break: the direct oracle reports the first
// of them, as the model does.
var guarantees = []Guarantee{
	{ReadHalfInitialized, Publication, "a reader saw a published object before it was fully initialized", ByModel | ByTorture | ByKit, nil},
	{ReadUnpublished, Publication, "a reader saw a version that had not been published", ByModel, nil},
	{ReadStale, Publication, "a reader saw a version that a later publication had already replaced", ByModel, nil},
	{ReadReclaimed, Reclamation, "a reader saw a reclaimed version: reclaimed while it was inside, or before it was published", ByModel | ByTorture, nil},
	{SyncEarly, GracePeriod, "Synchronize returned while a reader that began before it was still inside", ByModel | ByTorture | ByKit, early},
	{PollEarly, Polling, "a cookie polled complete while a reader that began before its Snapshot was still inside", ByModel | ByTorture | ByKit, early},
	{CallbackTwice, Callbacks, "a callback ran more than once", ByModel | ByKit, nil},
	{CallbackUncalled, Callbacks, "a callback ran that had not been queued", ByModel, nil},
	{CallbackEarly, Callbacks, "a callback ran while a reader that began before its Call was still inside", ByModel | ByTorture | ByKit, early},
	{BarrierEarly, Barriers, "Barrier returned before a callback queued before it had run", ByModel | ByTorture | ByKit, nil},
	{ReclaimCurrent, Reclamation, "the current version was reclaimed", ByModel, nil},
	{ReclaimWhileHeld, Reclamation, "a version was reclaimed while a reader that began before it was replaced was still inside", ByModel | ByTorture, []Rule{ReadReclaimed}},
	{ListRemove, ListSemantics, "a list Remove's result that no linearization explains", ByModel, nil},
	{ListReplace, ListSemantics, "a list Replace's result that no linearization explains", ByModel, nil},
	{ListReadReclaimed, ListSemantics, "a list reader saw a reclaimed element", ByModel, nil},
	{ListLookup, ListSemantics, "a list lookup's result that no linearization explains", ByModel, nil},
	{ListTraverseDuplicate, ListSemantics, "a traversal saw an element, or two versions of one replaced element, twice", ByModel, nil},
	{ListTraversePhantom, ListSemantics, "a traversal saw an element that was not in the list while it ran", ByModel, nil},
	{ListTraverseMissed, ListSemantics, "a traversal missed an element that stayed in the list while it ran", ByModel, nil},
	{ListReclaimWhileHeld, ListSemantics, "an element was reclaimed while a traversal that could see it was running", ByModel, []Rule{ListReadReclaimed}},
	{ListReclaimUnremoved, ListSemantics, "an element was reclaimed that had not been removed from the list", ByModel, nil},
	{ListReclaimTwice, ListSemantics, "an element was reclaimed twice", ByModel, nil},
	{PollIncomplete, Polling, "a cookie did not poll complete after a whole Synchronize that began after it was taken", ByTorture | ByKit, nil},
	{ReaderWaited, Liveness, "a read section waited for a grace period", ByKit, nil},
	{Progress, Liveness, "a wait, a grace period or a callback did not end, though nothing it waits for was left; or concurrent waits did not share grace periods; or callbacks piled up without bound", ByTorture | ByKit, nil},
	{OpsContract, OpsTable, "the ops table broke a promise of its own: a grace-period counter that goes back or misses a grace period, a Publish that does not run init and store once each", ByKit, []Rule{SyncEarly, CallbackEarly, PollEarly}},
	{Malformed, Wellformedness, "an operation that no well-formed history contains here", ByModel, nil},
}

var byRule = func() map[Rule]int {
	m := make(map[Rule]int, len(guarantees))
	for i, g := range guarantees {
		m[g.Rule] = i
	}
	return m
}()

// Guarantees returns the table, one row per rule, in the order in which
// the model checks the rules one operation can break.
func Guarantees() []Guarantee {
	gs := make([]Guarantee, len(guarantees))
	copy(gs, guarantees)
	return gs
}

// Rules returns every rule, in the table's order.
func Rules() []Rule {
	rs := make([]Rule, len(guarantees))
	for i, g := range guarantees {
		rs[i] = g.Rule
	}
	return rs
}

// Guarantee returns r's row of the table, and whether r is in it.
func (r Rule) Guarantee() (Guarantee, bool) {
	i, ok := byRule[r]
	if !ok {
		return Guarantee{}, false
	}
	return guarantees[i], true
}

// Doc returns a sentence that says what breaking r means, with its
// property's tag: "Synchronize returned while ... (P2)".
func (r Rule) Doc() string {
	g, ok := r.Guarantee()
	if !ok {
		return "unknown rule"
	}
	if t := g.Property.Tag(); len(t) == 2 && t[0] == 'P' {
		return g.Doc + " (" + t + ")"
	}
	return g.Doc
}

// Property returns the property r belongs to, or 0 for an unknown rule.
func (r Rule) Property() Property {
	g, _ := r.Guarantee()
	return g.Property
}

// Precedence is r's place in the table: of two rules one operation breaks,
// the model reports the one with the smaller precedence. An unknown rule
// comes last.
func (r Rule) Precedence() int {
	if i, ok := byRule[r]; ok {
		return i
	}
	return len(guarantees)
}

// Explains reports whether a report of rule got is explained by an
// implementation that breaks the rules in bug: got is one of them, or one
// of their consequences.
func Explains(bug []Rule, got Rule) bool {
	for _, b := range bug {
		if b == got {
			return true
		}
		g, _ := b.Guarantee()
		for _, c := range g.Consequences {
			if c == got {
				return true
			}
		}
	}
	return false
}
