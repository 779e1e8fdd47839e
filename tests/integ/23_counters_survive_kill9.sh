#!/bin/bash
# 23_counters_survive_kill9.sh - limit counters survive kill -9 and SIGTERM.
#
# Proves (SPEC section 7): with embedded state under state.dir, a kill -9
# loses at most the last second of counters: u1 sends 3 messages through
# Postfix, 2 s later (the journal is written every second) relayguardd is
# killed with SIGKILL and restarted; u1's 4th and 5th are accepted and the
# 6th is refused (limit 5/1h, action reject), so the 3 counted before the
# crash survived.  Then u2 sends 5, relayguardd gets SIGTERM at once (a
# clean stop must flush), exits 0, is restarted, and u2's 6th is refused;
# u1 is still refused.  Postfix reconnects to the restarted daemon by
# itself (smtpd_policy_service_try_limit).
source "$(dirname "$0")/lib.sh"

rg_conf "$T/rg.conf" '
limit "msgs_5h" {
  key = "customer";
  count = "messages";
  rate = "5/1h";
  action = "reject";
}'
rg_start "$T/rg.conf"
pf_start

send() {	# USER N
	swaks_send "$1@broadband.example" "r$2@example.org" "ADDR=100.64.1.2 LOGIN=$1"
}

for i in 1 2 3; do r=$(send u1 "$i") || fail "u1 message $i refused: $r"; done
ok "u1: 3 accepted"
sleep 2.2
rg_kill9
ls -A "$T/state" | grep -q . || fail "state.dir $T/state is empty after 2 s"
rg_start "$T/rg.conf"
ok "relayguardd killed with SIGKILL and restarted"

for i in 4 5; do r=$(send u1 "$i") || fail "u1 message $i refused after restart: $r"; done
r=$(send u1 6) && fail "u1 message 6 accepted after kill -9: counters were lost ($r)"
[[ $r =~ ^5[0-9][0-9]\ 5\.7\.1 ]] || fail "u1 message 6: want 5xx 5.7.1, got: $r"
[[ $r == *msgs_5h* ]] || fail "u1 message 6: reply does not name the limit: $r"
ok "u1: 4th, 5th accepted, 6th refused after kill -9: $r"

for i in 1 2 3 4 5; do r=$(send u2 "$i") || fail "u2 message $i refused: $r"; done
rg_stop || fail "relayguardd exited non-zero on SIGTERM"
ok "u2: 5 accepted; relayguardd stopped with SIGTERM (status 0)"
rg_start "$T/rg.conf"
r=$(send u2 6) && fail "u2 message 6 accepted after SIGTERM + restart: counters were lost ($r)"
[[ $r =~ ^5[0-9][0-9]\ 5\.7\.1 ]] || fail "u2 message 6: want 5xx 5.7.1, got: $r"
r=$(send u1 7) && fail "u1 message 7 accepted after the second restart ($r)"
ok "u2's 6th and u1's 7th refused after SIGTERM + restart"

pf_wait_settled 10 20 || fail "want 10 delivered, sink has $(pf_sink_count)"
rg_finish
ok "10 delivered, 3 refused"
