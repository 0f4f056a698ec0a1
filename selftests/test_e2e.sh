#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# End-to-end test of bpfroute on a namespace testbed (selftests/lib/testbed.sh):
# a client behind a gateway, an internet host with a decoy service, and a
# WireGuard peer with the private service at the very same address. Whatever
# answers the client's curl shows where the gateway sent the packets.
#
# Prints one "PASS name", "FAIL name" or "SKIP name: why" line per check
# (selftests/run.sh counts them); details of a failure follow on "#" lines.
# Exits non-zero if any check failed.
#
#	sudo selftests/test_e2e.sh			# after `make`
#	sudo BPFROUTE=/path/to/bpfroute selftests/test_e2e.sh
#	TB_VERBOSE=1 ... shows every testbed command

set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BPFROUTE=${BPFROUTE:-$HERE/../bpfroute}

# shellcheck source-path=SCRIPTDIR source=lib/checks.sh
. "$HERE/lib/checks.sh"

# ---- preconditions: skip the whole test, not fail it ----------------------

require_root_and_tools e2e wireguard-go wg socat curl ip tc ping ss jq mountpoint bpftool
require_built e2e BPFROUTE

# shellcheck source-path=SCRIPTDIR source=lib/testbed.sh
. "$HERE/lib/testbed.sh"
trap tb_teardown EXIT
# So that the EXIT trap (teardown) also runs when we are interrupted.
trap 'exit 130' INT TERM HUP

# ---- helpers --------------------------------------------------------------

url4="http://$TB_SERVICE4:$TB_SERVICE_PORT/"
url6="http://[$TB_SERVICE6]:$TB_SERVICE_PORT/"

# expect_curl NAME URL WANT: the client's HTTP request is answered by WANT.
expect_curl()
{
	local name=$1 url=$2 want=$3 got

	got=$(tb_cli curl -sS --max-time 3 "$url" 2>&1)
	if [[ $got == "$want" ]]; then
		pass "$name"
	else
		fail "$name" "curl $url: expected body '$want', got '$got'"
	fi
}

# expect_ping NAME ADDR TTL: 3 echo replies, all with this TTL / hop limit
# (63: the peer's 64 forwarded once by the gateway; 49: the decoy's 50).
expect_ping()
{
	local name=$1 addr=$2 want=$3 fam=-4 out n ttls

	[[ $addr == *:* ]] && fam=-6
	out=$(tb_cli ping "$fam" -n -c 3 -i 0.2 -W 2 "$addr" 2>&1)
	n=$(grep -c 'ttl=' <<<"$out")
	ttls=$(grep -o 'ttl=[0-9]*' <<<"$out" | sort -u | tr '\n' ' ')
	if ((n == 3)) && [[ $ttls == "ttl=$want " ]]; then
		pass "$name"
	else
		fail "$name" "ping $addr: expected 3 replies with ttl=$want, got $n: $ttls" "$out"
	fi
}

# The packet counter of PREFIX in `bpfroute routes -j` (in $OUT), whatever
# the document's shape: the object that holds the prefix as one of its values.
route_packets()
{
	jq -r --arg p "$1" \
		'[.. | objects | select(to_entries | any(.value == $p)) | .packets]
		 | map(select(. != null)) | first // empty' <<<"$OUT" 2>/dev/null
}

# expect_counters NAME: both prefixes listed with packets > 0. Leaves the
# counters in PKTS4 / PKTS6.
PKTS4=
PKTS6=
expect_counters()
{
	local name=$1

	if ! br routes -j; then
		fail "$name" "bpfroute routes -j exited non-zero" "stderr: $ERR"
		return 1
	fi
	PKTS4=$(route_packets "$TB_PREFIX4")
	PKTS6=$(route_packets "$TB_PREFIX6")
	if [[ $PKTS4 =~ ^[0-9]+$ && $PKTS6 =~ ^[0-9]+$ ]] && ((PKTS4 > 0 && PKTS6 > 0)); then
		pass "$name"
		return 0
	fi
	fail "$name" "expected packets > 0 for $TB_PREFIX4 and $TB_PREFIX6," \
		"got '$PKTS4' and '$PKTS6' from routes -j:" "$OUT"
	return 1
}

