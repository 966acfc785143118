#!/bin/bash
# The SVG charts as a browser shows them: every diagnosis fixture in
# tests/fixtures/diag/ (real reports with their timelines) and a history of
# nights whose floor rises are drawn, checked as XML, rendered to PNG by
# headless Chromium, and the PNG must be 1000x500, far from blank, and
# show the curve (the used-shm blue; an observed leak's site in red
# against the requests) or the nightly points and trend.
# CHART_KEEP=DIR keeps the PNGs (to look at them).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/common.sh"
CHROME=$(command -v chromium || command -v chromium-browser || true)
[ -n "$CHROME" ] || skip "chromium is not installed (Debian: apt-get install chromium)"
command -v jq >/dev/null || skip "jq is not installed"

DRIVE=$top_builddir/tests/tools/history_drive
PNG="python3 $top_srcdir/tests/lib/png.py"

wellformed() {	# the SVG parses as XML, 900x400 viewBox
	python3 -c 'import sys, xml.etree.ElementTree as E
r = E.parse(sys.argv[1]).getroot()
sys.exit(not (r.tag == "{http://www.w3.org/2000/svg}svg" and r.get("viewBox") == "0 0 900 400"))' "$1"
}
render() {	# render SVG PNG
	timeout 60 "$CHROME" --headless --disable-gpu --no-sandbox \
	    --user-data-dir="$T_TMP/chrome" --hide-scrollbars \
	    --screenshot="$2" --window-size=1000,500 "file://$1" \
	    >"$T_TMP/chrome.log" 2>&1
}
# looks PNG MIN_COLOURS MIN_PERMILLE COLOUR MIN_PIXELS
looks() {
	local out w h n nw c
	out=$($PNG "$1" "$4")
	read -r w h n nw <<<"$(echo "$out" | head -1)"
	c=$(echo "$out" | sed -n 2p | cut -d' ' -f2)
	echo "$(basename "$1"): ${w}x$h, $n colours, $nw permille not white, $c pixels of #$4"
	[ "$w" = 1000 ] && [ "$h" = 500 ] && [ "$n" -ge "$2" ] &&
	    [ "$nw" -ge "$3" ] && [ "$c" -ge "$5" ]
}

t0=$(date +%s)
for f in "$FIXTURES"/diag/*.json; do
	b=$(basename "$f" .json)
	if ! jq -e '.timeline' "$f" >/dev/null; then
		st=0
		"$DRIVE" run "$f" >/dev/null || st=$?
		check "$b: no timeline, no chart" test "$st" = 2
		continue
	fi
	check "$b: chart drawn" sh -c "'$DRIVE' run '$f' >'$T_TMP/$b.svg'"
	check "$b: well-formed SVG 900x400" wellformed "$T_TMP/$b.svg"
	check "$b: rendered by Chromium" render "$T_TMP/$b.svg" "$T_TMP/$b.png"
	if jq -e '.observe_seconds != null and
	    ([.pools[]?.suspects[]?] | length > 0)' "$f" >/dev/null; then
		# an observed leak: its site against the requests, #d62728
		check "$b: not blank, the leaking site's line is there" \
		    looks "$T_TMP/$b.png" 20 30 d62728 100
		check "$b: bytes per INVITE" grep -q "bytes kept per INVITE" \
		    "$T_TMP/$b.svg"
		continue
	fi
	# the used curve is drawn in #1f77b4, 1.8 px wide
	check "$b: not blank, the used curve is there" \
	    looks "$T_TMP/$b.png" 40 50 1f77b4 100
done
check "the leak's title names its verdict" grep -q '>memdiag: .*: leak</text>' "$T_TMP/leak.svg"
check "the leak's four floors are marked" \
    test "$(grep -c 'fill="#2ca02c" stroke' "$T_TMP/leak.svg")" = 4

# a history: the leak fixture on ten nights, its floor 0.5 MB higher each
# night, saved through history_save (which also draws floors.svg). No one
# night shows it (healthy but the last): only the trend does.
S=$T_TMP/state
mkdir "$S"
for n in 0 1 2 3 4 5 6 7 8 9; do
	v=healthy
	[ "$n" = 8 ] && v=inconclusive
	[ "$n" = 9 ] && v=leak
	jq --argjson d "$n" --arg v "$v" '.timeline.start += $d * 86400 |
	    .timeline.floors[0].used += $d * 524288 | .verdict = $v' \
	    "$FIXTURES/diag/leak.json" >"$T_TMP/n.json"
	"$DRIVE" save "$S" edge "$T_TMP/n.json" 30 >/dev/null ||
	    fail "night $n not saved"
done
"$DRIVE" floors "$S" edge >"$T_TMP/floors.svg" 2>"$T_TMP/trend"
echo "trend: $(cat "$T_TMP/trend")"
# (16 MiB - (2450760 + 9 * 524288)) / 524288 = 18.325 days
check "trend 0.5 MB/day over ten nights, pool full in 18.3 days" \
    grep -q "points 10 used 10 slope 524288.0 days_left 18.33" "$T_TMP/trend"
check "floors.svg saved beside the history is the same" cmp "$T_TMP/floors.svg" "$S/history/edge/floors.svg"
check "floors chart: well-formed SVG 900x400" wellformed "$T_TMP/floors.svg"
check "floors chart: says when the pool is full" grep -q 'the pool is full in 18 days' "$T_TMP/floors.svg"
check "floors chart: rendered by Chromium" render "$T_TMP/floors.svg" "$T_TMP/floors.png"
# the healthy nights' points are #2ca02c, 9 px across, eight of them
check "floors chart: not blank, the points are there" \
    looks "$T_TMP/floors.png" 20 20 2ca02c 300
echo "rendering and checks took $(( $(date +%s) - t0 )) s"
if [ -n "${CHART_KEEP:-}" ]; then
	mkdir -p "$CHART_KEEP"
	cp "$T_TMP"/*.png "$T_TMP"/*.svg "$CHART_KEEP"/
fi
finish
