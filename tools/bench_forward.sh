#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# bench_forward.sh [RAW_FILE]: packets per second of small UDP packets
# forwarded by a gateway namespace, for each variant (BENCH_VARIANTS,
# default "a b c l x t p"), table size N (BENCH_N, default "1000 100000
# 1000000") and distribution of the destinations over the N (BENCH_DIST,
# default "uniform zipf"):
#
#   a        a plain route to the target link (the reference)
#   b-hit    nftables set of the N destinations, `meta mark` in prerouting,
#            `ip rule fwmark` to a table routing to the target (dnsmasq nftset)
#   b-miss   the same gateway, destinations not in the set (ordinary route)
#   c-hit    bpfroute with the N destinations as configured /32 routes (LPM
#            trie); only up to N = BENCH_LPM_MAX_N (1000): configured
#            prefixes are meant to be few, learned addresses go to the hash
#   c-miss   the same gateway, destinations not in its table
#   l-hit    bpfroute with one domain rule to the target and the N
#            destinations in its learned table (bpfroute_host4's), as DNS
#            answers would put them: the product's case for many addresses
#   l-miss   the same gateway, destinations not learned
#   x-hit    as l, with `target tgt0 xdp`: the XDP stage on lan_x forwards
#            the hits itself, as XDP frames
#   x-miss   the same gateway, destinations not learned (XDP passes to TC)
#   t        a TC program that passes all on lan_t, the
#            ordinary route: the floor under any TC classifier's miss
#   p        likewise with an XDP program that passes all too: the floor
#            under a miss through both stages (veth builds no skb for XDP
#            without one, so XDP itself has a cost here)
#
# Each variant has its own three namespaces (any `ip rule` slows a
# namespace's plain routes for good, ../shared/TESTBED.md):
#
#   sender eth0 --- lan_V gateway wan0 --- wan0 sink   (ordinary route)
#                             tgt0 --- tgt0 sink   (the target link)
#
# The generator (tools/xdp_flood.c: BPF_PROG_TEST_RUN live XDP frames
# redirected into the sender's veth, CPU 0) cycles over N destinations from
# 100.64.0.0 (hits) or 100.96.0.0 (misses; N <= 2097152 keeps the two apart
# and inside 100.64.0.0/10, where all routes lead), several times faster than
# any gateway here, so the gateway's veth ring stays full and the gateway
# sets the rate. The gateway's LAN veth has GRO (NAPI, without which it
# refuses XDP frames) and threaded NAPI, its thread on CPU 1. The sink drops
# everything in TC ingress; the rate is its veths' rx_packets over a window
# of BENCH_SECONDS (3) that opens 0.5 s after the generator starts.
# BENCH_REPS (5) repetitions, configurations interleaved. Markdown on
# stdout, raw numbers in RAW_FILE if given. Needs root, clang, tc, nft,
# ethtool (tools/install-deps.sh --bench installs them); builds bpfroute,
# .output/xdp_flood and .output/bench_fill first.
# BENCH_PERF=DIR records a CPU profile of the gateway in each window
# (perf record), with the BPF programs' line addresses: read them with
# tools/bench_hotlines.sh DIR/CONFIG.data DIR/CONFIG.lines.
#
# The rate at the sink drops when other work on the machine takes a CPU
# from the generator (the ring runs dry) or from the gateway; the gateway's
# packets per second of its own CPU time (its NAPI thread's and ksoftirqd's
# runtime) hardly does, and is reported next to it.
#
# A new variant V: its gateway's setup in a case of setup_gw (a bpfroute
# with learned entries calls load_learned, and fill_learned fills it for
# each N), its name in VNAME, V in BENCH_VARIANTS. It gets V-hit and V-miss.
# Every gateway's target link has what forwarding in XDP needs: a next hop
# 203.0.113.2 with a permanent neighbour entry (the sink drops ARP) behind a
# default route through tgt0, and a sink veth that takes XDP frames (GRO).

set -u

