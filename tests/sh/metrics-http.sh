#!/bin/bash
# The metrics endpoint over real HTTP on 127.0.0.1 (curl against
# tests/tools/metrics_drive): GET /metrics serves the text exposition with
# Prometheus's content type, the text served changes when it is set
# again, any other path or method is 404, and an address that is not
# loopback, or one already taken, is refused with one line. Hostile
# clients (tests/tools/metrics_hostile.py): a 4 MB header is refused and
# not held, an idle connection is closed, and out of file descriptors it
# neither spins nor floods the log, and serves again after.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/common.sh"
command -v curl >/dev/null || skip "curl is not installed"

DRIVE=$top_builddir/tests/tools/metrics_drive
free_tcp_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

for try in 1 2 3 4 5; do
	PORT=$(free_tcp_port)
	"$DRIVE" "127.0.0.1:$PORT" >"$T_TMP/drive.out" 2>"$T_TMP/drive.err" &
	pid=$!
	for i in $(seq 1 50); do
		grep -q ready "$T_TMP/drive.out" 2>/dev/null && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	grep -q ready "$T_TMP/drive.out" && break
	wait "$pid" || true
done
t_on_exit "kill $pid 2>/dev/null"
check "listening on 127.0.0.1:$PORT" grep -q ready "$T_TMP/drive.out"
URL=http://127.0.0.1:$PORT

code=$(curl -s -o "$T_TMP/m1" -D "$T_TMP/h1" -w '%{http_code}' "$URL/metrics")
check "GET /metrics: 200" test "$code" = 200
check "content type of the text format 0.0.4" \
    grep -qi '^Content-Type: text/plain; version=0.0.4; charset=utf-8' "$T_TMP/h1"
# every line a HELP/TYPE comment or a sample (the format, strictly)
NAME='[a-zA-Z_:][a-zA-Z0-9_:]*'
LV='"([^"\\]|\\[\\"n])*"'
check "every line is in the exposition format" sh -c "! grep -Evx \
    '# (HELP $NAME .*|TYPE $NAME (gauge|counter|untyped))|$NAME\\{target=$LV(,verdict=\"[a-z-]+\")?\\} -?[0-9]+(\\.[0-9]+)?(e[-+]?[0-9]+)?' '$T_TMP/m1'"
check "edge leaks (one-hot)" grep -qx 'memdiag_verdict{target="edge",verdict="leak"} 1' "$T_TMP/m1"
check "edge's used shm" grep -qx 'memdiag_shm_used_bytes{target="edge"} 8388608' "$T_TMP/m1"
check "a label value escaped" grep -qxF 'memdiag_diagnosing{target="core \"b\""} 1' "$T_TMP/m1"
check "core has no verdict yet" test "$(grep -c 'memdiag_verdict{target="core.*} 1$' "$T_TMP/m1")" = 0

# the dashboard in contrib/ queries only metrics that are served
DASH=$top_srcdir/contrib/grafana/memdiag-dashboard.json
if command -v jq >/dev/null; then
	check "the Grafana dashboard is JSON" jq -e '.panels | length > 0' "$DASH"
	for m in $(jq -r '.. | .expr? // empty' "$DASH" | grep -o 'memdiag_[a-z_]*' | sort -u); do
		check "dashboard metric $m is served" grep -q "^# TYPE $m gauge$" "$T_TMP/m1"
	done
fi

kill -USR1 "$pid"
sleep 0.3
curl -s -o "$T_TMP/m2" "$URL/metrics"
check "the text served changes when set again" \
    grep -qxF 'memdiag_verdict{target="core \"b\"",verdict="healthy"} 1' "$T_TMP/m2"
check "... and core is no longer diagnosing" \
    grep -qxF 'memdiag_diagnosing{target="core \"b\""} 0' "$T_TMP/m2"

