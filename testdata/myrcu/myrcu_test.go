package myrcu_test

import (
	"testing"

	"example.com/myrcu"
	"github.com/rcukit/rcukit/rcutest"
)

func TestConformance(t *testing.T) { rcutest.Test(t, myrcu.Flavor) }

// TestNoStragglerWait must fail: the kit catches the counter-flip bug.
func TestNoStragglerWait(t *testing.T) {
	rcutest.Test(t, myrcu.NoStragglerWait, rcutest.StopOnFailure())
}

// TestNoStragglerWaitCorpus must fail: the fuzzer's committed corpus,
// replayed by the kit, catches the same bug.
func TestNoStragglerWaitCorpus(t *testing.T) {
	rcutest.Test(t, myrcu.NoStragglerWait, rcutest.Parts(rcutest.Corpus), rcutest.StopOnFailure())
}
