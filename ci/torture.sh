#!/usr/bin/env bash
# make torture: every scenario in ci/scenarios on every correct flavor, for
# DURATION each (default 10s), in the plain build and, for the rcu flavor,
# in the build with its injection points (-tags rcuinject). Then, unless
# CONTROLS=0, the negative controls: every broken flavor must end in
# FAILURE within BUDGET (default 20s), over SEEDS seeds (default 1); the
# median and maximum time to detect each are printed.
#
# A correct flavor's run that could not judge (exit status 3, "End of
# test: INCONCLUSIVE": the machine starved it even in overtime) is neither
# a pass nor a failure: it is printed as INCONCLUSIVE with its reason and
# counted apart. The script exits 1 if any run failed, else 3 if any was
# inconclusive, else 0; its last line says which.
#
# RACE=1 builds with -race (ci/soak.sh does). SCENARIOS and FLAVORS
# (space-separated names) narrow the matrix. SEED runs every correct
# flavor's run with -seed SEED (default: each run picks one), so that a
# nightly matrix can shard by seed. Logs go to LOGDIR (default: a new
# temporary directory), with each run's HTML report (-html) and JSON
# stream (-json) beside its log, and LOGDIR/index.html linking them all.
# Every failure and every inconclusive run prints its scenario, flavor,
# and the command that reproduces it.
source "$(dirname "$0")/lib.sh"

DURATION=${DURATION:-10s}
BUDGET=${BUDGET:-20s}
SEEDS=${SEEDS:-1}
CONTROLS=${CONTROLS:-1}
LOGDIR=${LOGDIR:-$(mktemp -d "${TMPDIR:-/tmp}/rcutorture.XXXXXX")}
race=()
[ -n "${RACE:-}" ] && [ "${RACE}" != 0 ] && race=(-race)
mkdir -p "$LOGDIR"

scenarios=${SCENARIOS:-$(ls ci/scenarios)}
bin=$LOGDIR/bin
mkdir -p "$bin"

# build TAGS: build rcutorture with TAGS into $bin/rcutorture-TAGS.
build() {
	local out=$bin/rcutorture-${1:-plain}
	go build "${race[@]}" -tags "$1" -o "$out" ./cmd/rcutorture
	echo "$out"
}

# flavors EXE KIND: the correct or broken flavors EXE knows.
flavors() {
	"$1" -list | awk -v want="$2" '/^correct/ {k="correct"; next} /^broken/ {k="broken"; next} /^only in/ {k="elsewhere"; next} k == want {print $1}'
}

# scenario NAME: the flags of scenario NAME, without comments.
scenario() { grep -v '^#' "ci/scenarios/$1" | tr '\n' ' ' || true; }

failed=()
inconclusive=()
runs=0
index=() # "verdict|what|log": one per run, for index.html

echo "reproduce this matrix: RACE=${RACE:-} SEED=${SEED:-} DURATION=$DURATION SCENARIOS=\"$scenarios\"${FLAVORS:+ FLAVORS=\"$FLAVORS\"} CONTROLS=$CONTROLS BUDGET=$BUDGET SEEDS=$SEEDS ci/torture.sh" | tr -s ' '

# check LOG STATUS WHAT REPRO: a run passes if it exited 0, its last line
# is the SUCCESS verdict, and it printed no "!!!" and no race report. It
# is inconclusive if it exited 3 with the INCONCLUSIVE verdict and printed
# neither; anything else fails.
check() {
	local log=$1 status=$2 what=$3 repro=$4
	runs=$((runs + 1))
	local last printed
	last=$(tail -n 1 "$log")
	printed=$(sed -n 's/^rcutorture: reproduce: //p' "$log" | tail -n 1)
	if ! grep -q -e '!!!' -e 'WARNING: DATA RACE' "$log"; then
		if [ "$status" = 0 ] && [ "$last" = "End of test: SUCCESS" ]; then
			echo "ok    $what ($(grep -o 'reads [0-9]* ([^)]*)' "$log" | tail -n 1))"
			index+=("ok|$what|$log")
			return
		fi
		if [ "$status" = 3 ] && [[ $last == "End of test: INCONCLUSIVE: "* ]]; then
			echo "INCONCLUSIVE $what: ${last#End of test: INCONCLUSIVE: }"
			echo "      log $log"
			echo "      reproduce: ${printed:-$repro}"
			inconclusive+=("$what")
			index+=("INCONCLUSIVE|$what|$log")
			return
		fi
	fi
	index+=("FAIL|$what|$log")
	echo "FAIL  $what: exit status $status; log $log"
	grep -e 'FAILURE' -e 'DATA RACE' "$log" | head -n 5 | sed 's/^/      /'
	echo "      reproduce: ${printed:-$repro}"
	failed+=("$what")
}

