#!/usr/bin/env bash
# make bench: run the benchmarks into a dated, benchstat-ready file under
# bench/, then summarize it with benchstat, one column per implementation.
# COUNT (default 10), CPU (default 1,2) and BENCH (default .) adjust the run.
source "$(dirname "$0")/lib.sh"

out=bench/$(date -u +%Y-%m-%d).txt
mkdir -p bench
step "benchmarks -> $out"
{
	echo "# $(go version); $(nproc) CPUs; $(date -u +%FT%TZ)"
	go test -run '^$' -bench "${BENCH:-.}" -count "${COUNT:-10}" -cpu "${CPU:-1,2}" ./...
} | tee "$out"
step "benchstat -col /impl $out"
go run "$BENCHSTAT" -col /impl "$out"
