#!/bin/bash
# run.sh - run every test of `make test` and end with "N passed, M failed".
#
# Unit tests (cmocka, ASan+UBSan): each test case counts.  Fuzz corpus
# replays, golden tests and integration tests: each script counts once.
# Every test runs in its own process with a timeout; the log of a failed
# one is printed.  TESTS="pattern" runs only matching tests.
set -u
cd "$(dirname "$0")/.."
LOGDIR=build/test-logs
mkdir -p "$LOGDIR"
pass=0
fail=0
failed_names=()
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
pattern=${TESTS:-}

want() { [ -z "$pattern" ] || [[ "$1" == *$pattern* ]]; }

record() {	# name status logfile
	if [ "$2" -eq 0 ]; then
		pass=$((pass + 1)); echo "PASS $1"
	else
		fail=$((fail + 1)); failed_names+=("$1"); echo "FAIL $1"
		sed 's/^/    | /' "$3" | tail -60
	fi
}

# Unit tests: count cmocka cases.
for t in build/asan/tests/test_*; do
	[ -x "$t" ] || continue
	name=unit/$(basename "$t")
	want "$name" || continue
	log=$LOGDIR/$(basename "$t").log
	timeout 300 "$t" >"$log" 2>&1
	rc=$?
	p=$(grep -E '^\[  PASSED  \] [0-9]+ test' "$log" | awk '{s+=$4} END {print s+0}')
	f=$(grep -E '^\[  FAILED  \] [0-9]+ test' "$log" | awk '{s+=$4} END {print s+0}')
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi	# crashed or sanitizer
	pass=$((pass + p)); fail=$((fail + f))
	if [ "$f" -gt 0 ]; then
		failed_names+=("$name"); echo "FAIL $name ($p passed, $f failed)"
		sed 's/^/    | /' "$log" | tail -60
	else
		echo "PASS $name ($p cases)"
	fi
done

# Fuzz corpora, replayed through the ASan/UBSan build.
for t in build/asan/fuzz/fuzz_*; do
	[ -x "$t" ] || continue
	name=fuzz/$(basename "$t")
	want "$name" || continue
	log=$LOGDIR/$(basename "$t").log
	corpus=fuzz/corpus/$(basename "$t")
	timeout 300 "$t" "$corpus" >"$log" 2>&1
	record "$name" $? "$log"
done

# Golden and integration scripts.
for s in tests/golden/[0-9][0-9]_*.sh tests/integ/[0-9][0-9]_*.sh; do
	[ -f "$s" ] || continue
	name=${s#tests/}
	want "$name" || continue
	log=$LOGDIR/$(echo "$name" | tr / _).log
	timeout 600 bash "$s" >"$log" 2>&1
	record "$name" $? "$log"
done

if [ ${#failed_names[@]} -gt 0 ]; then
	echo "failed: ${failed_names[*]}"
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
