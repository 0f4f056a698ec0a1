#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# bench_learn.sh [RAW_FILE]: how fast and how soon a gateway learns routes
# from DNS answers, bpfroute against dnsmasq's nftset (what operators use
# instead), and what bpfroute's agent costs in memory. Side by side, with a
# real resolver and a real load generator:
#
#   cla --lan0 gwa (bpfroute + agent) wan0 --.
#                                             br0 res (dnsmasq: the resolver)
#   clb --lan0 gwb (dnsmasq nftset,   wan0 --'
#                  dnsmasq forwarder)
#
# The resolver serves BENCH_LEARN_REPS x BENCH_LEARN_NAMES names
# n<i>.bench.example, each its own address in 100.64.0.0/10 (addn-hosts,
# local-ttl 300), and big<i>.bench.example with 72 addresses each. dnsperf
# in a client namespace asks each name once (-n 1, 100 queries outstanding):
#
#   plain     clb -> gwb (routing only) -> resolver: the reference
#   bpfroute  cla -> gwa -> resolver; gwa learns *.bench.example in the
#             kernel (bpfroute_learn on lan0 egress), the agent runs
#   fwd       clb -> dnsmasq on gwb forwarding to the resolver, no set:
#             the reference for the next
#   nftset    clb -> dnsmasq on gwb with nftset=/bench.example/4#inet#bf#dests
#
# each with the repetition's fresh names, then bpfroute and nftset again
# with the same names (renewals); repetitions interleaved, medians reported.
# During each run bench_learn trace (tools/bench_learn.c) times the answers'
# transit through gwa or gwb (raw tracepoints), reads the run time of
# bpfroute_learn and bpfroute_steer (the kernel's BPF run-time statistics:
# answers and queries), times every nftset add
# (uprobe on libnftables) and samples the counters every 200 ms.
#
# Then the agent's path (answers with more addresses than the kernel learns:
# the client polls the map after dig's moment, and the agent's own figure),
# idle and under load, and the agent's memory (VmRSS, VmHWM) with an empty
# table and with BENCH_LEARN_MEM_N (1,000,000) learned entries, a quarter of
# them dead so that the sweep has work.
#
# BENCH_PERF=DIR records a CPU profile of both CPUs during each bpfroute
# run (perf record), with the BPF programs' line addresses: read them with
# tools/bench_hotlines.sh DIR/bpfroute-MODE-REP.data DIR/bpfroute-MODE-REP.lines.
#
# Markdown on stdout, raw numbers in RAW_FILE if given, logs on stderr.
# Needs root, ip, nft, jq, dnsmasq, dnsperf (tools/install-deps.sh --bench
# installs what is missing); builds bpfroute and .output/bench_learn first. Only
# 192.0.2.0/24, 198.51.100.0/24 and 100.64.0.0/10, all inside namespaces.

set -u

REPS=${BENCH_LEARN_REPS:-5}
NPER=${BENCH_LEARN_NAMES:-30000}	# fresh names per repetition
BIG_N=${BENCH_LEARN_BIG:-100}		# names of BIG_ADDRS addresses, per agent phase
# More than BPFROUTE_DNS_LEARN_MAX (64), so that the agent has some to
# finish, and few enough for one UDP answer of 1232 bytes (EDNS, as
# bench_learn agentlat asks): 72 A records take 1152.
BIG_ADDRS=72
BIG_STRIDE=128				# big<i>'s addresses: BIG_BASE + BIG_STRIDE i + j
MEM_N=${BENCH_LEARN_MEM_N:-1000000}
MEM_SECONDS=${BENCH_LEARN_MEM_SECONDS:-3}
MEM_DEAD_EVERY=4
RAW=${1:-}
RES4=198.51.100.2
NAME_BASE=100.64.0.0			# n<i>: NAME_BASE + i
BIG_BASE=100.96.0.0

cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD
BPFROUTE=$ROOT/bpfroute
HELPER=$ROOT/.output/bench_learn

log() { printf 'bench_learn: %s\n' "$*" >&2; }

if ((EUID != 0)); then
	log "needs root"
	exit 1
fi
# Other work may be rebuilding the tree: one more try after a pause.
if ! make -s bpfroute .output/bench_learn .output/bpf_lines >&2; then
	log "build failed; trying again in 30 s"
	sleep 30
	make -s bpfroute .output/bench_learn .output/bpf_lines >&2 || exit 1
fi
tools/install-deps.sh --bench >&2 || exit 1
if [[ -n ${BENCH_PERF:-} ]] && ! command -v perf >/dev/null; then
	log "BENCH_PERF needs perf (Debian: linux-perf)"
	exit 1
fi
for c in ip nft jq dig dnsmasq dnsperf awk; do
	if ! command -v "$c" >/dev/null; then
		log "needs $c"
		exit 1
	fi
done

SUF=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
TMP=$(mktemp -d "/tmp/bpfroute-bl-$SUF.XXXXXX") || exit 1
NS_RES=bl-res-$SUF
NS_GWA=bl-gwa-$SUF
NS_CLA=bl-cla-$SUF
NS_GWB=bl-gwb-$SUF
NS_CLB=bl-clb-$SUF
NS_GWM=bl-gwm-$SUF
PIN_A=$TMP/bpffs/a
PIN_M=$TMP/bpffs/m
NETNS=()
PIDS=()		# "pid:comm" of what we started, so a recycled pid is never hit
MOUNTED=0
START=$SECONDS

