#!/bin/bash
# bench_replay.sh - `relayguard replay` on one core (issue 3: at least
# 200,000 trace events/s) and detection's memory per tracked customer.
#
#   1. Throughput: a `relayguard simulate` trace (default --customers
#      10000 --days 2 --seed 1: about 1,000,000 events, a third policy
#      requests, the rest Postfix log lines) replayed with
#      `taskset -c REPLAY_CPU relayguard replay -c CONF -o FILE TRACE`,
#      detection on and off (the configuration of doc/detection.md, no
#      limits), best of RUNS runs.  Figures: trace events/s (an event is
#      one line of the trace), MB/s of input, decisions written; the
#      same trace's log lines alone as a plain Postfix log
#      (--format maillog) in lines/s.
#   2. Memory per customer with detection on, (max RSS - max RSS of a
#      1,000-customer run) / (customers - 1,000), max RSS as getrusage's
#      ru_maxrss (/usr/bin/time %M) reports it; it includes everything a
#      customer costs the engine (its detection record, the hash table's
#      share, its messages in flight, the address map):
#        new:    M distinct customers (default 1,000,000), one message of
#                one recipient each, at 08:00 UTC: customers without
#                history whose test leans to "normal";
#        night:  the same at 00:00 UTC: the off-hours signal makes each
#                test lean to "compromised" by a hair, so each customer
#                also holds an evidence record (detect.h): the worst case;
#        steady: M / 5 customers, five messages each to the same
#                recipient: their tests decide "normal" and restart, the
#                evidence record is freed; what a customer with a
#                history costs.
#      Also the simulate trace's max RSS over its customers (all of the
#      process, baseline included).
#
#   bench/bench_replay.sh [-n CUSTOMERS] [-d DAYS] [-m MEM_CUSTOMERS]
#                         [-r RUNS] [-o OUTFILE]
#
# REPLAY_CPU (default 1) is the core.  Needs build/relayguard,
# /usr/bin/time, taskset and python3; the traces go to a temporary
# directory under build/bench (about 0.5 GB with the defaults), removed
# on exit.  Each replay takes a few seconds.
set -u
cd "$(dirname "$0")/.." || exit 1
. bench/bench_lib.sh

N=10000
DAYS=2
M=1000000
RUNS=2
OUT=""
CPU=${REPLAY_CPU:-1}
while getopts "n:d:m:r:o:" opt; do
	case $opt in
	n) N=$OPTARG ;;
	d) DAYS=$OPTARG ;;
	m) M=$OPTARG ;;
	r) RUNS=$OPTARG ;;
	o) OUT=$OPTARG ;;
	*) echo "usage: $0 [-n CUSTOMERS] [-d DAYS] [-m MEM_CUSTOMERS] [-r RUNS] [-o FILE]" >&2
	   exit 2 ;;
	esac
done
RG=build/relayguard
[ -x "$RG" ] || { echo "bench_replay: $RG missing (make all)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench_replay: /usr/bin/time missing" >&2; exit 1; }
emit() {
	if [ -n "$OUT" ]; then echo "$1" | tee -a "$OUT"; else echo "$1"; fi
}
mkdir -p build/bench
D=$(mktemp -d build/bench/replay.tmp.$$.XXXX) || exit 1
bench_track_dir "$D"
trap bench_cleanup EXIT

# The configuration of doc/detection.md section 5, detection on and off.
cat >"$D/on.conf" <<'EOF'
network "broadband" { prefixes = ["100.64.0.0/10", "2001:db8:100::/40"]; require_auth = true; }
network "business" { prefixes = ["198.51.100.0/24", "203.0.113.0/24", "2001:db8:200::/40"]; }
network "trusted" { prefixes = ["127.0.0.0/8", "::1/128"]; exempt = true; }
customer_key = ["sasl_username", "client_address"];
detection { enabled = true; on_compromise = ["hold"]; }
EOF
sed 's/enabled = true/enabled = false/' "$D/on.conf" >"$D/off.conf"

# run_replay CONF INPUT [ARGS...] - best of RUNS on core CPU; sets
# BEST_S (elapsed), BEST_CPU (user + sys), BEST_RSS (KiB, of that run).
run_replay() {
	local conf=$1 input=$2 r e u s k
	shift 2
	BEST_S=
	for ((r = 0; r < RUNS; r++)); do
		read -r e u s k < <(taskset -c "$CPU" /usr/bin/time -f "%e %U %S %M" \
		    -o /dev/stdout "$RG" replay -c "$conf" -o "$D/decisions" "$@" \
		    "$input" 2>/dev/null | tail -1)
		if [ -z "$BEST_S" ] || awk -v a="$e" -v b="$BEST_S" 'BEGIN { exit !(a < b) }'; then
			BEST_S=$e
			BEST_CPU=$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.2f", u + s }')
			BEST_RSS=$k
		fi
	done
}
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }'; }

