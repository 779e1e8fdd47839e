#!/bin/sh
# deps.sh - install the Debian packages relayguard builds, tests and
# benchmarks with.  Idempotent: does nothing when all are present.
set -e
PKGS="build-essential pkg-config clang libclang-rt-14-dev libevent-dev libcmocka-dev
libhiredis-dev libc-ares-dev libsqlite3-dev zlib1g-dev postfix swaks dnsutils
redis-server nsd rbldnsd postfwd procps iproute2 python3
curl chromium prometheus nodejs"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
# The browser test needs npm; nodejs from NodeSource ships it, Debian's
# nodejs does not (and Debian's npm conflicts with NodeSource's nodejs).
command -v npm >/dev/null 2>&1 || missing="$missing npm"
[ -z "$missing" ] && exit 0
echo "deps: installing:$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
# Postfix asks how to configure itself; the tests run private instances,
# so the system one stays unconfigured.
echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends $missing
