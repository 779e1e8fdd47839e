#!/bin/bash
# 50_api_metrics.sh - GET /metrics of a real relayguardd: valid
# Prometheus text exposition (promtool check metrics when Debian's
# prometheus package provides promtool, else a parser of the format
# written here), and counters that follow what the daemon did: requests
# by action and role, limit hits, the latency histogram, DNS queries by
# zone and rcode, state errors, reloads and failed reloads.
. "$(dirname "$0")/lib.sh"

rg_http_conf "$T/rg.conf" '
limit "msgs" { key = "customer"; count = "messages"; rate = "2/1h"; action = "defer"; }
detection { enabled = true; on_compromise = ["hold"]; }'
rg_start "$T/rg.conf"
wait_for 10 port_open "$RG_HTTP_PORT" || fail "HTTP not listening"

for i in 1 2 3 4; do
	policy_query "$RG_POLICY_PORT" client_address=198.51.100.7 sasl_username=m1 \
	    recipient="r$i@example.org" policy_context=submission >/dev/null
done
# Inbound mail: never limited, counted under its role.
[ "$(policy_query "$RG_POLICY_PORT" client_address=203.0.113.9 policy_context=inbound \
    recipient=x@inbound.example)" = DUNNO ] || fail "inbound request"
RG_HTTP_AUTH=1 rg_http POST /api/v1/customers/m1/hold >/dev/null
RG_HTTP_AUTH=1 rg_http POST /api/v1/zones/bl.rg-integ.test/entries '{"address": "192.0.2.5"}' >/dev/null
rg_http POST /api/v1/customers/m1/unhold >/dev/null		# 401
# DNS: one listed (NOERROR), two not listed (NXDOMAIN), one outside
# every zone (REFUSED), over UDP and TCP.
dq() { dig +short +time=2 +tries=1 -p "$RG_DNS_PORT" @127.0.0.1 "$@"; }
[ "$(dq 5.2.0.192.bl.rg-integ.test A)" = 127.0.0.4 ] || fail "dig: listed address"
[ -z "$(dq 6.2.0.192.bl.rg-integ.test A)" ] || fail "dig: unlisted address"
[ -z "$(dq +tcp 7.2.0.192.bl.rg-integ.test A)" ] || fail "dig: unlisted address (TCP)"
dq example.com A >/dev/null

st=$(rg_http GET /metrics)
[ "$st" = 200 ] || fail "GET /metrics: HTTP $st"
cp "$T/http.body" "$T/metrics.txt"
ctype=$(curl -s -o /dev/null -w '%{content_type}' "http://127.0.0.1:$RG_HTTP_PORT/metrics")
case $ctype in text/plain*version=0.0.4*) ;; *) fail "content type: $ctype" ;; esac

if command -v promtool >/dev/null 2>&1; then
	promtool check metrics <"$T/metrics.txt" >"$T/promtool.out" 2>&1 ||
	    { cat "$T/promtool.out"; fail "promtool check metrics failed"; }
	ok "promtool check metrics: clean"
else
	note "promtool not installed (Debian package prometheus); using the built-in parser"
fi
# Our own parser, always: the grammar of the text format 0.0.4.
python3 - "$T/metrics.txt" <<'PYEOF' || fail "the exposition does not parse"
import re, sys
name = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
label = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"'
sample = re.compile(r"^(%s)(\{%s(?:,%s)*\})? ([-+]?(?:[0-9.]+(?:[eE][-+]?[0-9]+)?|NaN|Inf))$" % (name, label, label))
typed, seen = {}, set()
for n, line in enumerate(open(sys.argv[1]).read().split("\n")[:-1], 1):
    if line.startswith("# HELP "):
        continue
    if line.startswith("# TYPE "):
        _, _, fam, typ = line.split(" ")
        assert typ in ("counter", "gauge", "summary", "histogram", "untyped"), line
        assert fam not in typed, "typed twice: " + fam
        typed[fam] = typ
        continue
    m = sample.match(line)
    assert m, "line %d: %r" % (n, line)
    fam = re.sub(r"_(sum|count|bucket)$", "", m.group(1)) if m.group(1) not in typed else m.group(1)
    assert fam in typed, "line %d: no TYPE for %s" % (n, m.group(1))
    key = m.group(1) + (m.group(2) or "")
    assert key not in seen, "duplicate sample " + key
    seen.add(key)