emit "## bench_replay: relayguard replay on core $CPU (best of $RUNS)"
"$RG" simulate --customers "$N" --days "$DAYS" --seed 1 -o "$D/trace.jsonl" || exit 1
EVENTS=$(wc -l <"$D/trace.jsonl")
POLICY=$(grep -c '"ev": "policy"' "$D/trace.jsonl")
LOGS=$(grep -c '"ev": "log"' "$D/trace.jsonl")
MB=$(awk -v b="$(stat -c %s "$D/trace.jsonl")" 'BEGIN { printf "%.0f", b / 1e6 }')
CUSTS=$(python3 -c 'import json, sys
s = set()
for l in open(sys.argv[1]):
    j = json.loads(l)
    if j["ev"] == "policy" and "truth" in j:
        s.add(j["truth"]["customer"])
print(len(s))' "$D/trace.jsonl")
emit "trace: simulate --customers $N --days $DAYS --seed 1: $EVENTS events ($POLICY policy, $LOGS log), $MB MB, $CUSTS customers"
emit "detection  events/s   MB/s  elapsed  cpu    decisions  max RSS"
for c in on off; do
	run_replay "$D/$c.conf" "$D/trace.jsonl"
	emit "$(printf '%-9s %9s %6s %7ss %5ss %10s %6s MiB' "$c" \
	    "$(rate "$EVENTS" "$BEST_S")" "$(rate "$MB" "$BEST_S")" "$BEST_S" \
	    "$BEST_CPU" "$(wc -l <"$D/decisions")" "$((BEST_RSS / 1024))")"
	[ "$c" = on ] && RSS_SIM=$BEST_RSS
done

# The log lines alone, as a plain Postfix log.
python3 -c 'import json, sys
with open(sys.argv[2], "w") as out:
    for l in open(sys.argv[1]):
        j = json.loads(l)
        if j["ev"] == "log":
            out.write(j["line"] + "\n")' "$D/trace.jsonl" "$D/mail.log"
rm -f "$D/trace.jsonl"
run_replay "$D/on.conf" "$D/mail.log" --format maillog --year 2025
emit "maillog: $LOGS lines, detection on: $(rate "$LOGS" "$BEST_S") lines/s (${BEST_S}s, $BEST_CPU s CPU, $(wc -l <"$D/decisions") incident lines)"
rm -f "$D/mail.log"

# Memory.  gen N K T0 FILE: N customers, K messages each from T0 (in K
# rounds, one recipient each: always the same for K > 1).
gen() {
	awk -v n="$1" -v k="$2" -v t0="$3" 'BEGIN {
		for (r = 0; r < k; r++)
			for (i = 0; i < n; i++)
				printf "{\"t\": %.3f, \"ev\": \"policy\", \"attrs\": {\"request\": \"smtpd_access_policy\", \"protocol_state\": \"RCPT\", \"instance\": \"m%d.%d\", \"client_address\": \"100.%d.%d.%d\", \"sasl_username\": \"c%d\", \"helo_name\": \"pc%d\", \"sender\": \"c%d@isp.example\", \"recipient\": \"r%d@example.org\", \"policy_context\": \"submission\"}}\n",
				    t0 + r * (n / 1000 + 1) + i * 0.001, r, i, 64 + int(i / 65536) % 64, int(i / 256) % 256, i % 256, i, i, i, (k > 1 ? i : i % 997)
	}' >"$4"
}
RUNS=1
gen 1000 1 1764489600 "$D/m0.jsonl"
run_replay "$D/on.conf" "$D/m0.jsonl"
RSS0=$BEST_RSS
emit "memory, detection on (baseline: 1,000 customers, max RSS $((RSS0 / 1024)) MiB):"
emit "$(printf '  %-7s %9s %5s %8s %12s %10s' case customers msgs "max RSS" "B/customer" events/s)"
for c in new night steady; do
	case $c in
	new) n=$M; k=1; t0=1764489600 ;;
	night) n=$M; k=1; t0=1764460800 ;;
	steady) n=$((M / 5)); k=5; t0=1764489600 ;;
	esac
	gen "$n" "$k" "$t0" "$D/m.jsonl"
	run_replay "$D/on.conf" "$D/m.jsonl"
	emit "$(printf '  %-7s %9s %5s %4s MiB %12s %10s' $c "$n" "$k" \
	    "$((BEST_RSS / 1024))" "$(( (BEST_RSS - RSS0) * 1024 / (n - 1000) ))" \
	    "$(rate "$((n * k))" "$BEST_S")")"
	rm -f "$D/m.jsonl"
done
emit "  simulate trace: max RSS $((RSS_SIM / 1024)) MiB / $CUSTS customers = $((RSS_SIM * 1024 / CUSTS)) bytes, $(( (RSS_SIM - RSS0) * 1024 / CUSTS )) above the baseline"
rm -f "$D/m0.jsonl"
