#!/bin/sh
# check-layers.sh - layers only look down (STYLE.md):
#   lib < proto, conf < engine, dnsbl, store < svc, http < daemon, cli
# Prints each include that looks up and exits 1 if there is one.
cd "$(dirname "$0")/.." || exit 1
layer() {
	case "$1" in
	lib) echo 0 ;; proto|conf) echo 1 ;; engine|dnsbl|store) echo 2 ;;
	svc|http) echo 3 ;; daemon|cli) echo 4 ;; *) echo 9 ;;
	esac
}
bad=0
for f in $(find src -name '*.[ch]'); do
	mod=$(echo "$f" | cut -d/ -f2)
	ml=$(layer "$mod")
	for inc in $(grep -oE '^#include "[a-z]+/' "$f" | sed 's/#include "//; s/\///'); do
		il=$(layer "$inc")
		if [ "$il" -gt "$ml" ]; then
			echo "$f: includes $inc/ (layer $il) from $mod/ (layer $ml)"
			bad=1
		fi
	done
done
exit $bad
