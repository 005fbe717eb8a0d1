#!/usr/bin/env bash
# make fuzz: run every Go fuzz target of the module, one `go test -fuzz`
# per target (go test takes one target per run), FUZZTIME each (default
# 10s). FUZZ_RACE=1 adds -race; FUZZ_TAGS builds with those tags.
# FUZZMINIMIZETIME (default 100x) bounds how long go test -fuzz minimizes
# each new input: its own default, 60s, lets the rapid targets, whose
# inputs are long, spend a short run minimizing instead of fuzzing
# (10 execs in 10 s, against 56,000 with 100x). On a failure, print the
# saved input and the command that replays it, then go on with the other
# targets.
source "$(dirname "$0")/lib.sh"

fuzztime=${FUZZTIME:-10s}
minimize=${FUZZMINIMIZETIME:-100x}
race=()
[ "${FUZZ_RACE:-0}" = 1 ] && race=(-race)
tags=()
[ -n "${FUZZ_TAGS:-}" ] && tags=(-tags "$FUZZ_TAGS")

# The command that replays a target's inputs, as this run built them.
replay="${RCUKIT_FUZZ_FLAVOR:+RCUKIT_FUZZ_FLAVOR=$RCUKIT_FUZZ_FLAVOR }go test ${tags[*]:+${tags[*]} }${race[*]:+${race[*]} }"

failed=()
ran=0
# Assignments, not loop lists, so that a package that does not build stops
# the script (set -e) instead of silently losing its targets.
pkgs=$(go list "${tags[@]}" ./...)
for pkg in $pkgs; do
	list=$(go test "${tags[@]}" -list '^Fuzz' "$pkg")
	targets=$(grep '^Fuzz' <<<"$list" || true)
	for target in $targets; do
		ran=$((ran + 1))
		step "fuzz $pkg $target for $fuzztime"
		dir=$(go list -f '{{.Dir}}' "$pkg")
		before=$(find "$dir/testdata/fuzz/$target" -type f 2>/dev/null | sort || true)
		if ! go test "${tags[@]}" "${race[@]}" -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" -fuzzminimizetime "$minimize" "$pkg"; then
			after=$(find "$dir/testdata/fuzz/$target" -type f 2>/dev/null | sort || true)
			saved=$(comm -13 <(echo "$before") <(echo "$after"))
			for f in $saved; do
				echo "!!! failing input saved: $f"
				echo "!!! reproduce: ${replay}-run '^${target}\$/^$(basename "$f")\$' $pkg"
			done
			if [ -z "$saved" ]; then
				# A committed corpus entry failed (go test names it above),
				# or the target did not build or run.
				echo "!!! reproduce: ${replay}-run '^${target}\$' $pkg"
			fi
			failed+=("$pkg $target")
		fi
	done
done
echo
if [ "$ran" = 0 ]; then
	echo "make fuzz: no fuzz targets found"; exit 1
fi
if [ ${#failed[@]} -gt 0 ]; then
	printf 'make fuzz: FAILED:\n'; printf '  %s\n' "${failed[@]}"; exit 1
fi
echo "make fuzz: $ran targets, no failures"
