#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# End-to-end test of client groups (`clients NAME PREFIX...`, `route ...
# clients NAME`) on the namespace testbed (selftests/lib/testbed.sh) with its
# LAN switch: two clients, 192.0.2.2 and 192.0.2.3, of which only the first
# is in the group. The group's client reaches the private service through
# the tunnel; the other reaches the decoy at the same address, the ordinary
# way, counted as pass_not_client. A reload that moves the group swaps them.
#
# Prints one "PASS name", "FAIL name" or "SKIP name: why" line per check
# (selftests/run.sh counts them). Exits non-zero if any check failed.
#
#	sudo selftests/test_e2e_clients.sh		# after `make`

set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BPFROUTE=${BPFROUTE:-$HERE/../bpfroute}

# shellcheck source-path=SCRIPTDIR source=lib/checks.sh
. "$HERE/lib/checks.sh"

require_root_and_tools e2e_clients wireguard-go wg socat curl ip tc ping jq mountpoint
require_built e2e_clients BPFROUTE

# shellcheck source-path=SCRIPTDIR source=lib/testbed.sh
. "$HERE/lib/testbed.sh"
trap tb_teardown EXIT
trap 'exit 130' INT TERM HUP

url4="http://$TB_SERVICE4:$TB_SERVICE_PORT/"
url6="http://[$TB_SERVICE6]:$TB_SERVICE_PORT/"

# expect_answer NAME CLIENT(1|2) URL WANT: that client's request is answered by WANT.
expect_answer()
{
	local name=$1 c=$2 url=$3 want=$4 got

	if ((c == 1)); then
		got=$(tb_cli curl -sS --max-time 3 "$url" 2>&1)
	else
		got=$(tb_cli2 curl -sS --max-time 3 "$url" 2>&1)
	fi
	check "$name" [ "$got" == "$want" ] -- \
		"curl $url from client $c: expected '$want', got '$got'"
}

# A counter of `bpfroute status -j`, or empty.
counter()
{
	br status -j && jq -r --arg c "$1" '.counters[$c] // empty' <<<"$OUT" 2>/dev/null
}

# The packets of PREFIX in `bpfroute routes -j`, or empty.
route_field()
{
	br routes -j && jq -r --arg p "$1" --arg f "$2" \
		'[.[] | select(.prefix == $p) | .[$f]] | first // empty' <<<"$OUT" 2>/dev/null
}

START=$SECONDS
if ! tb_setup || ! tb_setup_lan_switch; then
	fail clients_testbed "could not build the testbed (see the messages above)"
	exit 1
fi
pass clients_testbed

# Before bpfroute: both clients reach the decoy.
for c in 1 2; do
	expect_answer "baseline_cli${c}_decoy4" "$c" "$url4" decoy
	expect_answer "baseline_cli${c}_decoy6" "$c" "$url6" decoy
done

conf=$TB_DIR/clients.conf
write_conf()
{
	cat >"$conf" <<-CONF
	# bpfroute client groups e2e test (generated)
	interface $TB_GW_LAN
	clients staff $1 $2
	route $TB_PREFIX4 dev $TB_GW_WG clients staff
	route $TB_PREFIX6 dev $TB_GW_WG clients staff
	CONF
}

write_conf 192.0.2.2 2001:db8:1::2
br check -c "$conf"
check check_counts_the_group [ "${OUT#*1 client group (for 2 routes)}" != "$OUT" ] -- \
	"bpfroute check: expected '1 client group (for 2 routes)' in: $OUT" "stderr: $ERR"
if ! br_check load_with_group load -c "$conf"; then
	note "$N_PASS passed, $N_FAIL failed, $N_SKIP skipped in $((SECONDS - START)) s"
	exit 1
fi

not_client0=$(counter pass_not_client)
expect_answer cli1_in_group_private4 1 "$url4" private
expect_answer cli1_in_group_private6 1 "$url6" private
expect_answer cli2_outside_group_decoy4 2 "$url4" decoy
expect_answer cli2_outside_group_decoy6 2 "$url6" decoy
not_client1=$(counter pass_not_client)
check cli2_counted_pass_not_client \
	[ -n "$not_client0" -a -n "$not_client1" ] -- "pass_not_client missing from status -j"
if [[ -n $not_client0 && -n $not_client1 ]]; then
	check cli2_packets_counted [ "$((not_client1 - not_client0))" -gt 0 ] -- \
		"pass_not_client: $not_client0 before client 2's requests, $not_client1 after"
fi
clients=$(route_field "$TB_PREFIX4" clients)
pkts=$(route_field "$TB_PREFIX4" packets)
check routes_show_group [ "$clients" == staff ] -- \
	"routes -j: expected clients 'staff' for $TB_PREFIX4, got '$clients'"
check routes_count_group_packets [ "${pkts:-0}" -gt 0 ] -- \
	"routes -j: expected packets > 0 for $TB_PREFIX4, got '$pkts'"

expect_jq why_from_member '.verdict == "prefix" and .clients == "staff"' \
	why "$TB_SERVICE4" from 192.0.2.2 -j
expect_jq why_from_other '.verdict == "not_client" and .steered == false' \
	why "$TB_SERVICE4" from 192.0.2.3 -j
expect_jq why_from_other6 '.verdict == "not_client"' why "$TB_SERVICE6" from 2001:db8:1::3 -j

# A reload moves the group to the second client: the two swap places.
write_conf 192.0.2.3 2001:db8:1::3
if br_check reload_moves_group load -c "$conf"; then
	expect_answer reload_cli1_decoy4 1 "$url4" decoy
	expect_answer reload_cli1_decoy6 1 "$url6" decoy
	expect_answer reload_cli2_private4 2 "$url4" private
	expect_answer reload_cli2_private6 2 "$url6" private
fi

br_check unload unload
note "$N_PASS passed, $N_FAIL failed, $N_SKIP skipped in $((SECONDS - START)) s"
((N_FAIL == 0))
