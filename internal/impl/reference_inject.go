//go:build rcuinject

package impl

import (
	"github.com/rcukit/rcukit/rcu"
	"github.com/rcukit/rcukit/rcuops"
)

// This build has the reference's injection points and faults.

const (
	// InjectTags is the build tag that gives the reference its injection
	// points: "rcuinject" in this build.
	InjectTags = "rcuinject"
	// ReferenceDoc describes the reference flavor in this build.
	ReferenceDoc = "the reference rcu.Domain, with its injection points"
)

// ReferencePoints are the reference's injection points, by the rcuops
// names its own points carry (TestReferencePointsAreNamed holds the two
// lists together).
var ReferencePoints = []rcuops.Point{rcuops.PointReadSampled, rcuops.PointGPStart, rcuops.PointGPFlipped, rcuops.PointGPEnd, rcuops.PointInvoke}

// RegisteredPoints are the injection points of the flavors with
// registered readers (rcu/qsbr, rcu/registered).
var RegisteredPoints = []rcuops.Point{rcuops.PointReadSampled, rcuops.PointGPStart, rcuops.PointGPEnd, rcuops.PointInvoke}

func injectOptions(env rcuops.Env) []rcu.Option {
	if env.Inject == nil {
		return nil
	}
	inject := env.Inject
	return []rcu.Option{rcu.WithInjector(func(p rcu.Point) { inject(rcuops.Point(p.String())) })}
}
