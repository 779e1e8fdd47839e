#!/bin/bash
# bench_api.sh - the HTTP API under size and under load (BENCHMARKS.md,
# "HTTP API"):
#
#   1. GET /api/v1/customers (the first page of 50, ranked by risk) and
#      its variants with N customers tracked (default 100,000, with
#      detection on: every customer in both tables), answered in how many
#      milliseconds (median and worst of R requests, one keep-alive
#      connection, timed by the client around each round trip);
#   2. the cost to the policy service of a dashboard kept open under full
#      policy load: policy_load -c CONC for D seconds alone, then with a
#      dashboard beside it (every INTERVAL seconds, default 5 as the
#      page refreshes: status, the first 100 customers, the open
#      incidents, one customer's page with its series, and a Prometheus
#      scrape), the two runs alternated REPEAT times; requests/s of each,
#      the loss in per cent, and the daemon's CPU time per HTTP request
#      set (measured alone, without policy load).
#
#   bench/bench_api.sh [-n CUSTOMERS] [-r REQUESTS] [-d SECONDS] [-c CONC]
#                      [-R REPEAT] [-i INTERVAL] [-o OUTFILE]
#
# The daemon runs on SERVER_CPU, the load generator and the dashboard
# client on CLIENT_CPU, as in bench_policy.sh.  Everything on loopback;
# every process started here is stopped on exit.
set -u
cd "$(dirname "$0")/.." || exit 1
. bench/bench_lib.sh

CUSTOMERS=100000
REQS=30
DUR=10
CONC=8
REPEAT=2
INTERVAL=5
OUT=""
while getopts "n:r:d:c:R:i:o:" opt; do
	case $opt in
	n) CUSTOMERS=$OPTARG ;;
	r) REQS=$OPTARG ;;
	d) DUR=$OPTARG ;;
	c) CONC=$OPTARG ;;
	R) REPEAT=$OPTARG ;;
	i) INTERVAL=$OPTARG ;;
	o) OUT=$OPTARG ;;
	*) echo "usage: $0 [-n N] [-r REQUESTS] [-d S] [-c CONC] [-R REPEAT] [-o FILE]" >&2; exit 2 ;;
	esac
done
LOAD=build/bench/policy_load
RGD=build/relayguardd
for b in $LOAD $RGD; do
	[ -x "$b" ] || { echo "bench_api: $b missing (make all $LOAD)" >&2; exit 1; }
done
WORK=$(mktemp -d /tmp/rg-bench-api.XXXXXX)
bench_track_dir "$WORK"
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

say() { echo "$*"; [ -n "$OUT" ] && echo "$*" >>"$OUT"; return 0; }

port=$(bench_free_port)
http=$(bench_free_port)
dns=$(bench_free_port)
sed -e "s|127.0.0.1:10140|127.0.0.1:$port|" -e "s|127.0.0.1:10153|127.0.0.1:$dns|" \
    -e "s|127.0.0.1:10180|127.0.0.1:$http|" -e "s|\"build/bench/state\"|\"$WORK/state\"|" \
    -e "s|enabled = false;|enabled = true; on_compromise = [\"hold\"];|" \
    bench/relayguard-bench.conf >"$WORK/rg.conf"
echo 'http { token = "bench-token"; }' >>"$WORK/rg.conf"
taskset -c "$SERVER_CPU" $RGD -c "$WORK/rg.conf" -f 2>"$WORK/relayguardd.log" &
rpid=$!
bench_track $rpid
bench_wait_port "$port" 10 && bench_wait_port "$http" 10 ||
    { tail "$WORK/relayguardd.log" >&2; exit 1; }

# -- 1. the ranking of N customers ------------------------------------------
taskset -c "$CLIENT_CPU" $LOAD -c 8 -n "$CUSTOMERS" -r "$CUSTOMERS" -w 0 \
    -a "127.0.0.1:$port" >"$WORK/fill.txt" 2>>"$WORK/load.log" ||
    { echo "bench_api: filling failed" >&2; exit 1; }
say "# bench_api: $(nproc) cpus, $CUSTOMERS customers, detection on, rss $(bench_rss_kb $rpid) KiB"
taskset -c "$CLIENT_CPU" python3 - "$http" "$REQS" <<'PYEOF' | tee -a "${OUT:-/dev/null}"
import http.client, json, statistics, sys, time
port, n = int(sys.argv[1]), int(sys.argv[2])
c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
def timed(path):
    ts = []
    body = b""
    for _ in range(n):
        t0 = time.perf_counter()
        c.request("GET", path)
        r = c.getresponse()
        body = r.read()
        ts.append((time.perf_counter() - t0) * 1000)
        assert r.status == 200, (path, r.status, body[:200])
    return ts, body
