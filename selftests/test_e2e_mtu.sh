#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# End-to-end test of the target's MTU (bpf/mtu.h) on the namespace testbed
# (selftests/lib/testbed.sh): a LAN of MTU 1500, a WireGuard tunnel of MTU
# 1420, and bpfroute steering the service's prefixes into the tunnel.
#
#   client eth0 (1500) -- lan0 gateway wgg (1420) ====== wgp (1420) peer
#                                  ul0 ------------------ eth0  (underlay)
#
# - TCP uploads and downloads of a few MB, IPv4 and IPv6, through the
#   steered path: tcpdump on the tunnel shows no packet above 1420 bytes,
#   full-sized ones of exactly 1420, and every SYN with its MSS clamped
#   (1380 for IPv4, 1360 for IPv6) where the client sent 1460 / 1440; the
#   underlay carries no fragment.
# - `ping -M do -s 1450` from the client: fragmentation needed / packet too
#   big with MTU 1420, from the gateway's LAN address.
# - The counters say so (mss_clamped, too_big_icmp).
# - IPv4 without DF above the MTU is steered whole: the tunnel gets it, and
#   the encrypted datagram is fragmented on the underlay (too_big_no_df).
# - With masquerade, and a peer whose side of the tunnel has MTU 1500: its
#   SYN-ACKs (MSS 1460 / 1440) reach the client clamped, and uploads and
#   downloads still leave nothing above 1420 on the tunnel.
#
# Prints one "PASS name", "FAIL name" or "SKIP name: why" line per check;
# details of a failure follow on "#" lines. Exits non-zero if any failed.
#
#	sudo selftests/test_e2e_mtu.sh			# after `make tests`
#	TB_VERBOSE=1 ... shows every testbed command

set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BPFROUTE=${BPFROUTE:-$HERE/../bpfroute}

# shellcheck source-path=SCRIPTDIR source=lib/checks.sh
. "$HERE/lib/checks.sh"

require_root_and_tools e2e_mtu wireguard-go wg socat ip ping tcpdump ethtool jq timeout head wc
require_built e2e_mtu BPFROUTE

# shellcheck source-path=SCRIPTDIR source=lib/testbed.sh
. "$HERE/lib/testbed.sh"
trap tb_teardown EXIT
trap 'exit 130' INT TERM HUP

TUN_MTU=1420
BYTES=4000000
SINK_PORT=9000		# upload: the peer reads and discards
SOURCE_PORT=9001	# download: the peer sends BYTES zeros

