#!/bin/bash
# 51_dashboard_browser.sh - the dashboard in a real browser: headless
# Chromium (Debian's chromium) driven by Playwright (playwright-core from
# npm, tests/e2e) loads the dashboard of a relayguardd fed with a
# `relayguard simulate` trace (or, while simulate is not built, the
# synthetic ISP of tests/e2e/feed.py), finds a compromised customer at
# the top of the ranking, opens its page, sees the plot, releases its
# incident with the button, and the API confirms the release
# (tests/e2e/dashboard.mjs).  Screenshots land in $T/shots, and in
# RG_SCREENSHOTS (e.g. doc) when set.
#
# The trace (200 customers, 2 compromised, 1 day, seed RG_SIM_SEED,
# default 1) is fed as fast as the daemon answers, so a day of mail
# lands within a second of the daemon's wall clock; with some seeds that
# makes a legitimate one-off bulk sender look like a bot (seed 3: u1174,
# "greeting") although `relayguard replay` of the same trace, on its own
# clock, does not flag it.  Seed 1 has no such customer.
. "$(dirname "$0")/lib.sh"

E2E=$RG_ROOT/tests/e2e
[ -x /usr/bin/chromium ] || fail "no /usr/bin/chromium (scripts/deps.sh installs Debian's chromium)"
command -v node >/dev/null || fail "no node (scripts/deps.sh installs nodejs)"
if [ ! -d "$E2E/node_modules/playwright-core" ]; then
	(cd "$E2E" && npm ci --no-audit --no-fund >"$T/npm.log" 2>&1) ||
	    { cat "$T/npm.log"; fail "npm ci in tests/e2e failed"; }
fi

rg_http_conf "$T/rg.conf" '
limit "msgs_per_hour" { key = "customer"; count = "messages"; rate = "500/1h"; action = "defer"; }
limit "rcpts_per_hour" { key = "customer"; count = "recipients"; rate = "2000/1h"; action = "defer"; }
detection { enabled = true; on_compromise = ["hold"]; }'
rg_start "$T/rg.conf"
wait_for 10 port_open "$RG_HTTP_PORT" || fail "HTTP not listening"

if "$RG_CLI" simulate --help >/dev/null 2>&1; then
	"$RG_CLI" simulate --customers 200 --compromised 2 --days 1 --seed "${RG_SIM_SEED:-1}" >"$T/trace.jsonl" ||
	    fail "relayguard simulate failed"
	expected=$(python3 - "$T/trace.jsonl" <<'PYEOF'
import json, sys
bad = set()
for line in open(sys.argv[1]):
    e = json.loads(line)
    t = e.get("truth") or {}
    if t.get("spam"):
        bad.add(t.get("customer"))
print(",".join(sorted(x for x in bad if x)))
PYEOF
)
	[ -n "$expected" ] || fail "the simulated trace has no compromised customer"
	python3 "$E2E/feed.py" "127.0.0.1:$RG_POLICY_PORT" "$T/trace.jsonl" || fail "feeding the trace"
	note "fed a simulate trace; compromised: $expected"
else
	python3 "$E2E/feed.py" "127.0.0.1:$RG_POLICY_PORT" --synthetic || fail "feeding the synthetic ISP"
	expected=u-bot
	note "relayguard simulate not available: fed tests/e2e/feed.py --synthetic"
fi
rg_http GET '/api/v1/incidents?state=open' >/dev/null
[ "$(json_get 'j["open"]')" -ge 1 ] || fail "no incident opened: $(rg_http_body | head -c 300)"

mkdir -p "$T/shots"
(cd "$E2E" && timeout 180 node dashboard.mjs "http://127.0.0.1:$RG_HTTP_PORT" "$RG_TOKEN" \
    "$expected" "$T/shots") || fail "the browser test failed"
grep -q "http: 127.0.0.1:[0-9]*: incident [0-9]* released" "$RG_LOG" ||
    fail "the release from the browser is not logged"
if [ -n "${RG_SCREENSHOTS:-}" ]; then
	mkdir -p "$RG_SCREENSHOTS"
	cp "$T"/shots/*.png "$RG_SCREENSHOTS"/
fi
ok "dashboard: top customer, its plot, release from the page, confirmed by the API"
rg_finish
ok "done"
