//go:build rcuinject

package broken

import (
	"github.com/rcukit/rcukit/internal/impl"
	"github.com/rcukit/rcukit/rcu"
	"github.com/rcukit/rcukit/rcuops"
)

// The Bugs that need the reference's faults, which exist only with -tags
// rcuinject.
var injectBugs = []Bug{{
	Name: "busted-flip-ref", Tags: "rcuinject", For: Torture | Fuzz | Kit,
	Doc:    "the reference with FaultSkipStragglers: misses a reader that sampled the index just before a flip",
	Breaks: early,
	New: func(env rcuops.Env) *rcuops.Ops {
		ops, _ := impl.Reference(env, rcu.WithFaults(rcu.FaultSkipStragglers))
		return ops
	},
}}