# A pid we started that still runs what we started (not a zombie, same name).
ours_alive()
{
	local pid=${1%%:*} comm=${1#*:} st

	st=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
	st=${st##*) }
	[[ ${st%% *} != Z && $(cat "/proc/$pid/comm" 2>/dev/null) == "$comm" ]]
}

# stop_pid PID: SIGTERM, up to 5 s, then SIGKILL; reaped and forgotten.
stop_pid()
{
	local pid=$1 e i keep=()

	for e in "${PIDS[@]}"; do
		[[ ${e%%:*} == "$pid" ]] || { keep+=("$e"); continue; }
		if ours_alive "$e"; then
			kill -TERM "$pid" 2>/dev/null
			for ((i = 0; i < 50; i++)); do
				ours_alive "$e" || break
				sleep 0.1
			done
			ours_alive "$e" && kill -KILL "$pid" 2>/dev/null
		fi
		wait "$pid" 2>/dev/null
	done
	PIDS=("${keep[@]}")
}

cleanup()
{
	local e ns

	for e in "${PIDS[@]}"; do
		stop_pid "${e%%:*}"
	done
	for ns in "${NETNS[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	NETNS=()
	if ((MOUNTED)); then
		umount "$TMP/bpffs" 2>/dev/null || umount -l "$TMP/bpffs"
		MOUNTED=0
	fi
	[[ -d $TMP && $TMP == /tmp/bpfroute-bl-* ]] && rm -rf -- "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

run()
{
	local out

	if ! out=$("$@" 2>&1); then
		log "failed: $*"
		printf '%s\n' "$out" >&2
		return 1
	fi
}

# spawn NS LOG CMD...: CMD in namespace NS (none if empty), in the
# background; its pid in SPAWNED. `ip netns exec` execs CMD: same pid.
spawn()
{
	local ns=$1 logf=$2 comm

	shift 2
	comm=$(basename "$1" | cut -c 1-15)
	if [[ -n $ns ]]; then
		ip netns exec "$ns" "$@" >"$logf" 2>&1 &
	else
		"$@" >"$logf" 2>&1 &
	fi
	SPAWNED=$!
	PIDS+=("$SPAWNED:$comm")
}

# wait_for TRIES DELAY CMD...: CMD succeeds within TRIES x DELAY s.
wait_for()
{
	local n=$1 d=$2 i

	shift 2
	for ((i = 0; i < n; i++)); do
		"$@" && return 0
		sleep "$d"
	done
	return 1
}

ifindex() { ip -n "$1" -j link show dev "$2" | jq '.[0].ifindex'; }

# addr_of BASE I: BASE + I as a dotted quad.
addr_of()
{
	awk -v base="$1" -v i="$2" 'BEGIN { split(base, o, ".")
		a = ((o[1] * 256 + o[2]) * 256 + o[3]) * 256 + o[4] + i
		printf "%d.%d.%d.%d\n", int(a / 16777216), int(a / 65536) % 256,
			int(a / 256) % 256, a % 256 }'
}

median() { awk '$1 != "-"' | sort -g | awk '{ v[NR] = $1 } END { if (!NR) print "-";
	else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
range() { awk '$1 != "-"' | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 }
	END { if (NR) printf "%s - %s\n", lo, hi; else print "-" }'; }

# ---- the namespaces -----------------------------------------------------------

netns_add()
{
	run ip netns add "$1" || return 1
	NETNS+=("$1")
	run ip -n "$1" link set lo up
}

# veth NS1 DEV1 NS2 DEV2: a veth pair, both ends up.
veth()
{
	run ip -n "$1" link add "$2" type veth peer name "$4" netns "$3" || return 1
	run ip -n "$1" link set "$2" up && run ip -n "$3" link set "$4" up
}

setup_net()
{
	local ns

	for ns in "$NS_RES" "$NS_GWA" "$NS_CLA" "$NS_GWB" "$NS_CLB" "$NS_GWM"; do
		netns_add "$ns" || return 1
	done
	# The resolver's side: one address, both gateways on a bridge.
	run ip -n "$NS_RES" link add br0 type bridge || return 1
	run ip -n "$NS_RES" link set br0 up || return 1
	run ip -n "$NS_RES" addr add "$RES4/24" dev br0 || return 1
	veth "$NS_GWA" wan0 "$NS_RES" wa0 || return 1
	veth "$NS_GWB" wan0 "$NS_RES" wb0 || return 1
	run ip -n "$NS_RES" link set wa0 master br0 || return 1
	run ip -n "$NS_RES" link set wb0 master br0 || return 1
	# Each client half of 192.0.2.0/24, so that the resolver routes each
	# answer back through the gateway its question came from.
	run ip -n "$NS_RES" route add 192.0.2.0/25 via 198.51.100.1 || return 1
	run ip -n "$NS_RES" route add 192.0.2.128/25 via 198.51.100.3 || return 1

	veth "$NS_CLA" eth0 "$NS_GWA" lan0 || return 1
	run ip -n "$NS_CLA" addr add 192.0.2.2/25 dev eth0 || return 1
	run ip -n "$NS_CLA" route add default via 192.0.2.1 || return 1
	run ip -n "$NS_GWA" addr add 192.0.2.1/25 dev lan0 || return 1
	run ip -n "$NS_GWA" addr add 198.51.100.1/24 dev wan0 || return 1
	# The rule's target: a veth pair inside the gateway. Nothing is sent
	# to it here; steering is bench_forward.sh's business.
	veth "$NS_GWA" tgt0 "$NS_GWA" tgtp0 || return 1
	run ip -n "$NS_GWA" addr add 203.0.113.1/24 dev tgt0 || return 1

	veth "$NS_CLB" eth0 "$NS_GWB" lan0 || return 1
	run ip -n "$NS_CLB" addr add 192.0.2.130/25 dev eth0 || return 1
	run ip -n "$NS_CLB" route add default via 192.0.2.129 || return 1
	run ip -n "$NS_GWB" addr add 192.0.2.129/25 dev lan0 || return 1
	run ip -n "$NS_GWB" addr add 192.0.2.153/25 dev lan0 || return 1
	run ip -n "$NS_GWB" addr add 198.51.100.3/24 dev wan0 || return 1
	run ip netns exec "$NS_GWB" nft -f - <<'EOF' || return 1
table inet bf {
	set dests { type ipv4_addr; }
}
EOF
	for ns in "$NS_GWA" "$NS_GWB"; do
		run ip netns exec "$ns" sysctl -q -w net.ipv4.ip_forward=1 || return 1
	done

	# The memory test's gateway: no traffic, just devices to attach to.
	veth "$NS_GWM" lan0 "$NS_GWM" lanp0 || return 1
	veth "$NS_GWM" tgt0 "$NS_GWM" tgtp0 || return 1

	mkdir "$TMP/bpffs" && run mount -t bpf bpf "$TMP/bpffs" || return 1
	MOUNTED=1
}

# ---- the resolver and the gateways' services -------------------------------

write_zone()
{
	local total=$((REPS * NPER))

	awk -v n="$total" -v base="$NAME_BASE" -v nb="$BIG_N" -v na="$BIG_ADDRS" \
		-v bbase="$BIG_BASE" -v stride="$BIG_STRIDE" 'function quad(a) {
			return sprintf("%d.%d.%d.%d", int(a / 16777216), int(a / 65536) % 256,
				int(a / 256) % 256, a % 256) }
		function num(s,  o) { split(s, o, ".")
			return ((o[1] * 256 + o[2]) * 256 + o[3]) * 256 + o[4] }
		BEGIN { b = num(base); bb = num(bbase)
			for (i = 0; i < n; i++) printf "%s n%d.bench.example\n", quad(b + i), i
			for (i = 0; i < 2 * nb; i++) for (j = 0; j < na; j++)
				printf "%s big%d.bench.example\n", quad(bb + stride * i + j), i
			print "100.127.255.1 check.bench.example" }' \
		>"$TMP/hosts" || return 1
	# One query file per repetition: its own names.
	for ((r = 1; r <= REPS; r++)); do
		awk -v lo=$(((r - 1) * NPER)) -v hi=$((r * NPER)) \
			'BEGIN { for (i = lo; i < hi; i++) printf "n%d.bench.example A\n", i }' \
			>"$TMP/q.$r" || return 1
	done
}

# dnsmasq_conf LISTEN [LINE...]: a dnsmasq that serves nothing by itself.
dnsmasq_conf()
{
	local listen=$1

	shift
	printf '%s\n' no-resolv no-hosts no-poll keep-in-foreground bind-interfaces \
		"listen-address=$listen" port=53 pid-file= user=root log-facility=- "$@"
}

answers()
{
	[[ $(ip netns exec "$1" dig +short +time=1 +tries=1 @"$2" "$3" A 2>/dev/null) == "$4" ]]
}

start_services()
{
	local last=$((REPS * NPER - 1))

	dnsmasq_conf "$RES4" local-ttl=300 "addn-hosts=$TMP/hosts" >"$TMP/res.conf"
	spawn "$NS_RES" "$TMP/res.log" dnsmasq --conf-file="$TMP/res.conf"
	RES_PID=$SPAWNED
	# dnsmasq reads the hosts file after it starts: wait for the last name.
	if ! wait_for 300 0.1 answers "$NS_CLA" "$RES4" "n$last.bench.example" \
			"$(addr_of "$NAME_BASE" "$last")"; then
		log "the resolver does not answer; its log:"
		tail -n 5 "$TMP/res.log" >&2
		return 1
	fi

	# The alternative: dnsmasq on the gateway, adding answers to an nft set
	# (the cache at its default, 150 names); and the same without the set.
	dnsmasq_conf 192.0.2.129 "server=$RES4" "nftset=/bench.example/4#inet#bf#dests" \
		>"$TMP/nft.conf"
	spawn "$NS_GWB" "$TMP/nft.log" dnsmasq --conf-file="$TMP/nft.conf"
	NFT_PID=$SPAWNED
	dnsmasq_conf 192.0.2.153 "server=$RES4" >"$TMP/fwd.conf"
	spawn "$NS_GWB" "$TMP/fwd.log" dnsmasq --conf-file="$TMP/fwd.conf"
	FWD_PID=$SPAWNED
	# A name of its own: a name of the runs would be in the cache.
	if ! wait_for 50 0.1 answers "$NS_CLB" 192.0.2.129 check.bench.example 100.127.255.1 ||
	   ! wait_for 50 0.1 answers "$NS_CLB" 192.0.2.153 check.bench.example 100.127.255.1; then
		log "dnsmasq on the gateway does not answer"
		return 1
	fi
	# That first answer went into the set: start from an empty one.
	run ip netns exec "$NS_GWB" nft flush set inet bf dests || return 1
	NFT_LIB=$(grep -m 1 -o '/[^ ]*libnftables[^ ]*' "/proc/$NFT_PID/maps")
	if [[ -z $NFT_LIB ]]; then
		log "dnsmasq (pid $NFT_PID) has no libnftables mapped: no nftset support?"
		return 1
	fi

	printf '%s\n' "interface lan0" "route *.bench.example dev tgt0" "resolver $RES4" \
		>"$TMP/a.conf"
	agent_start || return 1
	GWA_WAN=$(ifindex "$NS_GWA" wan0)
	GWA_LAN=$(ifindex "$NS_GWA" lan0)
	GWB_WAN=$(ifindex "$NS_GWB" wan0)
	GWB_LAN=$(ifindex "$NS_GWB" lan0)
}

agent_running() { grep -qs 'agent running' "$AGENT_LOG"; }

# agent_start: `bpfroute run` on gwa (it loads the instance first).
agent_start()
{
	AGENT_N=$((${AGENT_N:-0} + 1))
	AGENT_LOG=$TMP/agent-$AGENT_N.log
	spawn "$NS_GWA" "$AGENT_LOG" "$BPFROUTE" --pin-dir "$PIN_A" run -c "$TMP/a.conf"
	AGENT_PID=$SPAWNED
	if ! wait_for 100 0.1 agent_running; then
		log "bpfroute run did not start; its log:"
		tail -n 5 "$AGENT_LOG" >&2
		return 1
	fi
	# A run reloads: the program to read statistics from is the new one.
	ip netns exec "$NS_GWA" "$BPFROUTE" --pin-dir "$PIN_A" status -j >"$TMP/status.json"
	PROG_ID=$(jq -r '.attached[] | select(.dev == "lan0") | .egress_prog_id' \
		"$TMP/status.json")
	STEER_ID=$(jq -r '.attached[] | select(.dev == "lan0") | .ingress_prog_id' \
		"$TMP/status.json")
	if ! [[ $PROG_ID =~ ^[0-9]+$ && $STEER_ID =~ ^[0-9]+$ ]]; then
		log "no bpfroute_learn or bpfroute_steer on gwa's lan0"
		return 1
	fi
}

# agent_stop: SIGTERM; its summary line stays in $AGENT_LOG.
agent_stop()
{
	stop_pid "$AGENT_PID"
	AGENT_PID=
}

# ---- one run ------------------------------------------------------------------

# user + nice, system, idle, iowait, irq, softirq, steal (ticks, all CPUs).
cpu_snap() { awk '$1 == "cpu" { print $2 + $3, $4, $5, $6, $7, $8, $9; exit }' /proc/stat; }
proc_ticks() { [[ -n ${1:-} ]] && awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
pct_core() { awk -v t=$(($2 - $1)) -v s="$3" 'BEGIN { printf "%.0f\n", (s > 0 ? t / s : 0) }'; }

# tracer_start LOG ARGS...: bench_learn trace, attached before we go on.
tracer_start()
{
	local logf=$1

	shift
	rm -f "$TMP/ready"
	spawn "" "$logf" "$HELPER" trace -r "$TMP/ready" -t 120 "$@"
	TRACER_PID=$SPAWNED
	if ! wait_for 200 0.05 test -e "$TMP/ready"; then
		log "bench_learn trace did not attach:"
		cat "$logf" >&2
		return 1
	fi
}

# field FILE KIND NAME: a value of bench_learn trace's report ("-" if none).
field()
{
	awk -v k="$2" -v n="$3" '$1 == k { for (i = 2; i < NF; i += 2) if ($i == n) {
		print $(i + 1); found = 1 } } END { if (!found) print "-" }' "$1"
}

host4_count() { "$HELPER" count "$PIN_A"; }
# prog_avg TRACE_OUT ID, prog_cpu TRACE_OUT ID SECONDS: a program's ns per run,
# % of a CPU, from bench_learn trace's "prog ID runs N run_ns T".
prog_avg()
{
	awk -v id="$2" '$1 == "prog" && $2 == id { printf "%.0f\n", $4 ? $6 / $4 : 0 }' "$1"
}
prog_cpu()
{
	awk -v id="$2" -v s="$3" '$1 == "prog" && $2 == id {
		printf "%.1f\n", $6 / 1e9 / s * 100 }' "$1"
}
set_count() { ip netns exec "$NS_GWB" "$HELPER" setcount inet bf dests; }

