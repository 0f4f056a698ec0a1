#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# bench_forward.sh [RAW_FILE]: packets per second of small UDP packets
# forwarded by a gateway namespace, for
#
#   a        a plain route to the target link (the reference)
#   b-hit    nftables set of the N destinations, `meta mark` in prerouting,
#            `ip rule fwmark` to a table routing to the target (dnsmasq nftset)
#   b-miss   the same gateway, destinations not in the set (ordinary route)
#   c-hit    bpfroute with the N destinations as /32 routes to the target
#   c-miss   the same gateway, destinations not in its table
#   l-hit    bpfroute with no address routes, one domain rule to the target,
#            the N destinations put in its learned host map (bpfroute_host4)
#            as DNS answers would be: the product's case for many addresses
#   l-miss   the same gateway, destinations not learned
#
# Each configuration has its own three namespaces (any `ip rule` slows a
# namespace's plain routes for good, /work/shared/TESTBED.md):
#
#   sender eth0 --- lan_X gateway wan0 --- wan0 sink   (ordinary route)
#                              tgt0 --- tgt0 sink   (the target link)
#
# The sender (tools/udp_flood.c, AF_PACKET sendmmsg, CPU 0) cycles over N
# destinations in 100.64.0.0/16 (hits) or 100.96.0.0/16 (misses); the
# gateway's LAN veth has GRO and threaded NAPI, its thread on CPU 1; the sink
# drops everything in a TC ingress program and the packets are counted as the
# sink veths' rx_packets. Runs of BENCH_SECONDS (3), BENCH_REPS (5)
# repetitions interleaved, for each N of BENCH_N ("1000 50000"; bpfroute
# holds at most 65536 prefixes per family). Markdown on stdout, raw numbers
# in RAW_FILE if given. Needs root, clang, tc, nft, ethtool; builds bpfroute
# and .output/udp_flood first.

set -u

DUR=${BENCH_SECONDS:-3}
REPS=${BENCH_REPS:-5}
NLIST=${BENCH_N:-1000 50000}
RAW=${1:-}
CONFIGS="a b-hit b-miss c-hit c-miss l-hit l-miss"
HIT_BASE=100.64.0.0
MISS_BASE=100.96.0.0

cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD
BPFROUTE=$ROOT/bpfroute
FLOOD=$ROOT/.output/udp_flood

log() { printf 'bench_forward: %s\n' "$*" >&2; }

if ((EUID != 0)); then
	log "needs root"
	exit 1
fi
make -s bpfroute .output/udp_flood >&2 || exit 1

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

# The sink's drop program: counting is done by the veth's rx_packets.
cat >"$TMP/drop.bpf.c" <<'EOF'
__attribute__((section("tc"), used)) int drop(void *skb)
{
	return 2;	/* TC_ACT_SHOT */
}
char _license[] __attribute__((section("license"), used)) = "GPL";
EOF
run clang -O2 -target bpf -c "$TMP/drop.bpf.c" -o "$TMP/drop.bpf.o" || exit 1

mkdir "$TMP/bpffs" && run mount -t bpf bpf "$TMP/bpffs" || exit 1
MOUNTED=1
PIN=$TMP/bpffs/bpfroute
PIN_L=$TMP/bpffs/bpfroute-learned
LEARNED_N=0

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

# setup_gw V: the sender, gateway and sink namespaces of variant V (a, b, c, l).
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
	for dev in wan0 tgt0; do
		run ip -n "$sink" link set "$dev" up || return 1
		run ip netns exec "$sink" tc qdisc add dev "$dev" clsact || return 1
		run ip netns exec "$sink" tc filter add dev "$dev" ingress \
			bpf da obj "$TMP/drop.bpf.o" sec tc || return 1
	done
	# The sink drops ARP too: the gateway's neighbours are permanent.
	run ip -n "$gw" neigh replace 198.51.100.2 dev wan0 lladdr "$(mac "$sink" wan0)" \
		nud permanent || return 1
	run ip -n "$gw" neigh replace 203.0.113.2 dev tgt0 lladdr "$(mac "$sink" tgt0)" \
		nud permanent || return 1
	run ip netns exec "$gw" sysctl -q -w net.ipv4.ip_forward=1 || return 1

	# The recipe: GRO and threaded NAPI on the gateway's ingress veth, no TSO
	# on the sender's (otherwise veth forwards on the sender's CPU).
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
		;;
	c | l)
		run ip -n "$gw" route add 100.64.0.0/10 via 198.51.100.2 dev wan0 || return 1
		;;
	esac
	return 0
}

