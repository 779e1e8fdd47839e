# lib.sh - the integration test harness, sourced by every tests/integ/NN_*.sh.
#
# Starts real peers on free loopback ports and cleans them up on exit:
#
#   rg_conf FILE [EXTRA]  a relayguard.conf: embedded state in $T/state,
#                      listen.policy on $RG_POLICY_PORT, networks broadband
#                      100.64.0.0/10 (require_auth), business 198.51.100.0/24,
#                      trusted 127.0.0.0/8 (exempt), detection off; EXTRA
#                      (limits) appended
#   rg_start CONF      build/relayguardd -c CONF -f in the background, stderr
#                      appended to $RG_LOG; waits (10 s) until $RG_POLICY_PORT
#                      accepts connections
#   rg_stop            SIGTERM, wait for a clean exit (fails if it does not)
#   rg_finish          alive, then SIGTERM -> status 0, no sanitizer report
#   rg_kill9           SIGKILL, no chance to flush
#   rg_hup             SIGHUP
#   rg_alive           true while the daemon we started runs
#   sink_start         smtp-sink on $SINK_PORT, dumping every message to
#                      $SINK_DUMP
#   pf_start           a private Postfix instance (postfix -c $PF_DIR) whose
#                      smtpd listens on 127.0.0.1:$PF_PORT (policy_context
#                      "relay"), 127.0.0.1:$PF_SUB_PORT ("submission") and
#                      127.0.0.1:$PF_PLAIN_PORT (no policy_context: the
#                      daemon infers the role from server_port, which
#                      XCLIENT DESTPORT=25|587 sets),
#                      asks check_policy_service inet:127.0.0.1:$RG_POLICY_PORT
#                      at RCPT and at END-OF-MESSAGE and relays everything
#                      to the smtp-sink.
#                      PF_EXTRA_MAIN (lines appended to main.cf) adjusts it.
#   swaks_send FROM TO [XCLIENT-ATTRS] [PORT]
#                      one message; prints the server's final reply ("250 2.0.0
#                      Ok: queued as ..." or the first error reply); returns 0
#                      for 2xx, 1 otherwise
#   pf_stop            postfix -c $PF_DIR/etc stop
#   pf_queue_json      postqueue -j; pf_queue_count [hold|active|deferred|...]
#   pf_queue_count_hold, pf_sink_count (messages at the sink),
#   pf_delivered_count ("status=sent" in the maillog), pf_log_count REGEX
#   pf_wait_settled N  wait until N messages are delivered or held
#   wait_for TIMEOUT_S CMD...   poll CMD every 0.1 s; port_open PORT
#   policy_query ADDR ATTRS...  one request over a fresh connection
#                      (tests/integ/policyc.py), prints the action
#   fail MSG, ok MSG, note MSG
#
# The clients in XCLIENT tests: Postfix trusts 127.0.0.0/8 to send XCLIENT
# (smtpd_authorized_xclient_hosts), so "ADDR=100.64.1.2 LOGIN=u1" makes
# smtpd treat the session as coming from 100.64.1.2 authenticated as u1;
# Postfix 3.7 then sends client_address=100.64.1.2 and sasl_username=u1 to
# the policy service (with sasl_method=XCLIENT), even with
# smtpd_sasl_auth_enable = no (checked with the real smtpd: the session log
# reads "client=unknown[100.64.1.2], sasl_method=XCLIENT, sasl_username=u1").
# Because SASL stays off, permit_sasl_authenticated never fires here: the
# customer networks are in mynetworks, as on an ISP's port-25 relay, and the
# policy service alone decides.
#
# Everything lives in $T (a fresh temporary directory); nothing outside it
# is touched, and only 127.0.0.1 is used.  On a failing exit the relayguardd
# log, the Postfix maillog, the last swaks transcript and the queue are
# printed.  Set RG_KEEP=1 to keep $T for a post-mortem; RG_DAEMON to test
# another build (e.g. build/asan/relayguardd).  Run directly, this file is
# a self-check of the harness (see the end).  Needs root (Postfix), the
# postfix user and postdrop group of Debian's postfix package, swaks and
# python3.

