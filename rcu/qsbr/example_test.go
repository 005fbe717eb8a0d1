package qsbr_test

import (
	"fmt"

	"github.com/rcukit/rcukit/rcu"
	"github.com/rcukit/rcukit/rcu/qsbr"
)

type table struct{ routes map[string]string }

// A worker goroutine that serves requests in a loop: between requests it
// holds nothing, so it announces a quiescent state there, and it goes
// offline while it waits for the next request. The writer replaces the
// table and learns when no worker can still read the old one.
func Example() {
	d := qsbr.New()
	defer d.Close()
	var cur rcu.Pointer[table]
	cur.Store(&table{routes: map[string]string{"/a": "backend-1"}})

	requests := make(chan string)
	answers := make(chan string)
	go func() {
		r := d.Register()
		defer r.Unregister()
		for {
			r.Offline() // about to block: hold no grace period meanwhile
			req, ok := <-requests
			r.Online()
			if !ok {
				return
			}
			r.ReadLock()
			via := cur.Load().routes[req] // valid until the quiescent state below
			r.ReadUnlock()
			answers <- req + " via " + via
			r.Quiescent() // nothing from the table is held any more
		}
	}()

	requests <- "/a"
	fmt.Println(<-answers)
	old := cur.Swap(&table{routes: map[string]string{"/a": "backend-2"}})
	d.Synchronize() // the worker has passed a quiescent state or gone offline
	fmt.Println("old table retired:", old.routes["/a"])
	requests <- "/a"
	fmt.Println(<-answers)
	close(requests)
	// Output:
	// /a via backend-1
	// old table retired: backend-1
	// /a via backend-2
}
