# shellcheck shell=bash
# bench_lib.sh - shell helpers for the bench/bench_*.sh scripts (sourced,
# not run): free loopback ports, waiting for a listener, starting and
# stopping servers pinned to a core, and the cleanup trap.
#
# Every process a script starts is recorded with bench_track PID (or
# bench_track_group PGID for daemons that fork away, like postfwd2) and
# ended by bench_cleanup on exit, by its id only.  Everything listens on
# 127.0.0.1.  SERVER_CPU and CLIENT_CPU (default 0 and 1) choose the cores.

SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
BENCH_PIDS=()
BENCH_PGIDS=()
BENCH_DIRS=()

bench_track() { BENCH_PIDS+=("$1"); }
bench_track_group() { BENCH_PGIDS+=("$1"); }
bench_track_dir() { BENCH_DIRS+=("$1"); }

bench_cleanup() {
	local p
	for p in "${BENCH_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${BENCH_PGIDS[@]}"; do kill -TERM -- "-$p" 2>/dev/null; done
	sleep 0.5
	for p in "${BENCH_PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
	for p in "${BENCH_PGIDS[@]}"; do kill -KILL -- "-$p" 2>/dev/null; done
	for p in "${BENCH_DIRS[@]}"; do rm -rf "$p"; done
}

# bench_free_port - print a TCP port on 127.0.0.1 that nothing listens on.
bench_free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# bench_wait_port PORT SECONDS - wait until something listens on PORT.
bench_wait_port() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		ss -Hltn "sport = :$1" 2>/dev/null | grep -q . && return 0
		sleep 0.1
	done
	echo "bench: nothing listens on 127.0.0.1:$1 after $2 s" >&2
	return 1
}

# bench_stop PID - SIGTERM, wait up to 10 s, then SIGKILL.
bench_stop() {
	local i
	kill -TERM "$1" 2>/dev/null || return 0
	for ((i = 0; i < 100; i++)); do
		kill -0 "$1" 2>/dev/null || { wait "$1" 2>/dev/null; return 0; }
		sleep 0.1
	done
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

# bench_rss_kb PID - VmRSS of PID in KiB.
bench_rss_kb() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"
}

# bench_kv LINE KEY - the value of KEY in a key=value line.
bench_kv() {
	echo "$1" | tr ' ' '\n' | awk -F= -v k="$2" '$1 == k { print $2 }'
}

# bench_rg_conf OUT POLICY_PORT STATE_DIR - bench/relayguard-bench.conf
# with free ports and the given state directory.
bench_rg_conf() {
	local dns http
	dns=$(bench_free_port)
	http=$(bench_free_port)
	sed -e "s|127.0.0.1:10140|127.0.0.1:$2|" -e "s|127.0.0.1:10153|127.0.0.1:$dns|" \
	    -e "s|127.0.0.1:10180|127.0.0.1:$http|" -e "s|\"build/bench/state\"|\"$3\"|" \
	    bench/relayguard-bench.conf >"$1"
}

# bench_cpu_ticks pid:PID | pgid:PGID - CPU time (utime + stime, clock
# ticks, every thread) of one process or of a whole process group.  The
# comm field may hold spaces, so fields are counted after its ')'.
bench_cpu_ticks() {
	local kind=${1%%:*} id=${1#*:}
	if [ "$kind" = pid ]; then
		sed 's/^.*) //' "/proc/$id/stat" | awk '{ print $12 + $13 }'
	else
		cat /proc/[0-9]*/stat 2>/dev/null | sed 's/^.*) //' |
		    awk -v g="$id" '$3 == g { t += $12 + $13 } END { print t + 0 }'
	fi
}

# bench_clk_tck - clock ticks per second.
bench_clk_tck() {
	getconf CLK_TCK
}