set -u
set -o pipefail

RG_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export RG_ROOT
export PYTHONDONTWRITEBYTECODE=1	# no __pycache__ in the tree (25 imports policyc)
RG_DAEMON=${RG_DAEMON:-$RG_ROOT/build/relayguardd}
RG_CLI=${RG_CLI:-$RG_ROOT/build/relayguard}
TEST_NAME=$(basename "$0" .sh)

T=$(mktemp -d "/tmp/rg-integ-$TEST_NAME.XXXXXX") || exit 1
chmod 755 "$T"			# the postfix user must reach $T/pf
RG_LOG=$T/relayguardd.log
RG_PID=
SINK_PID=
PF_DIR=$T/pf
PF_STARTED=
_rg_failed_msg=

note() { echo "[$TEST_NAME] $*"; }
ok() { echo "[$TEST_NAME] ok: $*"; }
fail() {
	_rg_failed_msg="$*"
	echo "[$TEST_NAME] FAIL: $*" >&2
	exit 1
}

# free_ports N - print N distinct free TCP ports on 127.0.0.1.
free_ports() {
	python3 - "$1" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
}

read -r RG_POLICY_PORT PF_PORT PF_SUB_PORT PF_PLAIN_PORT SINK_PORT RG_HTTP_PORT RG_DNS_PORT \
    <<<"$(free_ports 7)" || { echo "cannot pick free ports" >&2; exit 1; }
export RG_POLICY_PORT PF_PORT PF_SUB_PORT PF_PLAIN_PORT SINK_PORT RG_HTTP_PORT RG_DNS_PORT

# wait_for TIMEOUT_S CMD... - run CMD every 0.1 s until it succeeds.
wait_for() {
	local timeout=$1; shift
	local deadline=$((SECONDS + timeout))
	while :; do
		"$@" >/dev/null 2>&1 && return 0
		[ $SECONDS -ge $deadline ] && return 1
		sleep 0.1
	done
}

# port_open PORT - true when 127.0.0.1:PORT accepts a TCP connection.
port_open() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# ---------------------------------------------------------------- relayguardd

rg_alive() {
	[ -n "$RG_PID" ] && kill -0 "$RG_PID" 2>/dev/null
}

rg_start() {	# CONF
	local conf=$1
	[ -x "$RG_DAEMON" ] || fail "no daemon at $RG_DAEMON (make -j2 all)"
	echo "=== rg_start $(date +%T.%N) ===" >>"$RG_LOG"
	"$RG_DAEMON" -c "$conf" -f >>"$RG_LOG" 2>&1 &
	RG_PID=$!
	local deadline=$((SECONDS + 10))
	while ! port_open "$RG_POLICY_PORT"; do
		if ! rg_alive; then
			wait "$RG_PID"
			local rc=$?
			RG_PID=
			fail "relayguardd exited (status $rc) before listening on $RG_POLICY_PORT"
		fi
		[ $SECONDS -ge $deadline ] && fail "relayguardd not listening on $RG_POLICY_PORT after 10 s"
		sleep 0.05
	done
}

# rg_stop - SIGTERM and wait (10 s) for a clean exit; returns its status.
rg_stop() {
	[ -n "$RG_PID" ] || return 0
	echo "=== rg_stop (SIGTERM) $(date +%T.%N) ===" >>"$RG_LOG"
	kill -TERM "$RG_PID" 2>/dev/null
	local i
	for i in $(seq 100); do
		rg_alive || break
		sleep 0.1
	done
	if rg_alive; then
		kill -KILL "$RG_PID" 2>/dev/null
		wait "$RG_PID" 2>/dev/null
		RG_PID=
		fail "relayguardd did not exit within 10 s of SIGTERM"
	fi
	wait "$RG_PID"
	local rc=$?
	RG_PID=
	return $rc
}

