#!/bin/bash
# 21_postfix_hold_limit.sh - a "hold" limit through a real Postfix.
#
# Proves: with limit action = "hold", rate 5/1h on messages per customer,
# an authenticated customer who sends 8 messages gets all 8 accepted by
# Postfix (250), exactly the first 5 are delivered to the smarthost's
# next hop (smtp-sink) and exactly the last 3 (the 6th, 7th, 8th, by queue
# ID) wait in Postfix's hold queue (postqueue -j queue_name "hold"); none is
# lost or bounced (8 = delivered + held).  Another customer is not affected.
source "$(dirname "$0")/lib.sh"

rg_conf "$T/rg.conf" '
limit "msgs_hold" {
  key = "customer";
  count = "messages";
  rate = "5/1h";
  action = "hold";
}'
rg_start "$T/rg.conf"
pf_start

ids=()
for i in $(seq 8); do
	r=$(swaks_send u1@broadband.example "r$i@example.org" "ADDR=100.64.1.2 LOGIN=u1") ||
	    fail "message $i refused (hold must accept): $r"
	id=$(sed -n 's/.*queued as \([0-9A-Za-z]*\).*/\1/p' <<<"$r")
	[ -n "$id" ] || fail "no queue ID in reply to message $i: $r"
	ids+=("$id")
done
ok "8 messages accepted: ${ids[*]}"

r=$(swaks_send u2@broadband.example other@example.org "ADDR=100.64.1.3 LOGIN=u2") ||
    fail "other customer refused: $r"

pf_wait_settled 9 20 ||
    fail "not settled: sink $(pf_sink_count), hold $(pf_queue_count hold), queue $(pf_queue_count)"
held=$(pf_queue_count hold)
sent=$(pf_sink_count)
[ "$held" -eq 3 ] || fail "want 3 held, got $held"
[ "$sent" -eq 6 ] || fail "want 6 delivered (5 of u1, 1 of u2), got $sent"
[ "$(pf_delivered_count)" -eq 6 ] || fail "maillog: want 6 status=sent, got $(pf_delivered_count)"
[ "$(pf_queue_count)" -eq 3 ] || fail "queue holds other messages: $(pf_queue_count)"
[ "$(pf_log_count 'status=bounced|postfix-rginteg/bounce')" -eq 0 ] || fail "a message bounced"
[ "$(pf_log_count ': hold: RCPT from unknown\[100\.64\.1\.2\]')" -eq 3 ] || fail "Postfix logged $(pf_log_count ': hold: RCPT from') HOLD actions at RCPT, want 3"

# The held ones are exactly messages 6, 7, 8.
q=$(pf_queue_json)
for i in 5 6 7; do
	grep -q "\"queue_name\": *\"hold\", *\"queue_id\": *\"${ids[$i]}\"" <<<"$q" ||
	    fail "message $((i + 1)) (${ids[$i]}) is not in the hold queue"
done
for i in 0 1 2 3 4; do
	grep -q "\"${ids[$i]}\"" <<<"$q" && fail "message $((i + 1)) (${ids[$i]}) is still queued"
done
# The daemon's own decision log (stderr at -f) names the limit and customer.
grep 'msgs_hold' "$RG_LOG" | grep -q 'u1' ||
    fail "daemon log has no decision line naming the limit msgs_hold and customer u1"
rg_finish
ok "5 delivered, messages 6-8 held, other customer delivered, nothing lost"
