#!/bin/bash
# 42_dns_axfr_nsd.sh - a real NSD pulls the zone by AXFR (allow_transfer)
# and answers the same as relayguard: the same random ip4set data as the
# rbldnsd differential (without "$" in TXT, which a wildcard cannot carry),
# 20,000 random A and TXT questions asked of both.  An AXFR from an
# address not in allow_transfer is refused.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/40_dns_lib.inc"

NSD=$(command -v nsd || echo /usr/sbin/nsd)
[ -x "$NSD" ] || fail "nsd not installed (apt-get install nsd)"
read -r NSD_PORT <<<"$(free_ports 1)"
python3 "$RG_ROOT/tests/integ/40_dns_diffq.py" gen "$T/list.rbl" 4243 0 || fail "gen"
dns_conf "$T/rg.conf" "
zone \"bl.example.test\" {
  ttl = 300;
  ns = [\"ns1.isp.example\"];
  allow_transfer = [\"127.0.0.1\"];
  dataset \"list\" { type = \"ip4set\"; file = \"$T/list.rbl\"; }
}
zone \"closed.example.test\" {
  allow_transfer = [\"192.0.2.53\"];
  dataset \"list\" { type = \"ip4set\"; file = \"$T/list.rbl\"; }
}"
dns_start "$T/rg.conf"

# Refused to an address that is not in allow_transfer.
out=$(dig @127.0.0.1 -p "$RG_DNS_PORT" +tries=1 +time=5 closed.example.test AXFR 2>&1)
grep -qiE 'Transfer failed|REFUSED' <<<"$out" || fail "AXFR of closed zone not refused: $out"
grep -q 'AXFR of closed.example.test refused' "$RG_LOG" || fail "refusal not logged"
ok "AXFR refused outside allow_transfer"

# dig can transfer the open zone: SOA first and last.
dig @127.0.0.1 -p "$RG_DNS_PORT" +tries=1 +time=10 bl.example.test AXFR >"$T/axfr.txt" 2>&1
[ "$(grep -cE '^bl\.example\.test\.\s+[0-9]+\s+IN\s+SOA' "$T/axfr.txt")" = 2 ] || fail "AXFR by dig: $(tail -5 "$T/axfr.txt")"
ok "dig AXFR: $(grep -cE '\sIN\s' "$T/axfr.txt") records"

mkdir -p "$T/nsd"
chmod 777 "$T/nsd"
cat >"$T/nsd/nsd.conf" <<EOC
server:
  ip-address: 127.0.0.1@$NSD_PORT
  port: $NSD_PORT
  username: ""
  chroot: ""
  zonesdir: "$T/nsd"
  database: ""
  pidfile: "$T/nsd/nsd.pid"
  xfrdfile: "$T/nsd/xfrd.state"
  zonelistfile: "$T/nsd/zone.list"
  logfile: "$T/nsd/nsd.log"
  xfrdir: "$T/nsd"
  verbosity: 2
  server-count: 1
  # Response rate limiting (on in Debian's build: 200 qps per /24) would
  # drop answers to this one loopback client: a timeout, not a difference.
  rrl-ratelimit: 0
  rrl-whitelist-ratelimit: 0
remote-control:
  control-enable: no
zone:
  name: bl.example.test
  zonefile: "bl.example.test.zone"
  request-xfr: AXFR 127.0.0.1@$RG_DNS_PORT NOKEY
  allow-notify: 127.0.0.1 NOKEY
EOC
"$NSD" -d -c "$T/nsd/nsd.conf" >>"$T/nsd/stderr.log" 2>&1 &
RG_EXTRA_PIDS="${RG_EXTRA_PIDS:-} $!"
serial=$(q +short bl.example.test SOA | awk '{print $3}')
nsd_serial() { dig @127.0.0.1 -p "$NSD_PORT" +tries=1 +time=1 +short bl.example.test SOA | awk '{print $3}'; }
wait_for 30 bash -c "[ \"\$(dig @127.0.0.1 -p $NSD_PORT +tries=1 +time=1 +short bl.example.test SOA | awk '{print \$3}')\" = $serial ]" ||
    { cat "$T/nsd/nsd.log" "$T/nsd/stderr.log" >&2; fail "NSD did not transfer serial $serial (has $(nsd_serial))"; }
ok "NSD transferred serial $serial"
python3 "$RG_ROOT/tests/integ/40_dns_diffq.py" diff "$RG_DNS_PORT" "$NSD_PORT" \
    bl.example.test "${AXFR_QUERIES:-20000}" 11 "$T/list.rbl" | tee "$T/diff.out" ||
    fail "NSD answers differently"
ok "NSD answers the same: $(tail -1 "$T/diff.out")"
