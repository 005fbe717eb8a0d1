package peers_test

import (
	"sync"
	"sync/atomic"
	"testing"

	"github.com/puzpuzpuz/xsync/v4"
	"github.com/rcukit/rcukit/rcu"
	"github.com/rcukit/rcukit/rcu/qsbr"
	"github.com/rcukit/rcukit/rcu/registered"
)

type payload struct{ a, b int }

var sink *payload

// BenchmarkPeerRead: one read section that loads a shared pointer, from
// b.RunParallel, for rcukit's flavors (each goroutine of a registered
// flavor registers a Reader of its own) and for the reader-biased and
// plain reader-writer locks of other libraries. impl=atomic
// (atomic.Pointer.Load alone) is the floor.
func BenchmarkPeerRead(b *testing.B) {
	var ap atomic.Pointer[payload]
	ap.Store(&payload{1, 2})
	b.Run("impl=registered", func(b *testing.B) {
		d := registered.New()
		defer d.Close()
		var p rcu.Pointer[payload]
		p.Store(&payload{1, 2})
		b.RunParallel(func(pb *testing.PB) {
			r := d.Register()
			defer r.Unregister()
			var s *payload
			for pb.Next() {
				r.ReadLock()
				s = p.Load()
				r.ReadUnlock()
			}
			sink = s
		})
	})
	b.Run("impl=qsbr", func(b *testing.B) { // with the quiescent state of a real QSBR loop
		d := qsbr.New()
		defer d.Close()
		var p rcu.Pointer[payload]
		p.Store(&payload{1, 2})
		b.RunParallel(func(pb *testing.PB) {
			r := d.Register()
			defer r.Unregister()
			var s *payload
			for pb.Next() {
				r.ReadLock()
				s = p.Load()
				r.ReadUnlock()
				r.Quiescent()
			}
			sink = s
		})
	})
	b.Run("impl=rcu", func(b *testing.B) {
		d := rcu.New()
		defer d.Close()
		var p rcu.Pointer[payload]
		p.Store(&payload{1, 2})
		b.RunParallel(func(pb *testing.PB) {
			var s *payload
			for pb.Next() {
				t := d.ReadLock()
				s = p.Load()
				d.ReadUnlock(t)
			}
			sink = s
		})
	})
	b.Run("impl=xsync-rbmutex", func(b *testing.B) {
		mu := xsync.NewRBMutex()
		b.RunParallel(func(pb *testing.PB) {
			var s *payload
			for pb.Next() {
				t := mu.RLock()
				s = ap.Load()
				mu.RUnlock(t)
			}
			sink = s
		})
	})
	b.Run("impl=rwmutex", func(b *testing.B) {
		var mu sync.RWMutex
		b.RunParallel(func(pb *testing.PB) {
			var s *payload
			for pb.Next() {
				mu.RLock()
				s = ap.Load()
				mu.RUnlock()
			}
			sink = s
		})
	})
	b.Run("impl=atomic", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			var s *payload
			for pb.Next() {
				s = ap.Load()
			}
			sink = s
		})
	})
}