# fill N: the nft set of b, the bpfroute table of c and the learned host map
# of l hold the first N destinations.
fill()
{
	local n=$1

	ip netns exec "bf-gw-b-$SUF" nft flush set ip bfnft dests || return 1
	addr_seq "$HIT_BASE" "$n" | awk '
		NR % 5000 == 1 { if (NR > 1) print " }"; printf "add element ip bfnft dests {" ; sep = " " }
		{ printf "%s%s", sep, $1; sep = ", " }
		END { print " }" }' >"$TMP/nft.batch"
	run ip netns exec "bf-gw-b-$SUF" nft -f "$TMP/nft.batch" || return 1

	{
		echo "interface lan_c"
		addr_seq "$HIT_BASE" "$n" | sed 's|.*|route &/32 dev tgt0|'
	} >"$TMP/bpfroute.conf"
	run ip netns exec "bf-gw-c-$SUF" "$BPFROUTE" -q --pin-dir "$PIN" load \
		-c "$TMP/bpfroute.conf" || return 1

	fill_learned "$n"
}

# fill_learned N: bpfroute on gateway l with one domain rule to the target
# and no address routes; the first N destinations written into its pinned
# bpfroute_host4 as learned entries (a reload keeps the map, so entries
# beyond N from an earlier, larger N are deleted).
fill_learned()
{
	local n=$1 gw=bf-gw-l-$SUF ifindex map=$PIN_L/bpfroute_host4

	printf '%s\n' "interface lan_l" "route *.bench.example dev tgt0" >"$TMP/learned.conf"
	run ip netns exec "$gw" "$BPFROUTE" -q --pin-dir "$PIN_L" load \
		-c "$TMP/learned.conf" || return 1
	ifindex=$(ip netns exec "$gw" cat /sys/class/net/tgt0/ifindex) || return 1
	# struct bpfroute_host, little-endian: ifindex, rule 0, flags 0,
	# idle_timeout 300, pad, name_id 0, expires_ns 2^62, last_used_ns,
	# packets, bytes 0.
	{
		addr_seq "$HIT_BASE" "$n" | awk -v m="$map" -v ifi="$ifindex" -F. '
			BEGIN { v = sprintf("%02x %02x %02x %02x 00 00 00 00 2c 01 00 00 00 00 00 00",
				ifi % 256, int(ifi / 256) % 256, int(ifi / 65536) % 256,
				int(ifi / 16777216) % 256)
				v = v " 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 40"
				for (i = 0; i < 3; i++) v = v " 00 00 00 00 00 00 00 00" }
			{ printf "map update pinned %s key hex %02x %02x %02x %02x value hex %s\n",
				m, $1, $2, $3, $4, v }'
		if ((LEARNED_N > n)); then
			addr_seq "$HIT_BASE" "$LEARNED_N" | awk -v m="$map" -v n="$n" -F. '
				NR > n { printf "map delete pinned %s key hex %02x %02x %02x %02x\n",
					m, $1, $2, $3, $4 }'
		fi
	} >"$TMP/learned.batch"
	run bpftool batch file "$TMP/learned.batch" || return 1
	LEARNED_N=$n
}

