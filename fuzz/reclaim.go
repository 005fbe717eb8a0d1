package fuzz

// Reclaiming: each retired version is claimed by the first reclaimer that
// starts after its retirement, and reclaimed (poisoned) when that
// reclaimer's grace period ends, its callback runs, or its polled cookie
// completes.

import (
	"github.com/rcukit/rcukit/model"
	"github.com/rcukit/rcukit/rcuops"
)

type cookie struct {
	id    uint64
	value uint64
	claim []*object // reclaimed once Poll reports completion
}

// claim takes the retired versions no reclaimer has claimed yet.
func (r *run) claim() []*object {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.retired
	r.retired = nil
	return c
}

// reclaim poisons each version of claim, recording it.
func (r *run) reclaim(claim []*object) {
	for _, o := range claim {
		t := r.log.start()
		if r.plain {
			o.payload = poison
		}
		o.state.Store(objPoisoned)
		r.log.finish(t, model.Op{Kind: model.Reclaim, Version: o.version})
	}
}

// callback is the function a CallReclaim queues.
func (r *run) callback(id uint64, claim []*object) {
	r.inject(rcuops.PointCallback)
	t := r.log.start()
	r.log.finish(t, model.Op{Kind: model.Invoke, ID: id})
	r.reclaim(claim)
	r.invoked.Add(1)
}
