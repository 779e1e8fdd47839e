# relayguard simulate: a fixed seed gives a fixed trace (compared by its
# sha256, its counts and its first lines: the trace itself is too big for
# a .ref), time-ordered, with truth on every policy event; every scenario
# gives its own kind of spam; bad usage exits 2.
. "$(dirname "$0")/lib.sh"
rc=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
SMALL="--customers 20 --compromised 2 --days 1 --seed 7"

summary() {	# trace
	echo "sha256 $(sha256sum <"$1" | cut -d' ' -f1)"
	echo "lines $(wc -l <"$1")"
	echo "policy $(grep -c '"ev": "policy"' "$1")"
	echo "log $(grep -c '"ev": "log"' "$1")"
	echo "kinds:"
	grep -o '"spam": [a-z]*, "scenario": "[^"]*", "kind": "[^"]*"' "$1" | sort | uniq -c
	echo "programs:"
	grep -o '"line": "[A-Z][a-z][a-z] [ 0-9][0-9] [0-9:]* relay1 [^[]*' "$1" | awk '{print $NF}' | sort | uniq -c
	echo "first lines:"
	head -3 "$1"
}

$RG simulate $SMALL >"$tmp/a.jsonl" || { echo "simulate failed"; rc=1; }
golden_diff simulate tests/golden/simulate_small.ref summary "$tmp/a.jsonl" || rc=1

# The same seed again, to a file: the same bytes; another seed: not.
$RG simulate $SMALL -o "$tmp/b.jsonl" || rc=1
cmp -s "$tmp/a.jsonl" "$tmp/b.jsonl" || { echo "same seed, different trace"; rc=1; }
$RG simulate --customers 20 --compromised 2 --days 1 --seed 8 >"$tmp/c.jsonl" || rc=1
cmp -s "$tmp/a.jsonl" "$tmp/c.jsonl" && { echo "another seed, same trace"; rc=1; }

# Ordered by time; truth on every policy event, none on log events.
awk -F'"t": ' '{ split($2, a, ","); if (a[1] + 0 < last) { print "out of order at line " NR; exit 1 } last = a[1] + 0 }' \
	"$tmp/a.jsonl" || rc=1
[ "$(grep '"ev": "policy"' "$tmp/a.jsonl" | grep -vc '"truth": {"customer": ')" = 0 ] ||
	{ echo "a policy event without truth"; rc=1; }
[ "$(grep '"ev": "log"' "$tmp/a.jsonl" | grep -c '"truth"')" = 0 ] || { echo "truth on a log event"; rc=1; }

# Each scenario on its own gives only its kind of spam.
for s in high-rate:bot-high-rate low-slow:bot-low-slow stolen-account:stolen-account business-relay:relay-abuse; do
	kinds=$($RG simulate --customers 30 --compromised 3 --days 1 --scenario "${s%%:*}" |
		grep -o '"spam": true, "scenario": "[^"]*", "kind": "[^"]*"' | sort -u)
	[ "$kinds" = "\"spam\": true, \"scenario\": \"${s%%:*}\", \"kind\": \"${s#*:}\"" ] ||
		{ echo "--scenario ${s%%:*}: $kinds"; rc=1; }
done
# No compromised customer, no spam.
[ "$($RG simulate --customers 30 --compromised 0 --days 1 | grep -c '"spam": true')" = 0 ] ||
	{ echo "spam without a compromised customer"; rc=1; }

# Bad usage.
for args in "--customers 5 --compromised 6" "--scenario nosuch" "--days 0" "--customers x" "--seed -1" "extra"; do
	$RG simulate $args >/dev/null 2>&1
	st=$?
	[ "$st" = 2 ] || { echo "simulate $args: exit $st, want 2"; rc=1; }
done
$RG simulate --help | grep -q 'usage: relayguard simulate' || { echo "no usage from --help"; rc=1; }
exit $rc
