package rcu_test

import (
	"fmt"
	"strings"
	"sync"

	"github.com/rcukit/rcukit/rcu"
)

// A configuration that owns a resource: the old one may be closed only
// when no reader can still be using it.
type Config struct {
	Limit int
	Log   *strings.Builder // stands in for a file, socket or mapping
}

// Config reload: readers never wait, and the writer closes the old
// configuration's resource only after every reader that could see it is done.
func ExamplePointer() {
	d := rcu.New()
	defer d.Close()

	var cfg rcu.Pointer[Config]
	cfg.Store(&Config{Limit: 10, Log: new(strings.Builder)})

	handle := func(req string) {
		d.Read(func() {
			c := cfg.Load() // valid until the section ends
			fmt.Fprintf(c.Log, "%s ", req)
			fmt.Println(req, "limit", c.Limit)
		})
	}

	handle("GET /a")
	old := cfg.Swap(&Config{Limit: 20, Log: new(strings.Builder)})
	d.Synchronize() // every reader that could see old has finished
	fmt.Printf("closing old log %q\n", old.Log.String())
	old.Log = nil
	handle("GET /b")
	// Output:
	// GET /a limit 10
	// closing old log "GET /a "
	// GET /b limit 20
}

type Route struct {
	Prefix string // address prefix; "" matches everything
	Via    string
}

// A routing table on List: lookups run inside read sections while the
// writer replaces and withdraws routes; withdrawn routes are released only
// once no lookup can still hold them.
func ExampleList() {
	d := rcu.New()
	defer d.Close()
	var released []string // appended by the Domain's callback goroutine
	routes := rcu.NewList(d, func(r *Route) { released = append(released, fmt.Sprintf("%q via %s", r.Prefix, r.Via)) })

	routes.PushBack(&Route{"10.", "eth0"})
	dflt := routes.PushBack(&Route{"", "eth1"})
	lan := routes.PushFront(&Route{"192.168.", "eth2"}) // most specific first

	lookup := func(addr string) string {
		via := "unreachable"
		d.Read(func() {
			for e := range routes.All() {
				if strings.HasPrefix(addr, e.Value.Prefix) {
					via = e.Value.Via
					return
				}
			}
		})
		return via
	}

	fmt.Println("192.168.1.1 via", lookup("192.168.1.1"))
	routes.Replace(dflt, &Route{"", "eth3"})
	routes.Remove(lan)
	fmt.Println("192.168.1.1 via", lookup("192.168.1.1"))
	d.Barrier() // wait for the releases; their appends synchronize before it returns
	for _, r := range released {
		fmt.Println("released", r)
	}
	// Output:
	// 192.168.1.1 via eth2
	// 192.168.1.1 via eth3
	// released "" via eth1
	// released "192.168." via eth2
}

// Pooled buffer reuse through Call: the buffer behind a published snapshot
// goes back to the pool only after a grace period, so no reader ever sees
// it overwritten by its next user.
func ExampleDomain_Call() {
	d := rcu.New()
	defer d.Close()
	pool := sync.Pool{New: func() any { return new([]byte) }}
	var returned int

	var snap rcu.Pointer[[]byte]
	publish := func(s string) {
		buf := pool.Get().(*[]byte)
		*buf = append((*buf)[:0], s...)
		if old := snap.Swap(buf); old != nil {
			d.Call(func() { // runs after every reader of old is done
				returned++
				pool.Put(old)
			})
		}
	}

	for _, s := range []string{"v1", "v2", "v3"} {
		publish(s)
		d.Read(func() { fmt.Println("read", string(*snap.Load())) })
	}
	d.Barrier()
	fmt.Println("buffers returned to the pool:", returned)
	// Output:
	// read v1
	// read v2
	// read v3
	// buffers returned to the pool: 2
}
