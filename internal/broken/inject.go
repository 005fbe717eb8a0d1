package broken

import "slices"

// injectOnly are the Bugs that need the reference's faults, which exist
// only with -tags rcuinject, or a window that only its injection points
// open reliably: inject_on.go gives them their New. Without
// the tag they are what Elsewhere returns.
var injectOnly = []Bug{{
	Name: "busted-flip-ref", Tags: "rcuinject", For: Torture | Fuzz | Kit,
	Doc:    "the reference with FaultSkipStragglers: misses a reader that sampled the index just before a flip",
	Breaks: early,
}, {
	Name: "busted-reg-oneflip", Tags: "rcuinject", For: Torture | Kit,
	Doc:    "registered: a grace period compares only the parity of readers' generations (one flip): misses a reader that loaded the generation just before the previous grace period",
	Breaks: early,
}}

// Elsewhere returns the Bugs of the other build that this one lacks (those
// that need -tags rcuinject, in a build without it), with no New: names
// and docs, so that a tool can say which build has them.
func Elsewhere() []Bug { return slices.Clone(elsewhere) }