# rg_finish - end of a test: the daemon must still run, stop cleanly on
# SIGTERM with status 0, and have logged no sanitizer report (when
# RG_DAEMON is the ASan/UBSan build).
rg_finish() {
	rg_alive || fail "relayguardd is not running at the end of the test"
	local rc=0
	rg_stop || rc=$?
	[ "$rc" -eq 0 ] || fail "relayguardd exited with status $rc on SIGTERM"
	if grep -Eq 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$RG_LOG"; then
		fail "sanitizer report in the relayguardd log"
	fi
}

rg_kill9() {
	[ -n "$RG_PID" ] || return 0
	echo "=== rg_kill9 $(date +%T.%N) ===" >>"$RG_LOG"
	kill -KILL "$RG_PID" 2>/dev/null
	wait "$RG_PID" 2>/dev/null
	RG_PID=
}

rg_hup() {
	echo "=== rg_hup $(date +%T.%N) ===" >>"$RG_LOG"
	kill -HUP "$RG_PID"
}

# rg_conf FILE [EXTRA] - write a config with the standard networks, embedded
# state under $T/state and the policy listener on $RG_POLICY_PORT; EXTRA
# (limits) is appended verbatim.  RG_POLICY_LISTEN, when set, replaces the
# contents of listen.policy (e.g. '"127.0.0.1:1234", "unix:/path"').
rg_conf() {
	local file=$1 extra=${2:-}
	local listen=${RG_POLICY_LISTEN:-"\"127.0.0.1:$RG_POLICY_PORT\""}
	mkdir -p "$T/state"
	cat >"$file" <<EOF
# written by $TEST_NAME
state {
  backend = "embedded";
  dir = "$T/state";
}
listen {
  policy = [$listen];
}
network "broadband" { prefixes = ["100.64.0.0/10"]; require_auth = true; }
network "business"  { prefixes = ["198.51.100.0/24"]; }
network "trusted"   { prefixes = ["127.0.0.0/8"]; exempt = true; }
customer_key = ["sasl_username", "client_address"];
detection { enabled = false; }
$extra
EOF
}

POLICYC=$RG_ROOT/tests/integ/policyc.py

# policy_query ADDR ATTR=VALUE... - one request (Postfix's attribute set,
# overridden by ATTRs, a fresh instance unless given) on a fresh connection;
# prints the reply's action without "action=".  ADDR: PORT, HOST:PORT or
# unix:/path.
policy_query() {
	local addr=$1; shift
	case $addr in *:*) ;; *) addr=127.0.0.1:$addr ;; esac
	python3 "$POLICYC" query "$addr" "$@"
}

# ---------------------------------------------------------------- smtp-sink

SINK_DIR=$T/sink
SINK_DUMP=$SINK_DIR/dump

sink_start() {
	mkdir -p "$SINK_DIR"
	chown nobody "$SINK_DIR" 2>/dev/null
	/usr/sbin/smtp-sink -u nobody -h sink.rg-integ.invalid -D "$SINK_DUMP" \
	    "127.0.0.1:$SINK_PORT" 64 >"$SINK_DIR/log" 2>&1 &
	SINK_PID=$!
	wait_for 10 port_open "$SINK_PORT" || fail "smtp-sink not listening on $SINK_PORT"
}

# pf_sink_count - messages the sink has received (one X-Mail-Args per message).
pf_sink_count() {
	if [ -f "$SINK_DUMP" ]; then
		grep -c '^X-Mail-Args:' "$SINK_DUMP"
	else
		echo 0
	fi
}

# ---------------------------------------------------------------- Postfix

PF_POLICY_DEFAULT_ACTION=${PF_POLICY_DEFAULT_ACTION:-DUNNO}
PF_EXTRA_MAIN=${PF_EXTRA_MAIN:-}

