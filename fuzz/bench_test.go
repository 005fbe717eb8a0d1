package fuzz

import "testing"

// BenchmarkRunSchedule measures one schedule run, decode to verdict, on
// the committed seeds and on pseudo-random inputs, per correct flavor.
func BenchmarkRunSchedule(b *testing.B) {
	var seeds [][]byte
	for _, s := range Seeds() {
		seeds = append(seeds, s.Data)
	}
	for _, name := range correctFlavors {
		f := lookup(b, name)
		for _, c := range []struct {
			name string
			ins  [][]byte
		}{{"seeds", seeds}, {"random", randomInputs(64, 3)}} {
			b.Run("impl="+name+"/inputs="+c.name, func(b *testing.B) {
				i := 0
				for b.Loop() {
					if err := RunSchedule(f, c.ins[i%len(c.ins)]); err != nil {
						b.Fatal(err)
					}
					i++
				}
			})
		}
	}
}
