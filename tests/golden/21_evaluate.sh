# relayguard evaluate: the report for a small simulated trace is
# deterministic.  The .ref uses rate limits only (detection off), so it
# checks the scorer without depending on the detector's tuning: a
# compromised customer is "stopped" by its first deferred or held spam
# message.  With detection on, only the report's shape is checked.
. "$(dirname "$0")/lib.sh"
rc=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/limits.conf" <<'CONF'
state { dir = "/nonexistent-evaluate-uses-no-state"; }
listen { policy = ["127.0.0.1:10040"]; }
network "broadband" { prefixes = ["100.64.0.0/10", "2001:db8:100::/40"]; require_auth = true; }
network "business"  { prefixes = ["198.51.100.0/24", "203.0.113.0/24", "2001:db8:200::/40"]; }
network "trusted"   { prefixes = ["127.0.0.0/8", "::1/128"]; exempt = true; }
customer_key = ["sasl_username", "client_address"];
limit "msgs" { key = "customer"; count = "messages"; rate = "100/1h"; action = "defer"; }
limit "domains" { key = "customer"; count = "distinct_recipient_domains"; rate = "40/1h"; action = "hold"; }
detection { enabled = false; }
CONF
sed -e 's/detection { enabled = false; }/detection { enabled = true; on_compromise = ["hold"]; }/' \
	"$tmp/limits.conf" >"$tmp/detect.conf"
$RG simulate --customers 20 --compromised 2 --days 1 --seed 7 >"$tmp/t.jsonl" || rc=1

evaluate_stdin() {	# conf [options]: the trace on stdin, so the report names "-"
	local conf=$1
	shift
	$RG evaluate -c "$conf" "$@" - <"$tmp/t.jsonl"
}
golden_diff evaluate tests/golden/evaluate_small.ref evaluate_stdin "$tmp/limits.conf" || rc=1

# --json: the same numbers, valid JSON.
evaluate_stdin "$tmp/limits.conf" --json >"$tmp/e.json" || { echo "--json failed"; rc=1; }
if command -v python3 >/dev/null; then
	python3 - "$tmp/e.json" <<'PY' || rc=1
import json, sys
r = json.load(open(sys.argv[1]))
assert r["customer_key_mismatches"] == 0, r
assert r["malformed_lines"] == 0 and r["log_lines_not_understood"] == 0, r
rows = {x["scenario"]: x for x in r["compromised_by_scenario"]}
assert rows["overall"]["customers"] == r["compromised"] == 2, rows
assert sum(x["customers"] for x in r["legitimate_by_kind"][:-1]) == r["legitimate"], r
PY
fi

# With detection: the report has its parts, and every customer key matches.
evaluate_stdin "$tmp/detect.conf" >"$tmp/d.txt" || { echo "evaluate with detection failed"; rc=1; }
for want in "0 customer key mismatches" "0 malformed lines" "(0 not understood)" "high-rate" "low-slow" \
	"legitimate customers" "overall"; do
	grep -qF -- "$want" "$tmp/d.txt" || { echo "no \"$want\" in:"; cat "$tmp/d.txt"; rc=1; }
done

# A malformed line is counted, reported and makes the exit status 1.
{ head -5 "$tmp/t.jsonl"; echo '{"t": "soon", "ev": "policy"}'; } >"$tmp/bad.jsonl"
$RG evaluate -c "$tmp/limits.conf" "$tmp/bad.jsonl" >"$tmp/bad.out" 2>"$tmp/bad.err"
st=$?
[ "$st" = 1 ] || { echo "malformed trace: exit $st, want 1"; rc=1; }
grep -q 'bad.jsonl:6:' "$tmp/bad.err" || { echo "no line number in: $(cat "$tmp/bad.err")"; rc=1; }
grep -q '1 malformed lines' "$tmp/bad.out" || { echo "malformed line not counted"; rc=1; }

# Bad usage and a bad config.
$RG evaluate -c "$tmp/limits.conf" --nosuch "$tmp/t.jsonl" >/dev/null 2>&1
[ $? = 2 ] || { echo "evaluate with an unknown option: want exit 2"; rc=1; }
$RG evaluate -c "$tmp/nosuch.conf" "$tmp/t.jsonl" >/dev/null 2>&1
[ $? = 2 ] || { echo "evaluate with a missing config: want exit 2"; rc=1; }
$RG evaluate -c "$tmp/limits.conf" >/dev/null 2>&1
[ $? = 2 ] || { echo "evaluate without input: want exit 2"; rc=1; }
$RG evaluate -c "$tmp/limits.conf" "$tmp/nosuch" >/dev/null 2>&1
[ $? = 1 ] || { echo "evaluate of a missing file: want exit 1"; rc=1; }
exit $rc
