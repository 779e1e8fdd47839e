#!/bin/bash
# 41_dns_rbldnsd_diff.sh - differential test against the real rbldnsd:
# the same random ip4set data file (singles, per-entry values, CIDRs of
# many lengths, a.b.c.d-e.f.g.h ranges, a second default line, exclusions,
# "$" in TXT) is served by rbldnsd and by relayguard, and 100,000 random
# A and TXT questions near the listed entries must get the same rcode and
# the same A and TXT records from both.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/40_dns_lib.inc"

command -v rbldnsd >/dev/null || fail "rbldnsd not installed (apt-get install rbldnsd)"
read -r RBL_PORT <<<"$(free_ports 1)"
python3 "$RG_ROOT/tests/integ/40_dns_diffq.py" gen "$T/list.rbl" 4242 || fail "gen"
chmod 644 "$T/list.rbl"
note "$(wc -l <"$T/list.rbl") lines in the data file"
rbldnsd -n -q -u nobody -t 300 -b "127.0.0.1/$RBL_PORT" -w "$T" \
    bl.example.test:ip4set:list.rbl >>"$T/rbldnsd.log" 2>&1 &
RG_EXTRA_PIDS="$!"
dns_conf "$T/rg.conf" "
zone \"bl.example.test\" {
  ttl = 300;
  dataset \"list\" { type = \"ip4set\"; file = \"$T/list.rbl\"; }
}"
dns_start "$T/rg.conf"
wait_for 10 dig @127.0.0.1 -p "$RBL_PORT" +tries=1 +time=1 2.0.0.127.bl.example.test A ||
    { cat "$T/rbldnsd.log"; fail "rbldnsd not answering"; }
python3 "$RG_ROOT/tests/integ/40_dns_diffq.py" diff "$RG_DNS_PORT" "$RBL_PORT" \
    bl.example.test "${DIFF_QUERIES:-100000}" 7 "$T/list.rbl" | tee "$T/diff.out" ||
    fail "answers differ from rbldnsd"
ok "$(tail -1 "$T/diff.out")"