DUR=${BENCH_SECONDS:-3}
REPS=${BENCH_REPS:-5}
NLIST=${BENCH_N:-1000 100000 1000000}
# How destinations are drawn from the N: uniform (each in turn, the worst
# case for every cache), zipf (exponent 1, as real traffic; xdp_flood -z).
DISTS=${BENCH_DIST:-uniform zipf}
VARIANTS=${BENCH_VARIANTS:-a b c l x t p}
RAW=${1:-}
HIT_BASE=100.64.0.0
MISS_BASE=100.96.0.0
WARM=0.5	# s from the generator's start to the window: the rings fill up
# The generator's own limit, past the window: measure stops it (SIGTERM).
GEN_SECS=$(awk -v d="$DUR" -v w="$WARM" 'BEGIN { print d + w + 2 }')

# What each variant is called in the table.
declare -A VNAME=(
	[a]="plain route"
	[b]="nft set + fwmark rule"
	[c]="bpfroute, /32 routes (LPM trie)"
	[l]="bpfroute, learned hosts"
	[x]="bpfroute + XDP stage, learned hosts"
	[t]="floor: a TC program that passes all"
	[p]="floor: XDP and TC programs that pass all"
)
# The largest N a variant runs at (none: every N).
declare -A VMAXN=(
	[c]=${BENCH_LPM_MAX_N:-1000}
)
# How a variant's table follows N: nft, routes, learned (set by setup_gw).
declare -A VFILL=()

cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD
BPFROUTE=$ROOT/bpfroute
FLOOD=$ROOT/.output/xdp_flood
FILL=$ROOT/.output/bench_fill

log() { printf 'bench_forward: %s\n' "$*" >&2; }

if ((EUID != 0)); then
	log "needs root"
	exit 1
fi
for v in $VARIANTS; do
	if [[ -z ${VNAME[$v]:-} ]]; then
		log "unknown variant '$v' in BENCH_VARIANTS"
		exit 1
	fi
done
tools/install-deps.sh --bench >&2 || exit 1
make -s bpfroute .output/xdp_flood .output/bench_fill .output/bpf_lines >&2 || exit 1

if [[ -n ${BENCH_PERF:-} ]] && ! command -v perf >/dev/null; then
	log "BENCH_PERF needs perf (Debian: linux-perf)"
	exit 1
fi
for d in $DISTS; do
	if [[ $d != uniform && $d != zipf ]]; then
		log "BENCH_DIST: '$d' is neither uniform nor zipf"
		exit 1
	fi
done
for n in $NLIST; do
	if ! [[ $n =~ ^[1-9][0-9]{0,6}$ ]] || ((n > 2097152)); then
		log "BENCH_N: '$n' is not within 1..2097152"
		exit 1
	fi
done

# max-routes of the learned gateways: the largest N with an eighth to spare
# (a full table refuses new entries).
MAXN=1
for n in $NLIST; do
	((n > MAXN)) && MAXN=$n
done
MAX_ROUTES=$((MAXN + MAXN / 8 + 1024))

SUF=$(od -An -N2 -tx1 /dev/urandom | tr -d ' \n')
TMP=$(mktemp -d "/tmp/bpfroute-bf-$SUF.XXXXXX") || exit 1
NETNS=()
PIDS=()
MOUNTED=0

