#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# End-to-end test of masquerade, on the namespace testbed
# (selftests/lib/testbed.sh) set up as a commercial VPN provider's server
# would be: the WireGuard peer accepts from the gateway only the gateway's
# tunnel addresses (AllowedIPs 100.64.0.1/32, 2001:db8:100::1/128) and has
# no route to the LAN. Two clients share the LAN behind a switch; the
# private service sits one hop behind the peer, over a link of MTU 1280.
#
#   client  192.0.2.2 --\                            peer                service
#                        switch -- lan0 gateway wgg ====== wgp  eth1 --MTU 1280-- eth0
#   client2 192.0.2.3 --/                  100.64.0.1    100.64.0.2          203.0.113.10
#
# Without masquerade a client's packets reach the peer and die there; with
# `route ... dev wgg masquerade` they leave with 100.64.0.1 /
# 2001:db8:100::1 as their source and the replies (and the ICMP errors
# about them) are translated back to the right client.
#
# Prints one "PASS name", "FAIL name" or "SKIP name: why" line per check
# (selftests/run.sh counts them); details of a failure follow on "#" lines.
# Exits non-zero if any check failed.
#
#	sudo selftests/test_e2e_nat.sh			# after `make tests`
#	sudo BPFROUTE=/path/to/bpfroute selftests/test_e2e_nat.sh
#	TB_VERBOSE=1 ... shows every testbed command

set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BPFROUTE=${BPFROUTE:-$HERE/../bpfroute}
SYN_FLOOD=${SYN_FLOOD:-$HERE/../.output/syn_flood}

# shellcheck source-path=SCRIPTDIR source=lib/checks.sh
. "$HERE/lib/checks.sh"

# ---- preconditions: skip the whole test, not fail it ----------------------

require_root_and_tools e2e_nat wireguard-go wg socat curl ip tc ss jq ping mountpoint \
	timeout cmp seq sha256sum head
require_built e2e_nat BPFROUTE SYN_FLOOD

# shellcheck source-path=SCRIPTDIR source=lib/testbed.sh
. "$HERE/lib/testbed.sh"
trap tb_teardown EXIT
# So that the EXIT trap (teardown) also runs when we are interrupted.
trap 'exit 130' INT TERM HUP

# ---- helpers --------------------------------------------------------------

# in_ns NS CMD...: a command in one of the testbed's namespaces.
in_ns()
{
	local ns=$1
	shift
	ip netns exec "$ns" "$@"
}

# filters_on DEV: every filter on DEV's ingress and egress, one per line,
# prefixed with the direction; nothing if there is none.
filters_on()
{
	local dir

	for dir in ingress egress; do
		tb_gw tc filter show dev "$1" "$dir" 2>/dev/null | sed "s/^/$dir: /"
	done
}

# ---- the agent -----------------------------------------------------------

# agent_start, agent_stop, agent_log (selftests/lib/agent.sh).
# shellcheck source=lib/agent.sh
. "$HERE/lib/agent.sh"

# ---- background jobs -------------------------------------------------------

# A job runs a command in a namespace, in the background, under tb_spawn (so
# teardown stops it, also on failure): stdout to OUT, stderr to OUT.err, the
# exit status to OUT.rc once it ends.
write_job_runner()
{
	cat >"$TB_DIR/bgjob" <<'EOF'
#!/bin/bash
# bgjob IN OUT CMD...: CMD with stdin IN, stdout OUT, stderr OUT.err; exit
# status to OUT.rc (written last: its presence means the job is over).
in=$1 out=$2
shift 2
"$@" <"$in" >"$out" 2>"$out.err"
echo $? >"$out.rc.tmp" && mv "$out.rc.tmp" "$out.rc"
EOF
	chmod +x "$TB_DIR/bgjob"
}

# job_start NS IN OUT CMD...: start a job; the caller bounds CMD in time.
job_start()
{
	local ns=$1 in=$2 out=$3
	shift 3

	rm -f "$out" "$out.err" "$out.rc"
	tb_spawn "$ns" bgjob "$out.log" "$TB_DIR/bgjob" "$in" "$out" "$@"
}

# job_wait SECONDS OUT...: wait (bounded) until every job has ended.
job_wait()
{
	local t=$1 i o all
	shift

	for ((i = 0; i < t * 10; i++)); do
		all=1
		for o in "$@"; do
			[[ -e $o.rc ]] || all=0
		done
		((all)) && return 0
		sleep 0.1
	done
	return 1
}

# job_rc OUT: the job's exit status, or "none" if it has not ended.
job_rc()
{
	cat "$1.rc" 2>/dev/null || echo none
}

# ---- the services on the service host --------------------------------------

# The peer address each connection or datagram came from, as the service
# saw it, one line per request: "SERVICE ADDRESS PORT REQUEST".
PEERS_LOG=
BULK_PORT=8090		# TCP: "SEED LINES" -> LINES numbered lines
SLOW_PORT=8091		# TCP: "SEED CHUNKS" -> CHUNKS chunks, 0.25 s apart
SINK_PORT=8092		# TCP: everything until EOF -> its SHA-256
UDP_PORT=9000		# UDP: "TEXT" -> "pong TEXT"
CLOSED_PORT=9009	# UDP: nobody listens (on the decoy: "decoy")

# gen_bulk SEED LINES / gen_slow SEED CHUNKS: the bodies the services send,
# generated the same way here to compare byte for byte. Every line differs,
# so a lost, doubled or reordered segment cannot go unnoticed.
gen_bulk()
{
	seq -f "$1-%.0f" 1 "$2"
}

gen_slow()
{
	local i

	for ((i = 1; i <= $2; i++)); do
		seq -f "$1-$i-%.0f" 1 3000
	done
}

