package model

// A Rule is one guarantee of RCU, and the way a history breaks it. Its
// value is a stable name used in reports, test data file names and tools.
// Guarantees lists every rule with what it means and who checks it.
type Rule string

// The rules. P1-P6 refer to the properties in the package documentation.
const (
	// P1 publication, and reads that no linearization explains.
	ReadHalfInitialized Rule = "read-half-initialized" // a reader saw a published object before it was fully initialized
	ReadUnpublished     Rule = "read-unpublished"      // a reader saw a version that had not been published
	ReadStale           Rule = "read-stale"            // a reader saw a version that a later publication had already replaced

	// P3 reclamation.
	ReadReclaimed    Rule = "read-reclaimed"     // a reader saw a reclaimed (poisoned) version: reclaimed inside its section, or before its publication
	ReclaimWhileHeld Rule = "reclaim-while-held" // a version was reclaimed while a reader that began before its replacement was inside
	ReclaimCurrent   Rule = "reclaim-current"    // the current version was reclaimed

	// P2 grace periods.
	SyncEarly Rule = "sync-early" // Synchronize returned while a reader that began before it was inside

	// P4 callbacks.
	CallbackEarly    Rule = "callback-early"    // a callback ran while a reader that began before its Call was inside
	CallbackTwice    Rule = "callback-twice"    // a callback ran more than once
	CallbackUncalled Rule = "callback-uncalled" // a callback ran that had not been queued

	// P5 barriers.
	BarrierEarly Rule = "barrier-early" // Barrier returned before a callback queued before it had run

	// P6 polling.
	PollEarly Rule = "poll-early" // a cookie polled complete while a reader that began before its Snapshot was inside

	// The list.
	ListLookup            Rule = "list-lookup"             // a lookup's result that no linearization explains
	ListRemove            Rule = "list-remove"             // a Remove's result that no linearization explains
	ListReplace           Rule = "list-replace"            // a Replace's result that no linearization explains
	ListTraverseMissed    Rule = "list-traverse-missed"    // a traversal missed an element that stayed in the list throughout
	ListTraversePhantom   Rule = "list-traverse-phantom"   // a traversal saw an element that was not in the list while it ran
	ListTraverseDuplicate Rule = "list-traverse-duplicate" // a traversal saw an element, or two versions of one replaced element, twice
	ListReadReclaimed     Rule = "list-read-reclaimed"     // a list reader saw a reclaimed (poisoned) element
	ListReclaimWhileHeld  Rule = "list-reclaim-while-held" // an element was reclaimed while a traversal that could see it was running
	ListReclaimUnremoved  Rule = "list-reclaim-unremoved"  // an element was reclaimed that had not been removed
	ListReclaimTwice      Rule = "list-reclaim-twice"      // an element was reclaimed twice

	// Malformed is reported for an operation the model cannot apply in any
	// well-formed history: an unknown kind, a reader that begins twice, a
	// key inserted twice. Histories that pass linearize's validation never
	// need it except in orders that a correct checker rejects anyway.
	Malformed Rule = "malformed"

	// Guarantees that a sequential model of a history cannot judge, since
	// they are about time or about what did not happen; the stress engine
	// and the conformance kit check them.
	Progress       Rule = "progress"        // a wait, grace period or callback did not end though nothing held it, or waits did not share grace periods, or callbacks piled up without bound
	ReaderWaited   Rule = "reader-waited"   // a reader waited for a grace period
	PollIncomplete Rule = "poll-incomplete" // a cookie did not poll complete after a whole grace period that began after it was taken

	// OpsContract is a broken promise of an implementation's ops table
	// (rcuops.Ops) that no guarantee of RCU names: a grace-period counter
	// that goes back or misses a grace period, a Publish that does not run
	// its init and store once each.
	OpsContract Rule = "ops-contract"
)

// A Violation says why an operation cannot be applied to a state.
type Violation struct {
	Rule   Rule
	Op     Op     // the operation that cannot be applied
	Detail string // the parties, in words
	// Related names the other operations involved: the open readers a
	// Synchronize still waited for, the callbacks a Barrier skipped, the
	// publication that made a read stale. A Ref of kind ReadBegin stands
	// for the whole read section, a Ref of kind Insert for whichever
	// operation put the key into the list.
	Related []Ref
}

func (v *Violation) Error() string {
	if v.Detail == "" {
		return string(v.Rule) + ": " + v.Op.String()
	}
	return string(v.Rule) + ": " + v.Detail
}
