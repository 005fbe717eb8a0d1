//go:build rcuinject

package flavors

import (
	"github.com/rcukit/rcukit/rcu"
	"github.com/rcukit/rcukit/rcuops"
)

// This build has the reference's injection points and faults.

const (
	injectTags   = "rcuinject"
	refInjectDoc = ", with its injection points"
)

// The reference's points, by the rcuops names its own points carry
// (TestReferencePointsAreNamed holds the two lists together).
var injectionPoints = []rcuops.Point{rcuops.PointReadSampled, rcuops.PointGPStart, rcuops.PointGPFlipped, rcuops.PointGPEnd, rcuops.PointInvoke}

func injectOptions(env rcuops.Env) []rcu.Option {
	if env.Inject == nil {
		return nil
	}
	inject := env.Inject
	return []rcu.Option{rcu.WithInjector(func(p rcu.Point) { inject(rcuops.Point(p.String())) })}
}

var injectFlavors = []rcuops.Flavor{{
	Name: "busted-flip-ref", Broken: true, Tags: injectTags,
	Doc: "the reference with FaultSkipStragglers: misses a reader that sampled the index just before a flip",
	New: func(env rcuops.Env) *rcuops.Ops {
		ops, _ := refOps(env, rcu.WithFaults(rcu.FaultSkipStragglers))
		return ops
	},
}}
