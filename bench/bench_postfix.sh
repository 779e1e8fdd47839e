#!/bin/bash
# bench_postfix.sh - Postfix end to end: what a policy service costs in
# mail throughput.  A private Postfix instance (postfix -c DIR, its own
# queue, loopback ports only) relays to smtp-sink through relayhost
# [127.0.0.1]:PORT; smtp-source sends MESSAGES one-recipient messages over
# SESSIONS parallel SMTP sessions.  Three cases, measured in one run:
#
#   none        smtpd_recipient_restrictions without a policy service
#   relayguard  check_policy_service inet:... to build/relayguardd
#   postfwd2    check_policy_service inet:... to /usr/sbin/postfwd2
#
# Both policy services count every message against a limit set too high
# to trip (100,000,000 an hour for the client address), so that the
# throughput is that of judging, not of refusing; the request carries
# policy_context=relay (smtpd_policy_service_policy_context).
#
#   bench/bench_postfix.sh [-m MESSAGES] [-s SESSIONS] [-l BYTES] [-o OUTFILE]
#
# Per case: accepted msg/s (smtp-source's wall time) and delivered msg/s
# (until the queue is empty again and smtp-sink took every message), and
# the ratios to "none".  The policy services run on core SERVER_CPU;
# Postfix, smtp-source and smtp-sink are not pinned (there are only so
# many cores).  Needs root (Postfix's master starts as root).  Every
# process started here is stopped on exit and the instance is removed.
set -u
cd "$(dirname "$0")/.." || exit 1
. bench/bench_lib.sh

M=5000
S=20
SIZE=1000
OUT=""
while getopts "m:s:l:o:" opt; do
	case $opt in
	m) M=$OPTARG ;;
	s) S=$OPTARG ;;
	l) SIZE=$OPTARG ;;
	o) OUT=$OPTARG ;;
	*) echo "usage: $0 [-m MESSAGES] [-s SESSIONS] [-l BYTES] [-o FILE]" >&2; exit 2 ;;
	esac
done
emit() {
	if [ -n "$OUT" ]; then echo "$1" | tee -a "$OUT"; else echo "$1"; fi
}
if [ "$(id -u)" -ne 0 ]; then
	emit "postfix: skipped (needs root to start a Postfix instance)"
	exit 0
fi
for p in postfix postconf smtp-source smtp-sink; do
	command -v $p >/dev/null || [ -x /usr/sbin/$p ] || {
		emit "postfix: skipped ($p missing)"; exit 0; }
done
export PATH=$PATH:/usr/sbin

WORK=$(mktemp -d /tmp/rg-bench-postfix.XXXXXX)
chmod 755 "$WORK"
bench_track_dir "$WORK"
PFX=$WORK/postfix
stop_postfix() {
	[ -f "$PFX/etc/main.cf" ] && postfix -c "$PFX/etc" abort >/dev/null 2>&1
}
trap 'stop_postfix; bench_cleanup' EXIT
trap 'exit 130' INT TERM

