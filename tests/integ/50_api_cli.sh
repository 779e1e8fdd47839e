#!/bin/bash
# 50_api_cli.sh - the command-line client against a real relayguardd:
# status, customers, incidents, hold, unhold, release, list, unlist and
# lookup, as tables and as --json, the URL and token taken from the
# config or the options, and the exit codes of SPEC section 1 (0 done,
# 1 refused or unreachable, 2 bad usage).
. "$(dirname "$0")/lib.sh"

rg_http_conf "$T/rg.conf" '
limit "msgs" { key = "customer"; count = "messages"; rate = "3/1h"; action = "defer"; }
detection { enabled = true; on_compromise = ["hold"]; }'
rg_start "$T/rg.conf"
wait_for 10 port_open "$RG_HTTP_PORT" || fail "HTTP not listening"
for i in 1 2 3 4 5; do
	policy_query "$RG_POLICY_PORT" client_address=198.51.100.7 sasl_username=cli1 \
	    recipient="r$i@example.org" policy_context=submission >/dev/null
done

rgc() { "$RG_CLI" "$@" -c "$T/rg.conf"; }

out=$(rgc status) || fail "status: exit $?"
echo "$out" | grep -q "listening: http 127.0.0.1:$RG_HTTP_PORT" || fail "status: $out"
echo "$out" | grep -q "customers:  1 tracked" || fail "status counts: $out"
out=$(rgc customers) || fail "customers: exit $?"
echo "$out" | head -1 | grep -q "^CUSTOMER  *STATE  *SCORE" || fail "customers header: $out"
echo "$out" | grep -q "^cli1  *limited  *1.00  *100%  *2 " || fail "customers row: $out"
rgc customers --json | python3 -c 'import json,sys; j=json.load(sys.stdin); assert j["customers"][0]["customer"]=="cli1"' ||
    fail "customers --json"
ok "status and customers, table and JSON"

out=$(rgc hold cli1) || fail "hold: exit $?"
[ "$out" = "customer cli1 held: incident 1" ] || fail "hold: $out"
rgc hold cli1 2>"$T/err"; rc=$?
[ $rc -eq 1 ] || fail "a second hold: exit $rc"
grep -q "already held by incident 1 (HTTP 409)" "$T/err" || fail "hold twice: $(cat "$T/err")"
out=$(rgc incidents --state open) || fail "incidents: exit $?"
echo "$out" | grep -q "^ *1 open  *cli1  *manual " || fail "incidents: $out"
out=$(rgc release 1) || fail "release: exit $?"
echo "$out" | grep -q "^incident 1 released" || fail "release: $out"
rgc release 1 2>/dev/null; [ $? -eq 1 ] || fail "release twice: want exit 1"
rgc release 77 2>"$T/err"; [ $? -eq 1 ] || fail "release 77: want exit 1"
grep -q "no such incident: 77 (HTTP 404)" "$T/err" || fail "release 77: $(cat "$T/err")"
rgc hold cli1 >/dev/null && rgc unhold cli1 >/dev/null || fail "hold + unhold"
ok "hold, incidents, release, unhold; errors exit 1 with the daemon's message"

out=$(rgc list 192.0.2.44 --zone bl.rg-integ.test --ttl 2h --txt 'cleaning "now"') || fail "list: exit $?"
[ "$out" = "listed 192.0.2.44 in bl.rg-integ.test for 2h" ] || fail "list: $out"
out=$(rgc lookup 192.0.2.44) || fail "lookup: exit $?"
[ "$out" = 'bl.rg-integ.test: 127.0.0.4 "cleaning "now""' ] || fail "lookup: $out"
out=$(rgc unlist 192.0.2.44 --zone bl.rg-integ.test) || fail "unlist: exit $?"
[ "$out" = "unlisted 192.0.2.44 from bl.rg-integ.test" ] || fail "unlist: $out"
out=$(rgc lookup 192.0.2.44) || fail "lookup: exit $?"
[ "$out" = "192.0.2.44 is not listed in any zone" ] || fail "lookup after unlist: $out"
ok "list, lookup, unlist"

# URL and token from the options instead of the config
out=$("$RG_CLI" hold cli1 --url "http://127.0.0.1:$RG_HTTP_PORT" --token-file "$T/api.token") ||
    fail "--url --token-file: exit $?"
"$RG_CLI" unhold cli1 --url "http://127.0.0.1:$RG_HTTP_PORT" 2>"$T/err"; rc=$?
[ $rc -eq 1 ] || fail "no token: exit $rc"
grep -q "HTTP 401" "$T/err" || fail "no token: $(cat "$T/err")"
"$RG_CLI" status --url "http://127.0.0.1:1" 2>/dev/null; [ $? -eq 1 ] || fail "unreachable: want exit 1"
"$RG_CLI" release 2>/dev/null; [ $? -eq 2 ] || fail "release without ID: want exit 2"
"$RG_CLI" list 192.0.2.1 -c "$T/rg.conf" 2>/dev/null; [ $? -eq 2 ] || fail "list without --zone: want exit 2"
"$RG_CLI" status --url "ftp://x" 2>/dev/null; [ $? -eq 1 ] || fail "bad URL: want exit 1"
"$RG_CLI" status -c "$T/nonexistent.conf" 2>/dev/null; [ $? -eq 2 ] || fail "bad config: want exit 2"
ok "--url, --token-file; exit codes 1 and 2"
rg_finish
ok "done"
