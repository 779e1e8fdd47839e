#!/bin/bash
# run.sh - every benchmark of bench/, as `make bench` runs it: the policy
# service against postfwd2 and a null responder (bench_policy.sh),
# memory per customer (bench_memory.sh), Postfix end to end
# (bench_postfix.sh), and offline replay with detection's memory per
# customer (bench_replay.sh).  Results go to build/bench/results.txt (replaced),
# with a header naming the machine and the commit; BENCHMARKS.md says
# what each figure means.
#
# Extra arguments for each script: POLICY_ARGS, MEMORY_ARGS, POSTFIX_ARGS,
# REPLAY_ARGS (e.g. POLICY_ARGS="-d 3 -p 3" for a quick run).  Takes about
# six minutes with the defaults.  Each script cleans up after itself; a
# script that fails is reported and the others still run.
set -u
cd "$(dirname "$0")/.." || exit 1
OUT=build/bench/results.txt
mkdir -p build/bench
{
	echo "# relayguard benchmarks, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "# $(uname -srm), $(nproc) cpus, $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
	echo "# commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo ' (with local changes)'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$OUT"
status=0
# shellcheck disable=SC2086
bench/bench_policy.sh ${POLICY_ARGS:-} -o "$OUT" || { echo "bench_policy.sh failed" | tee -a "$OUT"; status=1; }
# shellcheck disable=SC2086
bench/bench_memory.sh ${MEMORY_ARGS:-} -o "$OUT" || { echo "bench_memory.sh failed" | tee -a "$OUT"; status=1; }
# shellcheck disable=SC2086
bench/bench_postfix.sh ${POSTFIX_ARGS:-} -o "$OUT" || { echo "bench_postfix.sh failed" | tee -a "$OUT"; status=1; }
# shellcheck disable=SC2086
bench/bench_replay.sh ${REPLAY_ARGS:-} -o "$OUT" || { echo "bench_replay.sh failed" | tee -a "$OUT"; status=1; }
echo "results in $OUT"
exit $status