print("parsed %d families, %d samples" % (len(typed), len(seen)))
PYEOF

metric() {	# NAME{LABELS} -> value
	awk -v k="$1 " 'index($0, k) == 1 { print $NF; exit }' "$T/metrics.txt"
}
want() {	# NAME{LABELS} VALUE
	local got
	got=$(metric "$1")
	[ "$got" = "$2" ] || fail "$1: got '$got', want $2"
}
want 'relayguard_policy_requests_total{action="dunno",role="submission"}' 2
want 'relayguard_policy_requests_total{action="defer_if_permit",role="submission"}' 2
want 'relayguard_policy_requests_total{action="dunno",role="inbound"}' 1
want 'relayguard_policy_requests_total{action="dunno",role="relay"}' 0
want 'relayguard_limit_hits_total{limit="msgs",action="defer"}' 2
# The histogram: cumulative buckets, +Inf = _count = every request.
want 'relayguard_policy_latency_seconds_bucket{le="+Inf"}' 5
want relayguard_policy_latency_seconds_count 5
awk '/^relayguard_policy_latency_seconds_bucket/ { if ($NF < last) exit 1; last = $NF; n++ }
    END { exit n != 13 }' "$T/metrics.txt" || fail "latency buckets not cumulative, or not 13"
python3 -c 'import sys; v = float(sys.argv[1]); sys.exit(not 0 < v < 5)' \
    "$(metric relayguard_policy_latency_seconds_sum)" || fail "latency sum implausible"
want 'relayguard_dns_queries_total{zone="bl.rg-integ.test",rcode="NOERROR"}' 1
want 'relayguard_dns_queries_total{zone="bl.rg-integ.test",rcode="NXDOMAIN"}' 2
want 'relayguard_dns_queries_total{zone="(none)",rcode="REFUSED"}' 1
want 'relayguard_dns_listed_total{zone="bl.rg-integ.test"}' 1
want relayguard_state_errors_total 0
want relayguard_state_fallback 0
want relayguard_reloads_total 0
[ "$(metric relayguard_incidents_open)" = 1 ] || fail "open incidents"
[ "$(metric 'relayguard_dnsbl_entries{zone="bl.rg-integ.test"}')" = 1 ] || fail "dnsbl entries"
[ "$(metric 'relayguard_http_refused_total{reason="unauthorized"}')" = 1 ] || fail "401 count"
[ "$(metric relayguard_customers)" = 1 ] || fail "customers"
rg_hup
wait_for 5 grep -q "reload: done" "$RG_LOG" || fail "no reload"
rg_http GET /metrics >/dev/null
cp "$T/http.body" "$T/metrics.txt"
want relayguard_reloads_total 1
want relayguard_reload_failures_total 0
[ "$(metric relayguard_last_reload_success)" = 1 ] || fail "last reload"
# A broken config: the reload fails, the counters say so.
cp "$T/rg.conf" "$T/rg.conf.good"
echo 'limit "broken" {' >>"$T/rg.conf"
rg_hup
wait_for 5 grep -q "keeping the running configuration" "$RG_LOG" || fail "no failed reload"
cp "$T/rg.conf.good" "$T/rg.conf"
rg_http GET /metrics >/dev/null
cp "$T/http.body" "$T/metrics.txt"
want relayguard_reloads_total 2
want relayguard_reload_failures_total 1
want 'relayguard_limit_hits_total{limit="msgs",action="defer"}' 2
ok "counters follow requests by role, limit hits, latency, DNS, incidents, entries, refusals and reloads"
rg_finish
ok "done"
