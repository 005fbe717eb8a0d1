//go:build rcuinject

package qsbr

import "github.com/rcukit/rcukit/internal/engine"

// inject runs the injector of rcu.WithInjector at p.
func (d *Domain) inject(p engine.Point) { d.w.Config().Inject(p) }
