//go:build rcuinject

package broken

import (
	"slices"

	"github.com/rcukit/rcukit/internal/engine"
	"github.com/rcukit/rcukit/internal/impl"
	"github.com/rcukit/rcukit/rcu"
	"github.com/rcukit/rcukit/rcuops"
)

// injectBugs are injectOnly, built on the reference's faults.
var injectBugs = func() []Bug {
	bs := slices.Clone(injectOnly)
	for i := range bs {
		switch bs[i].Name {
		case "busted-flip-ref":
			bs[i].New = func(env rcuops.Env) *rcuops.Ops {
				ops, _ := impl.Reference(env, rcu.WithFaults(rcu.FaultSkipStragglers))
				return ops
			}
		case "busted-reg-oneflip":
			bs[i].New = onRegistered(engine.FaultOneFlip)
		default:
			panic("broken: no New for " + bs[i].Name)
		}
	}
	return bs
}()

// elsewhere: this build has every Bug.
var elsewhere []Bug
