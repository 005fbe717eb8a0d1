package torture

import (
	"fmt"

	"github.com/rcukit/rcukit/rcuops"
)

// validateOps panics with a "torture: " message when ops is unusable.
func validateOps(flavor string, ops *rcuops.Ops) {
	if err := ops.Validate(); err != nil {
		panic(fmt.Sprintf("torture: flavor %q: %v", flavor, err))
	}
}