# measure CFG MODE REP: one dnsperf run; appends a line to $TMP/raw.
measure()
{
	local cfg=$1 mode=$2 rep=$3 ns server trace_args=() tr=$TMP/trace.out
	local samples=$TMP/samples.$cfg.$mode.$rep gwdns= c0 c1 r0 r1 g0 g1 a0 a1
	local out=$TMP/dnsperf.out completed lost runtime qps lat before after gen tcpu
	local TIMEFORMAT='%U %S'	# the generator's own CPU, from bash's time
	local new=- answers=- tp50=- tp99=- pavg=- pcpu=- ap50=- ap99=- acpu=- lost_ev=- kind
	local savg=- scpu=-

	case $cfg in
	plain)
		ns=$NS_CLB server=$RES4
		trace_args=(-N "/run/netns/$NS_GWB" -I "$GWB_WAN" -O "$GWB_LAN")
		;;
	bpfroute)
		ns=$NS_CLA server=$RES4
		trace_args=(-N "/run/netns/$NS_GWA" -I "$GWA_WAN" -O "$GWA_LAN"
			-s "$PIN_A/bpfroute_stats" -p "$PROG_ID" -p "$STEER_ID" -o "$samples")
		before=$(host4_count) || return 1
		;;
	fwd)
		ns=$NS_CLB server=192.0.2.153 gwdns=$FWD_PID
		;;
	nftset)
		ns=$NS_CLB server=192.0.2.129 gwdns=$NFT_PID
		trace_args=(-n "$NFT_PID" -l "$NFT_LIB" -o "$samples")
		before=$NFT_ELEMS
		;;
	esac
	TRACER_PID=
	if ((${#trace_args[@]})); then
		tracer_start "$tr" "${trace_args[@]}" || return 1
	fi

	PERF_PID=
	if [[ -n ${BENCH_PERF:-} && $cfg == bpfroute ]]; then
		perf record -q -a -g -o "$BENCH_PERF/$cfg-$mode-$rep.data" >/dev/null 2>&1 &
		PERF_PID=$!
		for id in "$PROG_ID" "$STEER_ID"; do
			"$ROOT/.output/bpf_lines" "$id"
		done >"$BENCH_PERF/$cfg-$mode-$rep.lines" 2>/dev/null
	fi
	c0=$(cpu_snap) r0=$(proc_ticks "$RES_PID") g0=$(proc_ticks "$gwdns")
	a0=$(proc_ticks "$AGENT_PID")
	{ time ip netns exec "$ns" dnsperf -s "$server" -d "$TMP/q.$rep" -n 1 -l 60 -q 100 \
		-t 2 >"$out" 2>&1; } 2>"$TMP/time.out"
	c1=$(cpu_snap) r1=$(proc_ticks "$RES_PID") g1=$(proc_ticks "$gwdns")
	a1=$(proc_ticks "$AGENT_PID")
	[[ -n $TRACER_PID ]] && stop_pid "$TRACER_PID"
	if [[ -n $PERF_PID ]]; then
		kill -INT "$PERF_PID" 2>/dev/null
		wait "$PERF_PID"
	fi

	completed=$(awk '/Queries completed:/ { print $3 }' "$out")
	lost=$(awk '/Queries lost:/ { print $3 }' "$out")
	runtime=$(awk '/Run time \(s\):/ { print $4 }' "$out")
	qps=$(awk '/Queries per second:/ { print $4 }' "$out")
	lat=$(awk '/Average Latency/ { printf "%.2f\n", $4 * 1000 }' "$out")
	if [[ -z $completed || -z $runtime || -z $qps ]]; then
		log "dnsperf failed ($cfg $mode rep $rep):"
		tail -n 5 "$out" >&2
		return 1
	fi

	case $cfg in
	plain)
		tp50=$(field "$tr" pass p50) tp99=$(field "$tr" pass p99)
		;;
	bpfroute)
		after=$(host4_count) || return 1
		new=$((after - before))
		answers=$(awk 'NR == 1 { f = $3 } { l = $3 } END { print l - f }' "$samples")
		lost_ev=$(awk 'NR == 1 { f = $5 } { l = $5 } END { print l - f }' "$samples")
		tp50=$(field "$tr" learned p50) tp99=$(field "$tr" learned p99)
		# "prog ID runs N run_ns T": bpfroute_learn (answers), bpfroute_steer (queries).
		pavg=$(prog_avg "$tr" "$PROG_ID") pcpu=$(prog_cpu "$tr" "$PROG_ID" "$runtime")
		savg=$(prog_avg "$tr" "$STEER_ID") scpu=$(prog_cpu "$tr" "$STEER_ID" "$runtime")
		BPF_ENTRIES=$after
		;;
	nftset)
		after=$(set_count) || return 1
		new=$((after - before))
		answers=$(awk 'NR == 1 { f = $6 } { l = $6 } END { print l - f }' "$samples")
		ap50=$(field "$tr" nft p50) ap99=$(field "$tr" nft p99)
		acpu=$(awk -v s="$runtime" -v k="$(field "$tr" nft sum_ns)" \
			'BEGIN { printf "%.1f\n", k == "-" ? 0 : k / 1e9 / s * 100 }')
		NFT_ELEMS=$after
		;;
	esac
	[[ -n $gwdns ]] || g0=- g1=-
	gen=$(awk -v s="$runtime" 'NF == 2 { printf "%.0f\n", ($1 + $2) / s * 100 }' \
		"$TMP/time.out")
	# The gateway's time on the answers in transit, whatever their kind.
	tcpu=-
	[[ -n ${trace_args[*]} && ${trace_args[0]} == -N ]] &&
		tcpu=$(awk -v s="$runtime" '$1 != "nft" && $1 != "prog" && $4 == "sum_ns" {
			t += $5 } END { printf "%.1f\n", t / 1e9 / s * 100 }' "$tr")
	printf '%s %s %s %s %s %s %s %s %s %s %s %s %s %s %s %s %s %s %s %s %s %s %s %s %s %s %s\n' \
		"$rep" "$cfg" "$mode" "$completed" "${lost:-0}" "$runtime" "$qps" "${lat:--}" \
		"$new" "$answers" "$tp50" "$tp99" "$pavg" "$pcpu" "$ap50" "$ap99" "$acpu" \
		"$(pct_core "$r0" "$r1" "$runtime")" \
		"$([[ $g0 == - ]] && echo - || pct_core "$g0" "$g1" "$runtime")" \
		"$([[ $cfg == bpfroute ]] && pct_core "$a0" "$a1" "$runtime" || echo -)" \
		"$(awk -v a="$c0" -v b="$c1" -v nc="$(nproc)" 'BEGIN { n = split(a, x, " ")
			split(b, y, " ")
			for (i = 1; i <= n; i++) t += y[i] - x[i]
			printf "%.0f %.0f\n", t ? (y[6] - x[6]) / t * 100 * nc : 0,
				t ? (y[3] - x[3]) / t * 100 * nc : 0 }')" \
		"$lost_ev" "$([[ $cfg == bpfroute ]] && echo "$BPF_ENTRIES" ||
			{ [[ $cfg == nftset ]] && echo "$NFT_ELEMS" || echo -; })" "${gen:--}" \
		"$tcpu" "$savg" "$scpu" >>"$TMP/raw"
	log "rep $rep $cfg $mode: $qps answers/s, $completed answered, new entries $new," \
		"learned answers $answers, transit p50 $tp50 ns, add p50 $ap50 ns"
}

