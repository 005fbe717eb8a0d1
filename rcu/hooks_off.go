//go:build !rcuinject

package rcu

type hookOptions struct{}

func (*hookOptions) fault(fault) bool { return false }
func (*hookOptions) hooked() bool     { return false }

func (d *Domain) inject(point) {}
