#!/bin/bash
# bench_detect.sh - detection quality on two independent trace generators.
#
# For each seed and size, generates a trace with the project's own
# simulator (`relayguard simulate`) and with bench/gen_alt.py (an
# independent model of an ISP, written without looking at the simulator or
# the detector), runs `relayguard evaluate -c bench/detect.conf --json`
# and prints one row per trace:
#
#   det%      compromised customers with an incident
#   legit%    legitimate customers with any message held or rejected
#   defer%    legitimate messages deferred
#   acc med/p95  spam messages accepted per compromised customer (in all)
#   tti med/p95  time from first spam to incident
#   mlog      compromised customers detected by replaying the trace's log
#             lines alone (--format maillog), as "N/M"; "=" when the same
#             customers are detected as from the trace, else the number
#             that differ (either way)
#
#   bench/bench_detect.sh [-s "1 2 3 4 5"] [-z "1000:10:2 3000:40:3"]
#                         [-g "sim alt"] [-k DIR] [-o OUTFILE]
#
# -z takes CUSTOMERS:COMPROMISED:DAYS triples; -k keeps each trace, its
# decisions, evaluate's JSON report and gen_alt's --params file in DIR (for bench/gen_alt_report.py)
# instead of a temporary directory under build/bench removed on exit.  The
# traces are big (about 450 MB for 1000 customers over 2 days), one at a
# time.  Needs build/relayguard, python3 and jq.
set -u
cd "$(dirname "$0")/.." || exit 1
SEEDS="1 2 3 4 5"
SIZES="1000:10:2 3000:40:3"
GENS="sim alt"
KEEP=""
OUT=""
while getopts s:z:g:k:o:h opt; do
	case $opt in
	s) SEEDS=$OPTARG ;;
	z) SIZES=$OPTARG ;;
	g) GENS=$OPTARG ;;
	k) KEEP=$OPTARG ;;
	o) OUT=$OPTARG ;;
	*) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 2 ;;
	esac
done
RG=build/relayguard
CONF=bench/detect.conf
[ -x $RG ] || { echo "bench_detect.sh: build $RG first (make all)" >&2; exit 1; }
command -v jq >/dev/null || { echo "bench_detect.sh: needs jq" >&2; exit 1; }
if [ -n "$KEEP" ]; then
	mkdir -p "$KEEP" && DIR=$KEEP
else
	mkdir -p build/bench
	DIR=$(mktemp -d build/bench/detect.XXXXXX) || exit 1
	trap 'rm -rf "$DIR"' EXIT
fi
NICE="nice -n 10"

# compromised customers (truth) and the log lines, in one pass
split_trace() { # TRACE LOGOUT TRUTHOUT
	python3 - "$1" "$2" "$3" <<'EOF'
import json, sys
comp = set()
with open(sys.argv[1]) as f, open(sys.argv[2], "w") as lg:
    for l in f:
        if '"ev": "log"' in l or '"ev":"log"' in l:
            lg.write(json.loads(l)["line"] + "\n")
        elif '"spam": true' in l or '"spam":true' in l:
            comp.add(json.loads(l)["truth"]["customer"])
with open(sys.argv[3], "w") as o:
    o.write("\n".join(sorted(comp)) + ("\n" if comp else ""))
EOF
}

row() {
	printf '%-4s %4s %-11s %7s %7s %7s %6s %6s %8s %8s %10s\n' "$@"
}

{
	echo "# bench_detect.sh $(date -u +%Y-%m-%dT%H:%M:%SZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown), config $CONF"
	row gen seed size det% legit% defer% acc50 acc95 tti50 tti95 mlog
} | tee ${OUT:+"$OUT"}

fmt_s() { # seconds -> short
	awk -v s="$1" 'BEGIN { if (s == "null" || s == "") { print "-"; exit }
		if (s < 60) printf "%.0fs\n", s; else if (s < 3600) printf "%.1fm\n", s / 60; else printf "%.1fh\n", s / 3600 }'
}

for size in $SIZES; do
	IFS=: read -r n k d <<<"$size"
	for seed in $SEEDS; do
		for gen in $GENS; do
			base=$DIR/$gen-$n-$k-$d-s$seed
			T=$base.jsonl
			case $gen in
			sim) $NICE $RG simulate --customers "$n" --compromised "$k" --days "$d" --seed "$seed" -o "$T" || continue ;;
			alt) $NICE python3 bench/gen_alt.py --customers "$n" --compromised "$k" --days "$d" --seed "$seed" \
				-o "$T" --params "$base.params.json" 2>/dev/null || continue ;;
			*) echo "unknown generator $gen" >&2; continue ;;
			esac
			J=$($NICE $RG evaluate -c $CONF --json "$T") || { echo "evaluate failed on $T" >&2; continue; }
			[ -n "$KEEP" ] && printf '%s\n' "$J" >"$base.eval.json"
			$NICE $RG replay -c $CONF -o "$base.dec" "$T" 2>/dev/null
			split_trace "$T" "$base.log" "$base.truth"
			year=$(head -1 "$T" | jq -r '.t' | awk '{ print strftime("%Y", $1, 1) }')
			$NICE $RG replay -c $CONF --format maillog --year "${year:-2025}" -o "$base.mdec" "$base.log" 2>/dev/null
			jq -r 'select(.ev=="incident") | .customer' "$base.dec" | sort -u >"$base.inc"
			jq -r 'select(.ev=="incident") | .customer' "$base.mdec" | sort -u >"$base.minc"
			ncomp=$(wc -l <"$base.truth")
			mdet=$(comm -12 "$base.minc" "$base.truth" | wc -l)
			ndiff=$(comm -3 <(comm -12 "$base.inc" "$base.truth") <(comm -12 "$base.minc" "$base.truth") | wc -l)
			[ "$ndiff" -eq 0 ] && same="=" || same="~$ndiff"
			ov=$(jq -c '[.compromised_by_scenario[] | select(.scenario=="overall")][0]' <<<"$J")
			lv=$(jq -c '[.legitimate_by_kind[] | select(.kind=="overall")][0]' <<<"$J")
			row "$gen" "$seed" "$n/$k/${d}d" \
				"$(jq -r '.detected_pct | . * 10 | round / 10' <<<"$ov")" \
				"$(jq -r '.held_or_rejected_pct | . * 100 | round / 100' <<<"$lv")" \
				"$(jq -r '.deferred_pct | . * 100 | round / 100' <<<"$lv")" \
				"$(jq -r '.spam_accepted_total.median' <<<"$ov")" \
				"$(jq -r '.spam_accepted_total.p95' <<<"$ov")" \
				"$(fmt_s "$(jq -r '.first_spam_to_incident_s.median' <<<"$ov")")" \
				"$(fmt_s "$(jq -r '.first_spam_to_incident_s.p95' <<<"$ov")")" \
				"$mdet/$ncomp$same" | tee -a ${OUT:+"$OUT"}
			[ -n "$KEEP" ] || rm -f "$T" "$base.log" "$base.dec" "$base.mdec"
		done
	done
done
