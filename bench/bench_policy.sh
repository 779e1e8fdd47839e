#!/bin/bash
# bench_policy.sh - policy service throughput and latency: relayguardd
# against postfwd2 (the Perl policy daemon ISPs run for rate limits) and
# against bench/null_responder (a C service that answers DUNNO without
# looking: the ceiling of this machine), all measured in the same run.
#
#   bench/bench_policy.sh [-d SECONDS] [-p POSTFWD_SECONDS] [-c "1 8 32"]
#                         [-n CUSTOMERS] [-r REPEAT] [-o OUTFILE]
#
# The servers all start on core SERVER_CPU (0) and wait; the load
# generator (bench/policy_load: one thread per connection, like Postfix
# smtpd processes) runs on CLIENT_CPU (1) against one server at a time,
# after a 1 s warm-up, the servers taking turns at each concurrency so
# that a noisy moment on the machine does not fall on one of them only.
# With -r REPEAT the whole round is repeated and the table keeps each
# server's best run.  postfwd2 runs for fewer seconds (-p, default 5):
# it is slow.
# The limit is the same in both: 200 messages an hour per customer,
# deferred above (bench/relayguard-bench.conf, bench/postfwd.cf); with
# 100,000 customers in turn it rarely trips, so each request pays for
# the counting but not for a refusal.  A server that is missing (no
# build/relayguardd yet) is reported as skipped.
#
# Output: a table (server, conc, rps, p50/p99/p99.9 in microseconds,
# errors, server CPU microseconds per request) and the ratios
# relayguard/postfwd2 and relayguard/null, on stdout and appended to
# OUTFILE when given.  The CPU per request is the steadier figure on a
# small machine: with 2 cores the one-core client is often the
# bottleneck, and then rps says more about the client than the server.  Loopback only; every
# process started here is stopped on exit.
set -u
cd "$(dirname "$0")/.." || exit 1
. bench/bench_lib.sh

DUR=10
PF_DUR=5
CONCS="1 8 32"
CUSTOMERS=100000
REPEAT=1
OUT=""
while getopts "d:p:c:n:r:o:" opt; do
	case $opt in
	d) DUR=$OPTARG ;;
	p) PF_DUR=$OPTARG ;;
	c) CONCS=$OPTARG ;;
	n) CUSTOMERS=$OPTARG ;;
	r) REPEAT=$OPTARG ;;
	o) OUT=$OPTARG ;;
	*) echo "usage: $0 [-d S] [-p S] [-c \"1 8 32\"] [-n N] [-r REPEAT] [-o FILE]" >&2; exit 2 ;;
	esac
done

LOAD=build/bench/policy_load
NULL=build/bench/null_responder
RGD=build/relayguardd
for b in $LOAD $NULL; do
	[ -x "$b" ] || { echo "bench_policy: $b missing (make $b)" >&2; exit 1; }
done

WORK=$(mktemp -d /tmp/rg-bench-policy.XXXXXX)
chmod 755 "$WORK"
bench_track_dir "$WORK"
trap bench_cleanup EXIT
trap 'exit 130' INT TERM
RESULTS=$WORK/results

SERVERS=()	# "NAME PORT SECONDS CPUSPEC"

# load_once NAME PORT SECONDS CPUSPEC CONC - one policy_load run.  CPUSPEC
# (pid:N or pgid:N, see bench_cpu_ticks) names the server, whose CPU time
# over the run divided by every request answered (warm-up included)
# gives cpu_us_per_req.
load_once() {
	local line c0 c1 sent cpu
	c0=$(bench_cpu_ticks "$4")
	line=$(taskset -c "$CLIENT_CPU" $LOAD -c "$5" -d "$3" -w 1 -n "$CUSTOMERS" \
	    -a "127.0.0.1:$2" 2>>"$WORK/load.log")
	c1=$(bench_cpu_ticks "$4")
	sent=$(bench_kv "$line" sent)
	cpu=$(awk -v t=$((c1 - c0)) -v hz="$(bench_clk_tck)" -v n="${sent:-0}" \
	    'BEGIN { if (n > 0) printf "%.1f", t * 1e6 / hz / n; else print "n/a" }')
	line="$line cpu_us_per_req=$cpu"
	echo "$1 $line" >>"$RESULTS"
	echo "  $1: $line" >&2
	tail -1 "$WORK/load.log" | sed 's/^/    /' >&2
}

# -- start every server; idle ones cost nothing on the server core --------
port=$(bench_free_port)
taskset -c "$SERVER_CPU" $NULL -a "127.0.0.1:$port" 2>"$WORK/null.log" &
npid=$!
bench_track $npid
bench_wait_port "$port" 5 && SERVERS+=("null $port $DUR pid:$npid")

if [ -x "$RGD" ]; then
	port=$(bench_free_port)
	bench_rg_conf "$WORK/relayguard.conf" "$port" "$WORK/state"
	taskset -c "$SERVER_CPU" $RGD -c "$WORK/relayguard.conf" -f 2>"$WORK/relayguardd.log" &
	rpid=$!
	bench_track $rpid
	if bench_wait_port "$port" 10; then
		SERVERS+=("relayguard $port $DUR pid:$rpid")
	else
		tail -20 "$WORK/relayguardd.log" >&2
		echo "relayguard failed" >>"$RESULTS"
	fi
else
	echo "bench_policy: $RGD not built; relayguard skipped" >&2
	echo "relayguard skipped" >>"$RESULTS"
fi

