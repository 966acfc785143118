#!/bin/bash
# The metrics endpoint over real HTTP on 127.0.0.1 (curl against
# tests/tools/metrics_drive): GET /metrics serves the text exposition with
# Prometheus's content type, the text served changes when it is set
# again, any other path or method is 404, and an address that is not
# loopback, or one already taken, is refused with one line.
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

kill -TERM "$pid"
st=0
wait "$pid" || st=$?
check "SIGTERM: ends cleanly (status 0)" test "$st" = 0
finish
