# relayguard replay: decisions for a fixed trace are deterministic (the
# trace's clock, never the wall clock); gzip and stdin give the same.
. "$(dirname "$0")/lib.sh"
rc=0
golden_diff replay tests/golden/replay.ref $RG replay -c tests/golden/replay.conf tests/golden/replay.trace || rc=1
# Overrides: u1 may send 5 an hour, shop@biz.example is exempt (no WARN, no HOLD).
golden_diff replay-overrides tests/golden/replay_overrides.ref $RG replay -c tests/golden/replay_overrides.conf tests/golden/replay.trace || rc=1
golden_diff replay-overrides-bad tests/golden/replay_overrides_bad.ref $RG replay -c tests/golden/replay_overrides_bad.conf tests/golden/replay.trace || rc=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
gzip -c tests/golden/replay.trace >"$tmp/t.gz"
$RG replay -c tests/golden/replay.conf -o "$tmp/gz.out" "$tmp/t.gz" || rc=1
$RG replay -c tests/golden/replay.conf - <tests/golden/replay.trace >"$tmp/stdin.out" || rc=1
$RG replay -c tests/golden/replay.conf tests/golden/replay.trace >"$tmp/plain.out" || rc=1
cmp "$tmp/gz.out" "$tmp/plain.out" || { echo "gzip input differs"; rc=1; }
cmp "$tmp/stdin.out" "$tmp/plain.out" || { echo "stdin input differs"; rc=1; }
# A malformed line is reported with its line number, skipped, and exit 1.
{ head -3 tests/golden/replay.trace; echo '{"t": "soon", "ev": "policy"}'; sed -n 4,5p tests/golden/replay.trace; } >"$tmp/bad.trace"
$RG replay -c tests/golden/replay.conf "$tmp/bad.trace" >"$tmp/bad.out" 2>"$tmp/bad.err"
st=$?
[ "$st" = 1 ] || { echo "malformed trace: exit $st, want 1"; rc=1; }
grep -q 'bad.trace:4:' "$tmp/bad.err" || { echo "no line number in: $(cat "$tmp/bad.err")"; rc=1; }
[ "$(wc -l <"$tmp/bad.out")" = 5 ] || { echo "lines around the bad one were lost"; rc=1; }
exit $rc
