#!/bin/bash
# 43_dns_reload_load.sh - reload without loss: build/bench/dns_load keeps
# 100 queries in flight for 4 s while a 200,000-entry ip4set is reloaded
# three times (SIGHUP, and a rewritten file found by its mtime); every
# query must be answered, and every answer must come from complete data
# (the listed half stays listed: no NXDOMAIN for a listed name).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/40_dns_lib.inc"

LOAD=$RG_ROOT/build/bench/dns_load
[ -x "$LOAD" ] || fail "no $LOAD (make build/bench/dns_load)"
python3 - "$T" <<'EOP'
import random, sys
r = random.Random(5); t = sys.argv[1]
a = set()
while len(a) < 200000:
    x = r.randrange(1 << 24, 126 << 24); a.add(x)
a = list(a)
v4 = lambda x: "%d.%d.%d.%d" % (x >> 24, x >> 16 & 255, x >> 8 & 255, x & 255)
open(t + "/big.rbl", "w").write("\n".join(map(v4, a)) + "\n")
open(t + "/q.txt", "w").write("\n".join(".".join(reversed(v4(x).split("."))) + ".bl.example.test" for x in a[:50000]) + "\n")
EOP
dns_conf "$T/rg.conf" "
zone \"bl.example.test\" { dataset \"big\" { type = \"ip4set\"; file = \"$T/big.rbl\"; } }"
dns_start "$T/rg.conf"
( sleep 0.8; kill -HUP "$DNS_PID"; sleep 0.8; cp "$T/big.rbl" "$T/big2.rbl"; mv "$T/big2.rbl" "$T/big.rbl";
  sleep 0.8; kill -HUP "$DNS_PID" ) &
res=$("$LOAD" -s "127.0.0.1:$RG_DNS_PORT" -q "$T/q.txt" -t 4 -w 100)
wait $!
note "$res"
reloads=$(grep -c 'dns: loaded 1 zones' "$RG_LOG")
[ "$reloads" -ge 3 ] || fail "want at least 2 reloads during the run, log shows $((reloads - 1))"
grep -q ' lost=0 ' <<<"$res" || fail "queries lost during reload: $res"
grep -q ' nxdomain=0 ' <<<"$res" || fail "listed names answered NXDOMAIN during reload: $res"
grep -q ' other=0' <<<"$res" || fail "errors during reload: $res"
ok "no query lost or answered from partial data over $((reloads - 1)) reloads: $res"
