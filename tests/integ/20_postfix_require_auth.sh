#!/bin/bash
# 20_postfix_require_auth.sh - require_auth through a real Postfix.
#
# Proves (SPEC section 3, "authentication"): a broadband client
# (100.64.0.0/10, require_auth = true) that relays on port 25 (role "relay",
# set by smtpd_policy_service_policy_context) without SMTP AUTH is refused by
# Postfix with a permanent 5.7.x reply whose text tells the user to submit
# on port 587 with authentication; the same client authenticated (XCLIENT
# LOGIN, so Postfix sends sasl_username) is delivered; a business client
# (198.51.100.0/24, no require_auth) and the exempt trusted network are
# delivered without authentication.  Without policy_context the role comes
# from server_port: port 25 from a broadband address is relay (refused
# unauthenticated), 587 is submission, port 25 from outside every network
# is inbound (accepted).  Nothing is held or lost.
source "$(dirname "$0")/lib.sh"

rg_conf "$T/rg.conf"
rg_start "$T/rg.conf"
pf_start

# 1. Unauthenticated relay from a broadband address: refused, 5.7.x.
r=$(swaks_send zombie@broadband.example b@example.org "ADDR=100.64.1.2") &&
    fail "unauthenticated broadband relay accepted: $r"
[[ $r =~ ^5[0-9][0-9]\ 5\.7\.[0-9]+ ]] || fail "want a 5xx 5.7.x refusal, got: $r"
[[ $r == *587* ]] || fail "refusal does not mention port 587: $r"
shopt -s nocasematch
[[ $r == *auth* ]] || fail "refusal does not mention authentication: $r"
shopt -u nocasematch
ok "unauthenticated broadband relay refused: $r"

# 2. The same client, authenticated as u1: delivered.
r=$(swaks_send u1@broadband.example b@example.org "ADDR=100.64.1.2 LOGIN=u1") ||
    fail "authenticated broadband client refused: $r"
ok "authenticated broadband client accepted: $r"

# 3. A business client without authentication: delivered.
r=$(swaks_send shop@business.example c@example.org "ADDR=198.51.100.7") ||
    fail "business client refused: $r"
ok "business client accepted: $r"

# 4. The trusted (exempt) network, no XCLIENT at all: delivered.
r=$(swaks_send root@relay.rg-integ.invalid d@example.org) ||
    fail "trusted client refused: $r"
ok "trusted client accepted: $r"

# 5. Another broadband customer on the submission port (role submission),
#    authenticated: accepted.
r=$(swaks_send u2@broadband.example e@example.org "ADDR=100.64.200.9 LOGIN=u2" "$PF_SUB_PORT") ||
    fail "authenticated submission refused: $r"
ok "authenticated submission accepted: $r"

# 6-8. A service without policy_context: the role comes from server_port
#    (XCLIENT DESTPORT sets it) and the client's network.
r=$(swaks_send zombie@broadband.example f@example.org "ADDR=100.64.1.2 DESTPORT=25" "$PF_PLAIN_PORT") &&
    fail "port 25, no policy_context: unauthenticated broadband relay accepted: $r"
[[ $r =~ ^5[0-9][0-9]\ 5\.7\.[0-9]+ ]] || fail "port 25, no policy_context: want 5xx 5.7.x, got: $r"
ok "port 25 without policy_context: broadband client judged as relay and refused"
r=$(swaks_send u1@broadband.example g@example.org "ADDR=100.64.1.2 LOGIN=u1 DESTPORT=587" "$PF_PLAIN_PORT") ||
    fail "port 587, no policy_context: authenticated customer refused: $r"
ok "port 587 without policy_context: authenticated customer accepted"
r=$(swaks_send sender@world.example rcpt@inbound.rg-integ.invalid "ADDR=203.0.113.9 DESTPORT=25" "$PF_PLAIN_PORT") ||
    fail "port 25, no policy_context: inbound mail from the world refused: $r"
ok "port 25 without policy_context: inbound mail from outside the networks accepted"

pf_wait_settled 6 20 || fail "want 6 delivered, sink has $(pf_sink_count), queue $(pf_queue_count)"
[ "$(pf_queue_count)" -eq 0 ] || fail "messages left in the queue"
[ "$(pf_log_count 'status=(bounced|deferred)')" -eq 0 ] || fail "bounces or deferrals in the maillog"
# Postfix logged the refusal with the daemon's text (the decision is visible
# to the postmaster in the maillog too).
[ "$(pf_log_count 'reject: RCPT from unknown\[100\.64\.1\.2\].*587')" -eq 2 ] ||
    fail "maillog lacks the refusal of 100.64.1.2"
# The daemon's own decision log (stderr at -f) names the rule and the
# customer (the temp dir's name contains "require_auth": match the client).
grep 'require_auth' "$RG_LOG" | grep -q '100\.64\.1\.2' ||
    fail "daemon log has no decision line naming require_auth and 100.64.1.2"
rg_finish
ok "6 delivered, 2 refused, daemon stopped cleanly"