write_services()
{
	local kind

	# One handler per kind; socat gives it the peer in SOCAT_PEERADDR, in
	# full (2001:0db8:0100:0000:0000:0000:0000:0001, an IPv4 client of an
	# ipv6only=0 socket as 0000:...:ffff:6440:0001): written the usual way.
	for kind in bulk slow sink udp; do
		{
			cat <<'EOF'
#!/bin/bash
norm()
{
	local a=${1#[} g i run=0 rs=0 best=-1 blen=0 left right

	a=${a%]}
	[[ $a == *:* ]] || { printf '%s\n' "$a"; return; }
	IFS=: read -ra g <<<"$a"
	if ((${#g[@]} != 8)); then
		printf '%s\n' "${a#::ffff:}"
		return
	fi
	for ((i = 0; i < 8; i++)); do
		g[i]=$(printf '%x' $((16#${g[i]})))
	done
	if [[ ${g[*]:0:6} == "0 0 0 0 0 ffff" ]]; then
		printf '%d.%d.%d.%d\n' $((16#${g[6]} >> 8)) $((16#${g[6]} & 255)) \
			$((16#${g[7]} >> 8)) $((16#${g[7]} & 255))
		return
	fi
	for ((i = 0; i < 8; i++)); do
		if [[ ${g[i]} == 0 ]]; then
			((run == 0)) && rs=$i
			run=$((run + 1))
			((run > blen)) && blen=$run best=$rs
		else
			run=0
		fi
	done
	if ((blen < 2)); then
		(IFS=:; printf '%s\n' "${g[*]}")
		return
	fi
	left=$(IFS=:; printf '%s' "${g[*]:0:best}")
	right=$(IFS=:; printf '%s' "${g[*]:best + blen}")
	printf '%s::%s\n' "$left" "$right"
}
peer=$(norm "$SOCAT_PEERADDR")
EOF
			case $kind in
			bulk) cat <<'EOF'
read -r -t 5 seed n || exit 1
printf 'bulk %s %s %s %s\n' "$peer" "$SOCAT_PEERPORT" "$seed" "$n" >>"$1"
exec seq -f "$seed-%.0f" 1 "$n"
EOF
				;;
			slow) cat <<'EOF'
read -r -t 5 seed n || exit 1
printf 'slow %s %s %s %s\n' "$peer" "$SOCAT_PEERPORT" "$seed" "$n" >>"$1"
for ((i = 1; i <= n; i++)); do
	seq -f "$seed-$i-%.0f" 1 3000 || exit 1
	sleep 0.25
done
EOF
				;;
			sink) cat <<'EOF'
sum=$(sha256sum) || exit 1
printf 'sink %s %s %s\n' "$peer" "$SOCAT_PEERPORT" "${sum%% *}" >>"$1"
printf '%s\n' "${sum%% *}"
EOF
				;;
			udp) cat <<'EOF'
read -r -t 2 line || exit 1
printf 'udp %s %s %s\n' "$peer" "$SOCAT_PEERPORT" "$line" >>"$1"
printf 'pong %s\n' "$line"
EOF
				;;
			esac
		} >"$TB_DIR/svc-$kind" || return 1
		chmod +x "$TB_DIR/svc-$kind" || return 1
	done
}

start_services()
{
	local port

	PEERS_LOG=$TB_DIR/svc-peers.log
	: >"$PEERS_LOG"
	write_services || return 1
	# -t 30: the client half-closes after its request line, and socat's
	# default closes the rest 0.5 s after that EOF, which cut a body still
	# on its way on a busy machine.
	tb_spawn "$TB_NS_SVC" socat "$TB_DIR/socat-bulk.log" socat -t 30 \
		"TCP6-LISTEN:$BULK_PORT,ipv6only=0,fork,reuseaddr" \
		"EXEC:$TB_DIR/svc-bulk $PEERS_LOG"
	tb_spawn "$TB_NS_SVC" socat "$TB_DIR/socat-slow.log" socat \
		"TCP6-LISTEN:$SLOW_PORT,ipv6only=0,fork,reuseaddr" \
		"EXEC:$TB_DIR/svc-slow $PEERS_LOG"
	tb_spawn "$TB_NS_SVC" socat "$TB_DIR/socat-sink.log" socat -t 30 \
		"TCP6-LISTEN:$SINK_PORT,ipv6only=0,fork,reuseaddr" \
		"EXEC:$TB_DIR/svc-sink $PEERS_LOG"
	# UDP sockets bound to the service address: a wildcard one would answer
	# from the address of the outgoing interface, which no client expects.
	tb_spawn "$TB_NS_SVC" socat "$TB_DIR/socat-udp4.log" socat \
		"UDP4-RECVFROM:$UDP_PORT,bind=$TB_SERVICE4,fork,reuseaddr" \
		"EXEC:$TB_DIR/svc-udp $PEERS_LOG"
	tb_spawn "$TB_NS_SVC" socat "$TB_DIR/socat-udp6.log" socat \
		"UDP6-RECVFROM:$UDP_PORT,bind=[$TB_SERVICE6],fork,reuseaddr" \
		"EXEC:$TB_DIR/svc-udp $PEERS_LOG"
	tb_spawn "$TB_NS_INET" socat "$TB_DIR/socat-udp4-decoy.log" socat \
		"UDP4-RECVFROM:$CLOSED_PORT,bind=$TB_SERVICE4,fork,reuseaddr" \
		"SYSTEM:read -r l; echo decoy"
	tb_spawn "$TB_NS_INET" socat "$TB_DIR/socat-udp6-decoy.log" socat \
		"UDP6-RECVFROM:$CLOSED_PORT,bind=[$TB_SERVICE6],fork,reuseaddr" \
		"SYSTEM:read -r l; echo decoy"
	for port in "$BULK_PORT" "$SLOW_PORT" "$SINK_PORT"; do
		tb__wait_for 30 0.1 tb__listening "$TB_NS_SVC" "$port" || {
			tb_log "nothing listens on $port in $TB_NS_SVC"
			return 1
		}
	done
	tb__wait_for 30 0.1 eval \
		"[[ -n \$(ip netns exec $TB_NS_SVC ss -Hlun 'sport = :$UDP_PORT') ]]" || {
		tb_log "nothing listens on UDP $UDP_PORT in $TB_NS_SVC"
		return 1
	}
	tb__wait_for 30 0.1 eval \
		"[[ -n \$(ip netns exec $TB_NS_INET ss -Hlun 'sport = :$CLOSED_PORT') ]]" || {
		tb_log "nothing listens on UDP $CLOSED_PORT in $TB_NS_INET"
		return 1
	}
}

# peers_seen KIND SEED...: "ADDRESS PORT" of the requests of these seeds.
peers_seen()
{
	local kind=$1 s
	shift

	for s in "$@"; do
		awk -v k="$kind" -v s="$s" '$1 == k && $4 == s { print $2, $3 }' "$PEERS_LOG"
	done
}

# ---- what the clients do ---------------------------------------------------

# The socat address of the service over TCP or UDP, IPv4 or IPv6, from a
# fixed source port (both clients use the same one: masquerade must tell
# them apart by port).
svc_addr()
{
	local proto=$1 fam=$2 port=$3 sport=${4:-} a

	if [[ $fam == 4 ]]; then
		a="${proto}4:$TB_SERVICE4:$port"
	else
		a="${proto}6:[$TB_SERVICE6]:$port"
	fi
	[[ -n $sport ]] && a+=",sourceport=$sport,reuseaddr"
	printf '%s\n' "$a"
}

# Counters of ICMP errors a host received (per namespace, /proc/net/snmp*).
icmp_in()
{
	local ns=$1 what=$2

	case $what in
	unreach4) in_ns "$ns" awk '/^Icmp:/ { if (!h) { for (i = 1; i <= NF; i++)
			if ($i == "InDestUnreachs") c = i; h = 1 } else print $c }' /proc/net/snmp ;;
	ptb6) in_ns "$ns" awk '$1 == "Icmp6InPktTooBigs" { print $2 }' /proc/net/snmp6 ;;
	unreach6) in_ns "$ns" awk '$1 == "Icmp6InDestUnreachs" { print $2 }' /proc/net/snmp6 ;;
	esac
}

# WireGuard's view at the peer: bytes received from the gateway (wg), and
# packets handed to the peer's stack (its TUN device's rx). Growing bytes
# with no packets means WireGuard dropped what came: a source outside the
# gateway's AllowedIPs.
peer_wg_rx_bytes()
{
	tb_peer wg show "$TB_PEER_WG" transfer 2>/dev/null | awk '{ s += $2 } END { print s + 0 }'
}

peer_tun_rx_packets()
{
	tb_peer cat "/sys/class/net/$TB_PEER_WG/statistics/rx_packets" 2>/dev/null
}

svc_ip()
{
	if [[ $1 == 4 ]]; then
		printf '%s\n' "$TB_SERVICE4"
	else
		printf '%s\n' "$TB_SERVICE6"
	fi
}

url_of()
{
	if [[ $1 == 4 ]]; then
		printf 'http://%s:%s/\n' "$TB_SERVICE4" "$TB_SERVICE_PORT"
	else
		printf 'http://[%s]:%s/\n' "$TB_SERVICE6" "$TB_SERVICE_PORT"
	fi
}

# expect_dropped_at_peer NAME FAM: a client's HTTP request through the tunnel
# never gets an answer, and the peer's WireGuard received it but handed
# nothing to its stack.
expect_dropped_at_peer()
{
	local name=$1 fam=$2 b0 b1 p0 p1 got

	b0=$(peer_wg_rx_bytes)
	p0=$(peer_tun_rx_packets)
	got=$(tb_cli curl -sS --max-time 3 "$(url_of "$fam")" 2>&1)
	b1=$(peer_wg_rx_bytes)
	p1=$(peer_tun_rx_packets)
	if [[ $got == *"timed out"* ]] && ((b1 > b0 && p1 == p0)); then
		pass "$name"
		note "$name: the peer's WireGuard received $((b1 - b0)) bytes, its stack 0 packets"
	else
		fail "$name" "expected a timeout, the tunnel carrying the request (wg rx bytes" \
			"grow) and the peer's stack getting nothing (tun rx packets stay):" \
			"curl: $got" "peer wg rx bytes $b0 -> $b1, tun rx packets $p0 -> $p1"
	fi
}

# ---- flows ------------------------------------------------------------------

# flows_json: `bpfroute flows -j` into $OUT, checked to be JSON.
flows_json()
{
	br flows -j && jq -e . <<<"$OUT" >/dev/null 2>&1
}

# flow_sel CLIENT PROTO CLIENT_PORT REMOTE_PORT: the flows of the last
# flows -j ($OUT) of this client, protocol and ports (user/cmd_flows.c: an
# array of {proto, family, client, client_port, remote, remote_port,
# translated, translated_port, dev, state, ...}), one compact line each.
# An empty port matches any.
flow_sel()
{
	jq -c --arg c "$1" --arg p "$2" --arg cp "$3" --arg rp "$4" '.[]
		| select(.client == $c and .proto == $p)
		| select($cp == "" or .client_port == ($cp | tonumber))
		| select($rp == "" or .remote_port == ($rp | tonumber))' <<<"$OUT" 2>/dev/null
}

# flow_ok FLOW TRANSLATED: the flow (one line of flow_sel) goes to the
# service through the tunnel, translated to the tunnel address.
flow_ok()
{
	local remote=$TB_SERVICE4

	[[ $2 == *:* ]] && remote=$TB_SERVICE6
	# (jq 1.6 -e exits 0 on empty input.)
	[[ -n $1 ]] && jq -e --arg t "$2" --arg r "$remote" --arg d "$TB_GW_WG" --arg l "$TB_GW_LAN" \
		'.translated == $t and .remote == $r and .dev == $d and .lan_dev == $l' \
		<<<"$1" >/dev/null 2>&1
}

# slow_flows: the two long transfers' flows (client 1 IPv4, client 2 IPv6)
# in a fresh flows -j, one line each in SLOW_FLOW4 / SLOW_FLOW6.
slow_flows()
{
	flows_json || return 1
	SLOW_FLOW4=$(flow_sel 192.0.2.2 tcp "" "$SLOW_PORT")
	SLOW_FLOW6=$(flow_sel 2001:db8:1::3 tcp "" "$SLOW_PORT")
	flow_ok "$SLOW_FLOW4" "$GW_TUN4" && flow_ok "$SLOW_FLOW6" "$GW_TUN6"
}
SLOW_FLOW4=
SLOW_FLOW6=

# same_flow BEFORE AFTER: one established flow seen twice: same ports, still
# established, more replies.
same_flow()
{
	jq -e -n --argjson a "$1" --argjson b "$2" \
		'$a.translated_port == $b.translated_port and $a.client_port == $b.client_port
		 and $a.state == "established" and $b.state == "established"
		 and $b.packets_in > $a.packets_in' >/dev/null 2>&1
}

# ---- the testbed ------------------------------------------------------------

START=$SECONDS
testbed_ok=0
if tb_setup && tb_setup_vpn_peer && tb_setup_lan_switch && tb_setup_service_hop 1280; then
	write_job_runner && start_services && testbed_ok=1
fi
if ((!testbed_ok)); then
	fail nat_testbed "could not build the testbed (see the messages above)"
	exit 1
fi
pass nat_testbed
note "testbed $TB_SUFFIX: gateway $TB_NS_GW, tunnel $TB_GW_WG, clients $TB_NS_CLI" \
	"$TB_NS_CLI2, service host $TB_NS_SVC, pins in $TB_PIN"

GW_TUN4=100.64.0.1
GW_TUN6=2001:db8:100::1

# a. The VPN provider's peer: the gateway's AllowedIPs there are its tunnel
# addresses only, and the peer has no route to the LAN.
allowed=$(tb_peer wg show "$TB_PEER_WG" allowed-ips | awk '{ $1 = ""; print }' | xargs)
peer_lan=$(tb_peer ip route show 192.0.2.0/24; tb_peer ip -6 route show 2001:db8:1::/64)
check baseline_peer_allowedips_tunnel_only \
	[ "$allowed" == "$GW_TUN4/32 $GW_TUN6/128" -a -z "$peer_lan" ] -- \
	"expected AllowedIPs '$GW_TUN4/32 $GW_TUN6/128' and no LAN route on the peer," \
	"got '$allowed' and: $peer_lan"

# Before anything: the ordinary routes lead both clients to the decoy.
for c in 1 2; do
	ns=$TB_NS_CLI
	((c == 2)) && ns=$TB_NS_CLI2
	for fam in 4 6; do
		got=$(in_ns "$ns" curl -sS --max-time 3 "$(url_of "$fam")" 2>&1)
		check "baseline_cli${c}_curl${fam}_decoy" [ "$got" == decoy ] -- \
			"curl $(url_of "$fam") from client $c: expected 'decoy', got '$got'"
	done
done

# b. The meaningful negative, without bpfroute: routes into the tunnel by
# hand. The gateway's own traffic (source: its tunnel address) reaches the
# private service; the clients' (source: LAN addresses) reaches the peer and
# is dropped there.
tb_gw ip route add "$TB_PREFIX4" dev "$TB_GW_WG"
tb_gw ip -6 route add "$TB_PREFIX6" dev "$TB_GW_WG"
got=$(tb_gw curl -sS --max-time 3 "$(url_of 4)" 2>&1)
got6=$(tb_gw curl -sS --max-time 3 "$(url_of 6)" 2>&1)
check baseline_gateway_itself_reaches_private [ "$got" == private -a "$got6" == private ] -- \
	"curl from the gateway (source $GW_TUN4 / $GW_TUN6) over a route into the tunnel:" \
	"expected 'private' twice, got '$got' and '$got6'"
expect_dropped_at_peer baseline_manual_route_cli_dropped_at_peer4 4
expect_dropped_at_peer baseline_manual_route_cli_dropped_at_peer6 6
tb_gw ip route del "$TB_PREFIX4" dev "$TB_GW_WG"
tb_gw ip -6 route del "$TB_PREFIX6" dev "$TB_GW_WG"

ROUTING_BEFORE=$(snapshot_routing)

# ---- c. bpfroute without masquerade: steered, and dropped at the peer --------

CONF_PLAIN=$TB_DIR/bpfroute-plain.conf
CONF=$TB_DIR/bpfroute.conf
cat >"$CONF_PLAIN" <<EOF
# bpfroute e2e NAT test, without masquerade (generated)
interface $TB_GW_LAN
route $TB_PREFIX4 dev $TB_GW_WG
route $TB_PREFIX6 dev $TB_GW_WG
EOF
cat >"$CONF" <<EOF
# bpfroute e2e NAT test (generated)
interface $TB_GW_LAN
max-client-flows 200
route $TB_PREFIX4 dev $TB_GW_WG masquerade
route $TB_PREFIX6 dev $TB_GW_WG masquerade
EOF

if br_check nomasq_load load -c "$CONF_PLAIN"; then
	expect_dropped_at_peer nomasq_cli_dropped_at_peer4 4
	expect_dropped_at_peer nomasq_cli_dropped_at_peer6 6
	# Steered (not left to the routing table, which leads to the decoy).
	if br routes -j; then
		n=$(jq '[.. | objects | select(.packets? | type == "number" and . > 0)] | length' \
			<<<"$OUT" 2>/dev/null)
		check nomasq_was_steered [ "${n:-0}" -ge 2 ] -- \
			"expected both prefixes with packets > 0 in routes -j:" "$OUT"
	else
		fail nomasq_was_steered "bpfroute routes -j failed" "stderr: $ERR"
	fi
else
	skip_all "load failed" nomasq_cli_dropped_at_peer4 nomasq_cli_dropped_at_peer6 \
		nomasq_was_steered
fi
br_check nomasq_unload unload

# ---- d. masquerade ------------------------------------------------------------

br_check masq_load load -c "$CONF" ||
	note "without a loaded datapath the masquerade checks are bound to fail"
check masq_agent_running agent_start "$CONF" -- \
	"bpfroute run -c $CONF is not running" "$(agent_log)"
shown=$(tb_gw tc filter show dev "$TB_GW_WG" ingress 2>&1)
check masq_unnat_on_tunnel_ingress grep -q 'bpfroute_unnat' <<<"$shown" -- \
	"expected the bpfroute_unnat program on $TB_GW_WG ingress; tc filter show:" "$shown"
expect_same masq_routing_unchanged "the gateway's routes/rules" \
	"$ROUTING_BEFORE" "$(snapshot_routing)"

# HTTP from both clients, both families.
for c in 1 2; do
	ns=$TB_NS_CLI
	((c == 2)) && ns=$TB_NS_CLI2
	for fam in 4 6; do
		got=$(in_ns "$ns" curl -sS --max-time 5 "$(url_of "$fam")" 2>&1)
		check "masq_cli${c}_curl${fam}_private" [ "$got" == private ] -- \
			"curl $(url_of "$fam") from client $c: expected 'private', got '$got'"
	done
done

# TCP: both clients at once, from the same source port, a multi-megabyte
# body each, different for each client, compared byte for byte.
BULK_LINES=400000	# about 6 MB per transfer
for fam in 4 6; do
	outs=()
	seeds=()
	for c in 1 2; do
		ns=$TB_NS_CLI
		((c == 2)) && ns=$TB_NS_CLI2
		seed=c$c-tcp$fam-$RANDOM
		seeds+=("$seed")
		printf '%s %s\n' "$seed" "$BULK_LINES" >"$TB_DIR/req-$seed"
		job_start "$ns" "$TB_DIR/req-$seed" "$TB_DIR/got-$seed" \
			timeout 120 socat -t 120 - "$(svc_addr TCP "$fam" "$BULK_PORT" 40000)"
		outs+=("$TB_DIR/got-$seed")
	done
	t0=$SECONDS
	job_wait 130 "${outs[@]}"
	took=$((SECONDS - t0))
	for c in 1 2; do
		seed=${seeds[c - 1]}
		out=${outs[c - 1]}
		gen_bulk "$seed" "$BULK_LINES" >"$TB_DIR/want-$seed"
		size=$(stat -c %s "$TB_DIR/want-$seed")
		if [[ $(job_rc "$out") == 0 ]] && cmp -s "$TB_DIR/want-$seed" "$out"; then
			pass "masq_tcp${fam}_cli${c}_bulk_bytes_equal"
		else
			fail "masq_tcp${fam}_cli${c}_bulk_bytes_equal" \
				"client $c: expected $size bytes of '$seed-N' lines, socat exit" \
				"$(job_rc "$out"), got $(stat -c %s "$out" 2>/dev/null || echo 0) bytes;" \
				"cmp: $(cmp "$TB_DIR/want-$seed" "$out" 2>&1 | head -n 1)" \
				"stderr: $(head -c 300 "$out.err" 2>/dev/null)"
		fi
	done
	note "TCP/IPv$fam: 2 x $size bytes at once in ${took} s"
	# What the service saw: the gateway's tunnel address, two different ports
	# (the same client port 40000 remapped for one of them).
	want=$GW_TUN4
	[[ $fam == 6 ]] && want=$GW_TUN6
	seen=$(peers_seen bulk "${seeds[@]}")
	addrs=$(awk '{ print $1 }' <<<"$seen" | sort -u | xargs)
	ports=$(awk '{ print $2 }' <<<"$seen" | sort -u | wc -l)
	check "masq_tcp${fam}_service_sees_tunnel_address" [ "$addrs" == "$want" ] -- \
		"the service should see only $want as the peer, saw: $(xargs <<<"$seen")"
	check "masq_tcp${fam}_same_sport_two_ports" [ "$ports" -eq 2 ] -- \
		"two clients from port 40000: expected two different ports at the service," \
		"saw: $(xargs <<<"$seen")"
	note "TCP/IPv$fam: the service saw $(xargs <<<"$seen")"
done

# UDP: a request and its answer, both clients at once, from the same port.
for fam in 4 6; do
	outs=()
	seeds=()
	for c in 1 2; do
		ns=$TB_NS_CLI
		((c == 2)) && ns=$TB_NS_CLI2
		seed=c$c-udp$fam-$RANDOM
		seeds+=("$seed")
		printf '%s\n' "$seed" >"$TB_DIR/req-$seed"
		job_start "$ns" "$TB_DIR/req-$seed" "$TB_DIR/got-$seed" \
			timeout 10 socat -t 3 - "$(svc_addr UDP "$fam" "$UDP_PORT" 40001)"
		outs+=("$TB_DIR/got-$seed")
	done
	job_wait 15 "${outs[@]}"
	for c in 1 2; do
		seed=${seeds[c - 1]}
		got=$(cat "${outs[c - 1]}" 2>/dev/null)
		check "masq_udp${fam}_cli${c}_answer" [ "$got" == "pong $seed" ] -- \
			"client $c: expected 'pong $seed', got '$got' (socat exit" \
			"$(job_rc "${outs[c - 1]}"): $(head -c 300 "${outs[c - 1]}.err" 2>/dev/null))"
	done
	want=$GW_TUN4
	[[ $fam == 6 ]] && want=$GW_TUN6
	seen=$(peers_seen udp "${seeds[@]}")
	addrs=$(awk '{ print $1 }' <<<"$seen" | sort -u | xargs)
	ports=$(awk '{ print $2 }' <<<"$seen" | sort -u | wc -l)
	check "masq_udp${fam}_service_sees_tunnel_address" \
		[ "$addrs" == "$want" -a "$ports" -eq 2 ] -- \
		"expected two datagrams from $want, two different ports; saw: $(xargs <<<"$seen")"
done

# Ping: both clients at once, with the same echo identifier.
for fam in 4 6; do
	outs=()
	for c in 1 2; do
		ns=$TB_NS_CLI
		((c == 2)) && ns=$TB_NS_CLI2
		job_start "$ns" /dev/null "$TB_DIR/ping$fam-c$c" \
			timeout 15 ping "-$fam" -n -c 5 -i 0.2 -W 2 -e 4242 "$(svc_ip "$fam")"
		outs+=("$TB_DIR/ping$fam-c$c")
	done
	job_wait 20 "${outs[@]}"
	for c in 1 2; do
		out=$(cat "${outs[c - 1]}" 2>/dev/null)
		n=$(grep -c 'bytes from' <<<"$out")
		# 64 at the service, minus the peer's hop and the gateway's: 62;
		# the decoy's replies would arrive with 49.
		ttls=$(grep -o '\(ttl\|hlim\)=[0-9]*' <<<"$out" | sort -u | xargs)
		check "masq_ping${fam}_cli${c}_replies" \
			eval '((n == 5)) && [[ $ttls == "ttl=62" || $ttls == "ttl=63" ]]' -- \
			"ping -$fam -e 4242 from client $c: expected 5 replies from beyond the" \
			"tunnel (ttl 62, or 63 if the gateway does not count its hop; the" \
			"decoy's arrive with 49), got $n, $ttls:" "$out"
		note "ping IPv$fam client $c: $n replies, $ttls"
	done
done

# The flows of all that, in `bpfroute flows -j`: for each client and family
# a TCP flow (from port 40000), a UDP flow (40001) and an echo flow
# (identifier 4242), all translated to the tunnel address; the two clients'
# flows from the same port on different translated ports.
if flows_json; then
	for fam in 4 6; do
		xl=()
		for c in 1 2; do
			if [[ $fam == 4 ]]; then
				cli=192.0.2.$((c + 1)) tun=$GW_TUN4 icmp=icmp
			else
				cli=2001:db8:1::$((c + 1)) tun=$GW_TUN6 icmp=icmpv6
			fi
			bad=()
			for f in "tcp 40000 $BULK_PORT" "udp 40001 $UDP_PORT" "$icmp 4242 4242"; do
				read -r proto cp rp <<<"$f"
				fl=$(flow_sel "$cli" "$proto" "$cp" "$rp" | head -n 1)
				flow_ok "$fl" "$tun" || bad+=("$proto $cli:$cp -> $rp: '${fl:-none}'")
			done
			check "flows_json_cli${c}_v${fam}_tcp_udp_echo" [ ${#bad[@]} -eq 0 ] -- \
				"expected flows of $cli translated to $tun via $TB_GW_WG, from" \
				"$TB_GW_LAN:" "${bad[@]}"
			xl+=("$(flow_sel "$cli" tcp 40000 "$BULK_PORT" | jq -r .translated_port | head -n 1)")
		done
		check "flows_json_v${fam}_same_sport_two_translations" \
			[ -n "${xl[0]}" -a "${xl[0]}" != "${xl[1]}" ] -- \
			"both clients' TCP flows from port 40000: expected two different" \
			"translated ports, got '${xl[0]}' and '${xl[1]}'"
	done
	note "flows -j: $(jq length <<<"$OUT") flows; client 1's TCP/IPv4 flow:" \
		"$(flow_sel 192.0.2.2 tcp 40000 "$BULK_PORT" | head -n 1)"
else
	fail flows_json "bpfroute flows -j: exit or JSON bad" \
		"stdout: $(head -c 500 <<<"$OUT")" "stderr: $ERR"
fi

# ---- e. ICMP errors from beyond the tunnel, to the right client --------------

# Too big for the peer's link to the service (1328 / 1348 bytes > 1280), small
# enough for the tunnel (1420): the error comes from the peer, addressed to
# the gateway's tunnel address, quoting the translated packet.
for fam in 4 6; do
	if [[ $fam == 4 ]]; then
		what=unreach4 want='mtu = 1280'
	else
		what=ptb6 want='mtu=1280'
	fi
	a1=$(icmp_in "$TB_NS_CLI" "$what")
	a2=$(icmp_in "$TB_NS_CLI2" "$what")
	out=$(tb_cli timeout 10 ping "-$fam" -n -c 1 -W 3 -M "do" -s 1300 "$(svc_ip "$fam")" 2>&1)
	sleep 0.5
	b1=$(icmp_in "$TB_NS_CLI" "$what")
	b2=$(icmp_in "$TB_NS_CLI2" "$what")
	cache=$(tb_cli ip "-$fam" route get "$(svc_ip "$fam")" 2>&1)
	check "icmp${fam}_too_big_reaches_cli1" \
		eval '[[ $out == *"$want"* && $cache == *"mtu 1280"* ]] && ((b1 > a1))' -- \
		"ping -$fam -M do -s 1300 from client 1: expected '$want' in its output, its" \
		"route cache at mtu 1280 and its ICMP counter ($what) to grow;" \
		"ping: $out" "route get: $cache" "counter: $a1 -> $b1"
	check "icmp${fam}_too_big_not_cli2" [ "$a2" == "$b2" ] -- \
		"client 2 received ICMP errors ($what $a2 -> $b2) meant for client 1"
	note "client 1: $(grep -m 1 -i 'mtu' <<<"$out")"
done

# ICMP port unreachable from the service itself (UDP to a closed port): the
# client's socket gets "connection refused". The decoy answers on that port,
# so a datagram that missed the tunnel gets an answer instead.
for fam in 4 6; do
	out=$(printf 'x\n' | tb_cli timeout 10 socat -t 3 - "$(svc_addr UDP "$fam" "$CLOSED_PORT")" 2>&1)
	check "icmp${fam}_port_unreachable_reaches_cli1" grep -qi 'refused' <<<"$out" -- \
		"UDP to closed port $CLOSED_PORT from client 1: expected 'Connection refused'," \
		"got: $out"
done

# TCP through a path narrower than the MSS both ends announce: client 2 (no
# PMTU cached yet) uploads; the peer's "too big" errors must reach it for
# its segments to shrink to the path.
head -c 3000000 /dev/urandom >"$TB_DIR/upload.bin"
up_sum=$(sha256sum <"$TB_DIR/upload.bin")
up_sum=${up_sum%% *}
for fam in 4 6; do
	if [[ $fam == 4 ]]; then
		what=unreach4
	else
		what=ptb6
	fi
	a2=$(icmp_in "$TB_NS_CLI2" "$what")
	out=$TB_DIR/up$fam
	job_start "$TB_NS_CLI2" "$TB_DIR/upload.bin" "$out" \
		timeout 60 socat -t 60 - "$(svc_addr TCP "$fam" "$SINK_PORT")"
	t0=$SECONDS
	job_wait 70 "$out"
	took=$((SECONDS - t0))
	got=$(cat "$out" 2>/dev/null)
	check "pmtud_tcp${fam}_upload_cli2_bytes_equal" [ "$got" == "$up_sum" ] -- \
		"3000000 bytes uploaded by client 2: expected the service to hash them to" \
		"$up_sum, got '$got' (socat exit $(job_rc "$out"), after $took s):" \
		"$(head -c 300 "$out.err" 2>/dev/null)"
	b2=$(icmp_in "$TB_NS_CLI2" "$what")
	cache=$(tb_cli2 ip "-$fam" route get "$(svc_ip "$fam")" 2>&1)
	check "pmtud_tcp${fam}_cli2_learned_path_mtu" \
		eval '[[ $cache == *"mtu 1280"* ]] && ((b2 > a2))' -- \
		"expected client 2's route cache at mtu 1280 and its ICMP counter ($what) grown;" \
		"route get: $cache" "counter: $a2 -> $b2"
	note "TCP/IPv$fam upload with PMTU discovery: $took s"
done

if br status -j; then
	note "masquerade counters: $(jq -c '.counters | with_entries(select(.key |
		startswith("nat")))' <<<"$OUT" 2>/dev/null)"
fi

# ---- f. a flow survives the agent killed, restarted, and a reload ------------

SLOW_CHUNKS=48		# 0.25 s apart: 12 s, about 3 MB
outs=()
seeds=()
for c in 1 2; do
	ns=$TB_NS_CLI
	fam=4
	if ((c == 2)); then
		ns=$TB_NS_CLI2
		fam=6
	fi
	seed=c$c-slow$fam-$RANDOM
	seeds+=("$seed")
	printf '%s %s\n' "$seed" "$SLOW_CHUNKS" >"$TB_DIR/req-$seed"
	# ignoreeof: the client does not close its side after the request, so
	# the flow stays established (no FIN) until the service is done; socat
	# ends a second after the service closes.
	job_start "$ns" "$TB_DIR/req-$seed" "$TB_DIR/got-$seed" \
		timeout 90 socat -t 1 -,ignoreeof "$(svc_addr TCP "$fam" "$SLOW_PORT")"
	outs+=("$TB_DIR/got-$seed")
done
sleep 2
slow_flows
before4=$SLOW_FLOW4
before6=$SLOW_FLOW6
check survive_flows_listed \
	eval 'flow_ok "$before4" "$GW_TUN4" && flow_ok "$before6" "$GW_TUN6"' -- \
	"expected the running transfers (client 1 IPv4, client 2 IPv6, port $SLOW_PORT) in" \
	"flows -j, translated to the tunnel addresses; got:" "${before4:-none}" \
	"${before6:-none}" "stderr: $ERR"
note "client 1's flow before: ${before4:-none}"
check survive_agent_sigkill agent_stop KILL -- "no agent was running, or it did not die of" \
	"SIGKILL" "$(agent_log)"
check survive_agent_restarted agent_start "$CONF" -- "bpfroute run did not start again" \
	"$(agent_log)"
br_check survive_reload load -c "$CONF"
running=0
for o in "${outs[@]}"; do
	[[ -e $o.rc ]] || running=$((running + 1))
done
check survive_transfers_spanned_restart [ "$running" -eq 2 ] -- \
	"the transfers ended before the restart and reload were done: nothing was tested"
sleep 1
slow_flows
check survive_flows_kept eval 'same_flow "${before4:-null}" "${SLOW_FLOW4:-null}" &&
	same_flow "${before6:-null}" "${SLOW_FLOW6:-null}"' -- \
	"expected both transfers' flows in flows -j after the restart and reload, same" \
	"translated port, established, packets_in grown; before / after:" "${before4:-none}" \
	"${SLOW_FLOW4:-none}" "${before6:-none}" "${SLOW_FLOW6:-none}"
note "client 1's flow after: ${SLOW_FLOW4:-none}"
job_wait 90 "${outs[@]}"
for c in 1 2; do
	seed=${seeds[c - 1]}
	out=${outs[c - 1]}
	gen_slow "$seed" "$SLOW_CHUNKS" >"$TB_DIR/want-$seed"
	if [[ $(job_rc "$out") == 0 ]] && cmp -s "$TB_DIR/want-$seed" "$out"; then
		pass "survive_transfer_cli${c}_bytes_equal"
	else
		fail "survive_transfer_cli${c}_bytes_equal" \
			"client $c: expected $(stat -c %s "$TB_DIR/want-$seed") bytes, socat exit" \
			"$(job_rc "$out"), got $(stat -c %s "$out" 2>/dev/null || echo 0) bytes;" \
			"cmp: $(cmp "$TB_DIR/want-$seed" "$out" 2>&1 | head -n 1)" \
			"stderr: $(head -c 300 "$out.err" 2>/dev/null)"
	fi
done
seen=$(peers_seen slow "${seeds[@]}" | awk '{ print $1 }' | sort -u | xargs)
check survive_service_sees_tunnel_addresses [ "$seen" == "$GW_TUN4 $GW_TUN6" ] -- \
	"expected the service to see $GW_TUN4 and $GW_TUN6, saw: $seen"

expect_same masq_routing_unchanged_after "the gateway's routes/rules" \
	"$ROUTING_BEFORE" "$(snapshot_routing)"

# ---- f2. a SYN flood leaves the other clients' connections working ---------

# Client 1 floods the service's HTTP port with SYNs: forged sources from
# the internet side's 198.51.100.0/24 (enough of them to take every port
# towards that endpoint, were they masqueraded: 28232 of the gateway's own
# choice, and the clients' own), then its own address on many ports (past
# max-client-flows 200 of $CONF). Bounded in count and time. Meanwhile and
# afterwards client 2 fetches from that very endpoint.
FLOOD_N=80000		# forged, at 40000 a second: 2 s
FLOOD_OWN_N=2000	# from client 1's own address
counter()
{
	jq -r --arg k "$1" '.counters[$k] // 0' <<<"$OUT" 2>/dev/null
}
if br status -j; then
	bad0=$(counter nat_bad_source) cap0=$(counter nat_client_cap)
	noport0=$(counter nat_no_port)
else
	bad0=0 cap0=0 noport0=0
fi
job_start "$TB_NS_CLI" /dev/null "$TB_DIR/flood" \
	timeout 30 "$SYN_FLOOD" 198.51.100.0/24 "$TB_SERVICE4" "$TB_SERVICE_PORT" "$FLOOD_N" \
	40000 20
sleep 1
got=$(tb_cli2 curl -sS --max-time 10 "$(url_of 4)" 2>&1)
check flood_cli2_curl_during [ "$got" == private ] -- \
	"client 2, while client 1 floods $TB_SERVICE4:$TB_SERVICE_PORT with forged SYNs:" \
	"expected 'private', got '$got'"
job_wait 35 "$TB_DIR/flood"
check flood_forged_sent [ "$(job_rc "$TB_DIR/flood")" == 0 ] -- \
	"syn_flood (forged sources) exited $(job_rc "$TB_DIR/flood"):" \
	"$(cat "$TB_DIR/flood" "$TB_DIR/flood.err" 2>/dev/null | head -c 300)"
note "forged: $(cat "$TB_DIR/flood" 2>/dev/null)"
job_start "$TB_NS_CLI" /dev/null "$TB_DIR/flood-own" \
	timeout 30 "$SYN_FLOOD" 192.0.2.2/32 "$TB_SERVICE4" "$TB_SERVICE_PORT" "$FLOOD_OWN_N" \
	20000 20
job_wait 35 "$TB_DIR/flood-own"
note "own address: $(cat "$TB_DIR/flood-own" 2>/dev/null)"
got=$(tb_cli2 curl -sS --max-time 10 "$(url_of 4)" 2>&1)
check flood_cli2_curl_after [ "$got" == private ] -- \
	"client 2, after client 1's floods: expected 'private', got '$got'"
got=$(tb_cli2 curl -sS --max-time 10 "$(url_of 6)" 2>&1)
check flood_cli2_curl6_after [ "$got" == private ] -- \
	"client 2 over IPv6, after client 1's floods: expected 'private', got '$got'"

if br status -j; then
	bad=$(($(counter nat_bad_source) - bad0))
	cap=$(($(counter nat_client_cap) - cap0))
	noport=$(($(counter nat_no_port) - noport0))
	# Some forged SYNs may be lost on the way (veth backlog): most must be counted.
	check flood_forged_refused [ "$bad" -ge $((FLOOD_N / 2)) ] -- \
		"expected most of the $FLOOD_N forged SYNs counted as nat_bad_source, got $bad"
	check flood_cap_hit [ "$cap" -gt 0 -a "$noport" -eq 0 ] -- \
		"expected client 1's own flood capped (nat_client_cap > 0) and no port" \
		"shortage (nat_no_port 0); got nat_client_cap +$cap, nat_no_port +$noport"
	note "flood: nat_bad_source +$bad, nat_client_cap +$cap, nat_no_port +$noport"
else
	fail flood_counters "bpfroute status -j failed" "stderr: $ERR"
fi
if flows_json; then
	forged=$(jq '[.[] | select(.client | startswith("198.51.100."))] | length' <<<"$OUT")
	own=$(jq '[.[] | select(.client == "192.0.2.2")] | length' <<<"$OUT")
	# The flood's half-open flows (client 1's kernel resets them on the
	# SYN-ACK: closing, still timed as half-open): never established,
	# gone within 30 s.
	est=$(jq --argjson p "$TB_SERVICE_PORT" '[.[] | select(.client == "192.0.2.2" and
		.proto == "tcp" and .remote_port == $p and .state == "established")] | length' \
		<<<"$OUT")
	longest=$(jq --argjson p "$TB_SERVICE_PORT" '[.[] | select(.client == "192.0.2.2" and
		.proto == "tcp" and .remote_port == $p and .state == "new") | .expires_in]
		| max // 0' <<<"$OUT")
	check flood_flows_bounded eval '((forged == 0 && own <= 200 && est == 0 && longest <= 30))' -- \
		"expected no flow of a forged source (got $forged), at most 200 of client 1" \
		"(got $own), none of its SYN-only flows established (got $est) and the" \
		"half-open ones timing out within 30 s (the longest in $longest s)"
	note "flows after the flood: client 1 has $own, forged sources $forged"
