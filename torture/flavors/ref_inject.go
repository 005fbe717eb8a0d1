//go:build rcuinject

package flavors

import (
	"github.com/rcukit/rcukit/rcu"
	"github.com/rcukit/rcukit/torture"
)

// This build has the reference's injection points and faults.

const (
	injectTags   = "rcuinject"
	refInjectDoc = ", with its injection points"
)

var injectionPoints = func() []string {
	var names []string
	for _, p := range []rcu.Point{rcu.PointReadSampled, rcu.PointGPStart, rcu.PointGPFlipped, rcu.PointGPEnd, rcu.PointInvoke} {
		names = append(names, p.String())
	}
	return names
}()

func injectOptions(env torture.Env) []rcu.Option {
	if env.Inject == nil {
		return nil
	}
	inject := env.Inject
	return []rcu.Option{rcu.WithInjector(func(p rcu.Point) { inject(p.String()) })}
}

var injectFlavors = []torture.Flavor{{
	Name: "busted-flip-ref", Broken: true, Tags: injectTags,
	Doc: "the reference with FaultSkipStragglers: misses a reader that sampled the index just before a flip",
	New: func(env torture.Env) *torture.Ops {
		ops, _ := refOps(env, rcu.WithFaults(rcu.FaultSkipStragglers))
		return ops
	},
}}
