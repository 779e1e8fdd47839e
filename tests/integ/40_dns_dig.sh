#!/bin/bash
# 40_dns_dig.sh - the DNSBL answered through the real `dig` (SPEC
# section 5, RFC 5782): A, TXT, NXDOMAIN, NODATA, SOA and NS at the apex,
# SOA in negative answers, REFUSED outside the zones, no recursion, TC
# then TCP, EDNS0, IPv6 names, dnset names, empty non-terminals, test
# points, CHAOS hidden, FORMERR for a malformed query, the detection
# dataset edited at run time, and a data file changed on disk (reloaded
# by mtime; a broken one keeps the old data and logs file:line: reason).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/40_dns_lib.inc"

cat >"$T/pbl.rbl" <<'EOD'
# policy list
:127.0.0.10:Policy block for $, see http://bl.example.test/?$
10.0.0.0/8
!10.1.2.3
10.1.2.0/24 :127.0.0.11:Customer range $
192.0.2.9 :127.0.0.12:long text aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
192.0.2.9 :127.0.0.13:second long text bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb
EOD
cat >"$T/v6.rbl" <<'EOD'
:127.0.1.2:IPv6 $ listed
2001:db8:1::/48
!2001:db8:1::bead
EOD
cat >"$T/names.rbl" <<'EOD'
:127.0.2.2:domain $ listed
spammer.example
*.bad.example
a.b.deep.example
EOD
dns_conf "$T/rg.conf" "
zone \"bl.example.test\" {
  ttl = 300;
  ns = [\"ns1.isp.example\", \"ns2.isp.example\"];
  dataset \"infected\" { type = \"detection\"; a = \"127.0.0.4\"; txt = \"\$ is infected\"; }
  dataset \"policy\" { type = \"ip4set\"; file = \"$T/pbl.rbl\"; }
  dataset \"v6\" { type = \"ip6trie\"; file = \"$T/v6.rbl\"; }
}
zone \"dbl.example.test\" {
  dataset \"names\" { type = \"dnset\"; file = \"$T/names.rbl\"; }
}"
dns_start "$T/rg.conf"
Z=bl.example.test

# A and TXT for a listed address.
[ "$(q +short "$(rev4 10.200.3.4).$Z" A)" = 127.0.0.10 ] || fail "10.200.3.4 A"
[ "$(q +short "$(rev4 10.200.3.4).$Z" TXT)" = '"Policy block for 10.200.3.4, see http://bl.example.test/?10.200.3.4"' ] ||
    fail "10.200.3.4 TXT: $(q +short "$(rev4 10.200.3.4).$Z" TXT)"
[ "$(q +short "$(rev4 10.1.2.7).$Z" A)" = 127.0.0.11 ] || fail "more specific /24"
ok "A and TXT with \$ substitution"
# Case-insensitive.
[ "$(q +short "$(rev4 10.200.3.4).BL.Example.TEST" A)" = 127.0.0.10 ] || fail "case"
# NXDOMAIN (excluded and unlisted) with the SOA in the authority section.
[ "$(rcode "$(rev4 10.1.2.3).$Z" A)" = NXDOMAIN ] || fail "excluded not NXDOMAIN"
out=$(q "$(rev4 11.1.1.1).$Z" A)
grep -q 'status: NXDOMAIN' <<<"$out" || fail "unlisted not NXDOMAIN"
grep -qE '^bl\.example\.test\.\s+[0-9]+\s+IN\s+SOA\s+ns1\.isp\.example\. hostmaster\.bl\.example\.test\.' <<<"$out" ||
    fail "no SOA in the authority of NXDOMAIN: $out"
grep -q 'flags: qr aa rd;' <<<"$out" || fail "want AA and no RA: $out"
ok "NXDOMAIN with SOA, AA, no RA"
# NODATA: listed, other type.
out=$(q "$(rev4 10.200.3.4).$Z" AAAA)
grep -q 'status: NOERROR' <<<"$out" && grep -q 'ANSWER: 0' <<<"$out" && grep -q 'IN.SOA' <<<"$out" ||
    fail "NODATA: $out"
ok "NODATA"
# Apex.
[ "$(q +short $Z NS | sort | tr '\n' ' ')" = "ns1.isp.example. ns2.isp.example. " ] || fail "NS"
q +short $Z SOA | grep -q '^ns1.isp.example. hostmaster.bl.example.test. [0-9]* 3600 600 604800 300$' ||
    fail "SOA: $(q +short $Z SOA)"
