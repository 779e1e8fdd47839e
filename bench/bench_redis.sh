#!/bin/bash
# bench_redis.sh - the policy service with state.backend = "redis" against
# the same daemon embedded, in the same run: one redis-server on a free
# loopback port, one relayguardd of each kind (bench/relayguard-bench.conf,
# the redis one with the backend switched), bench/policy_load against
# each in turn at each concurrency.
#
#   bench/bench_redis.sh [-d SECONDS] [-c "1 8"] [-n CUSTOMERS] [-o OUTFILE]
#
# Each request is a new message of one of CUSTOMERS customers, so with
# redis it costs one EVALSHA (the messages limit) round trip to Redis on
# loopback.  No CPU pinning: on a 2-core machine the client, the daemon and
# redis-server share both cores, so the figures are the cost of the round
# trip on a busy machine, not a ceiling.  Every process started here is
# stopped on exit.
set -u
cd "$(dirname "$0")/.." || exit 1

DUR=5
CONCS="1 8"
CUSTOMERS=100000
OUT=""
while getopts "d:c:n:o:" opt; do
	case $opt in
	d) DUR=$OPTARG ;;
	c) CONCS=$OPTARG ;;
	n) CUSTOMERS=$OPTARG ;;
	o) OUT=$OPTARG ;;
	*) echo "usage: $0 [-d S] [-c \"1 8\"] [-n N] [-o FILE]" >&2; exit 2 ;;
	esac
done

LOAD=build/bench/policy_load
RGD=build/relayguardd
for b in $LOAD $RGD; do
	[ -x "$b" ] || { echo "bench_redis: $b missing (make all $LOAD)" >&2; exit 1; }
done
command -v redis-server >/dev/null || { echo "bench_redis: no redis-server" >&2; exit 1; }

WORK=$(mktemp -d /tmp/rg-bench-redis.XXXXXX)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT

read -r RPORT E_POL E_DNS E_HTTP R_POL R_DNS R_HTTP <<<"$(python3 -c '
import socket
s = [socket.socket() for _ in range(7)]
for x in s: x.bind(("127.0.0.1", 0))
print(" ".join(str(x.getsockname()[1]) for x in s))')"

redis-server --port "$RPORT" --bind 127.0.0.1 --save '' --appendonly no \
    --dir "$WORK" --logfile "$WORK/redis.log" &
PIDS+=($!)

mkconf() {	# OUT POLICY DNS HTTP DIR BACKEND
	sed -e "s/10140/$2/; s/10153/$3/; s/10180/$4/" \
	    -e "s|build/bench/state|$5|" bench/relayguard-bench.conf >"$1"
	if [ "$6" = redis ]; then
		sed -i "s|backend = \"embedded\";|backend = \"redis\"; redis { servers = [\"127.0.0.1:$RPORT\"]; timeout = 50ms; }|" "$1"
	fi
}
mkconf "$WORK/e.conf" "$E_POL" "$E_DNS" "$E_HTTP" "$WORK/se" embedded
mkconf "$WORK/r.conf" "$R_POL" "$R_DNS" "$R_HTTP" "$WORK/sr" redis
mkdir -p "$WORK/se" "$WORK/sr"
sleep 0.3
$RGD -c "$WORK/e.conf" -f 2>"$WORK/e.log" &
PIDS+=($!)
$RGD -c "$WORK/r.conf" -f 2>"$WORK/r.log" &
PIDS+=($!)
for p in "$E_POL" "$R_POL"; do
	for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && break; sleep 0.05; done
done
grep -q "state: redis .* connected" "$WORK/r.log" || { cat "$WORK/r.log"; echo "bench_redis: not connected" >&2; exit 1; }

printf '%-10s %5s %9s %8s %8s %8s %7s\n' backend conc rps p50_us p99_us p999_us errors | tee -a ${OUT:-/dev/null}
for c in $CONCS; do
	for kind in embedded redis; do
		port=$E_POL
		[ $kind = redis ] && port=$R_POL
		line=$($LOAD -c "$c" -d "$DUR" -n "$CUSTOMERS" -a "127.0.0.1:$port" 2>/dev/null)
		v() { echo "$line" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
		printf '%-10s %5s %9s %8s %8s %8s %7s\n' $kind "$c" "$(v rps)" "$(v p50_us)" \
		    "$(v p99_us)" "$(v p999_us)" "$(v errors)" | tee -a ${OUT:-/dev/null}
	done
done