# ---- the agent's path and its memory ---------------------------------------------

# agent_phase NAME FIRST [LOAD_REP]: BIG_N names of BIG_ADDRS addresses from FIRST,
# with a fresh agent; with LOAD_REP, while dnsperf renews that repetition's
# names. Appends "agent NAME" + client and agent figures to $TMP/agent.
agent_phase()
{
	local name=$1 first=$2 load=${3:-} lp= out line summary

	# A fresh agent: its summary's latencies are this phase's alone.
	[[ -n $AGENT_PID ]] && agent_stop
	agent_start || return 1
	if [[ -n $load ]]; then
		ip netns exec "$NS_CLA" dnsperf -s "$RES4" -d "$TMP/q.$load" -n 1 -l 30 -q 100 \
			-t 2 >"$TMP/dnsperf-load.out" 2>&1 &
		lp=$!
		sleep 0.3	# under way before the first big name
	fi
	out=$(ip netns exec "$NS_CLA" "$HELPER" agentlat -s "$RES4" -m "$PIN_A" \
		-n "$BIG_N" -f "$first" -a "$BIG_ADDRS" -S "$BIG_STRIDE" -b "$BIG_BASE" -g 5)
	[[ -n $lp ]] && wait "$lp"
	sleep 1.2	# a tick: the agent has read every event
	agent_stop
	summary=$(grep 'finished by the agent' "$AGENT_LOG" | tail -n 1)
	line=$(printf '%s\n' "$summary" | sed -n \
		's/.* \([0-9]*\) finished by the agent (learn latency p50 \([0-9]*\) us, p99 \([0-9]*\) us).*/\1 \2 \3/p')
	printf 'agent %s %s %s\n' "$name" "$out" "${line:-- - -}" >>"$TMP/agent"
	log "agent path $name: $out; agent: ${line:--}"
}

