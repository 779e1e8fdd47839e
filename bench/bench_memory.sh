#!/bin/bash
# bench_memory.sh - relayguardd's memory per customer: feed N distinct
# customers (default 1,000,000), one RCPT request each, and report
#
#   (VmRSS after - VmRSS before) / N
#
# from /proc/PID/status.  "Before" is taken after a warm-up of 2,000
# requests from other customers, so that code pages, buffers and the
# first table allocations are not charged to the customers measured.
# The figure includes everything a customer costs: its limit counters and
# the state of its one message (instance), as the daemon keeps them.
#
#   bench/bench_memory.sh [-n CUSTOMERS] [-c CONC] [-o OUTFILE]
#
# relayguardd runs on core SERVER_CPU with bench/relayguard-bench.conf
# (free loopback ports, a private state.dir), the load on CLIENT_CPU.
# Needs build/relayguardd and build/bench/policy_load; every process
# started here is stopped on exit.
set -u
cd "$(dirname "$0")/.." || exit 1
. bench/bench_lib.sh

N=1000000
CONC=8
OUT=""
while getopts "n:c:o:" opt; do
	case $opt in
	n) N=$OPTARG ;;
	c) CONC=$OPTARG ;;
	o) OUT=$OPTARG ;;
	*) echo "usage: $0 [-n CUSTOMERS] [-c CONC] [-o FILE]" >&2; exit 2 ;;
	esac
done

LOAD=build/bench/policy_load
RGD=build/relayguardd
emit() {
	if [ -n "$OUT" ]; then echo "$1" | tee -a "$OUT"; else echo "$1"; fi
}
[ -x "$LOAD" ] || { echo "bench_memory: $LOAD missing" >&2; exit 1; }
if [ ! -x "$RGD" ]; then
	emit "memory: skipped ($RGD not built)"
	exit 0
fi

WORK=$(mktemp -d /tmp/rg-bench-memory.XXXXXX)
bench_track_dir "$WORK"
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

port=$(bench_free_port)
bench_rg_conf "$WORK/relayguard.conf" "$port" "$WORK/state"
taskset -c "$SERVER_CPU" $RGD -c "$WORK/relayguard.conf" -f 2>"$WORK/relayguardd.log" &
rpid=$!
bench_track $rpid
if ! bench_wait_port "$port" 10; then
	tail -20 "$WORK/relayguardd.log" >&2
	exit 1
fi

# Warm-up: customers numbered from 1e9 on, never among the measured ones.
taskset -c "$CLIENT_CPU" $LOAD -c "$CONC" -r 2000 -w 0 -n 2000 -o 1000000000 \
    -a "127.0.0.1:$port" >/dev/null 2>&1
sleep 1
before=$(bench_rss_kb $rpid)
start=$(date +%s.%N)
line=$(taskset -c "$CLIENT_CPU" $LOAD -c "$CONC" -r "$N" -w 0 -n "$N" \
    -a "127.0.0.1:$port" 2>"$WORK/load.log")
end=$(date +%s.%N)
sleep 1
after=$(bench_rss_kb $rpid)
if ! kill -0 $rpid 2>/dev/null; then
	echo "bench_memory: relayguardd died:" >&2
	tail -20 "$WORK/relayguardd.log" >&2
	exit 1
fi
requests=$(bench_kv "$line" requests)
errors=$(bench_kv "$line" errors)
per=$(awk -v a="$after" -v b="$before" -v n="$requests" \
    'BEGIN { if (n > 0) printf "%.0f", (a - b) * 1024 / n; else print "n/a" }')
emit "# memory, $(date -u +%Y-%m-%dT%H:%M:%SZ): relayguardd, $N customers, one request each"
emit "$(printf 'memory customers=%s errors=%s rss_before_kb=%s rss_after_kb=%s bytes_per_customer=%s seconds=%.1f' \
    "$requests" "$errors" "$before" "$after" "$per" "$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')")"
bench_stop $rpid
