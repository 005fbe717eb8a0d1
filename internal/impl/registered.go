package impl

import (
	"sync/atomic"

	"github.com/rcukit/rcukit/rcu"
	"github.com/rcukit/rcukit/rcu/qsbr"
	"github.com/rcukit/rcukit/rcu/registered"
	"github.com/rcukit/rcukit/rcuops"
)

// envOptions are the options that wire a domain of any flavor to env: its
// stall reports go to env.Stall, counted in stalls, and, built with -tags
// rcuinject, its injection points to env.Inject.
func envOptions(env rcuops.Env, stalls *atomic.Uint64) []rcu.Option {
	var opts []rcu.Option
	if env.Stall != nil {
		opts = append(opts, rcu.WithStallTimeout(env.StallTimeout), rcu.WithStallHandler(func(r rcu.StallReport) {
			stalls.Add(1)
			env.Stall(r.String())
		}))
	}
	return append(opts, injectOptions(env)...)
}

// domain is the write side that every flavor's domain has.
type domain interface {
	Synchronize()
	SynchronizeExpedited()
	Call(func())
	Barrier()
	Snapshot() rcu.Cookie
	Poll(rcu.Cookie) bool
	Stats() rcu.Stats
	Close()
}

// writeOps fills in the write side of an ops table from d.
func writeOps(d domain) *rcuops.Ops {
	return &rcuops.Ops{
		Synchronize:          d.Synchronize,
		SynchronizeExpedited: d.SynchronizeExpedited,
		Call:                 d.Call,
		Barrier:              d.Barrier,
		Snapshot:             func() uint64 { return uint64(d.Snapshot()) },
		Poll:                 func(c uint64) bool { return d.Poll(rcu.Cookie(c)) },
		GPs:                  func() uint64 { return completed(d) },
		Pending:              func() uint64 { return d.Stats().CallbacksPending },
		Close:                d.Close,
	}
}

// QSBRDoc describes the qsbr flavor.
const QSBRDoc = "rcu/qsbr: quiescent-state-based readers, online for each outermost section and offline after it"

// QSBR returns the Ops of a fresh qsbr.Domain built with opts, and the
// Domain. The tools' readers cannot report quiescent states between
// their sections (they may block there), so each Reader goes online at
// its outermost Lock and offline at the matching Unlock: the tools check
// the online/offline protocol and the grace periods' scan; the package's
// own tests check Quiescent.
func QSBR(env rcuops.Env, opts ...rcu.Option) (*rcuops.Ops, *qsbr.Domain) {
	stalls := new(atomic.Uint64)
	d := qsbr.New(append(envOptions(env, stalls), opts...)...)
	ops := writeOps(d)
	reader := func() *qsbrReader {
		r := d.Register()
		r.Offline()
		return &qsbrReader{r: r}
	}
	ops.Reader = func() rcuops.Reader { return reader() }
	ops.Register = func() (rcuops.Reader, func()) {
		r := reader()
		return r, r.Release
	}
	ops.Stalls = stalls.Load
	ops.Injection = RegisteredPoints
	return ops, d
}

// qsbrReader is a qsbr.Reader online for the outermost section only.
type qsbrReader struct {
	r     *qsbr.Reader
	depth int
}

func (q *qsbrReader) Lock() {
	if q.depth == 0 {
		q.r.Online()
	}
	q.depth++
	q.r.ReadLock()
}

func (q *qsbrReader) Unlock() {
	q.r.ReadUnlock()
	if q.depth--; q.depth == 0 {
		q.r.Offline()
	}
}

func (q *qsbrReader) Release() { q.r.Unregister() }

// RegisteredDoc describes the registered flavor.
const RegisteredDoc = "rcu/registered: registered readers, one store on the reader's own cache line to begin and end a section"

// Registered returns the Ops of a fresh registered.Domain built with
// opts, and the Domain.
func Registered(env rcuops.Env, opts ...rcu.Option) (*rcuops.Ops, *registered.Domain) {
	stalls := new(atomic.Uint64)
	d := registered.New(append(envOptions(env, stalls), opts...)...)
	ops := writeOps(d)
	ops.Reader = func() rcuops.Reader { return registeredReader{d.Register()} }
	ops.Register = func() (rcuops.Reader, func()) {
		r := d.Register()
		return registeredReader{r}, r.Unregister
	}
	ops.Stalls = stalls.Load
	ops.Injection = RegisteredPoints
	return ops, d
}

// registeredReader is a registered.Reader as an rcuops.Releaser.
type registeredReader struct{ r *registered.Reader }

func (r registeredReader) Lock()    { r.r.ReadLock() }
func (r registeredReader) Unlock()  { r.r.ReadUnlock() }
func (r registeredReader) Release() { r.r.Unregister() }
