// Package peers holds benchmarks of rcukit's read sections against those
// of other Go libraries. It is a module of its own (bench/go.mod) so that
// the main module depends on none of them. Run from bench/:
//
//	go test -run '^$' -bench . -count 10 -cpu 1,2 ./peers > new.txt
//	benchstat -col /impl new.txt
package peers
