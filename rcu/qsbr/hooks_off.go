//go:build !rcuinject

package qsbr

import "github.com/rcukit/rcukit/internal/engine"

// inject is empty without -tags rcuinject: the read path has no hook.
func (d *Domain) inject(engine.Point) {}