cleanup()
{
	local p ns

	for p in "${PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in "${PIDS[@]}"; do
		wait "$p" 2>/dev/null
	done
	PIDS=()
	for ns in "${NETNS[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	NETNS=()
	if ((MOUNTED)); then
		umount "$TMP/bpffs" 2>/dev/null || umount -l "$TMP/bpffs"
		MOUNTED=0
	fi
	[[ -d $TMP && $TMP == /tmp/bpfroute-bf-* ]] && rm -rf -- "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

run() {
	local out
	if ! out=$("$@" 2>&1); then
		log "failed: $*"
		printf '%s\n' "$out" >&2
		return 1
	fi
}

# The script and what it starts stay on CPU 0 with the generator: CPU 1 is
# the gateway's alone.
taskset -pc 0 $$ >/dev/null || exit 1

# The sink's drop program: counting is done by the veth's rx_packets.
cat >"$TMP/drop.bpf.c" <<'EOF'
__attribute__((section("tc"), used)) int drop(void *skb)
{
	return 2;	/* TC_ACT_SHOT */
}
char _license[] __attribute__((section("license"), used)) = "GPL";
EOF
run clang -O2 -target bpf -c "$TMP/drop.bpf.c" -o "$TMP/drop.bpf.o" || exit 1
# The floors (variants t and p): programs that pass everything, what any
# classifier in the same place costs before it reads a byte.
cat >"$TMP/pass.bpf.c" <<'EOF'
__attribute__((section("tc"), used)) int pass_tc(void *skb)
{
	return 0;	/* TC_ACT_OK */
}
__attribute__((section("xdp"), used)) int pass_xdp(void *ctx)
{
	return 2;	/* XDP_PASS */
}
char _license[] __attribute__((section("license"), used)) = "GPL";
EOF
run clang -O2 -target bpf -c "$TMP/pass.bpf.c" -o "$TMP/pass.bpf.o" || exit 1

mkdir "$TMP/bpffs" && run mount -t bpf bpf "$TMP/bpffs" || exit 1
MOUNTED=1

mac() { ip -n "$1" -br link show dev "$2" | awk '{print $3}'; }

# addr_seq BASE N: N consecutive IPv4 addresses from BASE.
addr_seq()
{
	awk -v base="$1" -v n="$2" 'BEGIN {
		split(base, o, "."); b = ((o[1] * 256 + o[2]) * 256 + o[3]) * 256 + o[4]
		for (i = 0; i < n; i++) { a = b + i
			printf "%d.%d.%d.%d\n", int(a / 16777216), int(a / 65536) % 256,
				int(a / 256) % 256, a % 256 }
	}'
}

# load_learned V [CONFIG_LINE...]: bpfroute on gateway V with one domain rule
# to the target and no address routes, pinned in its own directory; its
# learned map is then filled for each N (fill_learned).
load_learned()
{
	local v=$1 conf=$TMP/learned-$1.conf

	shift
	printf '%s\n' "interface lan_$v" "route *.bench.example dev tgt0" \
		"max-routes $MAX_ROUTES" "$@" >"$conf"
	run ip netns exec "bf-gw-$v-$SUF" "$BPFROUTE" -q --pin-dir "$TMP/bpffs/$v" load \
		-c "$conf" || return 1
	VFILL[$v]=learned
}

