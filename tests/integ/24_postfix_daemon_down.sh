#!/bin/bash
# 24_postfix_daemon_down.sh - mail keeps flowing while relayguardd is down.
#
# Proves: with smtpd_policy_service_default_action = DUNNO (the README
# snippet's setting, checked below), Postfix delivers mail when nothing
# listens on the policy port (never started), and again after a running
# relayguardd was killed (Postfix's persistent policy connection breaks
# and it falls back after smtpd_policy_service_try_limit attempts); mail
# is judged again once relayguardd is back.  The snippet's main.cf and
# master.cf parameters are all known to this Postfix (postconf prints no
# "unused parameter" warning).
source "$(dirname "$0")/lib.sh"

SNIPPET=$RG_ROOT/README.md	# the snippet postmasters paste is the one tested
grep -Eq '^smtpd_policy_service_default_action *= *DUNNO' "$SNIPPET" ||
    fail "$SNIPPET does not set smtpd_policy_service_default_action = DUNNO"

# The snippet's Postfix parameters, tried on a scratch config directory.
mkdir -p "$T/snip"
sed -n '/^# ---- main.cf ----/,/^# ---- end main.cf ----/p' "$SNIPPET" >"$T/snip/main.cf"
sed -n '/^# ---- master.cf ----/,/^# ---- end master.cf ----/p' "$SNIPPET" >"$T/snip/master.cf"
[ -s "$T/snip/main.cf" ] && [ -s "$T/snip/master.cf" ] || fail "snippet lacks the main.cf/master.cf markers"
out=$({ /usr/sbin/postconf -c "$T/snip" -n >/dev/null; /usr/sbin/postconf -c "$T/snip" -M >/dev/null;
      /usr/sbin/postconf -c "$T/snip" -P >/dev/null; } 2>&1)
[ -z "$out" ] || fail "postconf warns about the snippet: $out"
ok "snippet parameters accepted by postconf"

rg_conf "$T/rg.conf"
pf_start

# 1. Never started: nothing listens on the policy port.
port_open "$RG_POLICY_PORT" && fail "something listens on $RG_POLICY_PORT"
r=$(swaks_send zombie@broadband.example a@example.org "ADDR=100.64.1.2") ||
    fail "daemon down: message refused: $r"
r=$(swaks_send u1@broadband.example b@example.org "ADDR=100.64.1.2 LOGIN=u1") ||
    fail "daemon down: message refused: $r"
ok "daemon never started: 2 accepted"
[ "$(pf_log_count 'problem talking to server 127\.0\.0\.1:'"$RG_POLICY_PORT")" -ge 1 ] ||
    fail "Postfix did not log the unreachable policy service"

# 2. Up: the unauthenticated broadband relay is refused again.
rg_start "$T/rg.conf"
r=$(swaks_send zombie@broadband.example c@example.org "ADDR=100.64.1.2") &&
    fail "daemon up: unauthenticated relay accepted: $r"
ok "daemon up: refused again: $r"

# 3. Killed while Postfix holds a connection to it: delivered again.
rg_kill9
r=$(swaks_send zombie@broadband.example d@example.org "ADDR=100.64.1.2") ||
    fail "daemon killed: message refused: $r"
ok "daemon killed: accepted"

pf_wait_settled 3 20 || fail "want 3 delivered, sink has $(pf_sink_count), queue $(pf_queue_count)"
[ "$(pf_queue_count)" -eq 0 ] || fail "messages left in the queue"
ok "3 delivered while the daemon was down"