# mem_run CFG REP: VmRSS and VmHWM of `bpfroute run` after MEM_SECONDS,
# with an empty table or MEM_N entries (a quarter dead).
mem_run()
{
	local cfg=$1 rep=$2 n=0 pid rss hwm left swept tgt mlog=$TMP/mem-$1-$2.log

	printf '%s\n' "interface lan0" "route *.bench.example dev tgt0" >"$TMP/m.conf"
	run ip netns exec "$NS_GWM" "$BPFROUTE" -q --pin-dir "$PIN_M" load -c "$TMP/m.conf" ||
		return 1
	if [[ $cfg == full ]]; then
		n=$MEM_N
		tgt=$(ifindex "$NS_GWM" tgt0)
		run "$HELPER" fill -m "$PIN_M" -n "$n" -i "$tgt" \
			-d "$MEM_DEAD_EVERY" || return 1
	fi
	spawn "$NS_GWM" "$mlog" "$BPFROUTE" --pin-dir "$PIN_M" run -c "$TMP/m.conf"
	pid=$SPAWNED
	if ! wait_for 100 0.1 grep -qs 'agent running' "$mlog"; then
		log "bpfroute run (memory) did not start:"
		tail -n 5 "$mlog" >&2
		return 1
	fi
	sleep "$MEM_SECONDS"
	rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status")
	hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status")
	stop_pid "$pid"
	swept=$(sed -n 's/.* \([0-9]*\) expired, .*/\1/p' "$mlog" | tail -n 1)
	left=$("$HELPER" count "$PIN_M")
	run ip netns exec "$NS_GWM" "$BPFROUTE" -q --pin-dir "$PIN_M" unload || return 1
	printf 'mem %s %s %s %s %s %s %s\n' "$rep" "$cfg" "$n" "${rss:--}" "${hwm:--}" \
		"${swept:--}" "${left:--}" >>"$TMP/mem"
	log "memory rep $rep, $n entries: VmRSS $rss kB, VmHWM $hwm kB, swept ${swept:--}," \
		"left ${left:--}"
}

# ---- the runs -------------------------------------------------------------------

log "namespaces ($SUF), names ($((REPS * NPER)) + $((2 * BIG_N)) x $BIG_ADDRS addresses)"
setup_net || exit 1
write_zone || exit 1
start_services || exit 1
log "resolver and gateways ready after $((SECONDS - START)) s"