# The ABI's names and numbers come from its one definition, the header (map
# names must fit the kernel's 15 characters, so they are not spelled here).
ABI_H=$HERE/../include/bpfroute_abi.h

# abi_define REGEX DEFAULT: the value of the first #define whose name matches.
abi_define()
{
	local v

	v=$(sed -n "s/^#define[[:space:]]\{1,\}$1[[:space:]]\{1,\}\([A-Za-z0-9_]\{1,\}\).*/\1/p" \
		"$ABI_H" 2>/dev/null | head -n 1)
	printf '%s\n' "${v:-$2}"
}

MAP_ROUTE4=$(abi_define 'BPFROUTE_MAP_ROUTES\{0,1\}4' bpfroute_routes4)
MAP_ROUTE6=$(abi_define 'BPFROUTE_MAP_ROUTES\{0,1\}6' bpfroute_routes6)
mapfile -t ALL_MAPS < <(sed -n \
	's/^#define[[:space:]]\{1,\}BPFROUTE_MAP_[A-Z0-9_]*[[:space:]]\{1,\}\([a-z0-9_]\{1,\}\).*/\1/p' \
	"$ABI_H" 2>/dev/null)
((${#ALL_MAPS[@]})) || ALL_MAPS=(bpfroute_routes4 bpfroute_routes6 bpfroute_nosteer4
				bpfroute_nosteer6 bpfroute_stats)
TC_HANDLE=$(abi_define BPFROUTE_TC_HANDLE 0xb9f0)
BPF_PREF=$(($(abi_define BPFROUTE_TC_PRIORITY 0xb9f0)))	# as tc prints it: decimal
our_filter()
{
	tb_gw tc filter show dev "$TB_GW_LAN" ingress pref "$BPF_PREF" 2>/dev/null
}

FOREIGN_PREF=1
foreign_filter()
{
	tb_gw tc filter show dev "$TB_GW_LAN" ingress pref "$FOREIGN_PREF" 2>&1
}

# expect_foreign NAME: the foreign filter is exactly as it was added.
HAVE_FOREIGN=0
FOREIGN_BEFORE=
expect_foreign()
{
	local name=$1

	if ((!HAVE_FOREIGN)); then
		skip "$name" "no foreign filter could be added"
		return
	fi
	expect_same "$name" "the foreign filter (pref $FOREIGN_PREF)" \
		"$FOREIGN_BEFORE" "$(foreign_filter)"
}

# expect_our_filter NAME COUNT: COUNT bpf filters at our priority on the LAN.
expect_our_filter()
{
	local name=$1 want=$2 shown n

	shown=$(our_filter)
	# One line per filter carries its handle (the first names only the prio).
	n=$(grep -c "handle $TC_HANDLE " <<<"$shown")
	if ((n == want)) && { ((want == 0)) || grep -q ' bpf ' <<<"$shown"; }; then
		pass "$name"
	else
		fail "$name" "expected $want bpf filter(s) with handle $TC_HANDLE pref $BPF_PREF," \
			"tc filter show dev $TB_GW_LAN ingress:" "$(tb_gw tc filter show dev "$TB_GW_LAN" ingress)"
	fi
}

# ---- the testbed ------------------------------------------------------------

START=$SECONDS
if ! tb_setup; then
	fail e2e_testbed "could not build the testbed (see the messages above)"
	exit 1
fi
pass e2e_testbed
note "testbed $TB_SUFFIX: gateway $TB_NS_GW, tunnel $TB_GW_WG, pins in $TB_PIN"

# Nothing but bpfroute can put 203.0.113.0/24 into the tunnel.
route_get=$(tb_gw ip route get "$TB_SERVICE4" 2>&1; tb_gw ip -6 route get "$TB_SERVICE6" 2>&1)
if grep -q "dev $TB_GW_WAN" <<<"$route_get" && ! grep -q "$TB_GW_WG" <<<"$route_get"; then
	pass baseline_routes_lead_to_wan
else
	fail baseline_routes_lead_to_wan "expected the service via $TB_GW_WAN:" "$route_get"
fi

# a. Before loading, the ordinary routes reach the decoy.
expect_curl baseline_curl4_decoy "$url4" decoy
expect_curl baseline_curl6_decoy "$url6" decoy
expect_ping baseline_ping4_ttl49 "$TB_SERVICE4" 49

# b. The routing state bpfroute must leave alone.
ROUTING_BEFORE=$(snapshot_routing)

# c. Someone else's filter on the same hook. It sees all IPv4 packets and
# matches none of ours: a filter that matches (say matchall with "action
# pass") would end classification with TC_ACT_OK before bpfroute's program
# runs. This kernel has cls_u32 but neither cls_matchall nor act_gact, so u32
# first; the others are for kernels that have them.
tb_gw tc qdisc add dev "$TB_GW_LAN" clsact 2>/dev/null
for f in "u32 match ip dst 192.0.2.254/32" \
	 "flower dst_ip 192.0.2.254" \
	 "matchall action continue"; do
	# shellcheck disable=SC2086  # $f is a list of tc words
	if tb_gw tc filter add dev "$TB_GW_LAN" ingress prio "$FOREIGN_PREF" protocol ip \
	   $f 2>/dev/null; then
		HAVE_FOREIGN=1
		break
	fi
done
if ((HAVE_FOREIGN)); then
	FOREIGN_BEFORE=$(foreign_filter)
	pass foreign_filter_added
	note "foreign filter: $f"
else
	skip foreign_filter_added "none of u32, flower, matchall+gact in this kernel"
fi

# d. Load.
CONF=$TB_DIR/bpfroute.conf
cat >"$CONF" <<EOF
# bpfroute e2e test (generated)
interface $TB_GW_LAN
route $TB_PREFIX4 dev $TB_GW_WG
route $TB_PREFIX6 dev $TB_GW_WG
EOF

if br_check load load -c "$CONF"; then
	LOADED=1
else
	LOADED=0
fi

if ((LOADED)); then
	missing=()
	for m in "${ALL_MAPS[@]}"; do
		[[ -e $TB_PIN/$m ]] || missing+=("$m")
	done
	if ((${#missing[@]} == 0)); then
		pass load_maps_pinned
	else
		fail load_maps_pinned "not pinned in $TB_PIN: ${missing[*]}" "$(ls -la "$TB_PIN" 2>&1)"
	fi
	expect_our_filter load_filter_attached 1
	expect_foreign load_foreign_filter_kept
	expect_same load_routing_unchanged "the gateway's routes/rules" \
		"$ROUTING_BEFORE" "$(snapshot_routing)"
	if br status -j && jq -e . <<<"$OUT" >/dev/null 2>&1; then
		pass status_json
	else
		fail status_json "bpfroute status -j: exit or JSON bad" "stdout: $OUT" "stderr: $ERR"
	fi

	# e. Steered: into the tunnel, to the private service.
	expect_ping steer_ping4_ttl63 "$TB_SERVICE4" 63
	expect_ping steer_ping6_hlim63 "$TB_SERVICE6" 63
	expect_curl steer_curl4_private "$url4" private
	expect_curl steer_curl6_private "$url6" private
	expect_counters steer_route_counters

	if ! command -v bpftool >/dev/null 2>&1; then
		skip bpftool_dump_routes4 "no bpftool"
		skip bpftool_dump_routes6 "no bpftool"
	else
		# Keys carry BTF, so bpftool prints them formatted:
		# {"prefixlen": 24, "addr": [203, 0, 113, 0]}.
		dump=$(tb_gw bpftool -j map dump pinned "$TB_PIN/$MAP_ROUTE4" 2>&1)
		if jq -e '[.[] | .formatted.key | select(.prefixlen == 24
			   and .addr == [203, 0, 113, 0])] | length == 1' \
			<<<"$dump" >/dev/null 2>&1; then
			pass bpftool_dump_routes4
		else
			fail bpftool_dump_routes4 \
				"expected a key {prefixlen 24, addr [203,0,113,0]} in:" "$dump"
		fi
		dump=$(tb_gw bpftool -j map dump pinned "$TB_PIN/$MAP_ROUTE6" 2>&1)
		if jq -e '[.[] | .formatted.key | select(.prefixlen == 64
			   and .addr == [32, 1, 13, 184, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])]
			   | length == 1' <<<"$dump" >/dev/null 2>&1; then
			pass bpftool_dump_routes6
		else
			fail bpftool_dump_routes6 \
				"expected a key {prefixlen 64, addr [32,1,13,184,0,3,0...]} in:" "$dump"
		fi
	fi

	# f. Reload: the same filter replaced in place, entries and counters kept.
	before4=${PKTS4:-0}
	before6=${PKTS6:-0}
	br_check reload load -c "$CONF"
	if br routes -j; then
		after4=$(route_packets "$TB_PREFIX4")
		after6=$(route_packets "$TB_PREFIX6")
		if [[ $after4 =~ ^[0-9]+$ && $after6 =~ ^[0-9]+$ ]] &&
		   ((after4 >= before4 && after6 >= before6 && after4 > 0 && after6 > 0)); then
			pass reload_counters_kept
		else
			fail reload_counters_kept \
				"packets before reload $before4/$before6, after '$after4'/'$after6':" "$OUT"
		fi
	else
		fail reload_counters_kept "bpfroute routes -j failed" "stderr: $ERR"
	fi
	expect_our_filter reload_single_filter 1
	expect_foreign reload_foreign_filter_kept
	expect_curl reload_curl4_private "$url4" private
	expect_curl reload_curl6_private "$url6" private

	# g. Deleting a route hands its traffic back to the routing table.
	br_check route_del4 route del "$TB_PREFIX4"
	br_check route_del6 route del "$TB_PREFIX6"
	expect_curl del_curl4_decoy "$url4" decoy
	expect_curl del_curl6_decoy "$url6" decoy
	expect_ping del_ping4_ttl49 "$TB_SERVICE4" 49
	br_check route_add4 route add "$TB_PREFIX4" dev "$TB_GW_WG"
	br_check route_add6 route add "$TB_PREFIX6" dev "$TB_GW_WG"
	expect_curl add_curl4_private "$url4" private
	expect_curl add_curl6_private "$url6" private
	expect_same routes_edit_routing_unchanged "the gateway's routes/rules" \
		"$ROUTING_BEFORE" "$(snapshot_routing)"
else
	skip_all "load failed" load_maps_pinned load_filter_attached load_foreign_filter_kept \
		load_routing_unchanged status_json steer_ping4_ttl63 steer_ping6_hlim63 \
		steer_curl4_private steer_curl6_private steer_route_counters \
		bpftool_dump_routes4 bpftool_dump_routes6 reload reload_counters_kept \
		reload_single_filter reload_foreign_filter_kept reload_curl4_private \
		reload_curl6_private route_del4 route_del6 del_curl4_decoy del_curl6_decoy \
		del_ping4_ttl49 route_add4 route_add6 add_curl4_private add_curl6_private \
		routes_edit_routing_unchanged
fi

# i. Unload (also after a failed load: it must clean up whatever is there).
br_check unload unload
expect_our_filter unload_filter_removed 0
expect_foreign unload_foreign_filter_kept
if [[ ! -e $TB_PIN ]]; then
	pass unload_pin_dir_removed
else
	fail unload_pin_dir_removed "$TB_PIN still exists:" "$(ls -la "$TB_PIN" 2>&1)"
fi
expect_curl unload_curl4_decoy "$url4" decoy
expect_curl unload_curl6_decoy "$url6" decoy
expect_ping unload_ping4_ttl49 "$TB_SERVICE4" 49

# h. After all that, the routing state is what it was before.
expect_same unload_routing_unchanged "the gateway's routes/rules" \
	"$ROUTING_BEFORE" "$(snapshot_routing)"

# j. Bad input is refused before anything in the kernel is touched.
# expect_bad_config NAME LINE TEXT: a config whose line LINE is wrong.
expect_bad_config()
{
	local name=$1 line=$2 conf=$TB_DIR/$1.conf nlines rc

	printf '%s\n' "$3" >"$conf"
	br load -c "$conf"
	rc=$?
	nlines=$(grep -c . <<<"$ERR")
	if ((rc != 0)) && ((nlines == 1)) && [[ $ERR == *"$conf:$line:"* ]]; then
		pass "$name"
	else
		fail "$name" "expected exit != 0 and one stderr line with '$conf:$line:'," \
			"got exit $rc and $nlines line(s):" "$ERR"
	fi
	if [[ ! -e $TB_PIN && -z $(our_filter) ]]; then
		pass "${name}_kernel_untouched"
	else
		fail "${name}_kernel_untouched" "a failed load left state behind:" \
			"$(ls -la "$TB_PIN" 2>&1)" "$(tb_gw tc filter show dev "$TB_GW_LAN" ingress)"
	fi
}

expect_bad_config badconf_unknown_dev 3 "# line 3 names a device that does not exist
interface $TB_GW_LAN
route $TB_PREFIX4 dev nosuch0"
expect_bad_config badconf_bad_prefix 2 "interface $TB_GW_LAN
route 203.0.113.0/33 dev $TB_GW_WG"
expect_foreign badconf_foreign_filter_kept

# k. A target with many peers under thousands of routes: each device's
# endpoints are excluded once, not once per route naming it.
MAP_EXCL4=$(abi_define BPFROUTE_MAP_EXCL4 bpfroute_excl4)
EXCL_ENDPOINT=$(sed -n 's/^[[:space:]]*BPFROUTE_EXCL_ENDPOINT = \([0-9]*\).*/\1/p' "$ABI_H")
extra_peers=()
for i in $(seq 161 190); do
	key=$(wg genkey | wg pubkey) || break
	extra_peers+=("$key")
	tb_gw wg set "$TB_GW_WG" peer "$key" endpoint "198.51.100.$i:51820" || break
done
conf=$TB_DIR/many_routes.conf
{
	echo "interface $TB_GW_LAN"
	echo "route $TB_PREFIX4 dev $TB_GW_WG"
	for i in $(seq 0 3999); do
		printf 'route 2001:db8:%x:%x::/64 dev %s\n' $((0x100 + i / 256)) $((i % 256)) "$TB_GW_WG"
	done
} >"$conf"
if br load -c "$conf"; then
	pass many_peers_many_routes_load
else
	fail many_peers_many_routes_load "load of 4001 routes to a 31-peer device:" "$ERR"
fi
n_endpoints=$(tb_gw bpftool -j map dump pinned "$TB_PIN/$MAP_EXCL4" 2>/dev/null |
	jq "[.[] | select(.formatted.value.reason == $EXCL_ENDPOINT)] | length" 2>/dev/null)
if [[ ${#extra_peers[@]} == 30 && $n_endpoints == 31 ]]; then
	pass many_peers_endpoints_excluded
else
	fail many_peers_endpoints_excluded "expected 31 endpoint exclusions (30 extra peers added:" \
		"${#extra_peers[@]}), got '$n_endpoints'"
fi
if br route add 2001:db8:1ff::/48 dev "$TB_GW_WG"; then
	pass many_peers_route_add
else
	fail many_peers_route_add "route add with 4001 routes to a 31-peer device:" "$ERR"
fi
br unload
for key in "${extra_peers[@]}"; do
	tb_gw wg set "$TB_GW_WG" peer "$key" remove
done

note "$N_PASS passed, $N_FAIL failed, $N_SKIP skipped in $((SECONDS - START)) s"
((N_FAIL == 0))