# setup_gw V: the sender, gateway and sink namespaces of variant V.
setup_gw()
{
	local v=$1 snd=bf-snd-$1-$SUF gw=bf-gw-$1-$SUF sink=bf-sink-$1-$SUF ns dev

	for ns in "$snd" "$gw" "$sink"; do
		run ip netns add "$ns" || return 1
		NETNS+=("$ns")
		run ip -n "$ns" link set lo up || return 1
	done
	run ip -n "$snd" link add eth0 type veth peer name "lan_$v" netns "$gw" || return 1
	run ip -n "$gw" link add wan0 type veth peer name wan0 netns "$sink" || return 1
	run ip -n "$gw" link add tgt0 type veth peer name tgt0 netns "$sink" || return 1
	run ip -n "$snd" addr add 192.0.2.2/24 dev eth0 || return 1
	run ip -n "$gw" addr add 192.0.2.1/24 dev "lan_$v" || return 1
	run ip -n "$gw" addr add 198.51.100.1/24 dev wan0 || return 1
	run ip -n "$gw" addr add 203.0.113.1/24 dev tgt0 || return 1
	run ip -n "$sink" addr add 198.51.100.2/24 dev wan0 || return 1
	run ip -n "$sink" addr add 203.0.113.2/24 dev tgt0 || return 1
	run ip -n "$snd" link set eth0 up || return 1
	for dev in "lan_$v" wan0 tgt0; do
		run ip -n "$gw" link set "$dev" up || return 1
	done
	# GRO gives the sink's veths NAPI, so they take XDP frames too: a
	# variant forwarding in XDP redirects into tgt0, and every variant's
	# packets then reach the drop program the same way.
	for dev in wan0 tgt0; do
		run ip -n "$sink" link set "$dev" up || return 1
		run ip netns exec "$sink" ethtool -K "$dev" gro on || return 1
		run ip netns exec "$sink" tc qdisc add dev "$dev" clsact || return 1
		run ip netns exec "$sink" tc filter add dev "$dev" ingress \
			bpf da obj "$TMP/drop.bpf.o" sec tc || return 1
	done
	# The sink drops ARP too: the gateway's neighbours are permanent.
	run ip -n "$gw" neigh replace 198.51.100.2 dev wan0 lladdr "$(mac "$sink" wan0)" \
		nud permanent || return 1
	run ip -n "$gw" neigh replace 203.0.113.2 dev tgt0 lladdr "$(mac "$sink" tgt0)" \
		nud permanent || return 1
	# The target's next hop for a lookup restricted to tgt0, as bpfroute
	# makes for an Ethernet target (bpf_redirect_neigh() in TC,
	# bpf_fib_lookup() with BPF_FIB_LOOKUP_OUTPUT in XDP): a default route
	# through it, behind every other route, the same in every variant.
	run ip -n "$gw" route add default via 203.0.113.2 dev tgt0 metric 4000 || return 1
	run ip netns exec "$gw" sysctl -q -w net.ipv4.ip_forward=1 || return 1

	# The recipe: GRO and threaded NAPI on the gateway's ingress veth. GRO
	# gives it NAPI, without which veth refuses the generator's XDP frames
	# (veth_xdp_xmit). No TSO on the sender's veth, as for a socket sender.
	run ip netns exec "$gw" ethtool -K "lan_$v" gro on || return 1
	run ip netns exec "$gw" sh -c "echo 1 > /sys/class/net/lan_$v/threaded" || return 1
	run ip netns exec "$snd" ethtool -K eth0 tso off || return 1

	case $v in
	a)
		run ip -n "$gw" route add 100.64.0.0/10 via 203.0.113.2 dev tgt0 || return 1
		;;
	b)
		run ip -n "$gw" route add 100.64.0.0/10 via 198.51.100.2 dev wan0 || return 1
		run ip -n "$gw" route add 100.64.0.0/10 via 203.0.113.2 dev tgt0 table 100 ||
			return 1
		run ip -n "$gw" rule add fwmark 1 lookup 100 || return 1
		run ip netns exec "$gw" nft -f - <<'EOF' || return 1
table ip bfnft {
	set dests { type ipv4_addr; }
	chain pre {
		type filter hook prerouting priority mangle; policy accept;
		ip daddr @dests meta mark set 1
	}
}
EOF
		VFILL[$v]=nft
		;;
	c)
		run ip -n "$gw" route add 100.64.0.0/10 via 198.51.100.2 dev wan0 || return 1
		VFILL[$v]=routes	# loaded with its routes for each N
		;;
	l)
		run ip -n "$gw" route add 100.64.0.0/10 via 198.51.100.2 dev wan0 || return 1
		load_learned "$v" || return 1
		;;
	x)
		# As l, with the target taking XDP frames: the XDP stage on
		# lan_x forwards the hits itself.
		run ip -n "$gw" route add 100.64.0.0/10 via 198.51.100.2 dev wan0 || return 1
		load_learned "$v" "target tgt0 xdp" || return 1
		;;
	t | p)
		run ip -n "$gw" route add 100.64.0.0/10 via 198.51.100.2 dev wan0 || return 1
		run ip netns exec "$gw" tc qdisc add dev "lan_$v" clsact || return 1
		run ip netns exec "$gw" tc filter add dev "lan_$v" ingress \
			bpf da obj "$TMP/pass.bpf.o" sec tc || return 1
		if [[ $v == p ]]; then
			run ip -n "$gw" link set dev "lan_$v" xdpdrv obj "$TMP/pass.bpf.o" \
				sec xdp || return 1
		fi
		;;
	*)
		log "setup_gw: no setup for variant $v"
		return 1
		;;
	esac
	return 0
}