# capture NAME DEV: tcpdump on a gateway device into $TB_DIR/NAME.pcap, until
# capture_stop NAME. Headers only: the lengths are in the headers.
declare -A CAPTURE_PID
capture()
{
	local name=$1 dev=$2 i

	tb_spawn "$TB_NS_GW" tcpdump "$TB_DIR/$name.log" \
		tcpdump -i "$dev" -nn -U --immediate-mode -s 128 -w "$TB_DIR/$name.pcap"
	CAPTURE_PID[$name]=$TB_SPAWNED
	for ((i = 0; i < 50; i++)); do
		grep -q "listening on" "$TB_DIR/$name.log" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# capture_stop NAME: tcpdump writes out what it has and exits.
capture_stop()
{
	local pid=${CAPTURE_PID[$1]} i

	kill -INT "$pid" 2>/dev/null
	for ((i = 0; i < 50; i++)); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	return 1
}

# packets NAME FILTER: the packets of a capture that FILTER matches, one a line.
packets()
{
	tcpdump -r "$TB_DIR/$1.pcap" -nn "${@:2}" 2>/dev/null
}

# ---- the testbed --------------------------------------------------------------

if ! tb_setup; then
	fail mtu_testbed "could not build the testbed (see the messages above)"
	exit 1
fi
# Both ends of the tunnel at WireGuard's default, said explicitly. The
# gateway's tunnel without segmentation offloads, so that tcpdump on it sees
# the packets that go into it rather than trains of them.
tb_gw ip link set "$TB_GW_WG" mtu "$TUN_MTU" &&
	tb_peer ip link set "$TB_PEER_WG" mtu "$TUN_MTU" &&
	{ tb_gw ethtool -K "$TB_GW_WG" tso off gso off >/dev/null 2>&1 || true; } &&
	tb_spawn "$TB_NS_PEER" socat "$TB_DIR/sink.log" socat -u \
		"TCP6-LISTEN:$SINK_PORT,ipv6only=0,fork,reuseaddr" OPEN:/dev/null &&
	tb_spawn "$TB_NS_PEER" socat "$TB_DIR/source.log" socat -U \
		"TCP6-LISTEN:$SOURCE_PORT,ipv6only=0,fork,reuseaddr" \
		"SYSTEM:head -c $BYTES /dev/zero" &&
	tb__wait_for 30 0.1 tb__listening "$TB_NS_PEER" "$SINK_PORT" &&
	tb__wait_for 30 0.1 tb__listening "$TB_NS_PEER" "$SOURCE_PORT"
check mtu_testbed [ $? -eq 0 ] -- "tunnel MTU or the bulk services on the peer"
lan_mtu=$(tb_gw cat "/sys/class/net/$TB_GW_LAN/mtu")
wg_mtu=$(tb_gw cat "/sys/class/net/$TB_GW_WG/mtu")
check mtu_lan_1500_tunnel_1420 [ "$lan_mtu" = 1500 -a "$wg_mtu" = "$TUN_MTU" ] -- \
	"expected LAN 1500 and tunnel $TUN_MTU, got $lan_mtu and $wg_mtu"

CONF=$TB_DIR/bpfroute.conf
cat >"$CONF" <<EOF
# bpfroute e2e MTU test (generated)
interface $TB_GW_LAN
route $TB_PREFIX4 dev $TB_GW_WG
route $TB_PREFIX6 dev $TB_GW_WG
EOF
br_check mtu_load load -c "$CONF" ||
	note "without a loaded datapath the checks below are bound to fail"

# ---- bulk transfers through the tunnel, captured ------------------------------

capture wg "$TB_GW_WG" && capture lan "$TB_GW_LAN" && capture ul "$TB_GW_UL"
check mtu_captures_started [ $? -eq 0 ] -- "tcpdump on $TB_GW_WG, $TB_GW_LAN, $TB_GW_UL"

for fam in 4 6; do
	addr=$TB_SERVICE4
	((fam == 6)) && addr="[$TB_SERVICE6]"
	tb_cli timeout 60 bash -c "head -c $BYTES /dev/zero | socat -u - TCP:$addr:$SINK_PORT"
	check "mtu_upload$fam" [ $? -eq 0 ] -- "$BYTES bytes to $addr:$SINK_PORT"
	got=$(tb_cli timeout 60 socat -u "TCP:$addr:$SOURCE_PORT" - | wc -c)
	check "mtu_download$fam" [ "$got" = "$BYTES" ] -- \
		"from $addr:$SOURCE_PORT: expected $BYTES bytes, got $got"
done
sleep 0.5	# the last packets through tcpdump's ring
for c in wg lan ul; do
	capture_stop "$c"
done

# tcpdump's `greater N` is a length of at least N: on the tunnel (no link
# header) the IP packet's.
big=$(packets wg "greater $((TUN_MTU + 1))" | wc -l)
check mtu_tunnel_none_above_mtu [ "$big" -eq 0 ] -- \
	"$big packets above $TUN_MTU bytes on $TB_GW_WG:" "$(packets wg "greater $((TUN_MTU + 1))" |
	head -5)"
full=$(packets wg "greater $TUN_MTU" | wc -l)
all=$(packets wg | wc -l)
check mtu_tunnel_full_sized [ "$full" -gt 100 ] -- \
	"expected segments of exactly $TUN_MTU bytes on $TB_GW_WG, $full of $all packets"
note "tunnel: $all packets captured, $full of $TUN_MTU bytes, none larger"

# Every SYN of the client: MSS as the client sent it on the LAN, clamped on the tunnel.
syn_mss()
{
	packets "$1" "tcp and dst port ($SINK_PORT or $SOURCE_PORT) and $2" |
		grep 'Flags \[S\],' | sed -n 's/.*mss \([0-9]*\).*/\1/p' | sort | uniq -c | xargs
}
lan4=$(syn_mss lan ip)
lan6=$(syn_mss lan ip6)
wg4=$(syn_mss wg ip)
wg6=$(syn_mss wg ip6)
check mtu_syn_mss_lan [ "$lan4" = "2 1460" -a "$lan6" = "2 1440" ] -- \
	"SYNs on $TB_GW_LAN (count, MSS): IPv4 '$lan4' (expected '2 1460'), IPv6 '$lan6'" \
	"(expected '2 1440')"