ok "SOA and NS at the apex"
# REFUSED outside.
[ "$(rcode www.example.org A)" = REFUSED ] || fail "outside zones not REFUSED"
[ "$(rcode example.test A)" = REFUSED ] || fail "parent not REFUSED"
ok "REFUSED outside every zone"
# Test points.
[ "$(q +short "2.0.0.127.$Z" A | sort | tr '\n' ' ')" = "127.0.0.10 127.0.0.4 " ] || fail "127.0.0.2: $(q +short "2.0.0.127.$Z" A)"
[ "$(rcode "1.0.0.127.$Z" A)" = NXDOMAIN ] || fail "127.0.0.1 listed"
[ -n "$(q +short "$(rev6 ::ffff:7f00:2).$Z" A)" ] || fail "::ffff:7f00:2 not listed"
[ "$(rcode "$(rev6 ::ffff:7f00:1).$Z" A)" = NXDOMAIN ] || fail "::ffff:7f00:1 listed"
[ "$(q +short test.dbl.example.test A)" = 127.0.2.2 ] || fail "TEST"
[ "$(rcode invalid.dbl.example.test A)" = NXDOMAIN ] || fail "INVALID"
ok "RFC 5782 test points"
# IPv6 nibble names.
[ "$(q +short "$(rev6 2001:db8:1:2::3).$Z" TXT)" = '"IPv6 2001:db8:1:2::3 listed"' ] || fail "IPv6 TXT"
[ "$(rcode "$(rev6 2001:db8:1::bead).$Z" A)" = NXDOMAIN ] || fail "IPv6 exclusion"
[ "$(rcode "$(rev6 2001:db8:2::1).$Z" A)" = NXDOMAIN ] || fail "IPv6 unlisted"
ok "IPv6 names"
# dnset.
[ "$(q +short x.y.bad.example.dbl.example.test A)" = 127.0.2.2 ] || fail "wildcard name"
[ "$(rcode bad.example.dbl.example.test A)" = NXDOMAIN ] || fail "*. lists the name itself"
ok "dnset names"
# Empty non-terminals.
[ "$(rcode "0.0.127.$Z" A)" = NOERROR ] || fail "ENT 0.0.127"
[ "$(rcode "10.$Z" A)" = NOERROR ] || fail "ENT 10"
[ "$(rcode "b.deep.example.dbl.example.test" A)" = NOERROR ] || fail "ENT name"
[ "$(rcode "c.deep.example.dbl.example.test" A)" = NXDOMAIN ] || fail "non-ENT name"
ok "empty non-terminals"
# TC over UDP without EDNS, the full answer over TCP, and with EDNS0.
out=$(q +noedns +ignore "$(rev4 192.0.2.9).$Z" TXT)
grep -q 'flags: qr aa tc rd' <<<"$out" || fail "no TC: $out"
[ "$(q +short +noedns "$(rev4 192.0.2.9).$Z" TXT | wc -l)" = 2 ] || fail "dig did not retry over TCP"
[ "$(q +short +tcp "$(rev4 192.0.2.9).$Z" TXT | wc -l)" = 2 ] || fail "TCP answer"
out=$(q +bufsize=1232 "$(rev4 192.0.2.9).$Z" TXT)
grep -q 'flags: qr aa rd;' <<<"$out" && grep -q 'ANSWER: 2' <<<"$out" || fail "EDNS 1232: $out"
grep -q 'EDNS: version: 0, flags:; udp: 4096' <<<"$out" || fail "OPT not echoed: $out"
q +edns=1 "$(rev4 10.200.3.4).$Z" A 2>&1 | grep -q BADVERS || fail "BADVERS"
ok "TC, TCP retry, EDNS0"
# CHAOS hidden.
[ "$(rcode version.bind CH TXT)" = REFUSED ] || fail "version.bind not hidden"
ok "version.bind hidden"
# FORMERR for a malformed query (two questions).
python3 - "$RG_DNS_PORT" <<'EOP' || fail "no FORMERR for a malformed query"
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2)
q = struct.pack('>HHHHHH', 0x4242, 0, 2, 0, 0, 0) + b'\x01a\x00\x00\x01\x00\x01' * 2
s.sendto(q, ('127.0.0.1', int(sys.argv[1])))
r = s.recv(512)
sys.exit(0 if r[:2] == b'\x42\x42' and r[3] & 15 == 1 else 1)
EOP
ok "FORMERR"
# The detection dataset, edited at run time (dnsbl_serve: SIGUSR1 lists
# 198.51.100.77; the daemon's own path is the API).
if [ "$RG_DNS_SERVER" = serve ]; then
	serial1=$(q +short $Z SOA | awk '{print $3}')
	[ "$(rcode "$(rev4 198.51.100.77).$Z" A)" = NXDOMAIN ] || fail "listed too early"
	kill -USR1 "$DNS_PID"
	wait_for 5 bash -c "[ \"\$(dig @127.0.0.1 -p $RG_DNS_PORT +short $(rev4 198.51.100.77).$Z TXT)\" = '\"198.51.100.77 is infected\"' ]" ||
	    fail "detection list not answered"
	serial2=$(q +short $Z SOA | awk '{print $3}')
	[ "$serial2" -gt "$serial1" ] || fail "serial did not grow ($serial1 -> $serial2)"
	kill -USR2 "$DNS_PID"
	wait_for 5 bash -c "[ \"\$(dig @127.0.0.1 -p $RG_DNS_PORT +short $(rev4 198.51.100.77).$Z A)\" = '' ]" ||
	    fail "detection unlist not answered"
	ok "detection list/unlist at run time, serial $serial1 -> $serial2"
fi
# A data file changed on disk: reloaded by mtime.
printf '11.0.0.0/8 :127.0.0.20:new\n' >>"$T/pbl.rbl"
wait_for 15 bash -c "[ \"\$(dig @127.0.0.1 -p $RG_DNS_PORT +short $(rev4 11.1.1.1).$Z A)\" = 127.0.0.20 ]" ||
    fail "changed file not reloaded"
ok "changed file reloaded by mtime"
# A broken file keeps the old data and logs file:line: reason.
printf '300.1.1.1\n' >>"$T/pbl.rbl"
wait_for 15 grep -q "pbl.rbl:9: invalid IPv4 address; keeping the old data" "$RG_LOG" ||
    fail "no file:line: reason in the log"
[ "$(q +short "$(rev4 11.1.1.1).$Z" A)" = 127.0.0.20 ] || fail "old data lost after a broken reload"
ok "broken file: old data kept, error logged"