# fill_nft V N: the nft set of gateway V holds the first N destinations.
fill_nft()
{
	local gw=bf-gw-$1-$SUF

	run ip netns exec "$gw" nft flush set ip bfnft dests || return 1
	addr_seq "$HIT_BASE" "$2" | awk '
		NR % 5000 == 1 { if (NR > 1) print " }"; printf "add element ip bfnft dests {" ; sep = " " }
		{ printf "%s%s", sep, $1; sep = ", " }
		END { print " }" }' >"$TMP/nft.batch"
	run ip netns exec "$gw" nft -f "$TMP/nft.batch" || return 1
}

# fill_routes V N: bpfroute on gateway V with the first N destinations as
# configured /32 routes (a reload replaces the table).
fill_routes()
{
	local v=$1

	{
		echo "interface lan_$v"
		addr_seq "$HIT_BASE" "$2" | sed 's|.*|route &/32 dev tgt0|'
	} >"$TMP/routes-$v.conf"
	run ip netns exec "bf-gw-$v-$SUF" "$BPFROUTE" -q --pin-dir "$TMP/bpffs/$v" load \
		-c "$TMP/routes-$v.conf" || return 1
}

# fill_learned V N: gateway V's learned IPv4 table holds exactly the first N
# destinations, learned entries to the target (tools/bench_fill.c).
fill_learned()
{
	local ifindex

	ifindex=$(ip netns exec "bf-gw-$1-$SUF" cat /sys/class/net/tgt0/ifindex) || return 1
	run "$FILL" "$TMP/bpffs/$1" "$ifindex" "$HIT_BASE" "$2" || return 1
}

# configs N: the configurations measured at N.
configs()
{
	local v

	for v in $VARIANTS; do
		((${VMAXN[$v]:-$1} < $1)) && continue
		if [[ $v == [atp] ]]; then
			printf '%s ' "$v"
		else
			printf '%s ' "$v-hit" "$v-miss"
		fi
	done
}

# sample SINK PID...: "USEC TGT_RX WAN_RX RUNTIME_NS": the time halfway
# through the read (ip netns exec takes milliseconds), the sink's counters
# and the CPU time threads PID... have had (schedstat; without IRQ time
# accounting it includes the softirqs run in them).
sample()
{
	local sink=$1 t0=${EPOCHREALTIME/[.,]/} t1 c p stats=()

	shift
	for p in "$@"; do
		stats+=("/proc/$p/schedstat")
	done
	c=$(ip netns exec "$sink" cat /sys/class/net/tgt0/statistics/rx_packets \
		/sys/class/net/wan0/statistics/rx_packets "${stats[@]}") || return 1
	t1=${EPOCHREALTIME/[.,]/}
	awk -v t=$(((t0 + t1) / 2)) 'NR <= 2 { rx[NR] = $1; next } { ns += $1 }
		END { print t, rx[1], rx[2], ns + 0 }' <<<"$c"
}

