//go:build !rcuinject

package broken

// Without -tags rcuinject the reference has no faults to build Bugs on.
var injectBugs []Bug
