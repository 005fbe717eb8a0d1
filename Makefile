# Thin wrapper: every target runs a script in ci/.
.PHONY: test lint bench examples

test:     ## vet, import direction, race tests (both builds)
	ci/test.sh

lint:     ## gofmt, vet, staticcheck
	ci/lint.sh

bench:    ## benchmarks into bench/<date>.txt, then benchstat
	ci/bench.sh

examples: ## run the rcu package's examples
	go test -count=1 -run '^Example' -v ./rcu