for tags in "" "$INJECT_TAGS"; do
	step "build${tags:+ -tags $tags}${race:+ -race}"
	exe=$(build "$tags")
	for flavor in ${FLAVORS:-$(flavors "$exe" correct)}; do
		# Only the rcu flavor changes with the injection build.
		# The build with injection points: the flavors that have them.
		[ -n "$tags" ] && ! [[ $flavor =~ ^(rcu|qsbr|registered)$ ]] && continue
		for s in $scenarios; do
			flags=$(scenario "$s")
			what="$s/$flavor${tags:+ (-tags $tags)}"
			log=$LOGDIR/$s-$flavor${tags:+-$tags}.log
			# shellcheck disable=SC2086 # flags are words
			repro="go run ${race[*]} ${tags:+-tags $tags} ./cmd/rcutorture -flavor $flavor -duration $DURATION $flags"
			[ -n "${SEED:-}" ] && flags="$flags -seed $SEED" && repro="$repro -seed $SEED"
			status=0
			# shellcheck disable=SC2086
			"$exe" -flavor "$flavor" -duration "$DURATION" $flags -html "${log%.log}.html" -json "${log%.log}.jsonl" >"$log" 2>&1 || status=$?
			check "$log" "$status" "$what" "$repro"
		done
	done
done

if [ "$CONTROLS" != 0 ]; then
	step "negative controls: each broken flavor must end in FAILURE within $BUDGET ($SEEDS seed(s))"
	plain=$(flavors "$bin/rcutorture-plain" broken)
	for tags in "" "$INJECT_TAGS"; do
		exe=$bin/rcutorture-${tags:-plain}
		for flavor in $(flavors "$exe" broken); do
			# The plain build's broken flavors exist in both builds.
			[ -n "$tags" ] && grep -qx "$flavor" <<<"$plain" && continue
			times=()
			for seed in $(seq 1 "$SEEDS"); do
				log=$LOGDIR/control-$flavor-$seed.log
				status=0
				"$exe" -flavor "$flavor" -duration "$BUDGET" -seed "$seed" -stop-on-failure -payload=false \
					-html "${log%.log}.html" -json "${log%.log}.jsonl" >"$log" 2>&1 || status=$?
				runs=$((runs + 1))
				if [ "$status" != 1 ] || ! tail -n 1 "$log" | grep -q '^End of test: FAILURE: '; then
					index+=("FAIL|control $flavor seed $seed (must fail)|$log")
					echo "FAIL  control $flavor seed $seed: exit status $status, not a FAILURE verdict; log $log"
					echo "      reproduce: go run ${race[*]} ${tags:+-tags $tags} ./cmd/rcutorture -flavor $flavor -duration $BUDGET -seed $seed -stop-on-failure -payload=false"
					failed+=("control $flavor seed $seed")
					continue
				fi
				index+=("ok|control $flavor seed $seed (failed, as it must)|$log")
				times+=("$(sed -n 's/^rcutorture: first failure after \([0-9.]*\)s$/\1/p' "$log")")
			done
			[ ${#times[@]} = 0 ] && continue
			printf '%s\n' "${times[@]}" | sort -n | awk -v f="$flavor" -v v="$(tail -n 1 "$log")" '
				{ t[NR] = $1 }
				END {
					med = (NR % 2) ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2
					printf "ok    control %-16s caught in %d/%d runs: median %.2fs, max %.2fs (%s)\n", f, NR, NR, med, t[NR], v
				}'
		done
	done
fi

# write_index: LOGDIR/index.html, a row per run: the check's outcome, the
# run's verdict line, and links to its report, JSON stream and log.
write_index() {
	local out=$LOGDIR/index.html row ok what log base verdict
	esc() { sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g' -e 's/"/\&quot;/g'; }
	{
		echo '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>rcutorture runs</title>'
		echo '<style>body{font:14px/1.4 system-ui,sans-serif;margin:24px}td,th{padding:2px 12px 2px 0;text-align:left}.ok{color:#2a7d2a}.FAIL{color:#c62828;font-weight:bold}.INCONCLUSIVE{color:#b26a00}</style></head><body>'
		echo "<h1>rcutorture runs</h1><p>$(date -u '+%Y-%m-%d %H:%M UTC'): $runs runs, ${#failed[@]} failed, ${#inconclusive[@]} inconclusive; DURATION=$DURATION${race:+, -race}${SEED:+, seed $SEED}.</p>"
		echo '<table><tr><th>check</th><th>run</th><th>verdict</th><th>files</th></tr>'
		for row in "${index[@]}"; do
			IFS='|' read -r ok what log <<<"$row"
			base=$(basename "${log%.log}")
			verdict=$(tail -n 1 "$log" 2>/dev/null | esc)
			printf '<tr><td class="%s">%s</td><td>%s</td><td>%s</td><td>' "$ok" "$ok" "$(esc <<<"$what")" "$verdict"
			[ -s "${log%.log}.html" ] && printf '<a href="%s.html">report</a> ' "$base"
			[ -s "${log%.log}.jsonl" ] && printf '<a href="%s.jsonl">json</a> ' "$base"
			printf '<a href="%s.log">log</a></td></tr>\n' "$base"
		done
		echo '</table></body></html>'
	} >"$out"
	echo "reports: $out"
}

echo
write_index
if [ ${#inconclusive[@]} -gt 0 ]; then
	echo "inconclusive (could not judge, not a pass): ${inconclusive[*]}"
fi
if [ ${#failed[@]} -gt 0 ]; then
	echo "make torture: FAIL: ${#failed[@]} of $runs runs failed, ${#inconclusive[@]} inconclusive: ${failed[*]} (logs in $LOGDIR)"
	exit 1
fi
if [ ${#inconclusive[@]} -gt 0 ]; then
	echo "make torture: INCONCLUSIVE: ${#inconclusive[@]} of $runs runs could not judge, none failed (logs in $LOGDIR)"
	exit 3
fi
echo "make torture: PASS ($runs runs; logs in $LOGDIR)"