# measure CONFIG N: prints "accepted_Mpps rx_Mpps target_share offered_Mpps":
# frames the sender's veth accepted, frames at the sink, the share of them
# on the target link, frames the sender offered (more than accepted when the
# gateway's ring is full, i.e. the gateway is the bottleneck).
measure()
{
	local cfg=$1 n=$2 v=${1%%-*} base=$HIT_BASE snd gw sink dmac t0 w0 t1 w1 sent tried napi pid

	[[ $cfg == *-miss ]] && base=$MISS_BASE
	snd=bf-snd-$v-$SUF gw=bf-gw-$v-$SUF sink=bf-sink-$v-$SUF
	dmac=$(mac "$gw" "lan_$v")
	# The NAPI thread exists once threaded mode is on; pin it away from
	# the sender. Its name holds the device name (napi/lan_X-ID).
	for napi in $(pgrep "^napi/lan_$v-"); do
		taskset -pc 1 "$napi" >/dev/null 2>&1
	done
	t0=$(ip netns exec "$sink" cat /sys/class/net/tgt0/statistics/rx_packets)
	w0=$(ip netns exec "$sink" cat /sys/class/net/wan0/statistics/rx_packets)
	ip netns exec "$snd" taskset -c 0 "$FLOOD" eth0 "$dmac" 192.0.2.2 "$base" "$n" "$DUR" \
		>"$TMP/sent" 2>"$TMP/flood.err" &
	pid=$!
	PIDS+=("$pid")
	wait "$pid"
	PIDS=()
	sleep 0.2	# let the last packets drain
	t1=$(ip netns exec "$sink" cat /sys/class/net/tgt0/statistics/rx_packets)
	w1=$(ip netns exec "$sink" cat /sys/class/net/wan0/statistics/rx_packets)
	read -r sent tried <"$TMP/sent"
	if [[ -z ${sent:-} || -z ${tried:-} ]]; then
		log "udp_flood failed: $(cat "$TMP/flood.err")"
		return 1
	fi
	awk -v s="$sent" -v o="$tried" -v t=$((t1 - t0)) -v w=$((w1 - w0)) -v d="$DUR" 'BEGIN {
		printf "%.4f %.4f %.3f %.4f\n", s / d / 1e6, (t + w) / d / 1e6,
			((t + w) ? t / (t + w) : 0), o / d / 1e6 }'
}

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2];
	else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

for v in a b c l; do
	setup_gw "$v" || exit 1
done

: >"$TMP/raw"
for n in $NLIST; do
	log "N=$n: filling the nft set and bpfroute's table"
	fill "$n" || exit 1
	for ((rep = 1; rep <= REPS; rep++)); do
		for cfg in $CONFIGS; do
			res=$(measure "$cfg" "$n") || exit 1
			printf '%s %s %s %s\n' "$n" "$cfg" "$rep" "$res" >>"$TMP/raw"
			log "N=$n rep $rep $cfg: sent/rx Mpps, share on target: $res"
		done
	done
done

if [[ -n $RAW ]]; then
	{
		echo "# N config rep accepted_Mpps rx_Mpps share_on_target_link offered_Mpps"
		cat "$TMP/raw"
	} >"$RAW"
fi

echo "## Forwarding benchmark (tools/bench_forward.sh)"
echo
echo "Kernel $(uname -r), $(nproc) CPUs$(grep -q hypervisor /proc/cpuinfo && echo ', virtual machine (nested guest per TESTBED.md)');"
echo "60-byte UDP frames from an AF_PACKET sendmmsg sender (CPU 0) through a veth"
echo "gateway (GRO, threaded NAPI on CPU 1) to a sink that drops in TC ingress;"
echo "${DUR} s per run, ${REPS} interleaved repetitions, medians."
echo
echo "| N | configuration | Mpps at sink (median) | ratio to plain route | min - max Mpps | share on target link |"
echo "|---|---|---|---|---|---|"
for n in $NLIST; do
	ref=$(awk -v n="$n" '$1 == n && $2 == "a" { print $5 }' "$TMP/raw" | median)
	for cfg in $CONFIGS; do
		rxm=$(awk -v n="$n" -v c="$cfg" '$1 == n && $2 == c { print $5 }' "$TMP/raw" | median)
		sm=$(awk -v n="$n" -v c="$cfg" '$1 == n && $2 == c { print $5 }' "$TMP/raw" |
			sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%.3f - %.3f", lo, hi }')
		sh=$(awk -v n="$n" -v c="$cfg" '$1 == n && $2 == c { print $6 }' "$TMP/raw" | median)
		case $cfg in
		a) name="plain route" ;;
		b-hit) name="nft set + fwmark rule, hit" ;;
		b-miss) name="nft set + fwmark rule, miss" ;;
		c-hit) name="bpfroute, hit" ;;
		c-miss) name="bpfroute, miss" ;;
		l-hit) name="bpfroute learned, hit" ;;
		l-miss) name="bpfroute learned, miss" ;;
		esac
		awk -v n="$n" -v name="$name" -v r="$rxm" -v ref="$ref" -v s="$sm" -v sh="$sh" \
			'BEGIN { printf "| %s | %s | %.3f | %.2f | %s | %.2f |\n", n, name, r,
				(ref > 0 ? r / ref : 0), s, sh }'
	done
done
