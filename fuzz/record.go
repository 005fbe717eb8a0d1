package fuzz

// Recording a run.
//
// What the history contains (see model): the first Load of each version
// inside a section is one reader, from a ReadBegin around the load
// (damaged if the version was not yet initialized) to a ReadEnd around the
// checks and the outermost Unlock (damaged if the version was reclaimed by
// then). Timing the ReadBegin around the load rather than from the
// outermost Lock is sound, since the section, which the RCU protects, began
// earlier; it asks more of the implementation, and it keeps the readers of
// a long section from overlapping everything, which porcupine pays for
// exponentially. Versions are published through Ops.Publish; the
// version a publication replaces is retired, and each retired version is
// claimed by the first reclaimer that starts after its retirement: a
// SyncReclaim (before it calls Synchronize), a CallReclaim (before it calls
// Call) or a Snapshot (whose cookie's PollReclaim reclaims once Poll
// reports completion). A reclaim poisons the version and records Reclaim.

import (
	"sync"
	"sync/atomic"

	"github.com/rcukit/rcukit/linearize"
	"github.com/rcukit/rcukit/model"
)

// An object is one published version.
type object struct {
	version uint64        // set before publication
	state   atomic.Uint32 // objAlloc, objLive, objPoisoned
	// payload is plain, so that under -race a reader and a premature
	// reclaim are a data race too. Only for flavors not marked Broken,
	// whose deliberate bugs must end in a verdict, not a race report.
	payload uint64
}

const (
	objAlloc = iota
	objLive
	objPoisoned
)

const poison = 0x6b6b6b6b6b6b6b6b

func payloadOf(v uint64) uint64 { return v*0x9e3779b97f4a7c15 ^ 0x5bd1e995 }

func (r *run) initObject(o *object) {
	if r.plain {
		o.payload = payloadOf(o.version)
	}
	o.state.Store(objLive)
}

// history is the run's one linearize.Client, shared by the actors and the
// callbacks: a Client may serve goroutines that take turns, and its
// buffer is the largest allocation of a run. Start reads only the
// recorder's clock; Finish appends under the lock.
type history struct {
	mu sync.Mutex
	c  *linearize.Client
}

func (h *history) start() int64 { return h.c.Start() }

func (h *history) finish(call int64, op model.Op) {
	h.mu.Lock()
	h.c.Finish(call, op)
	h.mu.Unlock()
}
