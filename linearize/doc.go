// Package linearize records histories of concurrent RCU operations and
// checks them against the sequential model of package model, with
// porcupine and with a second, independent checker.
//
// # Recording
//
// A Recorder hands each goroutine a Client. Around every operation the
// goroutine calls Start before its first action and Finish, with what the
// operation observed, after its last:
//
//	rec := linearize.NewRecorder()
//	c := rec.Client()
//	t := c.Start()
//	tok := d.ReadLock()
//	o := p.Load()
//	c.Finish(t, model.Op{Kind: model.ReadBegin, ID: id, Version: o.version, Damaged: !o.ready})
//
// Times are logical, from one atomic counter, so they order operations
// exactly as the memory model does; a recorded operation costs an atomic
// load, an atomic addition and an append to the client's own buffer.
// Recorder.History returns everything once the clients are idle;
// Recorder.Drain returns what is new, for checking long runs in pieces.
//
// # Checking
//
// Check returns a Result with an explicit Verdict: Ok (a legal
// linearization exists), Illegal (none does: the rule broken and the
// operations involved are named, and porcupine's visualization is written
// if Options.HTML asks for it), or Unknown (timeout, a malformed history,
// or a part too large to check). Unknown is never Ok.
//
// Porcupine's memory grows as the square of the operations it checks at
// once, so Check cuts the history at quiescent points (nothing in flight,
// no reader, Synchronize, Barrier or traversal open, the last Publish not
// concurrent with another) and checks each segment from the state at its
// cut (model.State.Settle), split further into independent partitions
// (model.Partition). A partition larger than Options.MaxPartition is not
// handed to porcupine: its segment is Unknown. Recording workloads should
// pause now and then with every worker idle. A Stream does the same for a
// history fed in pieces.
//
// CheckDirect is a second oracle that shares nothing with porcupine or the
// model's State: it finds definite violations by interval arithmetic, in
// O(n log n) for n events, every rule included (a traversal costs the keys
// it reports plus a logarithm: what it had to see is counted with a sweep,
// not listed). It is sound (what it reports is a violation) but not
// complete; the tests hold both oracles to the same verdict and rule on
// every history in testdata.
//
// # Files
//
// Save and Load read and write histories as versioned JSON (see Format).
// Load never panics on bad input; its errors name the file, the line and
// column, and the event.
package linearize
