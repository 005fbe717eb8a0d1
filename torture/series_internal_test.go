package torture

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// TestLatencyBuckets: every value falls in a bucket whose upper bound is
// at least the value and within 1/16 of it, and buckets are in order.
func TestLatencyBuckets(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	prev := -1
	for v := uint64(0); v < 1<<12; v++ {
		b := latencyBucket(v)
		if b < prev || b > prev+1 {
			t.Fatalf("value %d in bucket %d after bucket %d", v, b, prev)
		}
		prev = b
	}
	for range 100000 {
		v := rng.Uint64() >> rng.IntN(64)
		b := latencyBucket(v)
		up := latencyUpper(b)
		if b >= latencyBuckets || up < v || float64(up-v) > float64(v)/16 {
			t.Fatalf("value %d: bucket %d of %d, upper bound %d", v, b, latencyBuckets, up)
		}
	}
}

// TestLatencyQuantile: the quantiles of a histogram are those of the
// values it counted, within a bucket.
func TestLatencyQuantile(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var h latencyHist
	if c := h.load(); c.quantile(0.5) != 0 || c.total() != 0 {
		t.Fatal("an empty histogram has a quantile")
	}
	vals := make([]time.Duration, 10001)
	for i := range vals {
		vals[i] = time.Duration(rng.ExpFloat64() * float64(time.Millisecond))
		h.add(vals[i])
	}
	slices.Sort(vals)
	c := h.load()
	for _, q := range []float64{0.01, 0.5, 0.99, 1} {
		want := vals[int(q*float64(len(vals)-1))]
		got := c.quantile(q)
		if got < want-want/16 || got > want+want/8 {
			t.Errorf("quantile %v: %v; the values' is %v", q, got, want)
		}
	}
}