# measure CONFIG N DIST: prints "sink_Mpps target_share offered_Mpps accepted_Mpps
# gen_ns gw_busy gw_Mpps_per_cpu": packets at the sink in the window, the
# share of them on the target link, frames the generator made and frames
# the gateway's veth took over the generator's whole run, the generator's
# ns per frame, the share of the window the gateway's NAPI thread was on
# CPU 1, and packets per second of that thread's CPU time. The last holds
# when other work on the machine takes CPU 1 from the gateway some of the
# time; the rate at the sink does not.
measure()
{
	local cfg=$1 n=$2 v=${1%%-*} base=$HIT_BASE snd gw sink dmac napi pid s0 s1 alive
	local offered accepted secs ns napis gwcpu zipf=()

	[[ $cfg == *-miss || $cfg == [tp] ]] && base=$MISS_BASE
	[[ $3 == zipf ]] && zipf=(-z 1)
	snd=bf-snd-$v-$SUF gw=bf-gw-$v-$SUF sink=bf-sink-$v-$SUF
	dmac=$(mac "$gw" "lan_$v")
	# The NAPI thread exists once threaded mode is on; pin it away from
	# the generator. Its name holds the device name (napi/lan_V-ID).
	napis=$(pgrep "^napi/lan_$v-")
	if [[ -z $napis ]]; then
		log "$cfg: no NAPI thread for lan_$v"
		return 1
	fi
	for napi in $napis; do
		taskset -pc 1 "$napi" >/dev/null || return 1
	done
	# Softirqs raised in the NAPI thread (the sink's NAPI) run at its
	# local_bh_enable(), or in ksoftirqd when they keep coming back: the
	# gateway's CPU time is both threads'.
	gwcpu="$napis $(pgrep -x ksoftirqd/1)"
	# ip netns exec and taskset exec: $! is the generator itself. It runs
	# past the window and is stopped by SIGTERM, reporting all the same.
	ip netns exec "$snd" taskset -c 0 "$FLOOD" "${zipf[@]}" eth0 "$dmac" 192.0.2.2 "$base" \
		"$n" "$GEN_SECS" >"$TMP/gen.out" 2>"$TMP/gen.err" &
	pid=$!
	PIDS+=("$pid")
	sleep "$WARM"
	s0=$(sample "$sink" $gwcpu)
	if [[ -n ${BENCH_PERF:-} ]]; then
		# A profile of the gateway's CPU over the window, per configuration,
		# and where the BPF programs' source lines are in their JIT images
		# (tools/bench_hotlines.sh reads the two together).
		perf record -q -C 1 -g -o "$BENCH_PERF/$cfg-$n-$3.data" -- sleep "$DUR" \
			>/dev/null 2>&1
		for id in $(bpftool prog show 2>/dev/null |
			    awk '/name bpfroute_(steer|xdp|learn)/ { sub(":", "", $1); print $1 }'); do
			"$ROOT/.output/bpf_lines" "$id"
		done >"$BENCH_PERF/$cfg-$n-$3.lines" 2>/dev/null
	else
		sleep "$DUR"
	fi
	s1=$(sample "$sink" $gwcpu)
	kill -0 "$pid" 2>/dev/null && alive=1 || alive=0
	kill -TERM "$pid" 2>/dev/null
	wait "$pid"
	PIDS=()
	read -r offered accepted secs ns <"$TMP/gen.out"
	if [[ -z ${ns:-} || -z $s0 || -z $s1 ]]; then
		log "$cfg: the generator failed: $(cat "$TMP/gen.err")"
		return 1
	fi
	# A window with a stopped generator would count idle time as the gateway's.
	if ((!alive)); then
		log "$cfg: the generator ended before the window closed"
		return 1
	fi
	awk -v s0="$s0" -v s1="$s1" -v o="$offered" -v a="$accepted" -v secs="$secs" \
		-v ns="$ns" 'BEGIN {
		split(s0, x, " "); split(s1, y, " ")
		us = y[1] - x[1]; t = y[2] - x[2]; w = y[3] - x[3]; cpu = y[4] - x[4]
		printf "%.4f %.3f %.4f %.4f %d %.3f %.4f\n", (t + w) / us,
			((t + w) ? t / (t + w) : 0), o / secs / 1e6,
			(a < 0 ? -1 : a / secs / 1e6), ns, cpu / 1e3 / us,
			(cpu ? (t + w) * 1e3 / cpu : 0) }'
}

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2];
	else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

START=$SECONDS
for v in $VARIANTS; do
	setup_gw "$v" || exit 1
done

