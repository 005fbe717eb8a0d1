package linearize_test

import (
	"fmt"

	"github.com/rcukit/rcukit/linearize"
	"github.com/rcukit/rcukit/model"
)

// Record a reader and a Synchronize that did not wait for it, and check.
func Example() {
	rec := linearize.NewRecorder()
	reader, writer := rec.Client(), rec.Client()

	t := reader.Start()
	// ... ReadLock, Load: the reader sees the initial version 0 ...
	reader.Finish(t, model.Op{Kind: model.ReadBegin, ID: 1, Version: 0})

	t = writer.Start()
	writer.Finish(t, model.Op{Kind: model.SyncBegin, ID: 1})
	// ... a broken Synchronize returns at once ...
	t = writer.Start()
	writer.Finish(t, model.Op{Kind: model.SyncEnd, ID: 1})

	t = reader.Start()
	// ... ReadUnlock ...
	reader.Finish(t, model.Op{Kind: model.ReadEnd, ID: 1})

	res := linearize.Check(rec.History(), linearize.Options{})
	fmt.Println(res.Verdict, res.Rule)
	fmt.Println(linearize.CheckDirect(rec.History()).Rule)
	// Output:
	// illegal sync-early
	// sync-early
}
