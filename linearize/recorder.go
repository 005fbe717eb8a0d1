package linearize

import (
	"slices"
	"sync"
	"sync/atomic"

	"github.com/rcukit/rcukit/model"
)

// A Recorder records a history from many goroutines at once. Each
// goroutine takes its own Client; timestamps come from one atomic logical
// clock shared by all clients, never from the wall clock, so that the order
// of timestamps is the order in which the clock was read: if an operation
// finishes before another starts (in the happens-before sense), its return
// time is smaller than the other's call time.
//
// Recording an operation costs an atomic load, an atomic addition and an
// append to a per-client buffer.
type Recorder struct {
	clock atomic.Int64
	_     [120]byte // keep the clock's cache line to itself

	mu      sync.Mutex
	clients []*Client // guarded by mu
}

// NewRecorder returns an empty Recorder.
func NewRecorder() *Recorder { return &Recorder{} }

// A Client records the operations of one goroutine (or of several that
// take turns and synchronize with each other). Its methods must not be
// called concurrently.
type Client struct {
	rec *Recorder
	id  int

	// Written by the client's goroutine; read by History and Drain,
	// which their callers synchronize with the client's goroutine.
	full [][]record
	cur  []record
	keys []uint64 // the Keys of every recorded op, back to back
	_    [64]byte // clients of different goroutines must not share cache lines
}

// A record is an Event without pointers, so that the buffers cost the
// garbage collector nothing to scan; the Keys of its op are in
// Client.keys.
type record struct {
	call, ret              int64
	id, version, key, key2 uint64
	keysAt, keysLen        uint32
	kind                   model.Kind
	ok, damaged            bool
}

const chunk = 1024 // records per buffer chunk; chunks are never copied

// Client returns a new Client of r. Clients are numbered from 0 in the
// order Client is called.
func (r *Recorder) Client() *Client {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := &Client{rec: r, id: len(r.clients)}
	r.clients = append(r.clients, c)
	return c
}

// ID returns the client's number.
func (c *Client) ID() int { return c.id }

// Timestamps. Finish advances the clock and takes twice its new value as
// the return time; Start only reads the clock and takes twice its value
// plus one as the call time, which costs less than an addition when many
// clients share the clock. If an operation's Finish happens before
// another's Start, the second reads a clock at least as large as the one
// the first advanced to, so its call time is larger than the first's
// return time: real-time order is kept, strictly. An operation's own call
// time is below its return time because its Finish advances the clock
// past the value its Start read. Operations that overlap may share call
// times, which a checker reads as "concurrent", as they were.

// Start returns the call time of an operation the client is about to do.
// Call it before the operation's first action.
func (c *Client) Start() int64 { return 2*c.rec.clock.Load() + 1 }

// Finish records op, which the client called at time call (from Start) and
// which has now returned. Call it after the operation's last action. The
// recorder keeps op, including its Keys slice, which the caller must not
// modify afterwards.
func (c *Client) Finish(call int64, op model.Op) {
	ret := 2 * c.rec.clock.Add(1)
	if call <= 0 || call >= ret {
		panic("linearize: Finish with a call time that Start did not return")
	}
	if len(c.cur) == cap(c.cur) {
		c.grow()
	}
	r := record{call: call, ret: ret, id: op.ID, version: op.Version, key: op.Key, key2: op.Key2,
		kind: op.Kind, ok: op.OK, damaged: op.Damaged}
	if len(op.Keys) > 0 {
		r.keysAt, r.keysLen = uint32(len(c.keys)), uint32(len(op.Keys))
		c.keys = append(c.keys, op.Keys...)
	}
	c.cur = append(c.cur, r)
}

func (c *Client) grow() {
	if len(c.cur) > 0 {
		c.full = append(c.full, c.cur)
	}
	c.cur = make([]record, 0, chunk)
}

func (c *Client) event(r *record) Event {
	op := model.Op{Kind: r.kind, ID: r.id, Version: r.version, Key: r.key, Key2: r.key2, OK: r.ok, Damaged: r.damaged}
	if r.keysLen > 0 {
		op.Keys = c.keys[r.keysAt : r.keysAt+r.keysLen : r.keysAt+r.keysLen]
	}
	return Event{Client: c.id, Call: r.call, Return: r.ret, Op: op}
}

// History returns every event recorded and not yet drained, sorted by call
// time. Every client must be idle: each Finish must happen before History
// is called, and no Start or Finish may run while it does.
func (r *Recorder) History() History { return r.collect(false) }

// Drain is History that also forgets the events it returns, so that the
// next Drain or History returns only events recorded after this one. It
// lets a long run check its history in pieces (see Stream) without keeping
// all of it. Every client must be idle, as for History.
func (r *Recorder) Drain() History { return r.collect(true) }

func (r *Recorder) collect(forget bool) History {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, c := range r.clients {
		for _, f := range c.full {
			n += len(f)
		}
		n += len(c.cur)
	}
	h := make(History, 0, n)
	for _, c := range r.clients {
		for _, f := range c.full {
			for i := range f {
				h = append(h, c.event(&f[i]))
			}
		}
		for i := range c.cur {
			h = append(h, c.event(&c.cur[i]))
		}
		if forget {
			c.full, c.cur, c.keys = nil, nil, nil
		}
	}
	slices.SortFunc(h, compareEvents)
	return h
}
