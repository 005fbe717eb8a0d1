//go:build !rcuinject

package impl

import (
	"github.com/rcukit/rcukit/rcu"
	"github.com/rcukit/rcukit/rcuops"
)

// This build has no injection points in the reference: they cost nothing.

const (
	// InjectTags is the build tag that gives the reference its injection
	// points: none in this build.
	InjectTags = ""
	// ReferenceDoc describes the reference flavor in this build.
	ReferenceDoc = "the reference rcu.Domain (build with -tags rcuinject for its injection points)"
)

// ReferencePoints are the reference's injection points: none in this
// build.
var ReferencePoints []rcuops.Point

// RegisteredPoints are the injection points of the flavors with
// registered readers: none in this build.
var RegisteredPoints []rcuops.Point

func injectOptions(rcuops.Env) []rcu.Option { return nil }
