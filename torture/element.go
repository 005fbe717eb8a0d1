package torture

// Elements: the data whose life the checks are built into.
//
// The writer publishes one element at a time as the current one. Each
// element carries an age (rcutorture's pipe count): 0 while it is current,
// 1 once a newer element replaced it, plus one for every grace period that
// completed after that removal. At PipeLen it is poisoned ("freed") and
// goes back to the pool for reuse. A reader that loaded an element and
// still sees it at age >= 2 at the end of its section lived through a whole
// grace period that began after the element's removal, hence after the
// reader began: the grace period did not wait for it.
//
// The fields readers check are atomics, so that a broken flavor produces a
// FAILURE verdict rather than a race report; payload is plain on purpose:
// written only at initialization and poisoning, read by readers, so that
// under -race a premature reuse is also seen as a data race.

import (
	"sync"
	"sync/atomic"
)

// PipeLen is the age at which an element is freed, and the number of
// buckets of the Reader Pipe histogram beyond age 0.
const PipeLen = 10

// poolSize is the number of elements in circulation.
const poolSize = 128

// Element states.
const (
	stateFree  = iota // poisoned: in the pool, or freed
	stateAlloc        // taken from the pool, not yet initialized
	stateLive         // initialized
)

type element struct {
	state   atomic.Uint32
	age     atomic.Uint32
	version atomic.Uint64
	payload uint64 // plain: payloadOf(version) while live, poison otherwise

	// Written by the writer only.
	id int
}

const poison = 0x6b6b6b6b6b6b6b6b

// payloadOf derives the payload of an element from its version.
func payloadOf(v uint64) uint64 { return v*0x9e3779b97f4a7c15 ^ 0x5bd1e995 }

// pool is the free list of elements. The writer takes from it; the writer
// and callbacks put back.
type pool struct {
	mu   sync.Mutex
	free []*element
}

func (p *pool) get() *element {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := len(p.free)
	if n == 0 {
		return nil
	}
	e := p.free[n-1]
	p.free = p.free[:n-1]
	return e
}

func (p *pool) put(e *element) {
	p.mu.Lock()
	p.free = append(p.free, e)
	p.mu.Unlock()
}

func (p *pool) len() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.free)
}