: >"$TMP/raw"
for n in $NLIST; do
	read -r -a cfgs <<<"$(configs "$n")"
	for v in $VARIANTS; do
		((${VMAXN[$v]:-$n} < n)) && continue
		[[ -n ${VFILL[$v]:-} ]] || continue
		t=$SECONDS
		"fill_${VFILL[$v]}" "$v" "$n" || exit 1
		log "N=$n: $v filled ($((SECONDS - t)) s)"
	done
	for d in $DISTS; do
		for ((rep = 1; rep <= REPS; rep++)); do
			# Each repetition starts at another configuration: none
			# always runs first, or always right after a particular other.
			for ((k = 0; k < ${#cfgs[@]}; k++)); do
				cfg=${cfgs[(k + rep - 1) % ${#cfgs[@]}]}
				res=$(measure "$cfg" "$n" "$d") || exit 1
				# N and the distribution as one key: "1000000:zipf".
				printf '%s %s %s %s\n' "$n:$d" "$cfg" "$rep" "$res" >>"$TMP/raw"
				log "N=$n $d rep $rep $cfg: sink Mpps, share on target," \
					"offered/accepted Mpps, gen ns: $res"
			done
		done
	done
done
ELAPSED=$((SECONDS - START))

if [[ -n $RAW ]]; then
	{
		echo "# N:distribution config rep sink_Mpps share_on_target_link offered_Mpps accepted_Mpps" \
			"gen_ns_per_frame gw_busy gw_Mpps_per_cpu"
		cat "$TMP/raw"
	} >"$RAW"
fi

# col N:DIST CONFIG FIELD: that field of every repetition.
col() { awk -v n="$1" -v c="$2" -v f="$3" '$1 == n && $2 == c { print $f }' "$TMP/raw"; }

# ratio N:DIST CONFIG FIELD: the median over repetitions of FIELD's ratio to the
# plain route's in the same repetition: runs minutes apart drift together.
ratio()
{
	awk -v n="$1" -v c="$2" -v f="$3" '$1 == n && $2 == "a" { a[$3] = $f }
		$1 == n && $2 == c { v[$3] = $f }
		END { for (r in v) if (a[r] > 0) print v[r] / a[r] }' "$TMP/raw" | median
}

echo "## Forwarding benchmark (tools/bench_forward.sh)"
echo
echo "Kernel $(uname -r), $(nproc --all) CPUs$(grep -q hypervisor /proc/cpuinfo && echo ', virtual machine (nested guest per TESTBED.md)');"
echo "60-byte UDP frames from an XDP live-frames generator (BPF_PROG_TEST_RUN, CPU 0)"
echo "through a veth gateway (GRO, threaded NAPI on CPU 1) to a sink that drops in"
echo "TC ingress; ${DUR} s windows, ${REPS} interleaved repetitions, medians; ${ELAPSED} s in all."
echo "Ratios are medians of each repetition's ratio to the plain route. \"per gateway"
echo "CPU\": packets per second of CPU time of the gateway's NAPI thread (where all"
echo "its forwarding runs), which holds when other work takes CPU 1 for a while;"
echo "\"busy\": that thread's share of the window. Offered: what the generator made;"
echo "the gateway's veth ring refuses what the gateway cannot take."
echo
echo "Destinations: uniform, each of the N in turn (the worst case for any cache);"
echo "zipf, drawn from a Zipf distribution of exponent 1 over the N, as the"
echo "destinations of real traffic are (a few popular, a long tail)."
echo
echo "| N | destinations | configuration | Mpps at sink | ratio to plain route |" \
	"min - max Mpps | Mpps per gateway CPU | its ratio | busy | share on target link |" \
	"offered Mpps |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
for n in $NLIST; do
	read -r -a cfgs <<<"$(configs "$n")"
	for d in $DISTS; do
		for cfg in "${cfgs[@]}"; do
			v=${cfg%%-*}
			name=${VNAME[$v]}
			[[ $cfg == *-hit ]] && name="$name, hit"
			[[ $cfg == *-miss ]] && name="$name, miss"
			key=$n:$d
			mm=$(col "$key" "$cfg" 4 | sort -g |
				awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%.3f - %.3f", lo, hi }')
			awk -v n="$n" -v d="$d" -v name="$name" -v r="$(col "$key" "$cfg" 4 | median)" \
				-v q="$(ratio "$key" "$cfg" 4)" -v mm="$mm" \
				-v pc="$(col "$key" "$cfg" 10 | median)" -v qc="$(ratio "$key" "$cfg" 10)" \
				-v busy="$(col "$key" "$cfg" 9 | median)" \
				-v sh="$(col "$key" "$cfg" 5 | median)" \
				-v off="$(col "$key" "$cfg" 6 | median)" '
				function rt(x) { return x > 0 ? sprintf("%.2f", x) : "-" }
				BEGIN { printf "| %s | %s | %s | %.3f | %s | %s | %.3f | %s | %.2f | %.2f | %.2f |\n",
					n, d, name, r, rt(q), mm, pc, rt(qc), busy, sh, off }'
		done
	done
done
