#!/bin/bash
# 28_redis_shared_limit.sh - state.backend = "redis" (SPEC section 7): two
# relayguardd sharing one real redis-server on a free loopback port.
#
# Proves:
#  - limit 10/1h, 8 messages of one customer through daemon A and 8
#    through daemon B, interleaved: exactly 10 accepted in all, 6
#    deferred, and the shared window in Redis holds exactly 10;
#  - a request refused by one limit gives back what another limit
#    committed for it (no leak into the combined count);
#  - an incident opened on A (two abuse complaints) holds the customer's
#    mail on B too ("shared incident"); released on A, B lets it through;
#  - redis-server killed: mail keeps flowing, every answer within a
#    fraction of a second (timeout 50ms), the local limit applies on
#    each node (10 of 12 for a fresh customer on A), the log says
#    "unreachable ... using local state" once, /metrics shows
#    relayguard_state_backend_up 0 and local requests;
#  - redis-server restarted: both nodes reconnect ("reachable again",
#    backend_up 1) and the combined limit holds again.
. "$(dirname "$0")/lib.sh"

command -v redis-server >/dev/null || fail "redis-server not installed (scripts/deps.sh)"
read -r REDIS_PORT B_POLICY_PORT B_HTTP_PORT <<<"$(free_ports 3)"
REDIS_PID=
B_PID=
B_LOG=$T/relayguardd-b.log
HOST=$(hostname)

redis_start() {
	redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' \
	    --appendonly no --dir "$T" --logfile "$T/redis.log" &
	REDIS_PID=$!
	RG_EXTRA_PIDS="$REDIS_PID ${B_PID:-}"
	wait_for 10 port_open "$REDIS_PORT" || fail "redis-server not listening on $REDIS_PORT"
}
redis_kill() {
	kill -KILL "$REDIS_PID" 2>/dev/null
	wait "$REDIS_PID" 2>/dev/null
	REDIS_PID=
	RG_EXTRA_PIDS="${B_PID:-}"
}
rcli() { redis-cli -p "$REDIS_PORT" "$@"; }

(umask 077 && echo "$RG_TOKEN" >"$T/api.token")
conf() {	# FILE POLICY_PORT HTTP_PORT STATE_DIR
	mkdir -p "$4"
	cat >"$1" <<EOF
state {
  backend = "redis";
  dir = "$4";
  redis { servers = ["127.0.0.1:$REDIS_PORT"]; prefix = "rgt:"; timeout = 50ms; }
}
listen { policy = ["127.0.0.1:$2"]; http = ["127.0.0.1:$3"]; }
http { token_file = "$T/api.token"; }
network "broadband" { prefixes = ["100.64.0.0/10"]; require_auth = true; }
network "business"  { prefixes = ["198.51.100.0/24"]; }
network "trusted"   { prefixes = ["127.0.0.0/8"]; exempt = true; }
customer_key = ["sasl_username", "client_address"];
detection { enabled = true; on_compromise = ["hold"]; }
limit "msgs" { key = "customer"; count = "messages"; rate = "10/1h"; action = "defer"; }
limit "rcpt_cap" { key = "sender"; count = "recipients"; rate = "3/1h"; action = "reject"; networks = ["broadband"]; }
EOF
}

redis_start
conf "$T/a.conf" "$RG_POLICY_PORT" "$RG_HTTP_PORT" "$T/state-a"
conf "$T/b.conf" "$B_POLICY_PORT" "$B_HTTP_PORT" "$T/state-b"
"$RG_CLI" check -c "$T/a.conf" >"$T/check.out" 2>&1 || { cat "$T/check.out"; fail "check failed"; }
grep -q "^state: redis, servers 127.0.0.1:$REDIS_PORT, prefix \"rgt:\", timeout 50ms; local state in $T/state-a$" \
    "$T/check.out" || fail "check does not name the backend: $(cat "$T/check.out")"
ok "relayguard check prints the redis backend and its servers"

rg_start "$T/a.conf"
"$RG_DAEMON" -c "$T/b.conf" -f >>"$B_LOG" 2>&1 &
B_PID=$!
RG_EXTRA_PIDS="$REDIS_PID $B_PID"
wait_for 10 port_open "$B_POLICY_PORT" || { cat "$B_LOG"; fail "daemon B not listening"; }
grep -q "state: redis 127.0.0.1:$REDIS_PORT connected" "$RG_LOG" || fail "A did not log its connection"

