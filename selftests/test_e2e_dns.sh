#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# End-to-end test of learning routes from DNS answers, on the namespace
# testbed (selftests/lib/testbed.sh) with a real resolver (dnsmasq on the
# internet host), two WireGuard peers that answer "private" and "private2",
# and a decoy that answers "decoy" at the very same addresses. The client
# resolves names as any program does (dig, curl, getaddrinfo) and whatever
# answers its connection shows where the gateway sent it.
#
# Prints one "PASS name", "FAIL name" or "SKIP name: why" line per check
# (selftests/run.sh counts them); details of a failure follow on "#" lines.
# Exits non-zero if any check failed.
#
#	sudo selftests/test_e2e_dns.sh			# after `make tests`
#	sudo BPFROUTE=... RACE_CLIENT=... selftests/test_e2e_dns.sh
#	RACE_N=1000 (names of the race test), TB_VERBOSE=1 (testbed commands)

set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BPFROUTE=${BPFROUTE:-$HERE/../bpfroute}
RACE_CLIENT=${RACE_CLIENT:-$HERE/../.output/race_client}
RACE_N=${RACE_N:-1000}

# shellcheck source-path=SCRIPTDIR source=lib/checks.sh
. "$HERE/lib/checks.sh"

# ---- preconditions: skip the whole test, not fail it ----------------------

require_root_and_tools e2e_dns wireguard-go wg socat curl ip tc ss jq dig dnsmasq mountpoint timeout cmp
require_built e2e_dns BPFROUTE RACE_CLIENT

# shellcheck source-path=SCRIPTDIR source=lib/testbed.sh
. "$HERE/lib/testbed.sh"
trap tb_teardown EXIT
# So that the EXIT trap (teardown) also runs when we are interrupted.
trap 'exit 130' INT TERM HUP

# ---- helpers --------------------------------------------------------------

# client_dig ARGS...: dig from the client, bounded; its output on stdout.
client_dig()
{
	tb_cli dig +time=2 +tries=2 "$@" 2>&1
}

# expect_curl NAME URL WANT [CURL-ARGS...]: the client's HTTP request (by
# name or address) is answered by WANT.
expect_curl()
{
	local name=$1 url=$2 want=$3 got
	shift 3

	got=$(tb_cli curl -sS --max-time 5 "$@" "$url" 2>&1)
	if [[ $got == "$want" ]]; then
		pass "$name"
	else
		fail "$name" "curl $* $url: expected body '$want', got '$got'"
	fi
}

# routes_json: `bpfroute routes -j` into $OUT; non-zero if it failed.
routes_json()
{
	br routes -j && jq -e 'type == "array"' <<<"$OUT" >/dev/null 2>&1
}

# route_obj PREFIX: the entry of the last routes -j ($OUT) whose prefix is
# PREFIX, as one line of JSON; nothing if there is none.
route_obj()
{
	jq -c --arg p "$1" 'map(select(.prefix == $p)) | first // empty' <<<"$OUT" 2>/dev/null
}

# is_learned PREFIX: routes -j lists PREFIX. Not polled: the kernel installs
# the route before the client has the answer.
is_learned()
{
	routes_json && [[ -n $(route_obj "$1") ]]
}

# expect_learned NAME PREFIX DEV QNAME [RULE]: routes -j lists PREFIX as an
# entry to DEV, learned from a question for QNAME (under RULE, default
# *.corp.example.com), with its time to live. (That its origin reads
# "learned" is checked once, by learn_origin_shown.)
expect_learned()
{
	local name=$1 pfx=$2 dev=$3 qname=$4 rule=${5:-*.corp.example.com} obj

	if ! is_learned "$pfx"; then
		fail "$name" "expected $pfx in routes -j (exit status or JSON bad, or no entry):" \
			"stderr: $ERR" "$(head -c 3000 <<<"$OUT")"
		return 1
	fi
	obj=$(route_obj "$pfx")
	if jq -e --arg d "$dev" --arg q "$qname" --arg r "$rule" '
		.dev == $d and .name == $q and .rule == $r and
		(.expires_in | type == "number")' <<<"$obj" >/dev/null 2>&1; then
		pass "$name"
		return 0
	fi
	fail "$name" "expected $pfx dev $dev name $qname rule $rule, expires_in a number;" \
		"got: $obj"
	return 1
}

# expect_not_learned NAME PREFIX
expect_not_learned()
{
	local name=$1 pfx=$2

	if ! routes_json; then
		fail "$name" "bpfroute routes -j failed" "stderr: $ERR"
	elif [[ -n $(route_obj "$pfx") ]]; then
		fail "$name" "$pfx should not be learned, routes -j has: $(route_obj "$pfx")"
	else
		pass "$name"
	fi
}

# count_learned JQ-TEST: entries of routes -j ($OUT, refreshed) whose prefix
# passes the jq test (applied to the prefix string).
count_learned()
{
	routes_json || { echo -1; return; }
	jq "[.[] | select(.name != null) | .prefix | select($1)] | length" \
		<<<"$OUT" 2>/dev/null || echo -1
}