SMTP_PORT=$(bench_free_port)
SINK_PORT=$(bench_free_port)
mkdir -p "$PFX/etc" "$PFX/queue" "$PFX/data"
chown postfix "$PFX/data"
cat >"$PFX/etc/main.cf" <<EOF
# A private instance for bench/bench_postfix.sh; removed when it ends.
compatibility_level = 3.6
queue_directory = $PFX/queue
data_directory = $PFX/data
mail_owner = postfix
setgid_group = postdrop
myhostname = bench.localdomain
mydomain = localdomain
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
relayhost = [127.0.0.1]:$SINK_PORT
smtp_dns_support_level = disabled
smtpd_peername_lookup = no
alias_maps =
alias_database =
local_recipient_maps =
biff = no
maillog_file_prefixes = $PFX
maillog_file = $PFX/maillog
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_recipient_restrictions =
smtpd_policy_service_policy_context = relay
default_process_limit = 100
EOF
# chroot off everywhere: the instance has no copies of /etc files.
cat >"$PFX/etc/master.cf" <<EOF
127.0.0.1:$SMTP_PORT inet n - n - - smtpd
pickup    unix  n - n 60 1 pickup
cleanup   unix  n - n - 0 cleanup
qmgr      unix  n - n 300 1 qmgr
tlsmgr    unix  - - n 1000? 1 tlsmgr
rewrite   unix  - - n - - trivial-rewrite
bounce    unix  - - n - 0 bounce
defer     unix  - - n - 0 bounce
trace     unix  - - n - 0 bounce
verify    unix  - - n - 1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n - - proxymap
proxywrite unix - - n - 1 proxymap
smtp      unix  - - n - - smtp
relay     unix  - - n - - smtp
showq     unix  n - n - - showq
error     unix  - - n - - error
retry     unix  - - n - - error
discard   unix  - - n - - discard
local     unix  - n n - - local
anvil     unix  - - n - 1 anvil
scache    unix  - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
EOF

smtp-sink -u nobody "127.0.0.1:$SINK_PORT" 256 >"$WORK/sink.log" 2>&1 &
bench_track $!
# postfix(1) reports only to syslog unless stderr is a terminal.
if ! script -qec "postfix -c $PFX/etc start" /dev/null >"$WORK/start.log" 2>&1 ||
    ! bench_wait_port "$SMTP_PORT" 15; then
	cat "$WORK/start.log" >&2
	tail -20 "$PFX/maillog" >&2 2>/dev/null
	emit "postfix: failed to start the private instance"
	exit 1
fi
bench_wait_port "$SINK_PORT" 5 || exit 1

queue_count() {
	find "$PFX/queue/incoming" "$PFX/queue/active" "$PFX/queue/deferred" \
	    "$PFX/queue/maildrop" -type f 2>/dev/null | wc -l
}

RESULTS=$WORK/results
# run_case NAME RESTRICTIONS - reload with them, send, wait for delivery.
run_case() {
	local name=$1 t0 t1 t2 sent0 sent1 rej0 rej1 i
	postconf -c "$PFX/etc" -e "smtpd_recipient_restrictions = $2"
	postfix -c "$PFX/etc" reload >/dev/null 2>&1
	sleep 2
	sent0=$(grep -c 'status=sent' "$PFX/maillog")
	rej0=$(grep -c 'NOQUEUE: reject' "$PFX/maillog")
	t0=$(date +%s.%N)
	smtp-source -s "$S" -m "$M" -l "$SIZE" -f sender@customers.example.net \
	    -t rcpt@example.org -M client.example.net "127.0.0.1:$SMTP_PORT" \
	    >"$WORK/source-$name.log" 2>&1
	t1=$(date +%s.%N)
	for ((i = 0; i < 1200; i++)); do
		[ "$(queue_count)" -eq 0 ] &&
		    [ $(($(grep -c 'status=sent' "$PFX/maillog") - sent0)) -ge "$M" ] && break
		sleep 0.1
	done
	t2=$(date +%s.%N)
	sent1=$(grep -c 'status=sent' "$PFX/maillog")
	rej1=$(grep -c 'NOQUEUE: reject' "$PFX/maillog")
	awk -v n="$name" -v m="$M" -v a="$t0" -v b="$t1" -v c="$t2" \
	    -v sent=$((sent1 - sent0)) -v rej=$((rej1 - rej0)) 'BEGIN {
		printf "%s messages=%d delivered=%d rejected=%d accept_s=%.2f " \
		    "accept_mps=%.0f e2e_s=%.2f e2e_mps=%.0f\n", n, m, sent, rej,
		    b - a, m / (b - a), c - a, sent / (c - a) }' | tee -a "$RESULTS" >&2
}

run_case none "permit_mynetworks, reject_unauth_destination"

