#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# End-to-end test of query recording under a flood (issue #10, item 2): on
# the namespace testbed with its LAN switch (selftests/lib/testbed.sh), the
# second client floods queries from spoofed sources of the LAN's /24, more
# than the whole query table holds, while the first client's query waits for
# a slow resolver (SLOW_DELAY seconds away). Its answer must still be learned
# and its connection steered into the tunnel ("private", not "decoy").
#
# Prints one "PASS name", "FAIL name" or "SKIP name: why" line per check.
#
#	sudo selftests/test_e2e_query_flood.sh		# after `make`
#	FLOOD_N=80000 (queries, bounded by FLOOD_S seconds), SLOW_DELAY=4

set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BPFROUTE=${BPFROUTE:-$HERE/../bpfroute}
FLOOD_N=${FLOOD_N:-80000}
FLOOD_S=${FLOOD_S:-30}
SLOW_DELAY=${SLOW_DELAY:-4}
SLOW4=198.51.100.3	# the slow resolver, on the internet host
SINK4=198.51.100.4	# where the flood's queries go: nobody
NAME=victim.corp.example.com
START=$SECONDS

# shellcheck source-path=SCRIPTDIR source=lib/checks.sh
. "$HERE/lib/checks.sh"

require_root_and_tools e2e_query_flood wireguard-go wg socat curl ip tc jq dig dnsmasq timeout \
	python3
require_built e2e_query_flood BPFROUTE

# shellcheck source-path=SCRIPTDIR source=lib/testbed.sh
. "$HERE/lib/testbed.sh"
trap tb_teardown EXIT
trap 'exit 130' INT TERM HUP

testbed_ok=0
if tb_setup && tb_setup_lan_switch && tb_setup_dns &&
   tb__addr "$TB_NS_INET" eth0 "$SLOW4/25"; then
	tb_spawn "$TB_NS_INET" python3 "$TB_DIR/slow_dns.log" \
		python3 "$HERE/lib/slow_dns.py" "$SLOW4" "$TB_DNS4" "$SLOW_DELAY" &&
		tb__wait_for 50 0.1 ip netns exec "$TB_NS_INET" \
			dig +short +time="$((SLOW_DELAY + 2))" +tries=1 @"$SLOW4" app.example.org A &&
		testbed_ok=1
fi
if ((!testbed_ok)); then
	fail query_flood_testbed "could not build the testbed (see the messages above)"
	exit 1
fi
pass query_flood_testbed

CONF=$TB_DIR/bpfroute.conf
cat >"$CONF" <<CONF
# bpfroute e2e query flood test (generated)
interface $TB_GW_LAN
route *.corp.example.com dev $TB_GW_WG
CONF
if ! br_check query_flood_load load -c "$CONF"; then
	exit 1
fi

# Before: the name goes the ordinary way.
got=$(tb_cli curl -sS --max-time 5 "http://$TB_SERVICE4:$TB_SERVICE_PORT/" 2>&1)
check query_flood_baseline_decoy [ "$got" = decoy ] -- "curl before learning: got '$got'"

# The victim asks the slow resolver; the answer is SLOW_DELAY seconds away.
gw_mac=$(tb_gw cat "/sys/class/net/$TB_GW_LAN/address")
tb_cli timeout "$((SLOW_DELAY + 10))" dig +short +time="$((SLOW_DELAY + 5))" +tries=1 \
	@"$SLOW4" "$NAME" A >"$TB_DIR/victim.out" 2>&1 &
victim=$!
sleep 0.3
# The flood: every other address of the /24 but the victim's (192.0.2.2),
# more queries than bpfroute_query holds, bounded in count and time.
sent=$(tb_cli2 timeout "$((FLOOD_S + 5))" python3 "$HERE/lib/dns_flood.py" eth0 "$gw_mac" \
	"$SINK4" 3 254 "$FLOOD_N" "$FLOOD_S" 2>&1)
wait "$victim"
answer=$(<"$TB_DIR/victim.out")
check query_flood_victim_answered [ "$answer" = "$TB_SERVICE4" ] -- \
	"dig @$SLOW4 $NAME: '$answer'"
check query_flood_sent [ "${sent:-0}" -ge 65536 ] -- \
	"the flood sent '$sent' queries, fewer than the table holds: nothing proven"
if [[ $answer != "$TB_SERVICE4" ]]; then
	note "the flood ended before the answer came? sent $sent; slow resolver log:" \
		"$(tail -n 5 "$TB_DIR/slow_dns.log")"
fi

# The answer was learned and the connection goes into the tunnel.
br status -j
queries=$(jq -r '.counters.dns_query // empty' <<<"$OUT" 2>/dev/null)
note "flood: $sent queries sent, dns_query $queries," \
	"dns_query_evicted $(jq -r '.counters.dns_query_evicted // "-"' <<<"$OUT" 2>/dev/null)"
br routes -j
learned=$(jq -r --arg p "$TB_SERVICE4/32" '[.[] | select(.prefix == $p)] | length' \
	<<<"$OUT" 2>/dev/null)
check query_flood_victim_learned [ "${learned:-0}" = 1 ] -- \
	"$TB_SERVICE4/32 not among the learned routes after the flood" "$OUT"
got=$(tb_cli curl -sS --max-time 5 "http://$TB_SERVICE4:$TB_SERVICE_PORT/" 2>&1)
check query_flood_victim_steered [ "$got" = private ] -- "curl after the flood: got '$got'"

br_check query_flood_unload unload
note "$N_PASS passed, $N_FAIL failed, $N_SKIP skipped in $((SECONDS - START)) s"
((N_FAIL == 0))
