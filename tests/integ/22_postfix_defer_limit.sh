#!/bin/bash
# 22_postfix_defer_limit.sh - a "defer" limit through a real Postfix.
#
# Proves: with limit action = "defer", rate 3/1h, the customer's first 3
# messages are delivered and the 4th (and 5th: counting goes on) get
# "450 4.7.1" from Postfix (DEFER_IF_PERMIT), with a text that names the
# limit; the daemon's decision log names it too; another customer is not
# affected; nothing is queued or bounced.
source "$(dirname "$0")/lib.sh"

rg_conf "$T/rg.conf" '
limit "outbound_defer" {
  key = "customer";
  count = "messages";
  rate = "3/1h";
  action = "defer";
}'
rg_start "$T/rg.conf"
pf_start

for i in 1 2 3; do
	r=$(swaks_send u1@broadband.example "r$i@example.org" "ADDR=100.64.1.2 LOGIN=u1") ||
	    fail "message $i refused: $r"
done
ok "3 messages accepted"
for i in 4 5; do
	r=$(swaks_send u1@broadband.example "r$i@example.org" "ADDR=100.64.1.2 LOGIN=u1") &&
	    fail "message $i accepted over the limit: $r"
	[[ $r =~ ^450\ 4\.7\.1\  ]] || fail "message $i: want 450 4.7.1, got: $r"
	[[ $r == *outbound_defer* ]] || fail "message $i: reply does not name the limit: $r"
	ok "message $i deferred: $r"
done
r=$(swaks_send u2@broadband.example other@example.org "ADDR=100.64.1.3 LOGIN=u2") ||
    fail "other customer refused: $r"

pf_wait_settled 4 20 || fail "want 4 delivered, sink has $(pf_sink_count), queue $(pf_queue_count)"
[ "$(pf_queue_count)" -eq 0 ] || fail "messages left in the queue"
[ "$(pf_log_count 'status=bounced')" -eq 0 ] || fail "a message bounced"
[ "$(pf_log_count 'reject: RCPT from .*450 4\.7\.1.*outbound_defer')" -eq 2 ] ||
    fail "maillog: want 2 deferrals naming outbound_defer"
# The daemon's own decision log (stderr at -f) names the limit and customer.
grep 'outbound_defer' "$RG_LOG" | grep 'u1' | grep -qi 'defer' ||
    fail "daemon log has no defer decision line naming the limit outbound_defer and customer u1"
rg_finish
ok "4th and 5th deferred with 450 4.7.1 naming the limit; 4 delivered"
