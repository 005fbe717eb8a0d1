package rcu

import _ "unsafe" // for go:linkname

// procPin returns the index of the P the calling goroutine runs on, and
// keeps it there until procUnpin; the runtime keeps both reachable by
// linkname (go.dev/issue/67401). The read side uses only the index, to
// spread readers over shards: a goroutine that moves on only shares one.
//
//go:linkname procPin runtime.procPin
func procPin() int

//go:linkname procUnpin runtime.procUnpin
func procUnpin()
