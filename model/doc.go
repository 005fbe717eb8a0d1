// Package model is the sequential specification of read-copy-update that
// recorded histories are checked against: a set of operations, a State,
// and the rules that make an operation legal in a state. It knows nothing
// of any RCU implementation (it imports only the standard library), so it
// can judge any of them.
//
// # Operations
//
// Long-lived actions are split into a begin and an end so that a
// sequential model can tell who was inside whom: a read section is
// ReadBegin ... ReadEnd, a Synchronize is SyncBegin ... SyncEnd, a Barrier
// is BarrierBegin ... BarrierEnd. A reader reports what it observed: the
// version ReadBegin loaded and whether the object was damaged (not yet
// initialized at ReadBegin, reclaimed at ReadEnd). Callbacks are Call and
// Invoke; polled grace periods are Snapshot and Poll (a WaitFor that
// returned is a Poll that reported true). Reclaim records that a version
// was reclaimed: poisoned, reused, closed. The list is a set of unique keys
// with Insert, Remove, Replace, Lookup, a traversal TraverseBegin ...
// TraverseEnd reporting the keys seen, and ElemReclaim.
//
// # Rules
//
// An operation is legal in a state when it breaks none of these (each Rule
// constant names one; the P numbers are the properties every RCU owes):
//
//   - P1 publication: a reader sees its version fully initialized
//     (ReadHalfInitialized), and it sees the current version: not one
//     that was never published (ReadUnpublished) nor one already replaced
//     (ReadStale).
//   - P2 grace period: SyncEnd only when every reader that began before
//     SyncBegin has ended (SyncEarly).
//   - P3 reclamation: no reader sees a reclaimed version, whether the
//     reclaim came while it was inside or before the version was even
//     published (ReadReclaimed); a version is reclaimed only when it is
//     not current (ReclaimCurrent) and, once it has been replaced, only
//     when every reader that began before the replacement has ended,
//     whichever version that reader saw: it could have loaded the
//     pointer again (ReclaimWhileHeld). A version may be reclaimed before
//     it is published (an object freed unpublished); publishing it later
//     is harmless until someone reads it. A second Reclaim of a version is
//     judged by the same rules as the first and is not a violation in
//     itself: if the first came after the replacement, any reader the
//     second could hurt began before the replacement and was inside at the
//     first too, so the first is already illegal; if the first came before
//     the publication, it was legal, and the second is judged on its own.
//     (A history may record one version's reclaim twice, poisoned and then
//     reused; the list's elements are freed by the list itself, so for
//     them a second reclaim is a double free, ListReclaimTwice.)
//   - P4 callbacks: Invoke only after every reader that began before the
//     Call has ended (CallbackEarly), once (CallbackTwice), and only for a
//     queued callback (CallbackUncalled).
//   - P5 barrier: BarrierEnd only when every callback queued before
//     BarrierBegin has run (BarrierEarly).
//   - P6 polling: Poll reports true only when every reader that began
//     before the Snapshot has ended (PollEarly).
//   - The list: Remove, Replace and Lookup results match the set
//     (ListRemove, ListReplace, ListLookup); a traversal sees every element
//     that stays in the list while it runs, or one of its replacements
//     (ListTraverseMissed), nothing that was not in the list meanwhile
//     (ListTraversePhantom), nothing twice (ListTraverseDuplicate), and
//     nothing reclaimed (ListReadReclaimed); an element is reclaimed once
//     (ListReclaimTwice), after its removal (ListReclaimUnremoved), once
//     every traversal running at its removal has ended, whatever that
//     traversal saw (ListReclaimWhileHeld). Replace puts the new element
//     in the old one's place, so a traversal sees at most one version of
//     an element: seeing the old and the new element of a Replace that
//     ran while it did is a duplicate, whether the old element was there
//     when the traversal began or was inserted while it ran; a Replace
//     that may have run before the traversal began lets it see the new
//     element only.
//
// A traversal is not atomic: elements inserted or removed while it runs may
// or may not be seen. That is why it has a begin and an end: the model
// records at TraverseBegin what must be seen and widens or narrows it as
// the list changes.
//
// # The table of guarantees
//
// Every rule is a row of one table, Guarantees: its property (P1-P7, the
// list's semantics, the ops table's own promises), what breaking it means,
// which tools can see it broken (the model, the stress engine, the
// conformance kit), and the rules an implementation that breaks it may
// show first (Explains). Rules that no history can judge, because they
// are about time or about what did not happen (Progress, ReaderWaited,
// PollIncomplete, OpsContract), are rows too, for the tools that check
// them. The rule list, the direct oracle's precedence, the stress engine's
// failure kinds and the kit's checks derive from the table, or are held to
// it by tests.
//
// # State
//
// A State is an immutable value: Step and Apply return a new State. Who
// waits for whom is kept in a canonical order (see waits.go), so two orders
// of the same concurrent operations that lead to the same situation lead
// to Equal states with equal Hash values. That makes the memoization of a
// linearizability checker such as porcupine effective, and Step cheap: it
// copies only the parts an operation changes.
//
// Step never panics, whatever its input. The model assumes well-formed
// histories (each version published once, each key inserted once, each
// reader, sync, barrier, cookie and traversal id used once, every end
// after its begin); the linearize package validates that before checking.
package model