check "GET /: 404" test "$(curl -s -o /dev/null -w '%{http_code}' "$URL/")" = 404
check "GET /metricsx: 404" test "$(curl -s -o /dev/null -w '%{http_code}' "$URL/metricsx")" = 404
check "POST /metrics: 404" test "$(curl -s -o /dev/null -w '%{http_code}' -d x "$URL/metrics")" = 404
check "GET /metrics?x=1: 200" test "$(curl -s -o /dev/null -w '%{http_code}' "$URL/metrics?x=1")" = 200

st=0
"$DRIVE" "127.0.0.1:$PORT" >/dev/null 2>"$T_TMP/err" || st=$?
echo "port taken: $(cat "$T_TMP/err")"
check "port taken: refused with one line" sh -c "test $st = 1 && grep -q 'cannot listen on 127.0.0.1 port $PORT: Address already in use' '$T_TMP/err'"
st=0
"$DRIVE" "0.0.0.0:$PORT" >/dev/null 2>"$T_TMP/err" || st=$?
echo "not loopback: $(cat "$T_TMP/err")"
check "0.0.0.0: refused, not loopback" sh -c "test $st = 1 && grep -q 'not a loopback address' '$T_TMP/err'"
st=0
"$DRIVE" "localhost" >/dev/null 2>"$T_TMP/err" || st=$?
check "no port: refused" sh -c "test $st = 1 && grep -q 'expected HOST:PORT' '$T_TMP/err'"

# hostile clients (it listens on loopback, but anything local may call)
HOSTILE=$top_srcdir/tests/tools/metrics_hostile.py
rss() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
r0=$(rss "$pid")
python3 "$HOSTILE" "$PORT" bigheader >"$T_TMP/big" 2>&1 || true
echo "    4 MB header: $(cat "$T_TMP/big"); RSS $r0 -> $(rss "$pid") kB"
check "a 4 MB header is refused" grep -Eq "answer: (HTTP/1.1 4[0-9][0-9]|closed)" "$T_TMP/big"
check "... and not held (RSS grew under 2 MB)" test $(( $(rss "$pid") - r0 )) -lt 2048
check "... and it still serves" test "$(curl -s -o /dev/null -w '%{http_code}' "$URL/metrics")" = 200
python3 "$HOSTILE" "$PORT" idle >"$T_TMP/idle" 2>&1 || true
echo "    an idle connection: $(cat "$T_TMP/idle")"
check "an idle connection is closed within 15 s" grep -Eq "closed after ([0-9]|1[0-5]) s" "$T_TMP/idle"

kill -TERM "$pid"
st=0
wait "$pid" || st=$?
check "SIGTERM: ends cleanly (status 0)" test "$st" = 0

# out of file descriptors: no spin, no log storm, and back once they go
PORT=$(free_tcp_port)
(ulimit -n 24; exec "$DRIVE" "127.0.0.1:$PORT") >"$T_TMP/fd.out" 2>"$T_TMP/fd.err" &
pid=$!
t_on_exit "kill $pid 2>/dev/null"
for i in $(seq 1 50); do grep -q ready "$T_TMP/fd.out" 2>/dev/null && break; sleep 0.1; done
t0=$(awk '{ print $14 + $15 }' "/proc/$pid/stat")
python3 "$HOSTILE" "$PORT" flood 40 >"$T_TMP/flood" 2>&1 || true
t1=$(awk '{ print $14 + $15 }' "/proc/$pid/stat")
lines=$(wc -l <"$T_TMP/fd.err")
echo "    40 connections at 24 fds for 3 s: $((t1 - t0)) ticks of CPU, $lines log lines, $(cat "$T_TMP/flood")"
check "out of fds: under 0.5 s of CPU in 3 s" test $((t1 - t0)) -lt 50
check "out of fds: a few log lines, not a storm" test "$lines" -le 10
check "out of fds: it says so" grep -q "cannot accept a connection: Too many open files" "$T_TMP/fd.err"
sleep 1.5
check "it serves again once they are gone" test \
    "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/metrics")" = 200
kill -TERM "$pid"
wait "$pid" || true
finish
