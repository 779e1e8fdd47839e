#!/bin/bash
# 26_sighup_reload.sh - SIGHUP reloads the config without dropping requests.
#
# Proves (SPEC section 1, STYLE "reload is build-then-swap"): while a load
# generator keeps 4 persistent connections busy (every request a new
# customer, every answer must be DUNNO within 5 s):
#  - a SIGHUP that changes the limit's rate from 100/1h to 3/1h takes
#    effect (a fresh customer: 3 DUNNO, then REJECT naming the limit),
#  - a SIGHUP with a broken config is refused with a log line naming
#    FILE:LINE of the error, and the running config stays (3/1h still
#    enforced, the broken file's new rate 1000/1h is not),
#  - no request of the generator fails, is dropped or goes unanswered, and
#    the daemon survives several reloads in a row.
source "$(dirname "$0")/lib.sh"

CONF=$T/rg.conf
limit() {	# RATE
	printf 'limit "reload_lim" {\n  key = "customer";\n  count = "messages";\n  rate = "%s";\n  action = "reject";\n}\n' "$1"
}
rg_conf "$CONF" "$(limit 100/1h)"
rg_start "$CONF"

# probe NAME N: send N messages of customer NAME (business network, SASL),
# print the answers one per line.
probe() {
	local i
	for i in $(seq "$2"); do
		policy_query "$RG_POLICY_PORT" client_address=198.51.100.20 \
		    "sasl_username=$1" sasl_method=PLAIN || echo "(no answer)"
	done
}
# rate_is3 NAME: the customer's first 3 answers are DUNNO and the 4th refuses.
rate_is3() {
	local out
	out=$(probe "$1" 4)
	[ "$(sed -n 1,3p <<<"$out" | grep -cx DUNNO)" -eq 3 ] &&
	    sed -n 4p <<<"$out" | grep -q '^REJECT 5\.7\.1 .*reload_lim'
}

STOP=$T/load.stop
python3 "$POLICYC" load "127.0.0.1:$RG_POLICY_PORT" 4 "$STOP" >"$T/load.out" 2>&1 &
LOAD_PID=$!
RG_EXTRA_PIDS=$LOAD_PID
sleep 0.5
kill -0 "$LOAD_PID" 2>/dev/null || { cat "$T/load.out"; fail "load generator died at once"; }

# 1. The old rate: 4 messages of one customer all pass.
out=$(probe pre 4)
[ "$(grep -cx DUNNO <<<"$out")" -eq 4 ] || fail "rate 100/1h: want 4 DUNNO, got: $out"
ok "rate 100/1h: 4 of 4 accepted"

# 2. Reload with rate 3/1h.
rg_conf "$CONF" "$(limit 3/1h)"
rg_hup
n=0
until rate_is3 "post$n"; do
	n=$((n + 1))
	[ $n -lt 20 ] || fail "rate 3/1h not in effect 20 probes after SIGHUP: $(probe "check" 4 | tr '\n' '|')"
	sleep 0.2
done
ok "after SIGHUP: rate 3/1h in effect (probe post$n: 3 DUNNO, then REJECT)"

# 3. Reload with a broken config: the running one stays.
rg_conf "$CONF" "$(limit 1000/1h)
no_such_key = 1;"
bad_line=$(grep -n '^no_such_key' "$CONF" | cut -d: -f1)
since=$(wc -c <"$RG_LOG")
rg_hup
wait_for 5 sh -c "tail -c +$((since + 1)) '$RG_LOG' | grep -q '$CONF:$bad_line'" ||
    fail "no log line naming $CONF:$bad_line after a broken reload; new log: $(tail -c +$((since + 1)) "$RG_LOG")"
ok "broken config refused: $(tail -c +$((since + 1)) "$RG_LOG" | grep -m1 "$CONF:$bad_line")"
rg_alive || fail "relayguardd died on a broken config"
rate_is3 broken1 || fail "after a broken reload the old rate 3/1h is no longer enforced: $(probe broken2 4 | tr '\n' '|')"
ok "old config (3/1h) still running"

# 4. Several good reloads in a row under load, then back to 3/1h.
for r in 50/1h 60/1h 70/1h; do
	rg_conf "$CONF" "$(limit "$r")"
	rg_hup
	sleep 0.3
done
rg_conf "$CONF" "$(limit 3/1h)"
rg_hup
n=0
until rate_is3 "final$n"; do
	n=$((n + 1))
	[ $n -lt 20 ] || fail "rate 3/1h not back in effect after 4 reloads"
	sleep 0.2
done
ok "4 reloads in a row, rate 3/1h back in effect"

sleep 0.5
touch "$STOP"
wait "$LOAD_PID"
load_rc=$?
RG_EXTRA_PIDS=
cat "$T/load.out"
[ "$load_rc" -eq 0 ] || fail "load generator saw failures during the reloads: $(head -3 "$T/load.out")"
sent=$(sed -n 's/^sent=\([0-9]*\).*/\1/p' "$T/load.out")
[ "${sent:-0}" -ge 100 ] || fail "load generator sent only ${sent:-0} requests"
rg_finish
ok "$sent requests on 4 persistent connections, none failed, across 6 reloads"