check mtu_syn_mss_clamped_tunnel [ "$wg4" = "2 $((TUN_MTU - 40))" -a \
	"$wg6" = "2 $((TUN_MTU - 60))" ] -- \
	"SYNs on $TB_GW_WG (count, MSS): IPv4 '$wg4' (expected '2 $((TUN_MTU - 40))'), IPv6" \
	"'$wg6' (expected '2 $((TUN_MTU - 60))')"
note "SYN MSS on $TB_GW_LAN: IPv4 $lan4, IPv6 $lan6; on $TB_GW_WG: IPv4 $wg4, IPv6 $wg6" \
	"(count, MSS)"

frags=$(packets ul '(ip[6:2] & 0x3fff) != 0 or (ip6 and ip6[6] == 44)' | wc -l)
ulmax=$(packets ul -v | sed -n 's/.*length \([0-9]*\)).*/\1/p' | sort -n | tail -1)
check mtu_underlay_no_fragments [ "$frags" -eq 0 ] -- \
	"$frags fragments on the underlay $TB_GW_UL"
note "underlay: largest outer IPv4 packet ${ulmax:-?} bytes, $frags fragments"

expect_jq mtu_counters_clamped \
	'.counters.mss_clamped >= 4 and .counters.too_big_icmp == 0' status -j

# ---- too big with DF: the gateway answers ---------------------------------------

out4=$(tb_cli ping -n -c 1 -W 2 -M do -s 1450 "$TB_SERVICE4" 2>&1)
check mtu_ping4_frag_needed \
	grep -q "From 192.0.2.1 .*Frag needed and DF set (mtu = $TUN_MTU)" <<<"$out4" -- \
	"ping -M do -s 1450 $TB_SERVICE4: expected 'Frag needed ... (mtu = $TUN_MTU)' from" \
	"192.0.2.1, got:" "$out4"
out6=$(tb_cli ping -6 -n -c 1 -W 2 -M do -s 1450 "$TB_SERVICE6" 2>&1)
check mtu_ping6_packet_too_big \
	grep -q "From 2001:db8:1::1 .*Packet too big: mtu=$TUN_MTU" <<<"$out6" -- \
	"ping -6 -M do -s 1450 $TB_SERVICE6: expected 'Packet too big: mtu=$TUN_MTU' from" \
	"2001:db8:1::1, got:" "$out6"
# The client took the MTU: the next ping fits, and comes back from the peer.
out4=$(tb_cli ping -n -c 1 -W 2 -M do -s $((TUN_MTU - 28)) "$TB_SERVICE4" 2>&1)
check mtu_ping4_fits [ $? -eq 0 ] -- "ping -M do -s $((TUN_MTU - 28)) $TB_SERVICE4:" "$out4"
expect_jq mtu_counters_too_big '.counters.too_big_icmp == 2' status -j

# ---- too big without DF: steered whole -------------------------------------------

# Not fragmented by bpfroute (a redirect is not a route: nothing on the way
# into the tunnel fragments it); wireguard-go takes the whole packet and the
# gateway's stack fragments the encrypted datagram on the underlay. Checked
# so that a change of that behaviour is noticed.
# The client forgets the MTU the errors above taught it: it would fragment
# the ping itself.
tb_cli ip route flush cache
capture wg_nodf "$TB_GW_WG" && capture ul_nodf "$TB_GW_UL"
out4=$(tb_cli ping -n -c 1 -W 2 -M dont -s 1450 "$TB_SERVICE4" 2>&1)
rc=$?
sleep 0.5
capture_stop wg_nodf
capture_stop ul_nodf
whole=$(packets wg_nodf "icmp and greater 1478" | wc -l)
frags=$(packets ul_nodf '(ip[6:2] & 0x3fff) != 0' | wc -l)
check mtu_no_df_steered_whole [ "$rc" -eq 0 -a "$whole" -ge 1 -a "$frags" -ge 2 ] -- \
	"ping -M dont -s 1450: exit $rc (expected 0, an answer), $whole packets of 1478 bytes" \
	"on $TB_GW_WG (expected 1 or more), $frags fragments on $TB_GW_UL (expected 2 or more)" \
	"$out4"