else
	fail flood_flows_bounded "bpfroute flows -j: exit or JSON bad" "stderr: $ERR"
fi

# ---- f3. forged sources of the LAN's own subnet ------------------------------

# Free addresses of the LAN's /24 pass the reverse-path check, each with its
# own max-client-flows 200: 192 of them want 38400 flows, more than the
# 28232 ports towards the service. Client 1 floods from them until no port
# is left; then, with every port held by a half-open flow for up to 30 s,
# client 2 connects to that very endpoint: its flow takes the port of a
# flow never established (nat_early_drop), else it would get nat_no_port.
if br status -j; then
	early0=$(counter nat_early_drop)
else
	early0=0
fi
for src in 192.0.2.128/25:70000 192.0.2.64/26:50000; do
	job_start "$TB_NS_CLI" /dev/null "$TB_DIR/flood-lan" \
		timeout 30 "$SYN_FLOOD" "${src%%:*}" "$TB_SERVICE4" "$TB_SERVICE_PORT" \
		"${src##*:}" 40000 20
	job_wait 35 "$TB_DIR/flood-lan"
	note "from ${src%%:*}: $(cat "$TB_DIR/flood-lan" 2>/dev/null)"
done
sleep 1.5	# the flood's flows quiet for over BPFROUTE_FLOW_EARLY_DROP_NS
got=$(tb_cli2 curl -sS --max-time 10 "$(url_of 4)" 2>&1)
check flood_lan_cli2_curl [ "$got" == private ] -- \
	"client 2, with the ports towards $TB_SERVICE4:$TB_SERVICE_PORT held by half-open" \
	"flows of forged LAN sources: expected 'private', got '$got'"
