#!/bin/bash
# 53_api_complaint.sh - abuse complaints into detection, against a real
# relayguardd with detection on and on_compromise hold: a customer sends
# a message through the policy service; ARF reports (RFC 5965) about it
# are posted with `relayguard complaint FILE|-` and with curl to
# POST /api/v1/complaints.  One complaint (+5.0 of LLR, doc/detection.md)
# stays below the threshold A = 6.9 by design, so that one report alone
# never holds a customer; the second opens an incident (reason
# "complaint") and the customer's next message is HOLD.  Also: the token
# is required, a malformed report is 400, a report without a customer is
# 422, a report over 64 KiB (the JSON limit) is taken, one over 1 MiB is
# 413.
. "$(dirname "$0")/lib.sh"

rg_http_conf "$T/rg.conf" '
detection { enabled = true; on_compromise = ["hold"]; }'
rg_start "$T/rg.conf"
wait_for 10 port_open "$RG_HTTP_PORT" || fail "HTTP not listening"
HOST=$(hostname)

# arf FILE FEEDBACK-TYPE RECEIVED [PADDING-BYTES] - write an ARF report
# about a message whose original carries the Received: field RECEIVED.
arf() {
	{
		printf 'From: <fbl@mail.example>\nSubject: FW: report\nMIME-Version: 1.0\n'
		printf 'Content-Type: multipart/report; report-type=feedback-report;\n'
		printf '    boundary="b1"\n\n--b1\nContent-Type: text/plain\n\n'
		printf 'This is an email abuse report.\n'
		[ "${4:-0}" -gt 0 ] && head -c "$4" /dev/zero | tr '\0' 'x' | fold -w 70
		printf '\n--b1\nContent-Type: message/feedback-report\n\n'
		printf 'Feedback-Type: %s\nUser-Agent: integ/1\nVersion: 1\n' "$2"
		printf 'Original-Rcpt-To: <victim@mail.example>\n\n'
		printf -- '--b1\nContent-Type: message/rfc822\n\n'
		printf 'Received: from %s (%s [198.51.100.1])\n' "$HOST" "$HOST"
		printf '\tby mx1.mail.example (Postfix) with ESMTPS id 4dLMvS3qQ2z1\n'
		printf '\tfor <victim@mail.example>; Sun, 30 Nov 2025 00:00:09 +0000\n'
		printf '%s\n' "$3"
		printf 'From: <c1@isp.example>\nSubject: Cheap meds\nMessage-ID: <m1@c1>\n\nBuy now.\n--b1--\n'
	} >"$1"
}
OURS="Received: from desktop-7 (dyn-100-64-5-6.pool.isp.example [100.64.5.6])
	(Authenticated sender: c1)
	by $HOST (Postfix) with ESMTPSA id 4Xk2Lq1Zt3z9;
	Sun, 30 Nov 2025 00:00:08 +0000"
arf "$T/arf1.eml" abuse "$OURS"
arf "$T/nobody.eml" abuse "Received: from far.example (far.example [192.0.2.9])
	by $HOST (Postfix) with ESMTP id BBBBBBBBBB; Sat, 29 Nov 2025 00:00:00 +0000"

a=$(policy_query "$RG_POLICY_PORT" client_address=100.64.5.6 sasl_username=c1 \
    helo_name=desktop-7 sender=c1@isp.example recipient=friend@example.org \
    policy_context=submission)
[ "$a" = DUNNO ] || fail "c1's first message: $a"
ok "c1 sent a message through the policy service"

