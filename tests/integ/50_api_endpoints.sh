#!/bin/bash
# 50_api_endpoints.sh - the HTTP API over real HTTP against relayguardd
# (SPEC section 8, man/relayguard-api.7): every endpoint, the bearer
# token for every change, JSON errors for bad JSON, oversized bodies,
# unknown ids and wrong methods, a manual hold that really holds, the
# release, DNSBL entries that dig sees and that survive kill -9 and a
# restart, a token re-read on SIGHUP, and the rate limit.
. "$(dirname "$0")/lib.sh"

rg_http_conf "$T/rg.conf" '
limit "msgs" { key = "customer"; count = "messages"; rate = "5/1h"; action = "defer"; }
detection { enabled = true; on_compromise = ["hold"]; }'
rg_start "$T/rg.conf"
wait_for 10 port_open "$RG_HTTP_PORT" || fail "HTTP not listening on $RG_HTTP_PORT"

expect() {	# WANT-STATUS METHOD PATH [BODY]
	local want=$1; shift
	local got
	got=$(rg_http "$@")
	[ "$got" = "$want" ] || fail "$1 $2: HTTP $got, want $want: $(rg_http_body)"
	case $2 in
	/api/*) python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$T/http.body" ||
	    fail "$1 $2: the body is not JSON: $(rg_http_body)" ;;
	esac
}

# --- reads
expect 200 GET /api/v1/status
[ "$(json_get 'j["version"]')" != "" ] || fail "status without a version"
json_get '" ".join(j["listeners"])' | grep -q "http 127.0.0.1:$RG_HTTP_PORT" ||
    fail "status does not list the HTTP listener: $(rg_http_body)"
[ "$(json_get 'j["engine"]["detection"]')" = True ] || fail "status: detection"
ok "status"

for i in 1 2 3 4 5 6 7; do
	policy_query "$RG_POLICY_PORT" client_address=198.51.100.7 sasl_username=busy \
	    recipient="r$i@example.org" policy_context=submission >/dev/null
done
for i in 1 2; do
	policy_query "$RG_POLICY_PORT" client_address=198.51.100.8 sasl_username=quiet \
	    recipient="r$i@example.org" policy_context=submission >/dev/null
done
expect 200 GET /api/v1/customers
[ "$(json_get 'j["total"]')" = 2 ] || fail "customers: want 2: $(rg_http_body)"
[ "$(json_get 'j["customers"][0]["customer"]')" = busy ] ||
    fail "customers: the busiest is not first: $(rg_http_body)"
[ "$(json_get 'j["customers"][0]["state"]')" = limited ] ||
    fail "customers: busy is not limited: $(rg_http_body)"
expect 200 GET '/api/v1/customers?q=qui&limit=1'
[ "$(json_get 'j["customers"][0]["customer"]')" = quiet ] || fail "customers?q="
expect 200 GET '/api/v1/customers?state=limited'
[ "$(json_get 'j["total"]')" = 1 ] || fail "customers?state=limited"
expect 400 GET '/api/v1/customers?limit=-1'
expect 200 GET /api/v1/customers/busy
[ "$(json_get 'j["limits"][0]["name"]')" = msgs ] || fail "customer: limits"
[ "$(json_get 'j["limits"][0]["refused"]')" = 2 ] || fail "customer: refusals"
[ "$(json_get 'len(j["minutes"]["messages"])')" = 1440 ] || fail "customer: minutes"
[ "$(json_get 'len(j["hours"]["recipients"])')" = 720 ] || fail "customer: hours"
[ "$(json_get 'sum(j["minutes"]["messages"])')" -ge 5 ] ||
    fail "customer: no messages in the series: $(rg_http_body | head -c 300)"
expect 404 GET /api/v1/customers/nobody
[ "$(json_get 'j["error"]')" = "no such customer: nobody" ] || fail "404 text"
ok "customers, filters, one customer with limits and series, unknown customer"

# --- changes need the token
expect 401 POST /api/v1/customers/quiet/hold
RG_HTTP_AUTH=1 RG_TOKEN=wrong expect 401 POST /api/v1/customers/quiet/hold
expect 401 POST /api/v1/zones/bl.rg-integ.test/entries '{"address": "192.0.2.1"}'
expect 401 DELETE '/api/v1/zones/bl.rg-integ.test/entries?address=192.0.2.1'
expect 401 POST /api/v1/incidents/1/release
grep -q "http: 127.0.0.1:[0-9]*: POST /api/v1/customers/quiet/hold\|customer quiet hold: refused" "$RG_LOG" ||
    fail "a refused change is not logged"
ok "every change without the token: 401, logged"

# --- manual hold, held mail, release
RG_HTTP_AUTH=1 expect 200 POST /api/v1/customers/quiet/hold
id=$(json_get 'j["incident"]')
RG_HTTP_AUTH=1 expect 409 POST /api/v1/customers/quiet/hold
a=$(policy_query "$RG_POLICY_PORT" client_address=198.51.100.8 sasl_username=quiet \
    recipient=held@example.org policy_context=submission instance=held.1)
case $a in HOLD*) ;; *) fail "a held customer's message got: $a" ;; esac
grep -q "http: 127.0.0.1:[0-9]*: customer quiet held by hand: incident $id" "$RG_LOG" ||
    fail "the hold is not logged with who and what"
expect 200 GET '/api/v1/incidents?state=open'
[ "$(json_get 'j["open"]')" = 1 ] || fail "incidents: open"
[ "$(json_get 'j["incidents"][0]["reason"]')" = manual ] || fail "incidents: reason"
expect 200 GET "/api/v1/incidents/$id"
[ "$(json_get 'j["held_messages"][0]["instance"]')" = held.1 ] ||
    fail "incident: held message not listed: $(rg_http_body)"
expect 404 GET /api/v1/incidents/999
expect 404 GET /api/v1/incidents/abc
expect 405 GET "/api/v1/incidents/$id/release"
RG_HTTP_AUTH=1 expect 404 POST /api/v1/incidents/999/release
RG_HTTP_AUTH=1 expect 200 POST "/api/v1/incidents/$id/release"
[ "$(json_get 'j["state"]')" = released ] || fail "release: state"
RG_HTTP_AUTH=1 expect 409 POST "/api/v1/incidents/$id/release"
a=$(policy_query "$RG_POLICY_PORT" client_address=198.51.100.8 sasl_username=quiet \
    recipient=free@example.org policy_context=submission)
[ "$a" = DUNNO ] || fail "after the release: $a"
grep -q "http: 127.0.0.1:[0-9]*: incident $id released" "$RG_LOG" || fail "release not logged"
RG_HTTP_AUTH=1 expect 200 POST /api/v1/customers/quiet/hold
RG_HTTP_AUTH=1 expect 200 POST /api/v1/customers/quiet/unhold
RG_HTTP_AUTH=1 expect 404 POST /api/v1/customers/quiet/unhold
ok "manual hold holds, incidents list the held message, release and unhold free the customer"

# --- DNSBL entries
expect 200 GET /api/v1/zones
[ "$(json_get 'j["zones"][0]["editable"]')" = True ] || fail "zones: editable"
RG_HTTP_AUTH=1 expect 201 POST /api/v1/zones/bl.rg-integ.test/entries '{"address": "192.0.2.1"}'
RG_HTTP_AUTH=1 expect 201 POST /api/v1/zones/bl.rg-integ.test/entries \
    '{"address": "192.0.2.64/26", "ttl": "1d", "txt": "listed by the desk"}'
RG_HTTP_AUTH=1 expect 201 POST /api/v1/zones/bl.rg-integ.test/entries '{"address": "2001:db8:1::/64", "ttl": 3600}'
RG_HTTP_AUTH=1 expect 400 POST /api/v1/zones/bl.rg-integ.test/entries '{"address": "127.0.0.1"}'
RG_HTTP_AUTH=1 expect 400 POST /api/v1/zones/bl.rg-integ.test/entries '{"address": "192.0.2.1/24"}'
RG_HTTP_AUTH=1 expect 400 POST /api/v1/zones/bl.rg-integ.test/entries '{"address": "192.0.2.1"'
RG_HTTP_AUTH=1 expect 400 POST /api/v1/zones/bl.rg-integ.test/entries 'address=192.0.2.1'
RG_HTTP_AUTH=1 expect 400 POST /api/v1/zones/bl.rg-integ.test/entries '{"ttl": "1h"}'
RG_HTTP_AUTH=1 expect 404 POST /api/v1/zones/no.such.zone/entries '{"address": "192.0.2.1"}'
RG_HTTP_AUTH=1 expect 405 PUT /api/v1/zones/bl.rg-integ.test/entries '{"address": "192.0.2.1"}'
head -c 70000 /dev/zero | tr '\0' ' ' >"$T/big.json"
RG_HTTP_AUTH=1 expect 413 POST /api/v1/zones/bl.rg-integ.test/entries "$(cat "$T/big.json"){}"
expect 200 GET /api/v1/zones/bl.rg-integ.test/entries
[ "$(json_get 'j["total"]')" = 3 ] || fail "entries: want 3: $(rg_http_body)"
[ "$(dig +short -p "$RG_DNS_PORT" @127.0.0.1 1.2.0.192.bl.rg-integ.test A)" = 127.0.0.4 ] ||
    fail "dig does not see 192.0.2.1"
dig +short -p "$RG_DNS_PORT" @127.0.0.1 70.2.0.192.bl.rg-integ.test TXT | grep -q "listed by the desk" ||
    fail "dig does not see the TXT of 192.0.2.64/26"
expect 200 GET '/api/v1/lookup?address=192.0.2.70'
[ "$(json_get 'j["listed"][0]["answers"][0]["txt"]')" = "listed by the desk" ] || fail "lookup"
RG_HTTP_AUTH=1 expect 200 DELETE '/api/v1/zones/bl.rg-integ.test/entries?address=192.0.2.1'
RG_HTTP_AUTH=1 expect 404 DELETE '/api/v1/zones/bl.rg-integ.test/entries?address=192.0.2.1'
[ -z "$(dig +short -p "$RG_DNS_PORT" @127.0.0.1 1.2.0.192.bl.rg-integ.test A)" ] ||
    fail "192.0.2.1 still answers after the DELETE"
grep -q "zone bl.rg-integ.test: listed 192.0.2.64/26 until 1d" "$RG_LOG" || fail "listing not logged"
grep -q "zone bl.rg-integ.test: unlisted 192.0.2.1" "$RG_LOG" || fail "unlisting not logged"
ok "entries: add, list, dig, lookup, remove; bad JSON, bad address, oversized body, unknown zone"

# --- entries survive kill -9 and a restart
rg_kill9
rg_start "$T/rg.conf"
wait_for 10 port_open "$RG_HTTP_PORT" || fail "HTTP not back"
expect 200 GET /api/v1/zones/bl.rg-integ.test/entries
[ "$(json_get 'j["total"]')" = 2 ] || fail "entries after kill -9: $(rg_http_body)"
[ "$(dig +short -p "$RG_DNS_PORT" @127.0.0.1 70.2.0.192.bl.rg-integ.test A)" = 127.0.0.4 ] ||
    fail "dig after kill -9"
ok "entries survive kill -9"

# --- other errors
expect 404 GET /api/v1/nothing
expect 405 DELETE /api/v1/status
expect 405 POST /metrics
expect 400 GET '/api/v1/customers/%zz'

# --- the token is read again on SIGHUP
echo "new-$RG_TOKEN" >"$T/api.token"
rg_hup
wait_for 5 grep -q "reload: done" "$RG_LOG" || fail "no reload"
RG_HTTP_AUTH=1 expect 401 POST /api/v1/customers/quiet/hold
RG_TOKEN=new-$RG_TOKEN RG_HTTP_AUTH=1 expect 200 POST /api/v1/customers/quiet/hold
expect 200 GET /api/v1/status
[ "$(json_get 'j["config"]["reloads"]')" = 1 ] || fail "status: reloads"
ok "the token file is read again on SIGHUP; status counts the reload"

# --- the rate limit: a burst of 1000, then 429
n429=$(python3 - "$RG_HTTP_PORT" <<'PYEOF'
import http.client, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=5)
n = 0
for i in range(1300):
    c.request("GET", "/api/v1/zones")
    r = c.getresponse()
    r.read()
    if r.status == 429:
        n += 1
        assert r.getheader("Retry-After") == "1"
print(n)
PYEOF
)
[ "$n429" -ge 100 ] || fail "rate limit: only $n429 of 1300 requests got 429"
sleep 1.2
expect 200 GET /api/v1/status
ok "rate limit: $n429 of 1300 back-to-back requests got 429, then served again"

rg_finish
ok "done"