# send.py ADDR... - run requests (a python list of [addr, attrs]) from stdin
# JSON, print one "ACTION<TAB>SECONDS" line each.
cat >"$T/send.py" <<'EOF'
import json, os, sys, time
sys.path.insert(0, os.environ["RG_ROOT"] + "/tests/integ")
from policyc import connect, request, Reader
conns = {}
for addr, attrs in json.load(sys.stdin):
    if addr not in conns:
        s = connect("127.0.0.1:%s" % addr)
        conns[addr] = (s, Reader(s))
    s, r = conns[addr]
    t0 = time.time()
    s.sendall(request(**attrs))
    a = r.reply(timeout=10)
    print("%s\t%.3f" % (a, time.time() - t0))
EOF
# msgs PORTS CUSTOMER N - N messages of CUSTOMER alternating over PORTS.
msgs() {
	python3 - "$@" <<'EOF'
import json, sys
ports, cust, n = sys.argv[1].split(","), sys.argv[2], int(sys.argv[3])
out = []
for i in range(n):
    out.append([ports[i % len(ports)], dict(client_address="198.51.100.7",
        sasl_username=cust, sender="%s@isp.example" % cust, helo_name="pc",
        recipient="friend@example.org", policy_context="submission")])
print(json.dumps(out))
EOF
}
send() { python3 "$T/send.py" >"$T/answers"; }
count() { grep -c "^$1" "$T/answers"; true; }

msgs "$RG_POLICY_PORT,$B_POLICY_PORT" u1 16 | send || fail "sending failed"
[ "$(count DUNNO)" -eq 10 ] && [ "$(count 'DEFER_IF_PERMIT 4.7.1 relayguard: limit msgs exceeded for u1')" -eq 6 ] ||
    fail "combined limit: $(cut -f1 "$T/answers" | sort | uniq -c)"
sum=$(rcli --raw HVALS "rgt:l:msgs:w:3600000:customer:u1" | awk '{s += $1} END {print s + 0}')
[ "$sum" -eq 10 ] || fail "the shared window holds $sum, not 10"
ok "10/1h, 8 messages through A and 8 through B: exactly 10 accepted, 6 deferred; Redis counts 10"

# The sender limit (3 recipients/1h, reject) refuses the 4th recipient of
# one sender: the customer limit's count for it must be given back.
cat >"$T/reqs.json" <<EOF
[["$RG_POLICY_PORT", {"client_address": "100.64.9.9", "sasl_username": "u9", "sender": "s9@isp.example", "recipient": "a@example.org", "policy_context": "submission"}],
 ["$B_POLICY_PORT", {"client_address": "100.64.9.9", "sasl_username": "u9", "sender": "s9@isp.example", "recipient": "b@example.org", "policy_context": "submission"}],
 ["$RG_POLICY_PORT", {"client_address": "100.64.9.9", "sasl_username": "u9", "sender": "s9@isp.example", "recipient": "c@example.org", "policy_context": "submission"}],
 ["$B_POLICY_PORT", {"client_address": "100.64.9.9", "sasl_username": "u9", "sender": "s9@isp.example", "recipient": "d@example.org", "policy_context": "submission"}]]
EOF
send <"$T/reqs.json" || fail "sending failed"
[ "$(count DUNNO)" -eq 3 ] && [ "$(count 'REJECT 5.7.1 relayguard: limit rcpt_cap')" -eq 1 ] ||
    fail "sender limit: $(cut -f1 "$T/answers" | sort | uniq -c)"
sum=$(rcli --raw HVALS "rgt:l:msgs:w:3600000:customer:u9" | awk '{s += $1} END {print s + 0}')
[ "$sum" -eq 3 ] || fail "the refused message stayed counted in the customer window: $sum"
ok "a message refused by another limit is given back: u9's shared window holds 3, not 4"