: >"$TMP/raw"
: >"$TMP/agent"
: >"$TMP/mem"
NFT_ELEMS=0
BPF_ENTRIES=0
for ((rep = 1; rep <= REPS; rep++)); do
	for run_id in plain:fresh bpfroute:fresh fwd:fresh nftset:fresh bpfroute:renew \
		      nftset:renew; do
		measure "${run_id%%:*}" "${run_id#*:}" "$rep" || exit 1
	done
done

log "agent path: $BIG_N names of $BIG_ADDRS addresses, idle, then under load"
agent_phase idle 0 || exit 1
agent_phase load "$BIG_N" 1 || exit 1

for ((rep = 1; rep <= REPS; rep++)); do
	for cfg in empty full; do
		mem_run "$cfg" "$rep" || exit 1
	done
done
ELAPSED=$((SECONDS - START))

if [[ -n $RAW ]]; then
	{
		echo "# rep config mode answered lost run_s answers_per_s avg_latency_ms" \
			"new_entries learned_answers transit_p50_ns transit_p99_ns prog_avg_ns" \
			"prog_cpu_pct add_p50_ns add_p99_ns add_cpu_pct resolver_cpu_pct" \
			"gw_dnsmasq_cpu_pct agent_cpu_pct softirq_pct idle_pct events_lost entries_end" \
			"generator_cpu_pct transit_cpu_pct steer_avg_ns steer_cpu_pct"
		cat "$TMP/raw"
		echo "# agent phase asked N answered N complete N complete_at_reply N" \
			"present_at_reply_p50 N lat_p50_ns N lat_p99_ns N lat_max_ns N rtt_p50_ns N" \
			"agent_finished agent_p50_us agent_p99_us"
		cat "$TMP/agent"
		echo "# mem rep config entries vmrss_kb vmhwm_kb swept left"
		cat "$TMP/mem"
		echo "# fill rep config mode ms learned_addrs learned_answers to_agent events_lost nft_adds"
		for f in "$TMP"/samples.*; do
			[[ -e $f ]] || continue
			set -- $(basename "$f" | tr '.' ' ')
			sed "s/^/fill $4 $2 $3 /" "$f"
		done
	} >"$RAW"
fi

# ---- the report -----------------------------------------------------------------

# col CFG MODE N: column N of the runs of CFG in MODE, one per line.
col() { awk -v c="$1" -v m="$2" -v n="$3" '$2 == c && $3 == m { print $n }' "$TMP/raw"; }
med() { col "$@" | median; }
# per_answer CFG MODE COL|busy: us of CPU per answer (a % of a CPU over answers/s).
per_answer()
{
	awk -v c="$1" -v m="$2" -v k="$3" -v nc="$(nproc)" '$2 == c && $3 == m {
		v = k == "busy" ? nc * 100 - $22 : $k
		if (v != "-" && $7 > 0) printf "%.1f\n", v * 1e4 / $7 }' "$TMP/raw" | median
}
us() { awk -v v="$1" 'BEGIN { if (v == "-") print "-"; else printf "%.1f\n", v / 1000 }'; }
ns0() { awk -v v="$1" 'BEGIN { if (v == "-") print "-"; else printf "%.0f\n", v }'; }

echo "## Learning benchmark (tools/bench_learn.sh)"
echo
echo "Kernel $(uname -r), $(nproc) CPUs$(grep -q hypervisor /proc/cpuinfo &&
	echo ', virtual machine (nested guest per TESTBED.md)'); dnsmasq" \
	"$(dnsmasq --version | awk 'NR == 1 { print $3 }'), dnsperf" \
	"$(dnsperf -h 2>&1 | awk '/^Version/ { print $2 }'), nftables" \
	"$(nft --version | awk '{ print $2 }')."
echo "Namespaces client -> gateway -> resolver; the resolver is dnsmasq serving"
echo "$((REPS * NPER)) names n<i>.bench.example (one address each in 100.64.0.0/10,"
echo "addn-hosts, TTL 300). dnsperf asks each of a repetition's $NPER fresh names once"
echo "(one socket, 100 queries outstanding); \"renew\" asks the same names again."
echo "$REPS interleaved repetitions; medians, with the range over repetitions."
echo "Everything shares the machine's $(nproc) CPUs: generator, resolver, gateways."
echo
echo "| configuration | answers/s (median) | min - max | learned/s | learned (of answered) | entries at end | avg latency ms |"
echo "|---|---|---|---|---|---|---|"
for run_id in plain:fresh bpfroute:fresh bpfroute:renew fwd:fresh nftset:fresh nftset:renew; do
	cfg=${run_id%%:*} mode=${run_id#*:}
	case $run_id in
	plain:fresh) name="gateway routing only, client asks the resolver (reference)" ;;
	bpfroute:fresh) name="bpfroute on the gateway, fresh names" ;;
	bpfroute:renew) name="bpfroute on the gateway, renewals" ;;
	fwd:fresh) name="dnsmasq forwarder on the gateway, no set (reference)" ;;
	nftset:fresh) name="dnsmasq nftset on the gateway, fresh names" ;;
	nftset:renew) name="dnsmasq nftset on the gateway, renewals" ;;
	esac
	q=$(med "$cfg" "$mode" 7)
	rg=$(col "$cfg" "$mode" 7 | awk '{ printf "%.0f\n", $1 }' | range)
	lt=$(med "$cfg" "$mode" 8)
	# Fresh: new entries per answer; renewals: answers learned again (bpfroute)
	# or adds that succeeded (nftset) per answer.
	lc=9
	[[ $mode == renew ]] && lc=10
	fr=$(awk -v c="$cfg" -v m="$mode" -v l=$lc '$2 == c && $3 == m && $l != "-" {
		printf "%.4f\n", $l / $4 }' "$TMP/raw" | median)
	ls=$(awk -v c="$cfg" -v m="$mode" -v l=$lc '$2 == c && $3 == m && $l != "-" {
		printf "%.0f\n", $l / $6 }' "$TMP/raw" | median)
	end=$(col "$cfg" "$mode" 24 | tail -n 1)
	awk -v n="$name" -v q="$q" -v rg="$rg" -v lt="$lt" -v fr="$fr" -v ls="$ls" -v e="$end" \
		'BEGIN { printf "| %s | %.0f | %s | %s | %s | %s | %s |\n", n, q, rg,
			(ls == "-" ? "-" : sprintf("%.0f", ls)),
			(fr == "-" ? "-" : sprintf("%.1f%%", fr * 100)), e, lt }'
