//go:build rcuinject

package impl

import (
	"slices"
	"testing"

	"github.com/rcukit/rcukit/rcu"
	"github.com/rcukit/rcukit/rcuops"
)

// TestReferencePointsAreNamed: the reference's injection points carry the
// names of rcuops's Point constants, which the tools hold readers at.
func TestReferencePointsAreNamed(t *testing.T) {
	for _, p := range []rcu.Point{rcu.PointReadSampled, rcu.PointGPStart, rcu.PointGPFlipped, rcu.PointGPEnd, rcu.PointInvoke} {
		if !slices.Contains(ReferencePoints, rcuops.Point(p.String())) {
			t.Errorf("the reference's point %v is not among the flavor's points %v", p, ReferencePoints)
		}
	}
	if len(ReferencePoints) != 5 {
		t.Errorf("the flavor declares %d points, the reference has 5", len(ReferencePoints))
	}
}
