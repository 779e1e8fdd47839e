#!/bin/bash
# bench_dns.sh - the DNSBL against rbldnsd, in the same run, same data:
# the server pinned to CPU 0 (taskset), the load generator
# (build/bench/dns_load, recvmmsg/sendmmsg, WINDOW=100 queries in
# flight: enough to saturate either server, few enough not to overflow
# rbldnsd's default socket buffer) on
# CPU 1.  For each data set - 1,000,000 single IPv4 addresses (ip4set),
# 200,000 CIDRs with 20,000 exclusions (ip4trie), 100,000 IPv6 prefixes
# (ip6trie) - it reports load time (process start to first answer, probed
# every millisecond by dns_load -P; the median of LOADS=5 starts), RSS
# after the load, queries/s and latency over SECONDS of load (half listed
# names, half not).  Then: queries lost while the 1,000,000-entry file reloads
# under load (two reloads by SIGHUP during the run), for both servers.
#
# Server efficiency, which the generator's own core cannot hide: the
# server's CPU time (utime + stime of all its threads, from
# /proc/PID/stat, before and after the load) divided by the queries it
# answered, reported as queries per CPU-second ("q_cpu_s": the capacity
# of one core).  A second pass offers a fixed load (-r, default 150,000
# queries/s, paced by dns_load -r, up to 1000 in flight) that both
# servers can answer in full, and reports each server's CPU utilisation
# at that load (CPU seconds over the run's seconds).
#
#   bench/bench_dns.sh [-t SECONDS] [-o RESULTS] [-r QPS] [-d "DATASETS"] [-R]
#
# -t: seconds per run (default 5); -r: offered load of the fixed-load
# pass (0: skip it); -d: a subset of "ip4set ip4trie ip6trie"; -R: skip
# the reload runs.
#
# Needs: rbldnsd, taskset, build/bench/dnsbl_serve, build/bench/dns_load.
set -u
cd "$(dirname "$0")/.." || exit 1
SECS=5
OUT=/dev/null
WINDOW=${WINDOW:-100}
LOADS=${LOADS:-5}
RATE=150000
SETS="ip4set ip4trie ip6trie"
RELOAD=1
while getopts t:o:r:d:R c; do
	case $c in
	t) SECS=$OPTARG ;;
	o) OUT=$OPTARG ;;
	r) RATE=$OPTARG ;;
	d) SETS=$OPTARG ;;
	R) RELOAD=0 ;;
	*) echo "usage: $0 [-t SECONDS] [-o RESULTS] [-r QPS] [-d DATASETS] [-R]" >&2; exit 2 ;;
	esac
done
make -s build/bench/dnsbl_serve build/bench/dns_load || exit 1
command -v rbldnsd >/dev/null || { echo "rbldnsd not installed" >&2; exit 1; }
W=$(mktemp -d /tmp/bench_dns.XXXXXX)
chmod 755 "$W"
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	rm -rf "$W"
}
trap cleanup EXIT
port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }

python3 - "$W" <<'EOP'
import random, sys, ipaddress
w = sys.argv[1]; r = random.Random(1)
def v4(a): return "%d.%d.%d.%d" % (a >> 24, a >> 16 & 255, a >> 8 & 255, a & 255)
def rnd():
    while True:
        a = r.randrange(1 << 24, 224 << 24)
        if a >> 24 != 127: return a
# 1,000,000 single addresses
s = set()
while len(s) < 1000000: s.add(rnd())
s = list(s)
open(w + "/ip4set.rbl", "w").write(":127.0.0.2:Listed, see http://bl.example.test/?$\n" + "\n".join(map(v4, s)) + "\n")
names = [v4(a) for a in r.sample(s, 50000)] + [v4(rnd()) for _ in range(50000)]
r.shuffle(names)
open(w + "/ip4set.q", "w").write("\n".join(".".join(reversed(n.split("."))) + ".bl.example.test" for n in names) + "\n")
# 200,000 CIDRs (/12../28) with 20,000 exclusions inside them
lines = [":127.0.0.3:Policy $"]; pfx = []
for _ in range(200000):
    bits = r.choice([16, 20, 22, 24, 24, 24, 25, 26, 27, 28])
    a = rnd() & (0xffffffff << (32 - bits)) & 0xffffffff
    pfx.append((a, bits)); lines.append("%s/%d" % (v4(a), bits))
