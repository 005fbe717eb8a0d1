package registered_test

import (
	"fmt"
	"sync"

	"github.com/rcukit/rcukit/rcu"
	"github.com/rcukit/rcukit/rcu/registered"
)

type conn struct {
	id     int
	closed bool
}

// Reclaim closes the connection: a retired conn is closed only after every
// reader that could see it has left its section.
func (c *conn) Reclaim() { c.closed = true }

// Long-lived reader goroutines register once; each section is one store to
// begin and one to end, on the reader's own cache line. The writer replaces
// the connection and Replace closes the old one after a grace period.
func Example() {
	d := registered.New()
	defer d.Close()
	var cur rcu.Pointer[conn]
	first := &conn{id: 1}
	cur.Store(first)

	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			r := d.Register()
			defer r.Unregister()
			for range 1000 {
				r.ReadLock()
				if c := cur.Load(); c.closed {
					panic("a reader saw a closed connection")
				}
				r.ReadUnlock()
			}
		})
	}
	rcu.Replace(d, &cur, &conn{id: 2})
	wg.Wait()
	d.Barrier() // the retired connection's Reclaim has run
	fmt.Println("conn", first.id, "closed:", first.closed, "- now using conn", cur.Load().id)
	// Output:
	// conn 1 closed: true - now using conn 2
}
