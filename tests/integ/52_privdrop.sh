#!/bin/bash
# 52_privdrop.sh - `user =`: relayguardd started as root binds its
# listeners, opens its state, then runs as an unprivileged user.
#
# A system user rg-test-PID (in group adm, like a Debian log reader) is
# made for the test and removed at exit.  Proves: /proc/PID/status shows
# that user's uid and gid (real, effective, saved, filesystem) and group
# adm; state.dir and its files belong to it; the policy service answers
# and limits; the journal and a SIGHUP reload work as that user; the
# maillog (root:adm, 0640) is followed across a rename rotation; a
# SIGTERM writes the snapshot and a restart keeps the counters.  Then a
# config naming a user that does not exist makes the daemon exit 1 with
# a message.
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || fail "needs root (useradd, and the daemon must start as root)"
RG_USER=rg-test-$$
RG_USER_MADE=

_privdrop_cleanup() {
	local rc=$?
	# userdel refuses a user that still runs a process: stop ours first.
	if [ -n "$RG_PID" ] && rg_alive; then
		kill -TERM "$RG_PID" 2>/dev/null
		local i
		for i in $(seq 50); do rg_alive || break; sleep 0.1; done
		rg_alive && kill -KILL "$RG_PID" 2>/dev/null
		wait "$RG_PID" 2>/dev/null
		RG_PID=
	fi
	[ -n "$RG_USER_MADE" ] && userdel "$RG_USER" 2>/dev/null
	(exit "$rc")
	cleanup
}
trap _privdrop_cleanup EXIT

groups=
getent group adm >/dev/null && groups="-G adm"
# shellcheck disable=SC2086
useradd -r -M -s /usr/sbin/nologin $groups "$RG_USER" || fail "useradd $RG_USER"
RG_USER_MADE=1
uid=$(id -u "$RG_USER")
gid=$(id -g "$RG_USER")

MAILLOG=$T/maillog
install -m 0640 -o root -g "$(getent group adm >/dev/null && echo adm || echo root)" \
    /dev/null "$MAILLOG"
rg_conf "$T/rg.conf" "
user = \"$RG_USER\";
feed { maillog = \"$MAILLOG\"; }
limit \"msgs\" { key = \"customer\"; count = \"messages\"; rate = \"2/1h\"; action = \"defer\"; }"
rg_start "$T/rg.conf"
wait_for 5 grep -q "dropped privileges to $RG_USER" "$RG_LOG" || fail "no 'dropped privileges' line"

# Real, effective, saved and filesystem ids are all the user's.
read -r _ ru eu su fu <<<"$(grep '^Uid:' "/proc/$RG_PID/status")"
read -r _ rg eg sg fg <<<"$(grep '^Gid:' "/proc/$RG_PID/status")"
[ "$ru $eu $su $fu" = "$uid $uid $uid $uid" ] || fail "Uid: $ru $eu $su $fu, want $uid"
[ "$rg $eg $sg $fg" = "$gid $gid $gid $gid" ] || fail "Gid: $rg $eg $sg $fg, want $gid"
if [ -n "$groups" ]; then
	grep '^Groups:' "/proc/$RG_PID/status" | grep -qw "$(getent group adm | cut -d: -f3)" ||
	    fail "group adm not among the supplementary groups: $(grep '^Groups:' "/proc/$RG_PID/status")"
fi
ok "running as $RG_USER (uid $uid, gid $gid) with its groups"

q() {	# INSTANCE
	policy_query "$RG_POLICY_PORT" client_address=198.51.100.7 sasl_username=p1 \
	    policy_context=submission instance="$1" recipient="r@example.org"
}
[ "$(q a)" = DUNNO ] || fail "first request"
[ "$(q b)" = DUNNO ] || fail "second request"
case $(q c) in DEFER_IF_PERMIT*) ;; *) fail "third request not deferred" ;; esac
ok "policy answers and limits"

sleep 1.5	# the journal is written once a second
grep -q "journal write failed" "$RG_LOG" && fail "journal write failed as $RG_USER"
bad=$(find "$T/state" -mindepth 0 -maxdepth 1 ! -user "$RG_USER" -printf '%p ')
[ -z "$bad" ] || fail "not owned by $RG_USER: $bad"
ok "state.dir and its files belong to $RG_USER; the journal is written"

rg_hup
wait_for 5 grep -q "reload: done" "$RG_LOG" || fail "SIGHUP reload failed as $RG_USER"
ok "SIGHUP re-reads the config as $RG_USER"

# Rotation by rename: the new file (root:adm 0640) is opened as the user.
mv "$MAILLOG" "$MAILLOG.1"
install -m 0640 -o root -g "$(stat -c %G "$MAILLOG.1")" /dev/null "$MAILLOG"
wait_for 5 grep -q "feed: $MAILLOG: rotated; following the new file" "$RG_LOG" ||
    fail "the rotated maillog was not reopened as $RG_USER"
ok "maillog followed across rotation"

rg_stop || fail "relayguardd exited non-zero on SIGTERM"
grep -q "snapshot failed" "$RG_LOG" && fail "snapshot failed as $RG_USER"
rg_start "$T/rg.conf"
dropped_twice() { [ "$(grep -c "dropped privileges to $RG_USER" "$RG_LOG")" -ge 2 ]; }
wait_for 5 dropped_twice || fail "no drop after restart"
case $(q d) in DEFER_IF_PERMIT*) ;; *) fail "counters lost across SIGTERM and restart" ;; esac
ok "SIGTERM snapshot written as $RG_USER; counters survive the restart"
rg_finish

# A user that does not exist: exit 1 with a message, before answering.
sed -i "s/^user = .*/user = \"rg-no-such-user-$$\";/" "$T/rg.conf"
"$RG_DAEMON" -c "$T/rg.conf" -f >"$T/nouser.log" 2>&1
rc=$?
[ "$rc" = 1 ] || { cat "$T/nouser.log"; fail "unknown user: exit $rc, want 1"; }
grep -q "user: rg-no-such-user-$$: no such user" "$T/nouser.log" ||
    { cat "$T/nouser.log"; fail "unknown user: no clear message"; }
ok "an unknown user: exit 1, \"$(grep -o 'user: rg-no-such.*' "$T/nouser.log")\""
ok "done"