# counter NAME: a counter of `bpfroute status -j`, or -1.
counter()
{
	local v

	br status -j || { echo -1; return; }
	v=$(jq -r --arg c "$1" '.counters[$c] // empty' <<<"$OUT" 2>/dev/null)
	printf '%s\n' "${v:--1}"
}

# table4_id: the id of the IPv4 learned table, key 0 (the table's role) of
# bpfroute_host4 as bpftool prints it: the inner map's id, little-endian bytes.
table4_id()
{
	local hex

	hex=$(tb_gw bpftool -j map dump pinned "$TB_PIN/$MAP_HOST4" 2>/dev/null |
		jq -r '.[] | select(.key == ["0x00","0x00","0x00","0x00"]) |
			.value | reverse | map(.[2:]) | join("")' 2>/dev/null)
	[[ $hex =~ ^[0-9a-f]{8}$ ]] && echo $((16#$hex))
}

# bpftool_has_host4 A B C D: the raw table holds the learned IPv4 address in
# a live slot (state 2 in its low bits), once.
bpftool_has_host4()
{
	local id dump

	id=$(table4_id) || return 1
	dump=$(tb_gw bpftool -j map dump id "$id" 2>/dev/null)
	jq -e --argjson a "[$1, $2, $3, $4]" \
		'[.[] | .formatted.value | select(.addr[0:4] == $a and .state % 4 == 2)] |
		 length == 1' <<<"$dump" >/dev/null 2>&1
}

# The ABI's names come from its one definition, the header.
ABI_H=$HERE/../include/bpfroute_abi.h
abi_define()
{
	local v

	v=$(sed -n "s/^#define[[:space:]]\{1,\}$1[[:space:]]\{1,\}\([A-Za-z0-9_]\{1,\}\).*/\1/p" \
		"$ABI_H" 2>/dev/null | head -n 1)
	printf '%s\n' "${v:-$2}"
}
MAP_HOST4=$(abi_define BPFROUTE_MAP_HOST4 bpfroute_host4)
TC_HANDLE=$(abi_define BPFROUTE_TC_HANDLE 0xb9f0)

# our_filters: the bpf filters with our handle on the LAN's ingress and egress.
our_filters()
{
	local dir

	for dir in ingress egress; do
		tb_gw tc filter show dev "$TB_GW_LAN" "$dir" 2>/dev/null |
			grep "handle $TC_HANDLE " | sed "s/^/$dir: /"
	done
}

# ---- the agent -----------------------------------------------------------

HAVE_RUN=0
# agent_start, agent_stop, expect_sandboxed and the rest (selftests/lib/agent.sh).
# shellcheck source-path=SCRIPTDIR source=lib/agent.sh
. "$HERE/lib/agent.sh"

# ---- the zones this test adds to the testbed's --------------------------

# Names of their own address, so that each learned entry is told apart (the
# testbed's *.corp.example.com all resolve to .10): see tb__dns_zone for the
# rest (vip, app, other, chain, short, many, tcp).
extra_zone()
{
	local i

	cat <<EOF
host-record=www.corp.example.com,203.0.113.11,2001:db8:3::11
host-record=six.corp.example.com,203.0.113.12,2001:db8:3::12
host-record=down.corp.example.com,203.0.113.13,2001:db8:3::13
host-record=after.corp.example.com,203.0.113.14,2001:db8:3::14
host-record=long.corp.example.com,203.0.113.32,2001:db8:3::32,1
host-record=short2.corp.example.com,203.0.113.34,2001:db8:3::34,1
host-record=pre.example.org,203.0.113.42,2001:db8:3::42
host-record=public.corp.example.com,203.0.113.15,2001:db8:3::15
host-record=pubnet.corp.example.com,203.0.113.17,2001:db8:3::ff:17
EOF
	# 60 addresses, fewer than the kernel learns from one answer
	# (BPFROUTE_DNS_LEARN_MAX, 64): all of them learned before the answer
	# leaves. 1011 bytes with EDNS: one UDP answer.
	for ((i = 61; i <= 120; i++)); do
		printf 'host-record=sixty.corp.example.com,203.0.113.%d\n' "$i"
	done
	# A second name with more addresses than that (67, like many): the
	# agent must learn the rest.
	for ((i = 188; i <= 254; i++)); do
		printf 'host-record=many2.corp.example.com,203.0.113.%d\n' "$i"
	done
	# The race: a fresh name and a fresh address for each connection.
	for ((i = 0; i < RACE_N; i++)); do
		printf 'host-record=r%d.race.corp.example.com,2001:db8:3::1:%x\n' "$i" "$i"
	done
}

# ---- the testbed ------------------------------------------------------------

START=$SECONDS
testbed_ok=0
if tb_setup && tb_setup_peer2 && tb_setup_ranges; then
	extra_zone >"$TB_DIR/zone-e2e-dns.conf" && tb_setup_dns "$TB_DIR/zone-e2e-dns.conf" &&
		testbed_ok=1
fi
if ((!testbed_ok)); then
	fail e2e_dns_testbed "could not build the testbed (see the messages above)"
	exit 1
fi
pass e2e_dns_testbed
note "testbed $TB_SUFFIX: gateway $TB_NS_GW, tunnels $TB_GW_WG (private)," \
	"$TB_GW_WG2 (private2), resolver $TB_DNS4 / $TB_DNS6, pins in $TB_PIN"

if tb_gw "$BPFROUTE" run --help >/dev/null 2>&1; then
	HAVE_RUN=1
else
	note "this bpfroute has no 'run' command: the agent's checks fail"
fi

# a. The resolver answers as the checks below expect, before bpfroute.
out=$(client_dig +short www.corp.example.com A)
check resolver_udp4_a [ "$out" == 203.0.113.11 ] -- \
	"dig www.corp.example.com A via $TB_DNS4: expected 203.0.113.11, got '$out'"
out=$(client_dig +short @"$TB_DNS6" www.corp.example.com AAAA)
check resolver_udp6_aaaa [ "$out" == 2001:db8:3::11 ] -- \
	"dig @$TB_DNS6 www.corp.example.com AAAA: expected 2001:db8:3::11, got '$out'"
out=$(client_dig +short chain.corp.example.com A | tr '\n' ' ')
check resolver_cname_chain [ "$out" == "hop1.example.net. hop2.example.net. 203.0.113.50 " ] -- \
	"dig chain.corp.example.com: expected hop1, hop2, 203.0.113.50, got '$out'"
out=$(client_dig +noedns tcp.corp.example.com A)
check resolver_truncated_tcp_retry \
	grep -q 'Truncated, retrying in TCP mode' <<<"$out" -- \
	"dig +noedns tcp.corp.example.com: expected a truncated UDP answer and a TCP retry:" "$out"
expect_curl baseline_curl_by_name_decoy "http://www.corp.example.com:$TB_SERVICE_PORT/" decoy

ROUTING_BEFORE=$(snapshot_routing)

# b. Load with domain rules, two targets, and start the agent.
# conf_write FILE MIN_TTL IDLE_TIMEOUT PREFETCH [LINE...]
conf_write()
{
	local conf=$1 min_ttl=$2 idle=$3 prefetch=$4
	shift 4

	{
		cat <<EOF
# bpfroute e2e DNS test (generated)
interface $TB_GW_LAN
resolver $TB_DNS4
resolver $TB_DNS6
route *.corp.example.com dev $TB_GW_WG
route vip.corp.example.com dev $TB_GW_WG2
route app.example.org dev $TB_GW_WG2
bypass public.corp.example.com
bypass 203.0.113.16/30
bypass 2001:db8:3::ff:0/112
min-ttl $min_ttl
max-ttl 86400
idle-timeout $idle
max-routes 100000
prefetch $prefetch
EOF
		(($#)) && printf '%s\n' "$@"
	} >"$conf"
}
CONF=$TB_DIR/bpfroute.conf
CONF_SHORT=$TB_DIR/bpfroute-short.conf
conf_write "$CONF" 30 300 no
# Phase two: short lives, and an exact rule no client asks for, which only
# prefetch can learn.
conf_write "$CONF_SHORT" 2 2 yes "route pre.example.org dev $TB_GW_WG2"

if ! br_check load load -c "$CONF"; then
	note "nothing learns without a loaded datapath: stopping here"
	br unload
	exit 1
fi
if ((HAVE_RUN)); then
	check agent_running agent_start "$CONF" -- "bpfroute run -c $CONF is not running" \
		"$(agent_log)"
	# Before it reads a single event: what it parses is the attacker's.
	expect_sandboxed agent_sandboxed
else
	fail agent_running "bpfroute has no 'run' command"
fi

# c. A and AAAA: the client asks, the gateway learns before the client has
# the answer, the connection by name goes into the tunnel.
client_dig +short www.corp.example.com A >/dev/null
client_dig +short www.corp.example.com AAAA >/dev/null
expect_learned learn_a_listed 203.0.113.11/32 "$TB_GW_WG" www.corp.example.com
expect_learned learn_aaaa_listed 2001:db8:3::11/128 "$TB_GW_WG" www.corp.example.com
origin=$(jq -r '.origin' <<<"$(route_obj 2001:db8:3::11/128)" 2>/dev/null)
check learn_origin_shown [ "$origin" == learned ] -- \
	"routes -j: expected origin \"learned\" for a learned entry, got '$origin'"
expect_curl learn_curl4_by_name_private "http://www.corp.example.com:$TB_SERVICE_PORT/" \
	private -4
expect_curl learn_curl6_by_name_private "http://www.corp.example.com:$TB_SERVICE_PORT/" \
	private -6
if command -v bpftool >/dev/null 2>&1; then
	check learn_bpftool_host4 bpftool_has_host4 203 0 113 11 -- \
		"expected a live slot with addr [203,0,113,11] in the table bpftool map dump" \
		"pinned $TB_PIN/$MAP_HOST4 names (key 0):" \
		"$(tb_gw bpftool map dump pinned "$TB_PIN/$MAP_HOST4" 2>&1 | head -n 4)"
else
	skip learn_bpftool_host4 "no bpftool"
fi

# The same over the resolver's IPv6 address.
client_dig +short @"$TB_DNS6" six.corp.example.com A >/dev/null
client_dig +short @"$TB_DNS6" six.corp.example.com AAAA >/dev/null
expect_learned learn_v6_transport_a 203.0.113.12/32 "$TB_GW_WG" six.corp.example.com
expect_learned learn_v6_transport_aaaa 2001:db8:3::12/128 "$TB_GW_WG" six.corp.example.com

# d. A CNAME chain: the addresses at its end are learned for the question.
client_dig chain.corp.example.com A >/dev/null
client_dig chain.corp.example.com AAAA >/dev/null
expect_learned cname_chain_a 203.0.113.50/32 "$TB_GW_WG" chain.corp.example.com
expect_learned cname_chain_aaaa 2001:db8:3::50/128 "$TB_GW_WG" chain.corp.example.com
expect_curl cname_chain_curl_private "http://chain.corp.example.com:$TB_SERVICE_PORT/" private -4

# e. Two targets: the exact rules (one inside the wildcard's domain, one
# outside) go to the second tunnel, the wildcard's names to the first.
expect_curl exact_rule_curl4_private2 "http://app.example.org:$TB_SERVICE_PORT/" private2 -4
expect_curl exact_rule_curl6_private2 "http://app.example.org:$TB_SERVICE_PORT/" private2 -6
expect_learned exact_rule_listed 203.0.113.40/32 "$TB_GW_WG2" app.example.org app.example.org
expect_curl exact_beats_wildcard_curl_private2 "http://vip.corp.example.com:$TB_SERVICE_PORT/" \
	private2 -4
expect_learned exact_beats_wildcard_listed 203.0.113.41/32 "$TB_GW_WG2" vip.corp.example.com \
	vip.corp.example.com
expect_curl wildcard_still_first_target "http://www.corp.example.com:$TB_SERVICE_PORT/" \
	private -4

# why and rules, on what c. and e. learned: the name lists its address, the
# address names its question, rule and tunnel; app.example.org's rule counts
# the one A and the one AAAA its answers brought in.
expect_jq why_name_lists_learned ".rule.rule == \"*.corp.example.com\" and
	any(.learned[]; .address == \"203.0.113.11\" and .dev == \"$TB_GW_WG\" and .steers)" \
	why www.corp.example.com -j
expect_jq why_address_learned ".steered and .verdict == \"learned\" and
	.learned.question == \"www.corp.example.com\" and
	.learned.rule == \"*.corp.example.com\" and .target.dev == \"$TB_GW_WG\" and
	.target.state == \"up\" and (.target.masquerade | not)" \
	why 203.0.113.11 -j
br why 2001:db8:3::40
check why_address_text grep -qx '  question:  app.example.org' <<<"$OUT" -- \
	"why 2001:db8:3::40: expected the line '  question:  app.example.org', got:" "$OUT" "$ERR"
expect_jq rules_count_learned '[.[] | select(.rule == "app.example.org")] |
	length == 1 and .[0].learned4 == 1 and .[0].learned6 == 1' rules -j
for args in "why 203.0.113.11" "why www.corp.example.com" "rules"; do
	# shellcheck disable=SC2086  # the words of a command
	br $args && note "bpfroute $args:" && printf '%s\n' "$OUT" | sed 's/^/#   /'
done

# f. A name no rule covers: not learned, the ordinary route.
before=$(counter dns_no_rule)
client_dig +short other.example.net A >/dev/null
after=$(counter dns_no_rule)
expect_not_learned no_rule_not_learned 203.0.113.20/32
check no_rule_counted [ "$before" -ge 0 -a "$after" -gt "$before" ] -- \
	"status -j counter dns_no_rule: expected to grow, before $before after $after"
expect_curl no_rule_curl_decoy "http://other.example.net:$TB_SERVICE_PORT/" decoy -4
expect_not_learned no_rule_still_not_learned 203.0.113.20/32

# f2. Exceptions: `bypass public.corp.example.com` inside the wildcard route
# keeps that name on the ordinary path (not learned, the decoy answers) while
# its siblings go into the tunnel; pubnet.corp.example.com, routed by name,
# answers with addresses inside bypass prefixes, which are never learned.
before=$(counter dns_bypass)
client_dig +short public.corp.example.com A >/dev/null
client_dig +short public.corp.example.com AAAA >/dev/null
after=$(counter dns_bypass)
check bypass_name_counted [ "$before" -ge 0 -a "$after" -ge $((before + 2)) ] -- \
	"status -j counter dns_bypass: expected to grow by 2, before $before after $after"
expect_not_learned bypass_name_a_not_learned 203.0.113.15/32
expect_not_learned bypass_name_aaaa_not_learned 2001:db8:3::15/128
expect_curl bypass_name_curl4_decoy "http://public.corp.example.com:$TB_SERVICE_PORT/" decoy -4
expect_curl bypass_name_curl6_decoy "http://public.corp.example.com:$TB_SERVICE_PORT/" decoy -6
expect_curl bypass_sibling_curl4_private "http://www.corp.example.com:$TB_SERVICE_PORT/" \
	private -4
expect_jq bypass_why_name '.rule.rule == "public.corp.example.com" and .rule.bypass and
	.rule.overrides == "*.corp.example.com" and .learned == []' why public.corp.example.com -j
before=$(counter dns_refused_bypass)
passed=$(counter pass_bypass)
client_dig +short pubnet.corp.example.com A >/dev/null
client_dig +short pubnet.corp.example.com AAAA >/dev/null
after=$(counter dns_refused_bypass)
check bypass_prefix_refused_counted [ "$before" -ge 0 -a "$after" -ge $((before + 2)) ] -- \
	"status -j counter dns_refused_bypass: expected to grow by 2, before $before after $after"
expect_not_learned bypass_prefix_a_not_learned 203.0.113.17/32
expect_not_learned bypass_prefix_aaaa_not_learned 2001:db8:3::ff:17/128
expect_curl bypass_prefix_curl4_decoy "http://pubnet.corp.example.com:$TB_SERVICE_PORT/" decoy -4
expect_curl bypass_prefix_curl6_decoy "http://pubnet.corp.example.com:$TB_SERVICE_PORT/" decoy -6
after=$(counter pass_bypass)
check bypass_prefix_passed_counted [ "$passed" -ge 0 -a "$after" -gt "$passed" ] -- \
	"status -j counter pass_bypass: expected to grow, before $passed after $after"
expect_jq bypass_why_address '(.steered | not) and .verdict == "bypass" and
	.prefix.prefix == "203.0.113.16/30"' why 203.0.113.17 -j

# g. Truncated over UDP, answered over TCP. tcp.corp.example.com's address
# is only in the TCP answer; glibc retries over TCP too, so curl exercises it.
out=$(client_dig +noedns tcp.corp.example.com A)
check tcp_fallback_dig grep -q 'Truncated, retrying in TCP mode' <<<"$out" -- \
	"dig +noedns: expected the TCP retry:" "$out"
expect_learned tcp_fallback_a_learned 203.0.113.60/32 "$TB_GW_WG" tcp.corp.example.com
client_dig +noedns @"$TB_DNS6" tcp.corp.example.com AAAA >/dev/null
expect_learned tcp_fallback_aaaa_over_v6 2001:db8:3::60/128 "$TB_GW_WG" tcp.corp.example.com
expect_curl tcp_fallback_curl_private "http://tcp.corp.example.com:$TB_SERVICE_PORT/" private -4

# 67 addresses, more than the kernel learns from one answer: all of them,
# the last 38 only in the TCP answer, the ones past the kernel's share by
# the agent.
client_dig +noedns many.corp.example.com A >/dev/null
sel='ltrimstr("203.0.113.") | rtrimstr("/32") | tonumber? // -1 | (. >= 121 and . <= 187)'
for ((i = 0; i < 25; i++)); do
	n=$(count_learned "$sel")
	((n == 67)) && break
	sleep 0.2
done
check tcp_many_all_67_learned [ "$n" -eq 67 ] -- \
	"many.corp.example.com: expected 203.0.113.121-187 learned, found $n" "$(agent_log)"
expect_curl tcp_many_last_curl_private "http://203.0.113.187:$TB_SERVICE_PORT/" private

# h. The race: a fresh name, a fresh address, connect at once - RACE_N times.
out=$(tb_cli timeout 200 "$RACE_CLIENT" -6 -n "$RACE_N" -t 3000 -T 180 \
	'r%d.race.corp.example.com' 2>&1)
rc=$?
check "race_${RACE_N}_fresh_names_private" [ "$rc" -eq 0 ] -- \
	"race_client exited $rc, expected every reply 'private':" "$out"
note "race: $(tail -n 1 <<<"$out")"
if routes_json; then
	n=$(jq '[.[] | select(.name // "" | test("^r[0-9]+\\.race\\.corp\\.example\\.com$"))
		| select(.prefix | endswith("/128"))] | length' <<<"$OUT" 2>/dev/null)
else
	n="routes -j failed: $ERR"
fi
check race_all_learned [ "$n" == "$RACE_N" ] -- \
	"expected $RACE_N /128 entries named r<i>.race.corp.example.com, found $n"

# i. The agent killed outright: the datapath keeps its entries and steers;
# the kernel learns on its own; a new agent carries on.
expect_agent_stops agent_sigkill KILL
expect_learned after_kill_entry_kept 203.0.113.11/32 "$TB_GW_WG" www.corp.example.com
expect_curl after_kill_still_steers "http://203.0.113.11:$TB_SERVICE_PORT/" private
client_dig +short down.corp.example.com A >/dev/null
expect_learned learn_without_agent 203.0.113.13/32 "$TB_GW_WG" down.corp.example.com
expect_curl learn_without_agent_curl "http://down.corp.example.com:$TB_SERVICE_PORT/" private -4

# An answer of 60 addresses, with no agent to finish anything: the kernel
# learns all 60 itself before the answer leaves (no hand-over), and the
# client's first connection to the last address of the answer goes into
# the tunnel from its first packet: a SYN to the decoy would have been
# answered by the decoy.
learned0=$(counter learned_addrs) agent0=$(counter dns_to_agent)
out=$(client_dig +short sixty.corp.example.com A)
learned1=$(counter learned_addrs) agent1=$(counter dns_to_agent)
last=$(tail -n 1 <<<"$out")
check sixty_answer_whole [ "$(grep -c '^203\.0\.113\.' <<<"$out")" -eq 60 ] -- \
	"dig sixty.corp.example.com: expected 60 addresses in one answer, got:" "$out"
check sixty_kernel_learned_60 [ "$learned0" -ge 0 -a "$((learned1 - learned0))" -eq 60 ] -- \
	"status -j learned_addrs: expected +60 from the answer, before $learned0 after $learned1"
check sixty_not_handed_over [ "$agent0" -ge 0 -a "$agent1" -eq "$agent0" ] -- \
	"status -j dns_to_agent: expected no hand-over, before $agent0 after $agent1"
sel='ltrimstr("203.0.113.") | rtrimstr("/32") | tonumber? // -1 | (. >= 61 and . <= 120)'
n=$(count_learned "$sel")
check sixty_all_listed [ "$n" -eq 60 ] -- \
	"routes -j: expected 203.0.113.61-120 learned for sixty.corp.example.com, found $n"
routes_json
pk0=$(jq -r '.packets' <<<"$(route_obj "$last/32")" 2>/dev/null)
check sixty_last_unused [ "$pk0" == 0 ] -- \
	"routes -j: expected $last/32 learned with 0 packets before the connection, got '$pk0'"
expect_curl sixty_last_first_connection_private "http://$last:$TB_SERVICE_PORT/" private
routes_json
pk1=$(jq -r '.packets' <<<"$(route_obj "$last/32")" 2>/dev/null)
pkn=$pk1
[[ $pkn =~ ^[0-9]+$ ]] || pkn=0
check sixty_last_entry_counted [ "$pkn" -gt 0 ] -- \
	"routes -j: expected packets counted on $last/32 after the connection, got '$pk1'"
if ((HAVE_RUN)); then
	check agent_restarted agent_start "$CONF" -- "bpfroute run did not start again" \
		"$(agent_log)"
else
	fail agent_restarted "bpfroute has no 'run' command"
fi
expect_learned restart_entry_kept 203.0.113.11/32 "$TB_GW_WG" www.corp.example.com
client_dig +short after.corp.example.com A >/dev/null
expect_learned restart_new_name_learned 203.0.113.14/32 "$TB_GW_WG" after.corp.example.com
client_dig +noedns many2.corp.example.com A >/dev/null
sel='ltrimstr("203.0.113.") | rtrimstr("/32") | tonumber? // -1 | (. >= 188 and . <= 254)'
for ((i = 0; i < 25; i++)); do
	n=$(count_learned "$sel")
	((n == 67)) && break
	sleep 0.2
done
check restart_agent_learns_rest [ "$n" -eq 67 ] -- \
	"many2.corp.example.com after the restart: expected 203.0.113.188-254, found $n" \
	"$(agent_log)"

# SIGHUP: the agent reads its file again, and the lists it names: a rule for
# the name that had none, from a list file beside the config.
printf '# added for the reload\nother.example.net\n' >"$(dirname "$CONF")/sighup.list"
conf_write "$CONF" 30 300 no "route-list sighup.list dev $TB_GW_WG2"
if agent_signal HUP; then
	for ((i = 0; i < 20; i++)); do
		sleep 0.25
		client_dig +short other.example.net A >/dev/null
		is_learned 203.0.113.20/32 && break
	done
	expect_learned sighup_new_rule_learned 203.0.113.20/32 "$TB_GW_WG2" other.example.net \
		other.example.net
	expect_curl sighup_new_rule_curl_private2 "http://other.example.net:$TB_SERVICE_PORT/" \
		private2 -4
	check sighup_agent_still_running tb__alive "$AGENT_PID" -- \
		"the agent exited after SIGHUP" "$(agent_log)"
	# The reload was the helper's: the agent gained nothing back.
	expect_sandboxed sighup_agent_sandboxed
else
	fail sighup_new_rule_learned "no agent to send SIGHUP to"
fi

# Signals that would end a process by default but mean nothing to the agent:
# logged and ignored, never a silent exit.
for sig in USR1 USR2 ALRM PIPE; do
	agent_signal "$sig"
done
sleep 0.5
check other_signals_agent_still_running tb__alive "$AGENT_PID" -- \
	"the agent exited after SIGUSR1, SIGUSR2, SIGALRM or SIGPIPE" "$(agent_log)"
n=$(grep -c 'ignored (SIGHUP reloads, SIGTERM stops)' "$AGENT_LOG" 2>/dev/null)
check other_signals_logged [ "${n:-0}" -eq 4 ] -- \
	"expected 4 'ignored' lines in the agent's log, found ${n:-0}" "$(agent_log)"

expect_same learn_routing_unchanged "the gateway's routes/rules" \
	"$ROUTING_BEFORE" "$(snapshot_routing)"

# j. Short lives: min-ttl 2, idle-timeout 2. Reload with those, new agent.
expect_agent_stops agent_sigterm TERM
br_check reload_short_ttl load -c "$CONF_SHORT"
# The rule dropped from the file takes its entries with it.
expect_not_learned reload_dropped_rule_entries_gone 203.0.113.20/32
if ((HAVE_RUN)); then
	check agent_short_ttl_running agent_start "$CONF_SHORT" -- \
		"bpfroute run -c $CONF_SHORT is not running" "$(agent_log)"
else
	fail agent_short_ttl_running "bpfroute has no 'run' command"
fi

# Prefetch: the agent asks for exact-name rules itself, and installs.
for ((i = 0; i < 25; i++)); do
	is_learned 203.0.113.42/32 && is_learned 2001:db8:3::42/128 && break
	sleep 0.2
done
expect_learned prefetch_a_learned 203.0.113.42/32 "$TB_GW_WG2" pre.example.org pre.example.org
expect_learned prefetch_aaaa_learned 2001:db8:3::42/128 "$TB_GW_WG2" pre.example.org \
	pre.example.org
expect_curl prefetch_curl_private2 "http://203.0.113.42:$TB_SERVICE_PORT/" private2

# An entry nobody uses dies: within min-ttl + idle-timeout (4 s) it is a
# miss, and the agent removes it.
client_dig +short short.corp.example.com A >/dev/null
expect_learned short_ttl_learned 203.0.113.31/32 "$TB_GW_WG" short.corp.example.com
exp=$(jq -r '.expires_in' <<<"$(route_obj 203.0.113.31/32)" 2>/dev/null)
check short_ttl_clamped_to_min [ "${exp:-x}" -ge 1 -a "${exp:-x}" -le 2 ] 2>/dev/null -- \
	"TTL 1 with min-ttl 2: expected expires_in 1..2, got '$exp'"
expect_curl short_ttl_curl_private "http://203.0.113.31:$TB_SERVICE_PORT/" private
t0=$SECONDS
for ((i = 0; i < 60; i++)); do
	routes_json && [[ -z $(route_obj 203.0.113.31/32) ]] && break
	sleep 0.25
done
check short_ttl_entry_removed [ -z "$(route_obj 203.0.113.31/32)" ] -- \
	"203.0.113.31/32 still listed $((SECONDS - t0)) s after its last use:" \
	"$(route_obj 203.0.113.31/32)" "$(agent_log)"
note "short.corp.example.com removed $((SECONDS - t0)) s after its last use"
expect_curl short_ttl_then_decoy "http://203.0.113.31:$TB_SERVICE_PORT/" decoy

# A transfer outlives its TTL: 24 chunks of 32 KiB, one every 0.5 s, about 12
# s, three times min-ttl + idle-timeout; it must arrive whole, from the
# private side (a connection cut over to the decoy gets a reset).
stream_chunks=24
stream_bs=32768
head -c $((stream_chunks * stream_bs)) /dev/urandom >"$TB_DIR/stream.bin"
cat >"$TB_DIR/slow-sender.sh" <<'EOF'
#!/bin/bash
# slow-sender FILE CHUNKS BS GAP: FILE in CHUNKS blocks of BS bytes, GAP s apart.
for ((i = 0; i < $2; i++)); do
	dd if="$1" bs="$3" skip="$i" count=1 status=none || exit 1
	sleep "$4"
done
EOF
tb_spawn "$TB_NS_PEER" socat "$TB_DIR/socat-stream.log" \
	socat "TCP6-LISTEN:8081,ipv6only=0,fork,reuseaddr" \
	"EXEC:/bin/bash $TB_DIR/slow-sender.sh $TB_DIR/stream.bin $stream_chunks $stream_bs 0.5"
tb_spawn "$TB_NS_INET" socat "$TB_DIR/socat-stream-decoy.log" \
	socat "TCP6-LISTEN:8081,ipv6only=0,fork,reuseaddr" "SYSTEM:echo decoy"
tb__wait_for 30 0.1 tb__listening "$TB_NS_PEER" 8081
tb__wait_for 30 0.1 tb__listening "$TB_NS_INET" 8081
client_dig +short long.corp.example.com A >/dev/null
t0=$SECONDS
tb_cli timeout 60 socat -u TCP:long.corp.example.com:8081,pf=ip4,connect-timeout=3 STDOUT \
	>"$TB_DIR/stream.got" 2>"$TB_DIR/stream.err"
rc=$?
took=$((SECONDS - t0))
got=$(stat -c %s "$TB_DIR/stream.got" 2>/dev/null)
if ((rc == 0)) && cmp -s "$TB_DIR/stream.bin" "$TB_DIR/stream.got" && ((took >= 8)); then
	pass long_transfer_outlives_ttl
else
	fail long_transfer_outlives_ttl \
		"expected $((stream_chunks * stream_bs)) bytes equal to the private side's over >= 8 s;" \
		"got ${got:-0} bytes in $took s, socat exit $rc, equal: $(cmp "$TB_DIR/stream.bin" \
		"$TB_DIR/stream.got" 2>&1 || true)" "$(head -c 500 "$TB_DIR/stream.err")" \
		"first bytes: $(head -c 40 "$TB_DIR/stream.got" | od -c | head -n 2)"
fi
note "long transfer: ${got:-0} bytes in $took s"

# The other half of expiry, without the agent: the classifier itself treats
# an expired entry as a miss; the next agent removes it.
expect_agent_stops agent_stop_for_expiry TERM
before=$(counter host_expired)
client_dig +short short2.corp.example.com A >/dev/null
expect_learned short2_learned 203.0.113.34/32 "$TB_GW_WG" short2.corp.example.com
sleep 6
expect_curl expired_no_agent_curl_decoy "http://203.0.113.34:$TB_SERVICE_PORT/" decoy
after=$(counter host_expired)
if is_learned 203.0.113.34/32; then
	check expired_no_agent_counted [ "$after" -gt "$before" ] -- \
		"status -j counter host_expired: expected to grow, before $before after $after"
else
	note "the expired entry was already gone without the agent"
fi
# why: an entry expired and unused past its idle timeout is a miss.
if is_learned 203.0.113.34/32; then
	expect_jq why_expired_idle '.verdict == "expired" and .steered == false and
		.learned.steers == false and .target == null' why 203.0.113.34 -j
else
	skip why_expired_idle "the expired entry was already gone"
fi
if ((HAVE_RUN)) && agent_start "$CONF_SHORT"; then
	for ((i = 0; i < 40; i++)); do
		routes_json && [[ -z $(route_obj 203.0.113.34/32) ]] && break
		sleep 0.25
	done
	check expired_removed_by_new_agent [ -z "$(route_obj 203.0.113.34/32)" ] -- \
		"203.0.113.34/32 still listed 10 s after the agent started:" \
		"$(route_obj 203.0.113.34/32)" "$(agent_log)"
else
	fail expired_removed_by_new_agent "no agent could be started" "$(agent_log)"
fi

# k. The end: the agent stops, unload leaves nothing.
expect_same short_routing_unchanged "the gateway's routes/rules" \
	"$ROUTING_BEFORE" "$(snapshot_routing)"
# An unload under a running agent ends it, with a message that says why.
agent_log_final=$AGENT_LOG
if [[ -z $AGENT_PID ]]; then
	fail agent_stops_after_unload "no agent was running"
fi
br_check unload unload
if [[ -n $AGENT_PID ]]; then
	if agent_stop; then
		pass agent_stops_after_unload
	else
		fail agent_stops_after_unload "the agent (pid $AGENT_PID) still runs 5 s after unload" \
			"$(agent_log)"
		agent_stop TERM
	fi
	check agent_says_unloaded grep -q 'unloaded (the pins are gone); the agent stops' \
		"$agent_log_final" -- "$(agent_log)"
fi
# Every agent of this test (learning, SIGHUP, prefetch, expiry, SIGTERM, the
# unload) ran without a syscall its seccomp filter refuses: the SIGSYS
# handler would have said so in its log, and exited.
refused=$(grep -h 'refused by the sandbox' "$TB_DIR"/agent-*.log 2>/dev/null)
check agent_no_syscall_refused [ -z "$refused" ] -- "the agents' logs say:" "$refused"
check unload_pin_dir_removed [ ! -e "$TB_PIN" ] -- "$TB_PIN still exists:" \
	"$(ls -la "$TB_PIN" 2>&1)"
filters=$(our_filters)
check unload_filters_removed [ -z "$filters" ] -- \
	"filters with handle $TC_HANDLE left on $TB_GW_LAN:" "$filters"
expect_curl unload_curl_by_name_decoy "http://www.corp.example.com:$TB_SERVICE_PORT/" decoy -4
expect_curl unload_curl_exact_decoy "http://app.example.org:$TB_SERVICE_PORT/" decoy -6
expect_same unload_routing_unchanged "the gateway's routes/rules" \
	"$ROUTING_BEFORE" "$(snapshot_routing)"

note "$N_PASS passed, $N_FAIL failed, $N_SKIP skipped in $((SECONDS - START)) s"
((N_FAIL == 0))