pf_start() {
	[ -n "$SINK_PID" ] || sink_start
	mkdir -p "$PF_DIR/etc" "$PF_DIR/queue" "$PF_DIR/data"
	chown postfix "$PF_DIR/data"
	cat >"$PF_DIR/etc/main.cf" <<EOF
# private Postfix instance of $TEST_NAME
compatibility_level = 3.6
queue_directory = $PF_DIR/queue
data_directory = $PF_DIR/data
config_directory = $PF_DIR/etc
mail_owner = postfix
setgid_group = postdrop
syslog_name = postfix-rginteg
maillog_file = $PF_DIR/maillog
maillog_file_prefixes = $T
myhostname = relay.rg-integ.invalid
mydomain = rg-integ.invalid
myorigin = \$myhostname
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
smtp_dns_support_level = disabled
smtpd_peername_lookup = no
in_flow_delay = 0
biff = no
# Customers reach this relay from their own networks; the policy service,
# not mynetworks, decides who may relay.
mynetworks = 127.0.0.0/8 100.64.0.0/10 198.51.100.0/24
smtpd_authorized_xclient_hosts = 127.0.0.0/8
relayhost = [127.0.0.1]:$SINK_PORT
# Mail for this domain is "inbound" (this relay is also its MX); it goes
# to the sink like everything else.
relay_domains = inbound.rg-integ.invalid
smtp_connection_cache_on_demand = no
smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination
smtpd_recipient_restrictions =
    check_policy_service inet:127.0.0.1:$RG_POLICY_PORT,
    permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination
# As in the README snippet: asked again at the end of the message (two
# requests per message; relayguard must count the message once).
smtpd_end_of_data_restrictions =
    check_policy_service inet:127.0.0.1:$RG_POLICY_PORT
smtpd_policy_service_default_action = $PF_POLICY_DEFAULT_ACTION
smtpd_policy_service_timeout = 10s
smtpd_policy_service_try_limit = 2
smtpd_policy_service_retry_delay = 1s
smtpd_policy_service_request_limit = 0
bounce_queue_lifetime = 1h
maximal_queue_lifetime = 1h
$PF_EXTRA_MAIN
EOF
	cat >"$PF_DIR/etc/master.cf" <<EOF
# service type  private unpriv  chroot  wakeup  maxproc command + args
127.0.0.1:$PF_PORT inet n - n - - smtpd
  -o smtpd_policy_service_policy_context=relay
127.0.0.1:$PF_SUB_PORT inet n - n - - smtpd
  -o smtpd_policy_service_policy_context=submission
127.0.0.1:$PF_PLAIN_PORT inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
	/usr/sbin/postfix -c "$PF_DIR/etc" check >"$T/postfix-check.log" 2>&1 ||
	    { cat "$T/postfix-check.log" >&2; fail "postfix check failed"; }
	/usr/sbin/postfix -c "$PF_DIR/etc" start >"$T/postfix-start.log" 2>&1 ||
	    { cat "$T/postfix-start.log" >&2; fail "postfix start failed"; }
	PF_STARTED=1
	wait_for 15 port_open "$PF_PORT" || fail "postfix smtpd not listening on $PF_PORT"
	wait_for 15 port_open "$PF_SUB_PORT" || fail "postfix smtpd not listening on $PF_SUB_PORT"
	wait_for 15 port_open "$PF_PLAIN_PORT" || fail "postfix smtpd not listening on $PF_PLAIN_PORT"
	wait_for 5 test -S "$PF_DIR/queue/public/showq" || fail "postfix showq socket missing"
}

