# lib.sh - golden tests: run a command, diff its output against a .ref file.
# UPDATE_GOLDEN=1 rewrites the .ref files instead (review the diff!).
set -u
cd "$(dirname "$0")/../.." || exit 1
RG=${RG:-build/asan/relayguard}
golden_diff() {	# name ref-file command...
	local name=$1 ref=$2
	shift 2
	local out
	out=$(mktemp)
	"$@" >"$out" 2>&1
	echo "exit=$?" >>"$out"
	if [ "${UPDATE_GOLDEN:-0}" = 1 ]; then
		cp "$out" "$ref"
		echo "updated $ref"
	elif ! diff -u "$ref" "$out"; then
		echo "golden: $name differs from $ref"
		rm -f "$out"
		return 1
	fi
	rm -f "$out"
	return 0
}