RGD=build/relayguardd
if [ -x "$RGD" ]; then
	port=$(bench_free_port)
	bench_rg_conf "$WORK/relayguard.conf" "$port" "$WORK/state"
	sed -i -e 's|rate = "200/1h";|rate = "100000000/1h";|' \
	    -e 's|^customer_key|network "loopback" { prefixes = ["127.0.0.0/8"]; }\ncustomer_key|' \
	    "$WORK/relayguard.conf"
	taskset -c "$SERVER_CPU" $RGD -c "$WORK/relayguard.conf" -f 2>"$WORK/relayguardd.log" &
	rpid=$!
	bench_track $rpid
	if bench_wait_port "$port" 10; then
		run_case relayguard "check_policy_service inet:127.0.0.1:$port, permit_mynetworks, reject_unauth_destination"
	else
		tail -20 "$WORK/relayguardd.log" >&2
		echo "relayguard failed" >>"$RESULTS"
	fi
	bench_stop $rpid
else
	echo "relayguard skipped" >>"$RESULTS"
fi

PFWD=${POSTFWD2:-/usr/sbin/postfwd2}
if [ -x "$PFWD" ]; then
	port=$(bench_free_port)
	cport=$(bench_free_port)
	mkdir "$WORK/postfwd"
	echo 'id=R1; client_address=~/./; action=rate(client_address/100000000/3600/450 4.7.1 over limit)' \
	    >"$WORK/postfwd/postfwd.cf"
	chown -R nobody:nogroup "$WORK/postfwd"
	taskset -c "$SERVER_CPU" "$PFWD" -f "$WORK/postfwd/postfwd.cf" -i 127.0.0.1 -p "$port" \
	    --cache_socket "tcp:127.0.0.1:$cport" --pidfile "$WORK/postfwd/postfwd.pid" \
	    -u nobody -g nogroup --perfmon --noidlestats \
	    --min_servers $((S + 4)) --max_servers $((S + 16)) \
	    --min_spare_servers 2 --max_spare_servers $((S + 8)) >"$WORK/postfwd.log" 2>&1
	for _ in 1 2 3 4 5 6 7 8 9 10; do [ -s "$WORK/postfwd/postfwd.pid" ] && break; sleep 0.5; done
	if [ -s "$WORK/postfwd/postfwd.pid" ] && bench_track_group "$(cat "$WORK/postfwd/postfwd.pid")" &&
	    bench_wait_port "$port" 10; then
		sleep 3
		run_case postfwd2 "check_policy_service inet:127.0.0.1:$port, permit_mynetworks, reject_unauth_destination"
		kill -TERM -- "-$(cat "$WORK/postfwd/postfwd.pid")" 2>/dev/null
	else
		cat "$WORK/postfwd.log" >&2
		echo "postfwd2 failed" >>"$RESULTS"
	fi
else
	echo "postfwd2 skipped" >>"$RESULTS"
fi

# -- report --------------------------------------------------------------
e2e_of() {
	awk -v n="$1" '$1 == n { for (i = 2; i <= NF; i++) if ($i ~ /^e2e_mps=/) { sub("e2e_mps=", "", $i); print $i } }' "$RESULTS"
}
ratio() {
	if [ -n "$1" ] && [ -n "$2" ] && [ "$2" != 0 ]; then
		awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'
	else
		echo "n/a"
	fi
}
emit "# postfix end to end, $(date -u +%Y-%m-%dT%H:%M:%SZ): $M messages of $SIZE bytes, $S sessions, policy service on cpu $SERVER_CPU"
while read -r line; do emit "postfix $line"; done <"$RESULTS"
none=$(e2e_of none)
rg=$(e2e_of relayguard)
pf=$(e2e_of postfwd2)
emit "postfix ratios: relayguard/none=$(ratio "$rg" "$none") postfwd2/none=$(ratio "$pf" "$none") relayguard/postfwd2=$(ratio "$rg" "$pf")"