pf_stop() {
	[ -n "$PF_STARTED" ] || return 0
	/usr/sbin/postfix -c "$PF_DIR/etc" stop >>"$T/postfix-start.log" 2>&1
	# postfix stop waits for master; make sure nothing of ours lingers.
	local pidf=$PF_DIR/queue/pid/master.pid pid
	if [ -f "$pidf" ]; then
		pid=$(tr -d ' ' <"$pidf")
		[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
	fi
	PF_STARTED=
}

# pf_queue_json - one JSON object per queued message.
pf_queue_json() {
	/usr/sbin/postqueue -c "$PF_DIR/etc" -j 2>/dev/null
}

# pf_queue_count [QUEUE] - messages in QUEUE (any queue when omitted).
pf_queue_count() {
	local q=${1:-}
	if [ -n "$q" ]; then
		pf_queue_json | grep -c "\"queue_name\": *\"$q\""
	else
		pf_queue_json | grep -c '"queue_name"'
	fi
	return 0
}

pf_queue_count_hold() { pf_queue_count hold; }

# pf_log_count REGEX - matching lines in the Postfix maillog.
pf_log_count() {
	if [ -f "$PF_DIR/maillog" ]; then
		grep -cE "$1" "$PF_DIR/maillog"
	else
		echo 0
	fi
	return 0
}

# pf_delivered_count - "status=sent" lines in the maillog.
pf_delivered_count() { pf_log_count 'status=sent'; }

# pf_wait_settled N [TIMEOUT] - wait until delivered + held = N and nothing
# else is queued.
_pf_settled() {
	local n=$1 d h q
	d=$(pf_sink_count); h=$(pf_queue_count hold); q=$(pf_queue_count)
	[ $((d + h)) -eq "$n" ] && [ "$q" -eq "$h" ]
}
pf_wait_settled() {
	wait_for "${2:-20}" _pf_settled "$1"
}

# swaks_send FROM TO [XCLIENT-ATTRS] [PORT] - see the header.
swaks_send() {
	local from=$1 to=$2 xclient=${3:-} port=${4:-$PF_PORT}
	local args=(--server 127.0.0.1 --port "$port" --from "$from" --to "$to"
	    --helo client.rg-integ.invalid --timeout 30
	    --header "Subject: relayguard integ $TEST_NAME"
	    --body "relayguard integration test message")
	[ -n "$xclient" ] && args+=(--xclient "$xclient")
	local out
	out=$(swaks "${args[@]}" 2>&1)
	echo "--- swaks ${args[*]}" >>"$T/swaks.log"
	echo "$out" >>"$T/swaks.log"
	local err
	err=$(printf '%s\n' "$out" | grep -m1 '^<\*\*' | sed 's/^<\*\* *//')
	if [ -n "$err" ]; then
		echo "$err"
		return 1
	fi
	local last
	last=$(printf '%s\n' "$out" | grep -E '^<- +[0-9]{3} ' | grep -v '^<- *221 ' | tail -1 | sed 's/^<- *//')
	if [ -z "$last" ]; then
		echo "no reply (swaks: $(printf '%s\n' "$out" | tail -1))"
		return 1
	fi
	echo "$last"
	case $last in 2*) return 0 ;; *) return 1 ;; esac
}

# ---------------------------------------------------------------- HTTP API
#
#   rg_http_conf FILE [EXTRA]  rg_conf plus listen.http on $RG_HTTP_PORT,
#                      listen.dns on $RG_DNS_PORT, http.token_file
#                      $T/api.token (holding $RG_TOKEN) and a zone
#                      bl.rg-integ.test with a detection dataset; EXTRA
#                      (limits, a detection { } replacing rg_conf's) appended
#   rg_http METHOD PATH [BODY]  one request to the daemon's API; prints
#                      the HTTP status and leaves the body in $T/http.body;
#                      sends the bearer token when RG_HTTP_AUTH=1
#   rg_http_body       the body of the last rg_http
#   json_get EXPR      a python3 expression over the JSON object `j` of
#                      $T/http.body, printed (e.g. 'j["total"]')

RG_TOKEN=tok-$RANDOM$RANDOM$RANDOM
RG_HTTP_AUTH=${RG_HTTP_AUTH:-0}

rg_http_conf() {	# FILE [EXTRA]
	local file=$1 extra=${2:-}
	(umask 077 && echo "$RG_TOKEN" >"$T/api.token")
	# listen.policy's list is closed and the other listeners follow it
	# in the same listen { } block.
	RG_POLICY_LISTEN="\"127.0.0.1:$RG_POLICY_PORT\"]; http = [\"127.0.0.1:$RG_HTTP_PORT\"]; dns = [\"127.0.0.1:$RG_DNS_PORT\"" \
	    rg_conf "$file" "$extra"
	# EXTRA may configure detection itself.
	case $extra in *detection*) sed -i '/^detection { enabled = false; }$/d' "$file" ;; esac
	cat >>"$file" <<EOF
