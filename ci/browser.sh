#!/usr/bin/env bash
# make browser: the HTML report of rcutorture in a real browser. It installs
# Debian's chromium if no Chromium is on PATH, writes a SUCCESS report
# (-flavor rcu) and a FAILURE report (-flavor busted-sync) with
# rcutorture -html, and runs TestReportInBrowser on them: headless
# Chromium renders each, and the test checks that the DOM holds the plots
# and the verdict after the page's script ran, that the page logged
# nothing to the console (no JavaScript error), and that its screenshot is
# not blank; then it feeds the same checks broken pages and asserts that
# they fail. The reports, their JSON streams and the screenshots stay in
# OUT (default ci/out/browser). UPDATE_DOCS=1 copies the screenshots to
# docs/, where the README links them.
#
# ci/browser.sh install only installs Chromium when it is missing, as make
# test does (see ensure_chromium).
source "$(dirname "$0")/lib.sh"

# ensure_chromium: a Chromium on PATH, or Debian's chromium installed
# with apt-get when this runs as root (or with passwordless sudo) on a
# machine that has apt-get. BROWSER_INSTALL=0 never installs. It never
# fails: without a Chromium, TestReportInBrowser skips and says why.
ensure_chromium() {
	local c
	for c in chromium chromium-browser google-chrome; do
		if command -v "$c" >/dev/null; then
			echo "chromium: $(command -v "$c") ($("$c" --version 2>/dev/null || echo "version unknown"))"
			return 0
		fi
	done
	if [ -n "${CHROMIUM:-}" ]; then
		echo "chromium: \$CHROMIUM=$CHROMIUM"
		return 0
	fi
	if [ "${BROWSER_INSTALL:-1}" = 0 ]; then
		echo "chromium: not found, and BROWSER_INSTALL=0: the browser test will skip"
		return 0
	fi
	local sudo=()
	if [ "$(id -u)" != 0 ]; then
		if ! sudo -n true 2>/dev/null; then
			echo "chromium: not found, and installing it needs root: the browser test will skip (install Debian's chromium, or set CHROMIUM)"
			return 0
		fi
		sudo=(sudo -n)
	fi
	if ! command -v apt-get >/dev/null; then
		echo "chromium: not found, and there is no apt-get to install it with: the browser test will skip (set CHROMIUM)"
		return 0
	fi
	echo "chromium: installing Debian's chromium with apt-get"
	local log
	log=$(mktemp)
	if "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >"$log" 2>&1 ||
		{ "${sudo[@]}" apt-get update -q >>"$log" 2>&1 && "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >>"$log" 2>&1; }; then
		echo "chromium: installed $(chromium --version 2>/dev/null)"
	else
		echo "chromium: apt-get could not install it (last lines below): the browser test will skip"
		tail -n 5 "$log" | sed 's/^/    /'
	fi
	rm -f "$log"
}

if [ "${1:-}" = install ]; then
	ensure_chromium
	exit 0
fi

OUT=${OUT:-ci/out/browser}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd) # the test runs in torture/
step "chromium"
ensure_chromium

step "reports"
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
go build -o "$bin/rcutorture" ./cmd/rcutorture
status=0
"$bin/rcutorture" -flavor rcu -duration "${DURATION:-10s}" -seed 1 \
	-html "$OUT/report-success.html" -json "$OUT/report-success.jsonl" >"$OUT/report-success.log" 2>&1 || status=$?
echo "rcu: exit status $status: $(tail -n 1 "$OUT/report-success.log")"
if [ "$status" != 0 ]; then
	echo "the SUCCESS report's run did not succeed; log $OUT/report-success.log"
	exit 1
fi
status=0
"$bin/rcutorture" -flavor busted-sync -duration "${DURATION:-10s}" -payload=false -seed 1 \
	-html "$OUT/report-failure.html" -json "$OUT/report-failure.jsonl" >"$OUT/report-failure.log" 2>&1 || status=$?
echo "busted-sync: exit status $status: $(tail -n 1 "$OUT/report-failure.log")"
if [ "$status" != 1 ]; then
	echo "the FAILURE report's run did not fail; log $OUT/report-failure.log"
	exit 1
fi

step "TestReportInBrowser"
if ! command -v chromium >/dev/null && ! command -v chromium-browser >/dev/null && ! command -v google-chrome >/dev/null && [ -z "${CHROMIUM:-}" ]; then
	echo "make browser: no Chromium, so nothing was rendered (see above)"
	exit 1
fi
RCUKIT_REPORTS=$OUT RCUKIT_ARTIFACTS=$OUT go test -count=1 -run '^TestReportInBrowser$' -v ./torture | grep -v '^        ' 
if [ "${UPDATE_DOCS:-0}" = 1 ]; then
	mkdir -p docs
	cp "$OUT/report-success.png" "$OUT/report-failure.png" docs/
	echo "copied the screenshots to docs/"
fi
echo; echo "make browser: PASS (reports and screenshots in $OUT)"
