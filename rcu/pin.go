package rcu

import _ "unsafe" // for go:linkname

// procPin returns the index of the P the calling goroutine runs on and keeps
// it there until procUnpin. The runtime keeps both reachable by linkname for
// packages outside the standard library (go.dev/issue/67401). The read side
// uses only the index, to spread readers over shards; a goroutine that moves
// to another P after procUnpin is still correct, it only shares a shard.
//
//go:linkname procPin runtime.procPin
func procPin() int

//go:linkname procUnpin runtime.procUnpin
func procUnpin()
