#!/bin/bash
# 29_redis_cluster.sh - state.backend = "redis" against a real three-node
# Redis Cluster (redis-server --cluster-enabled, redis-cli --cluster
# create) on free loopback ports, the daemon told only of the first node.
#
# Proves: keys owned by the other nodes are reached through their MOVED
# redirects (relayguard_state_redis_redirects_total > 0, no error, no
# request judged locally), and each customer's limit (3/1h) holds exactly:
# 5 messages each for 8 customers give 24 accepted, and every node holds
# some of the windows.
. "$(dirname "$0")/lib.sh"

command -v redis-server >/dev/null || fail "redis-server not installed (scripts/deps.sh)"
# The cluster bus port is PORT + 10000 unless given: give free ones.
read -r P1 P2 P3 B1 B2 B3 <<<"$(free_ports 6)"
for pb in $P1:$B1 $P2:$B2 $P3:$B3; do
	p=${pb%:*}
	mkdir -p "$T/r$p"
	(cd "$T/r$p" && exec redis-server --port "$p" --cluster-port "${pb#*:}" \
	    --bind 127.0.0.1 --cluster-enabled yes --cluster-config-file nodes.conf \
	    --save '' --appendonly no --logfile log) &
	RG_EXTRA_PIDS="${RG_EXTRA_PIDS:-} $!"
done
for p in $P1 $P2 $P3; do
	wait_for 10 port_open "$p" || { cat "$T/r$p/log"; fail "redis-server not listening on $p"; }
done
redis-cli --cluster create "127.0.0.1:$P1" "127.0.0.1:$P2" "127.0.0.1:$P3" \
    --cluster-replicas 0 --cluster-yes >"$T/create.log" 2>&1 || { cat "$T/create.log"; fail "cluster create"; }
wait_for 15 sh -c "redis-cli -p $P1 cluster info | grep -q cluster_state:ok" || fail "cluster not ok"

mkdir -p "$T/state"
cat >"$T/rg.conf" <<EOF
state {
  backend = "redis";
  dir = "$T/state";
  redis { servers = ["127.0.0.1:$P1"]; prefix = "rgc:"; timeout = 200ms; }
}
listen { policy = ["127.0.0.1:$RG_POLICY_PORT"]; http = ["127.0.0.1:$RG_HTTP_PORT"]; }
network "business"  { prefixes = ["198.51.100.0/24"]; }
customer_key = ["sasl_username", "client_address"];
limit "msgs" { key = "customer"; count = "messages"; rate = "3/1h"; action = "defer"; }
EOF
rg_start "$T/rg.conf"

python3 - "$RG_POLICY_PORT" >"$T/answers" <<'EOF' || fail "sending failed"
import os, sys
sys.path.insert(0, os.environ["RG_ROOT"] + "/tests/integ")
from policyc import connect, request, Reader
s = connect("127.0.0.1:" + sys.argv[1])
r = Reader(s)
for c in "abcdefgh":
    for i in range(5):
        s.sendall(request(client_address="198.51.100.7", sasl_username="cu-" + c,
                          policy_context="submission"))
        print(r.reply())
EOF
n=$(grep -c '^DUNNO$' "$T/answers")
d=$(grep -c '^DEFER_IF_PERMIT 4.7.1 relayguard: limit msgs' "$T/answers")
[ "$n" -eq 24 ] && [ "$d" -eq 16 ] || fail "8 customers x 5 under 3/1h: $n accepted, $d deferred"
for p in $P1 $P2 $P3; do
	k=$(redis-cli -p "$p" --scan --pattern 'rgc:l:*' | wc -l)
	[ "$k" -ge 1 ] || fail "node $p holds no window: the keys did not spread"
done
sleep 1.5	# /metrics copies the backend's counters once a second
m=$(curl -s --max-time 5 "http://127.0.0.1:$RG_HTTP_PORT/metrics")
red=$(sed -n 's/^relayguard_state_redis_redirects_total //p' <<<"$m")
[ "${red:-0}" -ge 1 ] || fail "no redirect followed: $m"
grep -qx 'relayguard_state_redis_errors_total 0' <<<"$m" || fail "errors: $m"
grep -qx 'relayguard_state_requests_total{state="local"} 0' <<<"$m" || fail "local requests: $m"
grep -qx 'relayguard_state_requests_total{state="shared"} 40' <<<"$m" || fail "shared requests: $m"
ok "3-node cluster: 24 of 40 accepted (3 per customer), windows on every node, $red MOVED redirects followed, no error"
rg_finish