early=-1 lan=-1
if br status -j; then
	early=$(($(counter nat_early_drop) - early0))
fi
if flows_json; then
	lan=$(jq --argjson p "$TB_SERVICE_PORT" '[.[] | select(.remote_port == $p and
		(.client | test("^192\\.0\\.2\\.(6[4-9]|[7-9][0-9]|1[0-9][0-9]|2[0-5][0-9])$")))]
		| length' <<<"$OUT")
fi
check flood_lan_early_drop [ "$early" -gt 0 -a "$lan" -ge 25000 ] -- \
	"expected the forged LAN sources to hold most of the 28232 ports (got $lan flows)" \
	"and client 2's flow to take one of theirs (nat_early_drop +$early)"
note "forged LAN sources hold $lan flows; nat_early_drop +$early"

# ---- g. unload leaves nothing ------------------------------------------------

check unload_agent_stops agent_stop TERM -- "no agent was running, or it did not stop on" \
	"SIGTERM" "$(agent_log)"
br_check unload unload
check unload_pin_dir_removed [ ! -e "$TB_PIN" ] -- "$TB_PIN still exists:" \
	"$(ls -la "$TB_PIN" 2>&1)"
for dev in "$TB_GW_LAN" "$TB_GW_WG"; do
	f=$(filters_on "$dev")
	check "unload_no_filter_$dev" [ -z "$f" ] -- "filters left on $dev:" "$f"
done
for c in 1 2; do
	ns=$TB_NS_CLI
	((c == 2)) && ns=$TB_NS_CLI2
	got=$(in_ns "$ns" curl -sS --max-time 3 "$(url_of 4)" 2>&1)
	check "unload_cli${c}_curl4_decoy" [ "$got" == decoy ] -- \
		"after unload, client $c: expected 'decoy', got '$got'"
done
expect_same unload_routing_unchanged "the gateway's routes/rules" \
	"$ROUTING_BEFORE" "$(snapshot_routing)"

note "$N_PASS passed, $N_FAIL failed, $N_SKIP skipped in $((SECONDS - START)) s"
((N_FAIL == 0))