http { token_file = "$T/api.token"; }
zone "bl.rg-integ.test" {
  ttl = 300;
  ns = ["ns1.rg-integ.test"];
  dataset "infected" { type = "detection"; a = "127.0.0.4"; txt = "\$ is listed"; }
}
EOF
}

rg_http() {	# METHOD PATH [BODY]
	local args=(-s -o "$T/http.body" -w '%{http_code}' -X "$1" --max-time 10)
	[ "$RG_HTTP_AUTH" = 1 ] && args+=(-H "Authorization: Bearer $RG_TOKEN")
	[ $# -ge 3 ] && args+=(-H 'Content-Type: application/json' --data-binary "$3")
	curl "${args[@]}" "http://127.0.0.1:$RG_HTTP_PORT$2"
}

rg_http_body() { cat "$T/http.body"; }

json_get() {	# EXPR
	python3 -c 'import json, sys; j = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' \
	    "$T/http.body" "$1"
}

# ---------------------------------------------------------------- cleanup

_rg_dump() {	# TITLE FILE
	[ -s "$2" ] || return 0
	echo "----- $1 ($2) -----"
	tail -n 200 "$2"
}

cleanup() {
	local rc=$?
	trap - EXIT
	if [ "$rc" -ne 0 ]; then
		{
			echo "===== $TEST_NAME failed (status $rc)${_rg_failed_msg:+: $_rg_failed_msg} ====="
			_rg_dump "relayguardd log" "$RG_LOG"
			_rg_dump "postfix maillog" "$PF_DIR/maillog"
			_rg_dump "postfix start" "$T/postfix-start.log"
			[ -s "$T/swaks.log" ] && { echo "----- last swaks transcript -----";
			    tac "$T/swaks.log" | sed '/^--- swaks /q' | tac; }
			_rg_dump "smtp-sink log" "$SINK_DIR/log"
			[ -n "$PF_STARTED" ] && { echo "----- queue -----"; pf_queue_json; }
		} >&2
	fi
	if [ -n "$RG_PID" ] && rg_alive; then
		kill -TERM "$RG_PID" 2>/dev/null
		local i
		for i in $(seq 50); do rg_alive || break; sleep 0.1; done
		rg_alive && kill -KILL "$RG_PID" 2>/dev/null
	fi
	pf_stop
	if [ -n "$SINK_PID" ]; then
		kill "$SINK_PID" 2>/dev/null
		wait "$SINK_PID" 2>/dev/null
	fi
	for p in ${RG_EXTRA_PIDS:-}; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	if [ "${RG_KEEP:-0}" = 1 ]; then
		echo "[$TEST_NAME] kept $T" >&2
	else
		rm -rf "$T"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

# ---------------------------------------------------------------- self-check
#
# tests/run.sh runs every tests/integ/*.sh, this file included.  Run
# directly (not sourced), it checks the harness and the host's peers
# without relayguardd: a private Postfix starts, XCLIENT is honoured and
# its LOGIN reaches smtpd as sasl_username, mail flows to the smtp-sink
# while nothing listens on the policy port (default action DUNNO), and
# postqueue -j answers.  A failure here is the environment's, not the
# daemon's.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	pf_start
	r=$(swaks_send u1@broadband.example a@example.org "ADDR=100.64.1.2 LOGIN=u1") ||
	    fail "harness: message refused with no policy service: $r"
	pf_wait_settled 1 20 || fail "harness: message not delivered to smtp-sink"
	[ "$(pf_log_count 'client=unknown\[100\.64\.1\.2\], sasl_method=XCLIENT, sasl_username=u1')" -eq 1 ] ||
	    fail "harness: XCLIENT ADDR/LOGIN not honoured by smtpd"
	[ "$(pf_log_count 'problem talking to server 127\.0\.0\.1:'"$RG_POLICY_PORT")" -ge 1 ] ||
	    fail "harness: Postfix did not ask the policy service"
	pf_queue_json >/dev/null || fail "harness: postqueue -j failed"
	ok "harness: private Postfix, XCLIENT LOGIN, smtp-sink and postqueue work"
fi