done
echo
echo "\"learned\": fresh names, new entries in the learned table or new set elements per"
echo "answered query; renewals, answers learned again (bpfroute's dns_learned) or"
echo "nftset adds that succeeded, per answered query. bpfroute's entries are counted in"
echo "the map, the set's by a netlink dump, after each run."
echo
echo "### How soon a route is in place"
echo
echo "| path | what is timed | p50 us | p99 us | runs (median per repetition) |"
echo "|---|---|---|---|---|"
# row PATH WHAT P50 P99 RUNS: one row of the table.
row() { printf '| %s | %s | %s | %s | %s |\n' "$@"; }
transit="answer enters the gateway (netif_receive_skb on wan0) to leaving on lan0"
transit="$transit (net_dev_start_xmit), bpfroute_learn on the way"
for mode in fresh renew; do
	row "bpfroute, $mode names" "$transit" "$(us "$(med bpfroute "$mode" 11)")" \
		"$(us "$(med bpfroute "$mode" 12)")" "$(med bpfroute "$mode" 10) answers learned"
done
row "gateway routing only" "the same transit, nothing learned (reference)" \
	"$(us "$(med plain fresh 11)")" "$(us "$(med plain fresh 12)")" \
	"$(med plain fresh 4) answers"
for mode in fresh renew; do
	row "dnsmasq nftset, $mode names" \
		"one add: nft_run_cmd_from_buffer() in dnsmasq (uprobe), before it answers" \
		"$(us "$(med nftset "$mode" 15)")" "$(us "$(med nftset "$mode" 16)")" \
		"$(med nftset "$mode" 10) adds"
done
for ph in idle load; do
	# agent NAME key value ... finished p50_us p99_us (agent_phase)
	read -r -a f < <(awk -v ph="$ph" '$1 == "agent" && $2 == ph' "$TMP/agent")
	((${#f[@]} > 20)) || continue
	name="agent, idle gateway"
	[[ $ph == load ]] && name="agent, during a dnsperf run"
	what="answers of $BIG_ADDRS addresses (${f[11]} in the map at the reply, median): the"
	what="$what client reads the reply, then polls the learned table until all are there"
	row "$name" "$what" "$(us "${f[13]}")" "$(us "${f[15]}")" \
		"${f[7]} of ${f[3]} complete, ${f[9]} already at the reply"
	what="the agent, from the kernel handing the answer over to its own install"
	row "$name" "$what (its summary)" "${f[21]}" "${f[22]}" "${f[20]} answers finished"
done
echo
echo "bpfroute_learn's own run time (the kernel's BPF run-time statistics, all packets"
echo "leaving lan0): $(ns0 "$(med bpfroute fresh 13)") ns on average with fresh names,"
echo "$(ns0 "$(med bpfroute renew 13)") ns with renewals; bpfroute_steer, which records each"
echo "query on lan0 ingress, $(ns0 "$(med bpfroute fresh 27)") ns. The statistics add two clock"
echo "reads to every run. Tracing"
echo "programs (fentry/fexit on bpfroute_learn) are refused on this kernel (EPERM under"
echo "lockdown), so the per-answer percentiles are the gateway transit above, which"
echo "holds the learning and also the forwarding the reference row shows alone."
echo "The agent's rows: the client's figure is 0 when all addresses were there by the"
echo "time it read the reply, so it depends on how long the reply took; the agent's"
echo "own runs from the kernel's hand-over. Their p99 (the slowest of $BIG_N answers) is"
echo "in milliseconds even on an idle gateway: an answer that comes while the agent's"
echo "loop is in its 1 s tick (a sweep chunk of the learned maps) or while the agent"
echo "waits for a CPU waits that long; this benchmark does not tell the two apart."
echo
echo "### What an answer costs in CPU (median, us per answer)"
echo
echo "| configuration | answers/s | machine busy | dnsperf | resolver dnsmasq | gateway dnsmasq | gateway transit of the answer | bpfroute_steer (its query) | bpfroute_learn | bpfroute agent | nftset add | idle, % of a CPU | ring events lost (of answers) |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
for run_id in plain:fresh bpfroute:fresh bpfroute:renew fwd:fresh nftset:fresh nftset:renew; do
	cfg=${run_id%%:*} mode=${run_id#*:}
	printf '| %s %s | %.0f | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$cfg" \
		"$mode" "$(med "$cfg" "$mode" 7)" "$(per_answer "$cfg" "$mode" busy)" \
		"$(per_answer "$cfg" "$mode" 25)" "$(per_answer "$cfg" "$mode" 18)" \
		"$(per_answer "$cfg" "$mode" 19)" "$(per_answer "$cfg" "$mode" 26)" \
		"$(per_answer "$cfg" "$mode" 28)" "$(per_answer "$cfg" "$mode" 14)" \
		"$(per_answer "$cfg" "$mode" 20)" "$(per_answer "$cfg" "$mode" 17)" \
		"$(med "$cfg" "$mode" 22)" \
		"$(awk -v c="$cfg" -v m="$mode" '$2 == c && $3 == m && $23 != "-" && $10 > 0 {
			printf "%.2f\n", $23 / $10 }' "$TMP/raw" | median |
			awk '{ print ($1 == "-" ? "-" : sprintf("%.0f%%", $1 * 100)) }')"
done
echo
echo "Each figure is a share of a CPU over the run divided by the answers per second;"
echo "machine busy is all CPUs less idle (on a shared machine other work counts too)."
echo "Process figures are utime + stime from /proc and include the packets processed"
echo "in the process's context: a veth hands a packet to the next namespace in the"
echo "sender's softirq, so the resolver's figure holds its answer's way through the"
echo "gateway to the client, dnsperf's its query's way. \"gateway transit of the answer\""
echo "is the transit timed above (wan0 to lan0, bpfroute_learn included); bpfroute_steer"
echo "and bpfroute_learn are their run times (BPF run-time statistics: each query enters"
echo "lan0 once, each answer leaves it once); \"nftset add\" is the time dnsmasq spent in"
echo "libnftables (uprobe). \"ring events lost\": bookkeeping events bpfroute could not"
echo "queue for the agent (dns_event_lost), per answer learned; the kernel had learned"
echo "those answers all the same."
echo
# fill_at SECONDS COL SAMPLES: how much COL grew from the first sample to
# SECONDS after the first sample that saw it grow.
fill_at()
{
	awk -v t="$1" -v c="$2" 'NR == 1 { f = $c } !s && $c > f { s = $1 }
		s && $1 - s <= t * 1000 { v = $c - f } END { print v + 0 }' "$3" 2>/dev/null
}
echo "### How fast the table fills (repetition 1, fresh names)"
echo
echo "| seconds after the first learned answer | bpfroute entries | nft set elements |"
echo "|---|---|---|"
for t in 0.25 0.5 1 2 3 5 8 12; do
	b=$(fill_at "$t" 3 "$TMP/samples.bpfroute.fresh.1")
	n=$(fill_at "$t" 6 "$TMP/samples.nftset.fresh.1")
	echo "| $t | ${b:--} | ${n:--} |"
done
echo
echo "Sampled every 200 ms: bpfroute's dns_learned counter, and the nftset adds that"
echo "returned 0 (each is a new element with fresh names; the set's element count"
echo "after the run is in the first table)."
echo
echo "### Agent memory"
echo
echo "\`bpfroute run\` on an instance of its own (max-routes 1000000, the default),"
echo "after ${MEM_SECONDS} s (the 1 s ticks: sweep chunks, room keeping), VmRSS and VmHWM"
echo "from /proc/PID/status; with $MEM_N entries one in $MEM_DEAD_EVERY is dead (expired"
echo "and idle) so the sweep deletes. $REPS interleaved repetitions, medians. The agent keeps"
echo "no copy of the table: it maps the table's pages and works on them in place (VmRSS"
echo "counts the pages it has touched), sweeping a sixtieth of the slots per tick, so a"
echo "whole pass takes a minute and the run saw a few chunks of it."
echo
echo "| learned entries | VmRSS MiB | VmHWM MiB | VmRSS min - max MiB | swept in the run | entries left |"
echo "|---|---|---|---|---|---|"
for cfg in empty full; do
	mcol() { awk -v c="$cfg" -v n="$1" '$1 == "mem" && $3 == c { print $n }' "$TMP/mem"; }
	awk -v e="$(mcol 4 | head -n 1)" -v r="$(mcol 5 | median)" -v h="$(mcol 6 | median)" \
		-v rg="$(mcol 5 | awk '{ printf "%.1f\n", $1 / 1024 }' | range)" \
		-v s="$(mcol 7 | median)" -v l="$(mcol 8 | median)" 'BEGIN {
		printf "| %s | %.1f | %.1f | %s | %s | %s |\n", e, r / 1024, h / 1024, rg, s, l }'
done
echo
echo "### Reading"
echo
# ratio A B: A / B to two places, or "-".
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || !b) print "-"
	else printf "%.2f\n", a / b }'; }
