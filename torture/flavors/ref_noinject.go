//go:build !rcuinject

package flavors

import (
	"github.com/rcukit/rcukit/rcu"
	"github.com/rcukit/rcukit/rcuops"
)

// This build has no injection points in the reference: they cost nothing.

const (
	injectTags   = ""
	refInjectDoc = " (build with -tags rcuinject for its injection points)"
)

var injectionPoints []rcuops.Point

func injectOptions(rcuops.Env) []rcu.Option { return nil }

var injectFlavors []rcuops.Flavor