for _ in range(20000):
    a, bits = r.choice(pfx); lines.append("!" + v4(a + r.randrange(1 << (32 - bits))))
open(w + "/ip4trie.rbl", "w").write("\n".join(lines) + "\n")
names = []
for _ in range(100000):
    if r.random() < 0.5:
        a, bits = r.choice(pfx); a += r.randrange(1 << (32 - bits))
    else: a = rnd()
    names.append(".".join(reversed(v4(a).split("."))) + ".bl.example.test")
open(w + "/ip4trie.q", "w").write("\n".join(names) + "\n")
# 100,000 IPv6 prefixes (/32../64)
lines = [":127.0.1.2:IPv6 $"]; p6 = []
for _ in range(100000):
    bits = r.choice([32, 40, 48, 48, 56, 64, 64, 64])
    a = (0x2000 << 112 | r.randrange(1 << 108) << 4) & (((1 << 128) - 1) ^ ((1 << (128 - bits)) - 1))
    p6.append((a, bits)); lines.append("%s/%d" % (ipaddress.IPv6Address(a), bits))
open(w + "/ip6trie.rbl", "w").write("\n".join(lines) + "\n")
names = []
for _ in range(100000):
    if r.random() < 0.5:
        a, bits = r.choice(p6); a += r.randrange(1 << (128 - bits))
    else: a = 0x2000 << 112 | r.randrange(1 << 112)
    names.append(ipaddress.IPv6Address(a).reverse_pointer[:-9] + ".bl.example.test")
open(w + "/ip6trie.q", "w").write("\n".join(names) + "\n")
EOP
chmod 644 "$W"/*

rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
# cpu_ticks PID: utime + stime of the process (all its threads), in ticks.
cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }
HZ=$(getconf CLK_TCK)
field() { sed -n "s/.*$1=\([0-9]*\).*/\1/p" <<<"$2"; }

# start SERVER TYPE PORT: prints "PID LOAD_S" (process start to the first
# answer, timed by dns_load -P: one query a millisecond)
start() {
	local srv=$1 type=$2 p=$3 t0 t1 pid
	head -1 "$W/$type.q" >"$W/probe.q"
	if [ "$srv" = relayguard ]; then
		cat >"$W/rg.$type.conf" <<EOC
listen { dns = ["127.0.0.1:$p"]; }
zone "bl.example.test" { ttl = 300; dataset "d" { type = "$type"; file = "$W/$type.rbl"; } }
EOC
	fi
	t0=$(date +%s.%N)
	if [ "$srv" = rbldnsd ]; then
		taskset -c 0 rbldnsd -n -q -u nobody -t 300 -c 0 -b "127.0.0.1/$p" -w "$W" \
		    "bl.example.test:$type:$type.rbl" >"$W/rbldnsd.$type.log" 2>&1 &
	else
		taskset -c 0 build/bench/dnsbl_serve -c "$W/rg.$type.conf" -w 1 >"$W/rg.$type.log" 2>&1 &
	fi
	pid=$!
	PIDS+=("$pid")
	t1=$(taskset -c 1 build/bench/dns_load -s "127.0.0.1:$p" -q "$W/probe.q" -P -t 30 |
	    sed -n 's/answer_at=//p')
	echo "$pid $(echo "${t1:-0} - $t0" | bc)"
}

report() { echo "$*" | tee -a "$OUT"; }

# load_time SERVER TYPE: the median of LOADS starts (start to first answer).
load_time() {
	local i p pid load all=()
	for i in $(seq "$LOADS"); do
		p=$(port)
		read -r pid load <<<"$(start "$1" "$2" "$p")"
		all+=("$load")
		kill "$pid"; wait "$pid" 2>/dev/null
	done
	printf '%s\n' "${all[@]}" | sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'
}

