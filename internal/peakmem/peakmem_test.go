package peakmem_test

import (
	"runtime"
	"testing"

	"github.com/rcukit/rcukit/internal/peakmem"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var sink []byte

// A 64 MiB allocation held until stop shows in both figures.
func TestStartSeesAnAllocation(t *testing.T) {
	runtime.GC()
	stop := peakmem.Start()
	sink = make([]byte, 64<<20)
	for i := range sink {
		sink[i] = 1
	}
	heap, total := stop()
	sink = nil
	if heap < 64<<20 || total < heap {
		t.Fatalf("peak heap %d, total %d: want at least 64 MiB, total >= heap", heap, total)
	}
}