# A key that holds something else (WRONGTYPE inside the script) fails
# that request only: it is judged locally, what its other limits
# committed is given back, and the backend stays up for everyone else.
rcli SET "rgt:l:msgs:w:3600000:customer:u5" "not a window" >/dev/null
cat >"$T/reqs.json" <<EOF
[["$RG_POLICY_PORT", {"client_address": "100.64.9.5", "sasl_username": "u5", "sender": "s5@isp.example", "recipient": "a@example.org", "policy_context": "submission"}],
 ["$RG_POLICY_PORT", {"client_address": "100.64.9.5", "sasl_username": "u5", "sender": "s5@isp.example", "recipient": "b@example.org", "policy_context": "submission"}]]
EOF
send <"$T/reqs.json" || fail "sending failed"
[ "$(count DUNNO)" -eq 2 ] || fail "u5 with a broken key: $(cut -f1 "$T/answers" | sort | uniq -c)"
wait_for 5 grep -q "state: redis 127.0.0.1:$REDIS_PORT: .*(request judged locally" "$RG_LOG" ||
    fail "no log line for the broken key"
! grep -q "unreachable" "$RG_LOG" || fail "a broken key took the backend down: $(grep unreachable "$RG_LOG")"
held=0
for k in $(rcli --scan --pattern 'rgt:l:rcpt_cap:*s5@isp.example*'); do
	held=$((held + $(rcli --raw HVALS "$k" | awk '{s += $1} END {print s + 0}')))
done
[ "$held" -eq 0 ] || fail "the sender limit kept $held of a request judged locally"
msgs "$RG_POLICY_PORT,$B_POLICY_PORT" u6 4 | send || fail "sending failed"
sum=$(rcli --raw HVALS "rgt:l:msgs:w:3600000:customer:u6" | awk '{s += $1} END {print s + 0}')
[ "$sum" -eq 4 ] || fail "after a broken key the shared window of u6 holds $sum, not 4"
rcli DEL "rgt:l:msgs:w:3600000:customer:u5" >/dev/null
ok "a key of the wrong type: that request judged locally, its sender count given back, the backend still shared (u6: 4)"

# --- a shared incident: two complaints about c1 on A
cat >"$T/arf.eml" <<EOF
From: <fbl@mail.example>
Subject: FW: report
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report;
    boundary="b1"

--b1
Content-Type: text/plain

This is an email abuse report.

--b1
Content-Type: message/feedback-report

Feedback-Type: abuse
User-Agent: integ/1
Version: 1
Original-Rcpt-To: <victim@mail.example>

--b1
Content-Type: message/rfc822

Received: from desktop-7 (dyn-100-64-5-6.pool.isp.example [100.64.5.6])
	(Authenticated sender: c1)
	by $HOST (Postfix) with ESMTPSA id 4Xk2Lq1Zt3z9;
	Sun, 30 Nov 2025 00:00:08 +0000
From: <c1@isp.example>
Subject: Cheap meds
Message-ID: <m1@c1>

Buy now.
--b1--
EOF
c1() { policy_query "$1" client_address=100.64.5.6 sasl_username=c1 helo_name=desktop-7 \
    sender=c1@isp.example recipient=friend@example.org policy_context=submission; }
[ "$(c1 "$RG_POLICY_PORT")" = DUNNO ] || fail "c1's first message on A"
for i in 1 2; do
	code=$(curl -s -o "$T/http.body" -w '%{http_code}' --max-time 10 -H 'Content-Type: message/rfc822' \
	    -H "Authorization: Bearer $RG_TOKEN" --data-binary "@$T/arf.eml" \
	    "http://127.0.0.1:$RG_HTTP_PORT/api/v1/complaints")
	[ "$code" = 200 ] || [ "$code" = 201 ] || [ "$code" = 202 ] || fail "complaint $i: HTTP $code $(cat "$T/http.body")"
done
case $(c1 "$RG_POLICY_PORT") in "HOLD relayguard: incident 1"*) ;; *) fail "c1 not held on A" ;; esac
[ "$(rcli --raw GET rgt:i:c1)" = "1 1 complaint $HOST" ] || fail "incident not shared: $(rcli --raw GET rgt:i:c1)"
a=$(c1 "$B_POLICY_PORT")
case $a in "HOLD relayguard: shared incident $HOST/1: mail of c1 looks compromised (complaint)"*) ;;
*) fail "c1 not held on B: $a" ;; esac
ok "incident 1 opened on A holds c1 on B too: $a"
code=$(curl -s -o "$T/http.body" -w '%{http_code}' --max-time 10 -X POST \
    -H "Authorization: Bearer $RG_TOKEN" "http://127.0.0.1:$RG_HTTP_PORT/api/v1/incidents/1/release")