PFWD=${POSTFWD2:-/usr/sbin/postfwd2}
if [ -x "$PFWD" ]; then
	port=$(bench_free_port)
	cport=$(bench_free_port)
	mkdir "$WORK/postfwd"
	cp bench/postfwd.cf "$WORK/postfwd/postfwd.cf"
	user=()
	if [ "$(id -u)" -eq 0 ]; then
		user=(-u nobody -g nogroup)
		chown -R nobody:nogroup "$WORK/postfwd"
	fi
	# It forks away (Net::Server); its master's pid is its process group.
	# Net::Server refuses max_spare_servers >= max_servers (silently: syslog).
	# One pre-forked child per connection: they are persistent.
	maxc=0
	for c in $CONCS; do [ "$c" -gt "$maxc" ] && maxc=$c; done
	taskset -c "$SERVER_CPU" "$PFWD" -f "$WORK/postfwd/postfwd.cf" -i 127.0.0.1 \
	    -p "$port" --cache_socket "tcp:127.0.0.1:$cport" \
	    --pidfile "$WORK/postfwd/postfwd.pid" "${user[@]}" --perfmon --noidlestats \
	    --min_servers $((maxc + 4)) --max_servers $((maxc + 16)) \
	    --min_spare_servers 2 --max_spare_servers $((maxc + 8)) \
	    >"$WORK/postfwd.log" 2>&1
	for _ in 1 2 3 4 5 6 7 8 9 10; do [ -s "$WORK/postfwd/postfwd.pid" ] && break; sleep 0.5; done
	if [ -s "$WORK/postfwd/postfwd.pid" ]; then
		pgid=$(cat "$WORK/postfwd/postfwd.pid")
		bench_track_group "$pgid"
		# Pre-forked children take a moment after the listener is up.
		if bench_wait_port "$port" 10; then
			sleep 3
			SERVERS+=("postfwd2 $port $PF_DUR pgid:$pgid")
		fi
	else
		echo "bench_policy: postfwd2 did not start:" >&2
		cat "$WORK/postfwd.log" >&2
		echo "postfwd2 failed" >>"$RESULTS"
	fi
else
	echo "bench_policy: $PFWD missing; postfwd2 skipped" >&2
	echo "postfwd2 skipped" >>"$RESULTS"
fi

# -- the runs, interleaved so that a noisy moment hits every server -------
for ((rep = 1; rep <= REPEAT; rep++)); do
	for c in $CONCS; do
		for srv in "${SERVERS[@]}"; do
			# shellcheck disable=SC2086
			load_once $srv "$c"
		done
	done
done

# -- the table and the ratios -------------------------------------------
# best_runs - per server and concurrency the run with the highest rps,
# in the order they were first run; "skipped"/"failed" lines as they are.
best_runs() {
	awk '
	$2 == "skipped" || $2 == "failed" { note[++nn] = $0; next }
	{
		conc = ""; rps = 0
		for (i = 2; i <= NF; i++) {
			if ($i ~ /^conc=/) conc = substr($i, 6)
			if ($i ~ /^rps=/) rps = substr($i, 5) + 0
		}
		k = $1 " " conc
		if (!(k in best)) order[++n] = k
		if (!(k in best) || rps > bestrps[k]) { best[k] = $0; bestrps[k] = rps }
	}
	END {
		for (i = 1; i <= n; i++) print best[order[i]]
		for (i = 1; i <= nn; i++) print note[i]
	}' "$RESULTS"
}

# field_of NAME CONC KEY - KEY of the best run of NAME at CONC.
field_of() {
	local name line
	while read -r name line; do
		if [ "$name" = "$1" ] && [ "$(bench_kv "$line" conc)" = "$2" ]; then
			bench_kv "$line" "$3"
			return
		fi
	done <"$WORK/best"
}

ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && b + 0 > 0) printf "%.2f", a / b
		else printf "n/a" }'
}

report() {
	local name c line
	best_runs >"$WORK/best"
	printf '# policy service, %s: server on cpu %s, load on cpu %s, %s customers, %s s (postfwd2 %s s), best of %s\n' \
	    "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$SERVER_CPU" "$CLIENT_CPU" "$CUSTOMERS" \
	    "$DUR" "$PF_DUR" "$REPEAT"
	printf '%-12s %5s %9s %9s %9s %9s %7s %10s\n' server conc rps p50_us p99_us \
	    p999_us errors cpu_us/req
	while read -r name line; do
		if [ "$line" = skipped ] || [ "$line" = failed ]; then
			printf '%-12s %s\n' "$name" "$line"
			continue
		fi
		printf '%-12s %5s %9s %9s %9s %9s %7s %10s\n' "$name" \
		    "$(bench_kv "$line" conc)" "$(bench_kv "$line" rps)" \
		    "$(bench_kv "$line" p50_us)" "$(bench_kv "$line" p99_us)" \
		    "$(bench_kv "$line" p999_us)" "$(bench_kv "$line" errors)" \
		    "$(bench_kv "$line" cpu_us_per_req)"
	done <"$WORK/best"
	for c in $CONCS; do
		printf 'conc=%s rps: relayguard/postfwd2=%s relayguard/null=%s' "$c" \
		    "$(ratio "$(field_of relayguard "$c" rps)" "$(field_of postfwd2 "$c" rps)")" \
		    "$(ratio "$(field_of relayguard "$c" rps)" "$(field_of null "$c" rps)")"
		printf '  cpu/req: postfwd2/relayguard=%s relayguard/null=%s\n' \
		    "$(ratio "$(field_of postfwd2 "$c" cpu_us_per_req)" "$(field_of relayguard "$c" cpu_us_per_req)")" \
		    "$(ratio "$(field_of relayguard "$c" cpu_us_per_req)" "$(field_of null "$c" cpu_us_per_req)")"
	done
}

if [ -n "$OUT" ]; then
	report | tee -a "$OUT"
else
	report
fi
