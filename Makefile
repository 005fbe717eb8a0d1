# Thin wrapper: every target runs a script in ci/.
.PHONY: test lint bench examples torture soak fuzz browser

test:     ## vet, import direction, race tests (both builds)
	ci/test.sh

lint:     ## gofmt, vet, staticcheck, actionlint
	ci/lint.sh

bench:    ## benchmarks into bench/<date>.txt, then benchstat
	ci/bench.sh

examples: ## run every package's examples as programs, printing what each prints and whether it matches its Output comment
	go run ./internal/examples

torture:  ## every scenario on every correct flavor (DURATION each, default 10s), then the broken flavors must fail
	ci/torture.sh

soak:     ## the torture scenarios under -race (DURATION each, default 60s: about 30 minutes)
	ci/soak.sh

fuzz:     ## every fuzz target, one go test -fuzz each, FUZZTIME each (default 10s)
	ci/fuzz.sh

browser:  ## rcutorture's HTML reports rendered and checked in headless Chromium (installs Debian's chromium if missing)
	ci/browser.sh