[ "$code" = 200 ] || fail "release: HTTP $code $(cat "$T/http.body")"
[ -z "$(rcli --raw GET rgt:i:c1)" ] || fail "released incident still in Redis"
[ "$(c1 "$B_POLICY_PORT")" = DUNNO ] || fail "c1 still held on B after the release"
ok "released on A, c1's mail flows on B again"

# --- Redis dies
redis_kill
msgs "$RG_POLICY_PORT" u2 12 | send || fail "no answers with Redis down"
[ "$(count DUNNO)" -eq 10 ] && [ "$(count 'DEFER_IF_PERMIT')" -eq 2 ] ||
    fail "local limit on A: $(cut -f1 "$T/answers" | sort | uniq -c)"
slow=$(awk -F'\t' '$2 > 0.5' "$T/answers" | wc -l)
[ "$slow" -eq 0 ] || fail "$slow answers took over 0.5 s with Redis down"
msgs "$B_POLICY_PORT" u2 3 | send || fail "no answers from B with Redis down"
[ "$(count DUNNO)" -eq 3 ] || fail "B's own local state: $(cut -f1 "$T/answers" | sort | uniq -c)"
n=$(grep -c "state: redis 127.0.0.1:$REDIS_PORT unreachable (.*); using local state" "$RG_LOG")
[ "$n" -eq 1 ] || fail "A logged the outage $n times, not once"
grep -q "state: redis 127.0.0.1:$REDIS_PORT unreachable" "$B_LOG" || fail "B did not log the outage"
metrics() { curl -s --max-time 5 "http://127.0.0.1:$1/metrics"; }
wait_for 5 sh -c "curl -s http://127.0.0.1:$RG_HTTP_PORT/metrics | grep -qx 'relayguard_state_backend_up 0'" ||
    fail "metrics: $(metrics "$RG_HTTP_PORT" | grep relayguard_state)"
m=$(metrics "$RG_HTTP_PORT")
grep -qx 'relayguard_state_fallback 1' <<<"$m" || fail "no fallback gauge: $m"
loc=$(sed -n 's/^relayguard_state_requests_total{state="local"} //p' <<<"$m")
[ "${loc:-0}" -ge 12 ] || fail "local requests in /metrics: ${loc:-none}"
ok "Redis down: every answer within 0.5 s, local limit 10 of 12 on A, B on its own, one log line, backend_up 0, $loc local requests"

# --- Redis back
redis_start
wait_for 10 grep -q "state: redis 127.0.0.1:$REDIS_PORT reachable again" "$RG_LOG" ||
    fail "A did not reconnect"
wait_for 10 grep -q "state: redis 127.0.0.1:$REDIS_PORT reachable again" "$B_LOG" ||
    fail "B did not reconnect"
wait_for 5 sh -c "curl -s http://127.0.0.1:$RG_HTTP_PORT/metrics | grep -qx 'relayguard_state_backend_up 1'" ||
    fail "metrics after reconnect: $(metrics "$RG_HTTP_PORT" | grep relayguard_state)"
msgs "$RG_POLICY_PORT,$B_POLICY_PORT" u3 14 | send || fail "sending failed"
[ "$(count DUNNO)" -eq 10 ] && [ "$(count DEFER_IF_PERMIT)" -eq 4 ] ||
    fail "combined limit after reconnect: $(cut -f1 "$T/answers" | sort | uniq -c)"
ok "Redis back: both nodes reconnect, backend_up 1, 7 + 7 messages: exactly 10 accepted"

kill -TERM "$B_PID"
wait "$B_PID"; rc=$?
B_PID=
RG_EXTRA_PIDS="$REDIS_PID"
[ "$rc" -eq 0 ] || { cat "$B_LOG"; fail "daemon B exited with $rc"; }
if grep -Eq 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$B_LOG"; then
	cat "$B_LOG"; fail "sanitizer report in B's log"
fi
rg_finish
ok "both daemons stop cleanly"
