#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# A 100,000-name list through a real resolver: the namespace testbed
# (selftests/lib/testbed.sh) with dnsmasq on the internet host, a route-list
# of 100,000 names in `domains` format (each the name and every name below
# it: 200,000 domain rules, max-rules sized to the config), and a client
# that resolves and connects. A few names of the list and one below a listed
# name are learned and answered by the WireGuard peer ("private"); names
# outside the list are not learned and reach the decoy. A reload of the list
# without one learned name drops that name's entry and keeps the others.
#
# Prints one "PASS name", "FAIL name" or "SKIP name: why" line per check
# (selftests/run.sh counts them). Exits non-zero if any check failed.
#
#	sudo selftests/test_e2e_biglist.sh		# after `make tests`
#	BIGLIST_N=100000 (names in the list)

set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BPFROUTE=${BPFROUTE:-$HERE/../bpfroute}
BIGLIST_N=${BIGLIST_N:-100000}

# shellcheck source-path=SCRIPTDIR source=lib/checks.sh
. "$HERE/lib/checks.sh"

require_root_and_tools e2e_biglist wireguard-go wg curl ip tc jq dig dnsmasq mountpoint timeout awk
require_built e2e_biglist BPFROUTE

# shellcheck source-path=SCRIPTDIR source=lib/testbed.sh
. "$HERE/lib/testbed.sh"
trap tb_teardown EXIT
trap 'exit 130' INT TERM HUP

# The listed names resolved here, each to its own address of the test range;
# and names outside the list, to addresses of their own.
LISTED=(n7.biglist.example n4242.biglist.example "n$((BIGLIST_N - 1)).biglist.example")
BELOW=www.n99.biglist.example	# below a listed name: `domains` covers it
OUTSIDE=(other.example.org "n$BIGLIST_N.biglist.example" biglist.example)
declare -A ADDR=(
	[n7.biglist.example]=203.0.113.61
	[n4242.biglist.example]=203.0.113.62
	["n$((BIGLIST_N - 1)).biglist.example"]=203.0.113.63
	[$BELOW]=203.0.113.64
	[other.example.org]=203.0.113.71
	["n$BIGLIST_N.biglist.example"]=203.0.113.72
	[biglist.example]=203.0.113.73
)

zone()
{
	local n

	for n in "${!ADDR[@]}"; do
		printf 'host-record=%s,%s\n' "$n" "${ADDR[$n]}"
	done
}

# resolve_and_fetch NAME: the client resolves NAME through the gateway and
# connects to the address; prints the body that answered.
resolve_and_fetch()
{
	local a

	a=$(tb_cli dig +time=2 +tries=2 +short "$1" A 2>&1 | tail -n 1)
	[[ $a == "${ADDR[$1]}" ]] || { echo "dig $1: '$a', expected ${ADDR[$1]}"; return; }
	tb_cli curl -sS --max-time 5 "http://$a:$TB_SERVICE_PORT/" 2>&1
}

# jq_true JQ-ARGS...: the last bpfroute output ($OUT) passes the jq test.
jq_true()
{
	jq -e "$@" <<<"$OUT" >/dev/null 2>&1
}

# learned ADDRESS: routes -j lists ADDRESS/32 as a learned entry ($OUT refreshed).
learned()
{
	br routes -j &&
		jq -e --arg p "$1/32" 'any(.[]; .prefix == $p and .name != null)' <<<"$OUT" \
			>/dev/null 2>&1
}

START=$SECONDS
if ! { tb_setup && tb_setup_ranges && zone >"$TB_DIR/zone-biglist.conf" &&
       tb_setup_dns "$TB_DIR/zone-biglist.conf"; }; then
	fail e2e_biglist_testbed "could not build the testbed (see the messages above)"
	exit 1
fi
pass e2e_biglist_testbed

LIST=$TB_DIR/biglist.txt
awk -v n="$BIGLIST_N" 'BEGIN { print "# generated"; for (i = 0; i < n; i++) printf "n%d.biglist.example\n", i }' \
	>"$LIST"
CONF=$TB_DIR/bpfroute.conf
cat >"$CONF" <<EOF
# bpfroute e2e big list test (generated)
interface $TB_GW_LAN
resolver $TB_DNS4
route-list $LIST dev $TB_GW_WG format domains
EOF

# a. check: two rules a name, max-rules sized to them.
if br check -j -c "$CONF"; then
	check biglist_check_rules jq_true --argjson n "$BIGLIST_N" \
		'.domain_rules == 2 * $n and .max_rules >= 2 * $n' -- \
		"check -j: expected $((2 * BIGLIST_N)) rules and room for them: $(head -c 400 <<<"$OUT")"
else
	fail biglist_check "check -c $CONF exited non-zero: $ERR"
fi

# b. load, timed.
t0=$(date +%s%N)
br_check biglist_load load -c "$CONF" || exit 1
note "load of $((2 * BIGLIST_N)) rules: $((($(date +%s%N) - t0) / 1000000)) ms"
expect_jq biglist_rules_loaded ".maps.rules.entries == $((2 * BIGLIST_N))" status -j

# c. Listed names, and one below a listed name: learned, through the tunnel.
for n in "${LISTED[@]}" "$BELOW"; do
	got=$(resolve_and_fetch "$n")
	check "biglist_steered_$n" [ "$got" == private ] -- \
		"$n: expected the peer's answer 'private', got '$got'"
	check "biglist_learned_$n" learned "${ADDR[$n]}" -- \
		"${ADDR[$n]} ($n) not learned: $(head -c 600 <<<"$OUT")"
done

# d. Names outside the list: not learned, the decoy answers.
for n in "${OUTSIDE[@]}"; do
	got=$(resolve_and_fetch "$n")
	check "biglist_not_steered_$n" [ "$got" == decoy ] -- \
		"$n: expected the decoy's answer, got '$got'"
	check "biglist_not_learned_$n" eval '! learned "${ADDR[$n]}"' -- \
		"${ADDR[$n]} ($n) learned, though outside the list"
done

# e. A reload without n7: its entry goes, the other listed names' stay.
sed -i '/^n7\.biglist\.example$/d' "$LIST"
br_check biglist_reload load -c "$CONF"
check biglist_reload_dropped eval '! learned 203.0.113.61' -- \
	"203.0.113.61 (n7, no longer listed) still learned"
for n in "${LISTED[@]:1}" "$BELOW"; do
	check "biglist_reload_kept_$n" learned "${ADDR[$n]}" -- \
		"${ADDR[$n]} ($n, still listed) gone after the reload"
done
got=$(tb_cli curl -sS --max-time 5 "http://203.0.113.62:$TB_SERVICE_PORT/" 2>&1)
check biglist_reload_still_steered [ "$got" == private ] -- \
	"203.0.113.62 after the reload: expected 'private', got '$got'"

br unload
note "$N_PASS passed, $N_FAIL failed, $N_SKIP skipped in $((SECONDS - START)) s"
((N_FAIL == 0))
