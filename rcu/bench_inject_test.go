//go:build rcuinject

package rcu_test

import "github.com/rcukit/rcukit/rcu"

// With the injection build the benchmarks also run the reference without
// its yield, as a before-and-after in one run.
func oversubscribedImpls() []oversubscribedImpl {
	return []oversubscribedImpl{domainImpl("rcu"), domainImpl("rcu-noyield", rcu.WithFaults(rcu.FaultNoYield)), rwmutexImpl}
}