for path in ["/api/v1/customers", "/api/v1/customers?limit=1000",
             "/api/v1/customers?q=u9999", "/api/v1/customers?state=limited",
             "/api/v1/customers/u4242", "/api/v1/status", "/metrics"]:
    ts, body = timed(path)
    extra = ""
    if path.startswith("/api/v1/customers") and "total" in body[:200].decode(errors="replace"):
        extra = " total=%d" % json.loads(body)["total"]
    print("api %-36s median_ms=%.1f max_ms=%.1f bytes=%d%s" % (path, statistics.median(ts), max(ts), len(body), extra))
PYEOF

# -- 2. the dashboard under full policy load ---------------------------------
dash() {	# run a dashboard client until $WORK/stop exists
	taskset -c "$CLIENT_CPU" python3 - "$http" "$WORK/stop" "$INTERVAL" <<'PYEOF'
import http.client, os, sys, time
port, stop, interval = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
n = 0
while not os.path.exists(stop):
    t0 = time.time()
    for p in ["/api/v1/status", "/api/v1/customers?limit=100", "/api/v1/incidents?state=open",
              "/api/v1/customers/u%d" % (n % 1000), "/metrics"]:
        c.request("GET", p)
        r = c.getresponse()
        r.read()
    n += 1
    time.sleep(max(0, interval - (time.time() - t0)))
print("dashboard refreshes=%d" % n)
PYEOF
}
# run_load - one policy_load run; appends the daemon's CPU microseconds
# per policy request answered (cpu_us_per_req), the figure that machine
# noise moves least (bench_policy.sh says why).
run_load() {
	local line c0 c1
	c0=$(bench_cpu_ticks "pid:$rpid")
	line=$(taskset -c "$CLIENT_CPU" $LOAD -c "$CONC" -d "$DUR" -w 1 -n "$CUSTOMERS" \
	    -a "127.0.0.1:$port" 2>>"$WORK/load.log")
	c1=$(bench_cpu_ticks "pid:$rpid")
	echo "$line $(awk -v t=$((c1 - c0)) -v hz="$(bench_clk_tck)" -v n="$(bench_kv "$line" sent)" \
	    'BEGIN { printf "cpu_us_per_req=%.2f", (n > 0) ? t * 1e6 / hz / n : 0 }')"
}
# The daemon's CPU time for one dashboard refresh, without policy load:
# 20 refreshes back to back, the daemon's CPU ticks before and after.
c0=$(bench_cpu_ticks "pid:$rpid")
taskset -c "$CLIENT_CPU" python3 - "$http" <<'PYEOF'
import http.client, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=30)
for n in range(20):
    for p in ["/api/v1/status", "/api/v1/customers?limit=100", "/api/v1/incidents?state=open",
              "/api/v1/customers/u%d" % n, "/metrics"]:
        c.request("GET", p)
        c.getresponse().read()
PYEOF
c1=$(bench_cpu_ticks "pid:$rpid")
say "$(awk -v t=$((c1 - c0)) -v hz="$(bench_clk_tck)" -v i="$INTERVAL" 'BEGIN { ms = t * 1000 / hz / 20; printf "daemon CPU per dashboard refresh: %.1f ms; one dashboard every %ss takes %.2f%% of the daemon'"'"'s core\n", ms, i, ms / 10 / i }')"
ALONE=() DASH=() CALONE=() CDASH=()
for i in $(seq "$REPEAT"); do
	a=$(run_load)
	rm -f "$WORK/stop"
	dash >"$WORK/dash.txt" &
	dpid=$!
	bench_track $dpid
	b=$(run_load)
	touch "$WORK/stop"
	wait $dpid
	ALONE+=("$(bench_kv "$a" rps)")
	DASH+=("$(bench_kv "$b" rps)")
	CALONE+=("$(bench_kv "$a" cpu_us_per_req)")
	CDASH+=("$(bench_kv "$b" cpu_us_per_req)")
	say "policy alone:          $a"
	say "policy with dashboard: $b $(cat "$WORK/dash.txt")"
done
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ma=$(median "${ALONE[@]}")
md=$(median "${DASH[@]}")
ca=$(median "${CALONE[@]}")
cd=$(median "${CDASH[@]}")
say "$(awk -v a="$ma" -v b="$md" -v r="$REPEAT" 'BEGIN { printf "policy rps, median of %d alternated runs: alone %d, with the dashboard %d (%+.1f%%)\n", r, a, b, (b - a) * 100.0 / a }')"
say "$(awk -v a="$ca" -v b="$cd" 'BEGIN { printf "daemon CPU per policy request, median: alone %.2f us, with the dashboard %.2f us (%+.1f%%)\n", a, b, (b - a) * 100.0 / a }')"
