package impl

// callQueue gives the simple flavors Call and Barrier: Call appends to the
// open batch; one goroutine takes the whole batch, waits for a grace period
// that begins after it took it, and runs the batch. So every callback runs
// after a full grace period that began after its Call. Barrier waits until
// the callbacks queued before it have all run.
//
// Call waits while maxPending callbacks are pending, except while the
// queue's goroutine is running callbacks (a callback that calls Call must
// not wait for itself); the bound is therefore soft.

import "sync"

type callQueue struct {
	gp         func() // waits for a full grace period
	maxPending uint64

	mu       sync.Mutex
	work     sync.Cond // signalled when callbacks are queued or the queue closes
	progress sync.Cond // broadcast when callbacks have run
	open     []func()
	queued   uint64 // callbacks ever queued
	invoked  uint64 // callbacks ever run
	invoking bool   // the queue's goroutine is running callbacks
	closed   bool
	done     chan struct{}
}

func newCallQueue(gp func(), maxPending uint64) *callQueue {
	q := &callQueue{gp: gp, maxPending: maxPending, done: make(chan struct{})}
	q.work.L = &q.mu
	q.progress.L = &q.mu
	go q.loop()
	return q
}

func (q *callQueue) Call(f func()) {
	if f == nil {
		panic("flavors: Call with a nil function")
	}
	q.mu.Lock()
	for q.queued-q.invoked >= q.maxPending && !q.invoking {
		q.progress.Wait()
	}
	q.open = append(q.open, f)
	q.queued++
	q.work.Signal()
	q.mu.Unlock()
}

func (q *callQueue) Barrier() {
	q.mu.Lock()
	defer q.mu.Unlock()
	for target := q.queued; q.invoked < target; {
		q.progress.Wait()
	}
}

func (q *callQueue) Pending() uint64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.queued - q.invoked
}

// Close runs every pending callback, then stops the queue's goroutine.
func (q *callQueue) Close() {
	q.mu.Lock()
	q.closed = true
	q.work.Signal()
	q.mu.Unlock()
	<-q.done
}

func (q *callQueue) loop() {
	defer close(q.done)
	q.mu.Lock()
	defer q.mu.Unlock()
	for {
		for len(q.open) == 0 && !q.closed {
			q.work.Wait()
		}
		if len(q.open) == 0 {
			return // closed and drained
		}
		batch := q.open
		q.open = nil
		q.mu.Unlock()
		q.gp() // began after every Call in batch
		q.mu.Lock()
		q.invoking = true
		q.progress.Broadcast() // callers waiting on the bound may go on
		q.mu.Unlock()
		for i, f := range batch {
			f()
			batch[i] = nil
		}
		q.mu.Lock()
		q.invoking = false
		q.invoked += uint64(len(batch))
		q.progress.Broadcast()
	}
}
