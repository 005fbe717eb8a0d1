//go:build !rcuinject

package flavors

import (
	"github.com/rcukit/rcukit/rcu"
	"github.com/rcukit/rcukit/torture"
)

// This build has no injection points in the reference: they cost nothing.

const (
	injectTags   = ""
	refInjectDoc = " (build with -tags rcuinject for its injection points)"
)

var injectionPoints []string

func injectOptions(torture.Env) []rcu.Option { return nil }

var injectFlavors []torture.Flavor