# diff A B: A - B to one place, or "-".
diff1() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-") print "-"
	else printf "%.1f\n", a - b }'; }
q_plain=$(med plain fresh 7) q_bpf=$(med bpfroute fresh 7) q_bpfr=$(med bpfroute renew 7)
q_fwd=$(med fwd fresh 7) q_nft=$(med nftset fresh 7) q_nftr=$(med nftset renew 7)
idle_all=$(awk '{ print $22 }' "$TMP/raw" | median)
busy_plain=$(per_answer plain fresh busy) busy_bpf=$(per_answer bpfroute fresh busy)
busy_fwd=$(per_answer fwd fresh busy) busy_nft=$(per_answer nftset fresh busy)
echo "- bpfroute answered $(ratio "$q_bpf" "$q_plain")x the plain gateway's rate with fresh" \
	"names and $(ratio "$q_bpfr" "$q_plain")x with renewals, and learned every answered" \
	"name; dnsmasq nftset answered $(ratio "$q_nft" "$q_fwd")x its own forwarder's rate" \
	"($(ratio "$q_nftr" "$q_fwd")x renewing). bpfroute answered $(ratio "$q_bpf" "$q_nft")x" \
	"as many answers per second as nftset and filled its table that much faster."
echo "- Which side limits: the machine had $idle_all% of a CPU idle out of" \
	"$(($(nproc) * 100))% (median of all runs): in every configuration its CPUs are" \
	"the limit, shared by the generator, the resolver and the gateway, so the rate" \
	"follows what an answer costs along the whole path. With bpfroute that rose from" \
	"$busy_plain to $busy_bpf us of CPU per answer: bpfroute_steer recording the query" \
	"$(per_answer bpfroute fresh 28) us, the answer's transit $(diff1 "$(per_answer bpfroute fresh 26)" \
	"$(per_answer plain fresh 26)") us more than plain forwarding (bpfroute_learn" \
	"$(per_answer bpfroute fresh 14) us of it), the agent $(per_answer bpfroute fresh 20) us; the" \
	"rest went outside the processes measured (kernel threads, other work on this" \
	"shared machine). Here the gateway's work on an" \
	"answer runs in the resolver's send path and on a query in dnsperf's (veth), so it" \
	"takes CPU from them; a real gateway spends its own CPU, not the resolver's."
echo "- With nftset the gateway's dnsmasq, one thread, spent" \
	"$(per_answer nftset fresh 19) us per answer against $(per_answer fwd fresh 19) us as a plain" \
	"forwarder, $(per_answer nftset fresh 17) us of it inside libnftables adding the address" \
	"(whole machine: $busy_nft against $busy_fwd us): the adds limit it, and each holds" \
	"its answer back until the element is committed (per-add time above; the uprobes" \
	"add a few us to each)."
echo "- bpfroute's learning adds to an answer's way through the gateway" \
	"$(awk -v a="$(med bpfroute fresh 11)" -v b="$(med plain fresh 11)" \
	'BEGIN { if (a == "-" || b == "-") print "-"; else printf "%.1f", (a - b) / 1000 }') us at" \
	"the median with fresh names, and the route is in place before the answer leaves" \
	"the gateway; with nftset the element is in place before dnsmasq sends the answer," \
	"one add later."
echo "- The agent finishes an answer with more than 16 addresses after the kernel" \
	"handed it over; under load it first reads the bookkeeping events queued before" \
	"it (they wake it only once the ring is a quarter full), which is what its" \
	"figures under load show; a ring that fills loses events (the last column of the" \
	"CPU table), and an event for the agent that finds the ring full is lost the" \
	"same way (bpf/dns_answer.h)."
echo "- Runs vary widely here (the ranges in the first table): the machine is a small" \
	"nested VM, shared with other work; read the ratios, not the absolute rates."
echo
echo "Run time of this benchmark: ${ELAPSED} s."
