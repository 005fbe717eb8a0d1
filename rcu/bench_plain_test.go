//go:build !rcuinject

package rcu_test

func oversubscribedImpls() []oversubscribedImpl {
	return []oversubscribedImpl{domainImpl("rcu"), rwmutexImpl}
}