report "## DNSBL (bench/bench_dns.sh -t $SECS, window $WINDOW), server on CPU 0, dns_load on CPU 1"
report "$(printf '%-8s %-10s %9s %8s %9s %8s %8s %6s %7s %9s' dataset server load_s rss_mb qps p50_us p99_us lost cpu_s q_cpu_s)"
for type in $SETS; do
	for srv in rbldnsd relayguard; do
		p=$(port)
		load=$(load_time "$srv" "$type")
		read -r pid _ <<<"$(start "$srv" "$type" "$p")"
		sleep 0.5
		rss=$(rss_kb "$pid")
		c0=$(cpu_ticks "$pid")
		res=$(taskset -c 1 build/bench/dns_load -s "127.0.0.1:$p" -q "$W/$type.q" -t "$SECS" -w "$WINDOW")
		c1=$(cpu_ticks "$pid")
		ans=$(field answered "$res")
		cpu=$(echo "($c1 - $c0) / $HZ" | bc -l)
		report "$(printf '%-8s %-10s %9.3f %8.1f %9s %8s %8s %6s %7.2f %9.0f' "$type" "$srv" "$load" \
		    "$(echo "$rss / 1024" | bc -l)" "$(field qps "$res")" "$(field p50_us "$res")" \
		    "$(field p99_us "$res")" "$(field lost "$res")" "$cpu" \
		    "$(echo "$ans / ($cpu + 0.000001)" | bc -l)")"
		kill "$pid"; wait "$pid" 2>/dev/null
	done
done

if [ "$RATE" != 0 ]; then
	report ""
	report "offered load $RATE queries/s (dns_load -r $RATE), same data and query mix:"
	report "$(printf '%-8s %-10s %9s %9s %6s %8s %8s %7s %7s %9s' dataset server answered qps lost p50_us p99_us cpu_s cpu_pct q_cpu_s)"
	for type in $SETS; do
		for srv in rbldnsd relayguard; do
			p=$(port)
			read -r pid load <<<"$(start "$srv" "$type" "$p")"
			sleep 0.5
			c0=$(cpu_ticks "$pid")
			res=$(taskset -c 1 build/bench/dns_load -s "127.0.0.1:$p" -q "$W/$type.q" -t "$SECS" -w 1000 -r "$RATE")
			c1=$(cpu_ticks "$pid")
			ans=$(field answered "$res")
			cpu=$(echo "($c1 - $c0) / $HZ" | bc -l)
			report "$(printf '%-8s %-10s %9s %9s %6s %8s %8s %7.2f %7.1f %9.0f' "$type" "$srv" "$ans" \
			    "$(field qps "$res")" "$(field lost "$res")" "$(field p50_us "$res")" \
			    "$(field p99_us "$res")" "$cpu" "$(echo "100 * $cpu / $SECS" | bc -l)" \
			    "$(echo "$ans / ($cpu + 0.000001)" | bc -l)")"
			kill "$pid"; wait "$pid" 2>/dev/null
		done
	done
fi

[ "$RELOAD" = 1 ] || exit 0
report ""
report "reload of the 1,000,000-address ip4set under load (SIGHUP at 1/4 and 1/2 of the run):"
for srv in rbldnsd relayguard; do
	p=$(port)
	read -r pid load <<<"$(start "$srv" ip4set "$p")"
	sleep 0.5
	( sleep "$(echo "$SECS / 4" | bc -l)"; touch "$W/ip4set.rbl"; kill -HUP "$pid";
	  sleep "$(echo "$SECS / 4" | bc -l)"; touch "$W/ip4set.rbl"; kill -HUP "$pid" ) &
	res=$(taskset -c 1 build/bench/dns_load -s "127.0.0.1:$p" -q "$W/ip4set.q" -t "$SECS" -w "$WINDOW")
	wait $!
	report "$(printf '%-10s %s' "$srv" "$res")"
	kill "$pid"; wait "$pid" 2>/dev/null
done
