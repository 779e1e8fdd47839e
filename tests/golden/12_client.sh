#!/bin/bash
# 12_client.sh - the tables of the API client (`relayguard status |
# customers | incidents | release | lookup`), their exit codes and error
# lines, diffed against client.ref.  The daemon is stood in for by
# tests/golden/api/server.py, which answers fixed JSON, so the output
# does not depend on a clock or on the engine.
. "$(dirname "$0")/lib.sh"
tmp=$(mktemp -d)
python3 tests/golden/api/server.py "$tmp/port" &
spid=$!
trap 'kill $spid 2>/dev/null; wait $spid 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 50); do [ -s "$tmp/port" ] && break; sleep 0.1; done
[ -s "$tmp/port" ] || { echo "golden: the canned API did not start"; exit 1; }
url=http://127.0.0.1:$(cat "$tmp/port")
echo golden >"$tmp/token"
run() {
	echo "\$ relayguard $*"
	$RG "$@" --url "$url" 2>&1
	echo "exit=$?"
}
{
	run status
	run customers
	run incidents
	run release 1 --token-file "$tmp/token"
	run release 1
	run release 99 --token-file "$tmp/token"
	run lookup 203.0.113.6
	run release
} >"$tmp/out"
sed -i -e "s|$url|URL|g" -e "s|$tmp|TMP|g" "$tmp/out"
if [ "${UPDATE_GOLDEN:-0}" = 1 ]; then
	cp "$tmp/out" tests/golden/client.ref
	echo "updated tests/golden/client.ref"
elif ! diff -u tests/golden/client.ref "$tmp/out"; then
	echo "golden: client output differs from tests/golden/client.ref"
	exit 1
fi
