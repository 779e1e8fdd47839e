# relayguard check: the summary of a good config, and the one-line
# "file:line: key: message" plus exit 2 for bad ones.
. "$(dirname "$0")/lib.sh"
rc=0
golden_diff check-ok tests/golden/check_ok.ref $RG check -c tests/golden/replay.conf || rc=1
golden_diff check-example tests/golden/check_example.ref $RG check -c etc/relayguard.conf || rc=1
# A zone with a data file: entries counted; a broken data file: file:line, exit 2.
golden_diff check-zone tests/golden/check_zone.ref $RG check -c tests/golden/check_zone_ok.conf || rc=1
# An overrides map: its entries counted; a malformed one: FILE:LINE, exit 2, no summary.
golden_diff check-overrides tests/golden/check_overrides.ref $RG check -c tests/golden/replay_overrides.conf || rc=1
golden_diff check-overrides-bad tests/golden/check_overrides_bad.ref $RG check -c tests/golden/replay_overrides_bad.conf || rc=1
golden_diff check-zone-bad tests/golden/check_zone_bad.ref $RG check -c tests/golden/check_zone.conf || rc=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf 'limit "x" { key = "customer"; count = "messages"; rate = "10/1h"; action = "defer"; colour = "blue"; }\n' >"$tmp/unknown.conf"
printf 'network "a" { prefixes = ["10.0.0.0/8"]; }\nlimit "x" { key = "customer";\n count = "messages"; rate = "ten/1h"; action = "defer"; }\n' >"$tmp/badrate.conf"
(cd "$tmp" && $OLDPWD/$RG check -c unknown.conf) >"$tmp/out1" 2>&1; echo "exit=$?" >>"$tmp/out1"
(cd "$tmp" && $OLDPWD/$RG check -c badrate.conf) >"$tmp/out2" 2>&1; echo "exit=$?" >>"$tmp/out2"
cat "$tmp/out1" "$tmp/out2" >"$tmp/bad.out"
if [ "${UPDATE_GOLDEN:-0}" = 1 ]; then cp "$tmp/bad.out" tests/golden/check_bad.ref;
elif ! diff -u tests/golden/check_bad.ref "$tmp/bad.out"; then rc=1; fi
exit $rc