note "1478 bytes without DF: $whole whole on $TB_GW_WG, $frags outer fragments on" \
	"$TB_GW_UL; underlay packets (count, IP flags, length):" \
	"$(packets ul_nodf -v | sed -n 's/.*flags \[\([^]]*\)\].*length \([0-9]*\)).*/\1 \2/p' |
	sort | uniq -c | xargs)"
expect_jq mtu_counters_no_df '.counters.too_big_no_df >= 1' status -j

br_check mtu_unload unload

# ---- masquerade: the SYN-ACKs coming back are clamped too -----------------------

# The peer as a VPN provider's (it knows the gateway's tunnel address only)
# with a tunnel MTU of 1500 on its side: it announces MSS 1460 / 1440 in its
# SYN-ACKs, which the translator lowers to fit the gateway's 1420, so that
# the client's uploads fit too.
CONF_MASQ=$TB_DIR/bpfroute-masq.conf
cat >"$CONF_MASQ" <<EOF
# bpfroute e2e MTU test, masquerade (generated)
interface $TB_GW_LAN
route $TB_PREFIX4 dev $TB_GW_WG masquerade
route $TB_PREFIX6 dev $TB_GW_WG masquerade
EOF
tb_setup_vpn_peer && tb_peer ip link set "$TB_PEER_WG" mtu 1500
check mtu_masq_peer [ $? -eq 0 ] -- "the peer as a VPN provider's, its tunnel MTU 1500"
br_check mtu_masq_load load -c "$CONF_MASQ" ||
	note "without a loaded datapath the checks below are bound to fail"
capture wg_masq "$TB_GW_WG" && capture lan_masq "$TB_GW_LAN"
for fam in 4 6; do
	addr=$TB_SERVICE4
	((fam == 6)) && addr="[$TB_SERVICE6]"
	tb_cli timeout 60 bash -c "head -c $BYTES /dev/zero | socat -u - TCP:$addr:$SINK_PORT"
	check "mtu_masq_upload$fam" [ $? -eq 0 ] -- "$BYTES bytes to $addr:$SINK_PORT"
	got=$(tb_cli timeout 60 socat -u "TCP:$addr:$SOURCE_PORT" - | wc -c)
	check "mtu_masq_download$fam" [ "$got" = "$BYTES" ] -- \
		"from $addr:$SOURCE_PORT: expected $BYTES bytes, got $got"
done
sleep 0.5
capture_stop wg_masq
capture_stop lan_masq

# synack_mss NAME FILTER: count and MSS of the peer's SYN-ACKs in a capture.
synack_mss()
{
	packets "$1" "tcp and src port ($SINK_PORT or $SOURCE_PORT) and $2" |
		grep 'Flags \[S\.\],' | sed -n 's/.*mss \([0-9]*\).*/\1/p' | sort | uniq -c | xargs
}
wg4=$(synack_mss wg_masq ip)
wg6=$(synack_mss wg_masq ip6)
lan4=$(synack_mss lan_masq ip)
lan6=$(synack_mss lan_masq ip6)
check mtu_masq_synack_clamped [ "$wg4" = "2 1460" -a "$wg6" = "2 1440" -a \
	"$lan4" = "2 $((TUN_MTU - 40))" -a "$lan6" = "2 $((TUN_MTU - 60))" ] -- \
	"SYN-ACKs (count, MSS): from the tunnel IPv4 '$wg4' IPv6 '$wg6' (expected '2 1460'," \
	"'2 1440'), to the client IPv4 '$lan4' IPv6 '$lan6' (expected" \
	"'2 $((TUN_MTU - 40))', '2 $((TUN_MTU - 60))')"
note "masquerade: SYN-ACK MSS from the tunnel IPv4 $wg4, IPv6 $wg6; to the client" \
	"IPv4 $lan4, IPv6 $lan6 (count, MSS)"
big=$(packets wg_masq "greater $((TUN_MTU + 1))" | wc -l)
check mtu_masq_tunnel_none_above_mtu [ "$big" -eq 0 ] -- \
	"$big packets above $TUN_MTU bytes on $TB_GW_WG"
# The four SYN-ACKs at least: the client's SYNs may already fit (over IPv6 it
# still knows the MTU from the packet too big above).
expect_jq mtu_masq_counters '.counters.mss_clamped >= 4 and .counters.too_big_icmp == 0' \
	status -j
br_check mtu_masq_unload unload