post() {	# FILE [AUTH] - POST the file as message/rfc822 with curl
	local args=(-s -o "$T/http.body" -w '%{http_code}' --max-time 10
	    -H 'Content-Type: message/rfc822' --data-binary "@$1")
	[ "${2:-1}" = 1 ] && args+=(-H "Authorization: Bearer $RG_TOKEN")
	curl "${args[@]}" "http://127.0.0.1:$RG_HTTP_PORT/api/v1/complaints"
}
code=$(post "$T/arf1.eml" 0)
[ "$code" = 401 ] || fail "without the token: HTTP $code"
printf 'Subject: hello\n\nnot a report\n' >"$T/bad.eml"
code=$(post "$T/bad.eml")
[ "$code" = 400 ] || fail "malformed report: HTTP $code $(rg_http_body)"
rg_http_body | grep -q "not an ARF report" || fail "malformed report: $(rg_http_body)"
code=$(post "$T/nobody.eml")
[ "$code" = 422 ] || fail "report without a customer: HTTP $code $(rg_http_body)"
rg_http_body | grep -q "no customer found" || fail "422 text: $(rg_http_body)"
ok "401 without the token, 400 for a malformed report, 422 without a customer"

rgc() { "$RG_CLI" "$@" -c "$T/rg.conf"; }
out=$(rgc complaint "$T/arf1.eml") || fail "complaint: exit $?"
echo "$out" | grep -q "^abuse complaint about c1 (found by received_by_us_sasl)$" ||
    fail "complaint output: $out"
echo "$out" | grep -q "^no incident open for c1 yet$" || fail "one complaint opened an incident: $out"
a=$(policy_query "$RG_POLICY_PORT" client_address=100.64.5.6 sasl_username=c1 \
    helo_name=desktop-7 sender=c1@isp.example recipient=friend@example.org \
    policy_context=submission)
[ "$a" = DUNNO ] || fail "after one complaint: $a"
ok "one complaint (+5.0 < A = 6.9): counted against c1, no incident yet, mail flows"

out=$(rgc complaint - --json <"$T/arf1.eml") || fail "complaint -: exit $?"
echo "$out" | python3 -c 'import json, sys; j = json.load(sys.stdin)
assert j["customer"] == "c1" and j["incident"] == 1, j
assert j["feedback_type"] == "abuse" and j["counted"] is True, j
assert j["queue_id"] == "4Xk2Lq1Zt3z9" and j["message_id"] == "m1@c1", j' ||
    fail "second complaint: $out"
code=$(rg_http GET /api/v1/incidents/1)
[ "$code" = 200 ] || fail "incident 1: HTTP $code"
[ "$(json_get 'j["customer"] + " " + j["reason"] + " " + j["state"]')" = "c1 complaint open" ] ||
    fail "incident 1: $(rg_http_body)"
a=$(policy_query "$RG_POLICY_PORT" client_address=100.64.5.6 sasl_username=c1 \
    helo_name=desktop-7 sender=c1@isp.example recipient=friend@example.org \
    policy_context=submission)
case $a in "HOLD relayguard: incident 1"*) ;; *) fail "c1's next message: $a" ;; esac
ok "the second complaint (from stdin) opens incident 1, reason complaint; c1's next message: $a"

arf "$T/big.eml" abuse "$OURS" 200000
code=$(post "$T/big.eml")
[ "$code" = 200 ] || fail "a 200 KB report: HTTP $code $(rg_http_body)"
[ "$(json_get 'j["incident"]')" = 1 ] || fail "a 200 KB report: $(rg_http_body)"
arf "$T/huge.eml" abuse "$OURS" 1100000
code=$(post "$T/huge.eml")
[ "$code" = 413 ] || fail "a report over 1 MiB: HTTP $code"
"$RG_CLI" complaint "$T/huge.eml" -c "$T/rg.conf" 2>"$T/err"; rc=$?
[ $rc -eq 2 ] || fail "CLI, a report over 1 MiB: exit $rc"
"$RG_CLI" complaint "$T/nobody.eml" -c "$T/rg.conf" 2>"$T/err"; rc=$?
[ $rc -eq 1 ] || fail "CLI, no customer: exit $rc"
grep -q "no customer found.*(HTTP 422)" "$T/err" || fail "CLI, no customer: $(cat "$T/err")"
ok "reports over 64 KiB are taken, over 1 MiB refused (413); CLI exit codes 1 and 2"
rg_finish
ok "done"
