#!/usr/bin/env bash
# ci/flaky.sh N: run `make test` N times (default 10) on a fresh clone of
# the current commit while busy processes load every core (BUSY of them,
# default one per CPU, at least two), and print how many runs passed. The
# first run builds with an empty build cache, as on a new machine, so that
# compiling competes with the tests as it does there; later runs reuse it.
# COLD=1 empties the cache before every run.
#
# Logs go to LOGDIR (default: a new temporary directory); a failing run's
# failing tests and its log are printed at the end. Exits 0 only if every
# run passed.
source "$(dirname "$0")/lib.sh"

runs=${1:-10}
case $runs in '' | *[!0-9]*) echo "usage: ci/flaky.sh [N]" >&2; exit 2 ;; esac
cpus=$(nproc)
busy=${BUSY:-$((cpus > 2 ? cpus : 2))}
LOGDIR=${LOGDIR:-$(mktemp -d "${TMPDIR:-/tmp}/rcukit-flaky.XXXXXX")}
mkdir -p "$LOGDIR"

clone=$LOGDIR/clone
rm -rf "$clone"
git clone -q . "$clone"
commit=$(git -C "$clone" rev-parse --short HEAD)
export GOCACHE=$LOGDIR/gocache
rm -rf "$GOCACHE"

pids=()
stop_load() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
}
trap stop_load EXIT
for _ in $(seq "$busy"); do
	(while :; do :; done) &
	pids+=($!)
done

step "make test x$runs on a fresh clone of $commit, with $busy busy processes on $cpus CPUs (logs in $LOGDIR)"
passed=0
failed=()
for i in $(seq "$runs"); do
	[ "${COLD:-0}" = 1 ] && rm -rf "$GOCACHE"
	log=$LOGDIR/run-$i.log
	start=$(date +%s)
	if (cd "$clone" && make test) >"$log" 2>&1; then
		passed=$((passed + 1))
		result=pass
	else
		failed+=("$i")
		result=FAIL
	fi
	printf 'run %2d: %s in %ds (load %s)\n' "$i" "$result" $(($(date +%s) - start)) "$(cut -d' ' -f1-3 /proc/loadavg)"
done
stop_load
trap - EXIT

echo
for i in "${failed[@]}"; do
	echo "run $i failed; log $LOGDIR/run-$i.log:"
	grep -E -e '^(--- FAIL|FAIL|panic:)' -e 'DATA RACE' "$LOGDIR/run-$i.log" | head -n 20 | sed 's/^/    /'
done
echo "flaky: $passed of $runs runs of make test passed (commit $commit, $busy busy processes)"
[ "$passed" = "$runs" ]
