#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# The agent's own part of a fleet at scale, on one gateway of the namespace
# testbed (selftests/lib/testbed.sh), without BIRD: how long `export table
# 100` takes to write BENCH_FLEET_N learned entries (filled by bench_fill
# while no agent runs, then the agent started), and how long `import table
# 200` takes to turn BENCH_FLEET_N host routes into learned entries when
# they all arrive at once (`ip -batch`, as a routing daemon would write
# them). `ip -batch` itself is timed alongside: the kernel's own cost of
# writing that many routes, the floor of both. Ends with the agent's fleet
# line: its counters and the CPU time of its longest step of export and
# import work (how long learning could wait on it). Everything it made is
# torn down at the end, whatever happens.
#
#	sudo tools/bench_fleet.sh		# after `make tests`
#	BENCH_FLEET_N=100000 (default), BENCH_FLEET_REPS=3 (runs, each on a fresh testbed)

set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$HERE/..
BPFROUTE=${BPFROUTE:-$TOP/bpfroute}
FILL=${BENCH_FILL:-$TOP/.output/bench_fill}
N=${BENCH_FLEET_N:-100000}
REPS=${BENCH_FLEET_REPS:-3}

[ "$(id -u)" = 0 ] || { echo "bench_fleet: needs root" >&2; exit 1; }
[ -x "$BPFROUTE" ] && [ -x "$FILL" ] || { echo "bench_fleet: make tests first" >&2; exit 1; }
# 2001:db8:aa::/64 holds the routes, 10.0.0.0/8 the entries.
[ "$N" -le 4000000 ] || { echo "bench_fleet: at most 4000000" >&2; exit 1; }

# shellcheck source-path=SCRIPTDIR source=../selftests/lib/testbed.sh
. "$TOP/selftests/lib/testbed.sh"
# shellcheck source-path=SCRIPTDIR source=../selftests/lib/agent.sh
. "$TOP/selftests/lib/agent.sh"

ms() { echo $(($(date +%s%N) / 1000000)); }

# until_count LIMIT_S CMD...: wait (0.1 s steps, LIMIT_S at most) until CMD prints N or more.
until_count()
{
	local limit=$1 t0
	shift

	t0=$(ms)
	while (($(ms) - t0 < limit * 1000)); do
		(($("$@" 2>/dev/null || echo 0) >= N)) && return 0
		sleep 0.1
	done
	return 1
}

exported() { tb_gw ip route show table 100 proto 191 | wc -l; }
imported() { tb_gw "$BPFROUTE" --pin-dir "$TB_PIN" status -j | jq '.maps.learned6.entries'; }

one_run()
{
	local conf ifindex t0 t1 t2 t3

	tb_setup || return 1
	conf=$TB_DIR/fleet.conf
	printf '%s\n' "interface $TB_GW_LAN" "route 198.51.100.200/32 dev $TB_GW_WG" \
		"export table 100" "import table 200 dev $TB_GW_WG" >"$conf"
	tb_gw "$BPFROUTE" --pin-dir "$TB_PIN" load -c "$conf" >/dev/null || return 1
	ifindex=$(tb_gw cat "/sys/class/net/$TB_GW_WG/ifindex")
	tb_gw "$FILL" "$TB_PIN" "$ifindex" 10.0.0.0 "$N" || return 1
	awk -v n="$N" 'BEGIN {
		for (i = 0; i < n; i++)
			printf "route add blackhole 2001:db8:aa::%x:%x/128 table 200\n",
				int(i / 65536), i % 65536
	}' >"$TB_DIR/routes.batch"

	t0=$(ms)
	agent_start "$conf" || { cat "$AGENT_LOG"; return 1; }
	until_count 120 exported || { echo "export: not all after 120 s" >&2; return 1; }
	t1=$(ms)
	tb_gw ip -batch "$TB_DIR/routes.batch" || return 1
	t2=$(ms)
	until_count 120 imported || { echo "import: not all after 120 s" >&2; return 1; }
	t3=$(ms)
	agent_stop TERM
	echo "export $N: $((t1 - t0)) ms from the agent's start;" \
		"ip -batch of $N routes: $((t2 - t1)) ms;" \
		"imported: $((t3 - t1)) ms from the batch's start ($((t3 - t2)) after its end)"
	grep -o 'fleet: .*' "$AGENT_LOG"
}

for ((r = 1; r <= REPS; r++)); do
	(
		trap tb_teardown EXIT
		one_run
	) || exit 1
done
