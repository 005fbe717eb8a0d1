//go:build !rcuinject

package broken

// Without -tags rcuinject the reference has no faults to build Bugs on:
// those Bugs are elsewhere.
var (
	injectBugs []Bug
	elsewhere  = injectOnly
)
