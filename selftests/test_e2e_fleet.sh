#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# End-to-end test of a high-availability pair (README, "An HA pair with
# keepalived") on the namespace testbed with its second gateway
# (selftests/lib/testbed.sh, tb_setup_fleet), run with the example files of
# etc/fleet: keepalived moves the clients' gateway address (VIP) between
# gateway A and gateway B, BIRD carries over iBGP what each gateway's agent
# exports (`export table 100`) into the other's table 200, which that agent
# imports (`import table 200 dev WG`).
#
#   a. both agents and both BIRDs run, the BGP session is up
#   b. the client resolves a name through A: A learns it, B imports it
#      ("# propagation ms:" from the answer leaving A to the route in B's
#      table 200, by tcpdump's and ip monitor's times)
#   c. A's keepalived stops: the VIP moves to B, and the client's next
#      connection to the name goes through B's tunnel ("private"), not the
#      decoy ("# failover ms:")
#   d. A's entry expires (small max-ttl and idle-timeout): its route leaves
#      table 100 on A and table 200 on B, and B's entry goes
#   e. routes and rules outside tables 100 and 200 are as they were, on both
#   f. masquerade (the peer as a VPN provider's): new connections work through
#      B at once after a failover ("# masquerade failover ms:"); one held
#      open across it is reported, expected to break
#   g. scale: FLEET_SCALE_N (default 100000) entries filled into A's table
#      with A's agent stopped; once it starts, they reach B's learned table
#      ("# scale N: export s, bgp s, import s"; counts checked, not times)
#   h. `bpfroute unload` on A removes its export routes, and BIRD withdraws
#      them from B's table 200
#
# Prints one "PASS name", "FAIL name" or "SKIP name: why" line per check;
# figures as "#" lines, never asserted on.
#
#	sudo selftests/test_e2e_fleet.sh		# after `make tests`

set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$HERE/.." && pwd)
BPFROUTE=${BPFROUTE:-$TOP/bpfroute}
BENCH_FILL=${BENCH_FILL:-${BPFROUTE_OUTPUT:-$TOP/.output}/bench_fill}
EXAMPLES=$TOP/etc/fleet
SCALE_N=${FLEET_SCALE_N:-100000}
# The tables of the examples (bpfroute.conf, bird-gw-*.conf).
EXPORT_TABLE=100
IMPORT_TABLE=200
# A learned entry's life in phases b-d: short, so that d sees it go.
MAX_TTL=10
IDLE_TIMEOUT=2
NAME=www.corp.example.com

# shellcheck source-path=SCRIPTDIR source=lib/checks.sh
. "$HERE/lib/checks.sh"

require_root_and_tools e2e_fleet wireguard-go wg socat curl ip jq dig dnsmasq bird birdc \
	keepalived
require_built e2e_fleet BPFROUTE BENCH_FILL

# shellcheck source-path=SCRIPTDIR source=lib/testbed.sh
. "$HERE/lib/testbed.sh"
# shellcheck source-path=SCRIPTDIR source=lib/agent.sh
. "$HERE/lib/agent.sh"
trap tb_teardown EXIT
trap 'exit 130' INT TERM HUP

START=$SECONDS
finish()
{
	note "$N_PASS passed, $N_FAIL failed, $N_SKIP skipped in $((SECONDS - START)) s"
	((N_FAIL == 0))
	exit
}

if ! tb_setup || ! tb_setup_fleet || ! tb_setup_dns; then
	fail fleet_testbed "could not build the testbed (see the messages above)"
	exit 1
fi
pass fleet_testbed

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# Per gateway (A or B): namespace, pin directory, tunnel, agent.
declare -A GW_NS=([A]=$TB_NS_GW [B]=$TB_NS_GW2)
declare -A GW_PIN=([A]=$TB_PIN [B]=$TB_BPFFS/bpfroute-b)
declare -A GW_WG=([A]=$TB_GW_WG [B]=$TB_GW2_WG)
declare -A GW_AGENT=([A]="" [B]="")
declare -A GW_LOG=([A]="" [B]="")
declare -A MONITOR=([A]="" [B]="")

# on GW CMD...: a command in gateway GW. ipn GW ARGS...: ip in GW, by `ip -n`,
# which spares the sysfs mount of `ip netns exec` (tens of ms): polls are finer.
on() { local g=$1; shift; ip netns exec "${GW_NS[$g]}" "$@"; }
ipn() { local g=$1; shift; ip -n "${GW_NS[$g]}" "$@"; }

# bpfr GW ARGS...: bpfroute on gateway GW, bounded in time.
bpfr() { local g=$1; shift; on "$g" timeout 20 "$BPFROUTE" --pin-dir "${GW_PIN[$g]}" "$@"; }

# gw_agent_start GW CONF / gw_agent_stop GW: agent.sh's agent, one per gateway.
gw_agent_start()
{
	local rc

	AGENT_NS=${GW_NS[$1]} AGENT_PIN=${GW_PIN[$1]} AGENT_PID=${GW_AGENT[$1]}
	agent_start "$2"
	rc=$?
	GW_AGENT[$1]=$AGENT_PID
	GW_LOG[$1]=$AGENT_LOG
	return $rc
}

gw_agent_stop()
{
	local rc

	AGENT_PID=${GW_AGENT[$1]}
	agent_stop TERM
	rc=$?
	GW_AGENT[$1]=$AGENT_PID
	return $rc
}

gw_agent_log() { printf 'agent log of %s:\n%s\n' "$1" "$(tail -n 20 "${GW_LOG[$1]}" 2>&1)"; }

# entry GW PREFIX: the learned entry of PREFIX in GW's `routes -j`, or nothing.
entry()
{
	bpfr "$1" routes -j 2>/dev/null |
		jq -c --arg p "$2" 'map(select(.prefix == $p and .expires_in != null)) | first // empty' \
		2>/dev/null
}

# has_entry GW PREFIX RULE: GW has a learned entry of PREFIX under RULE
# ("import" for one imported from the kernel table).
has_entry()
{
	jq -e --arg r "$3" '.rule == $r' <<<"$(entry "$1" "$2")" >/dev/null 2>&1
}

no_entry() { [[ -z $(entry "$1" "$2") ]]; }

# in_table GW TABLE PREFIX: the kernel table of GW has a route for PREFIX.
in_table()
{
	local fam=-4

	[[ $3 == *:* ]] && fam=-6
	[[ -n $(ipn "$1" "$fam" route show table "$2" "$3" 2>/dev/null) ]]
}

not_in_table() { ! in_table "$@"; }

# table_count GW TABLE FAMILY(-4|-6): routes in a kernel table.
table_count() { ipn "$1" "$3" route show table "$2" 2>/dev/null | wc -l; }

# learned_count GW: the entries of GW's IPv6 learned table (the scale
# phase's range is IPv6; IPv4 entries of the phases before may linger).
learned_count()
{
	bpfr "$1" status -j 2>/dev/null | jq -r '.maps.learned6.entries' 2>/dev/null
}

# wait_check NAME TRIES DELAY CMD... -- WHAT [DETAIL_CMD...]: like check,
# with CMD retried as tb__wait_for does. DETAIL_CMD runs on failure only,
# after the wait: its output shows the state that failed, not the one before.
wait_check()
{
	local name=$1 tries=$2 delay=$3 args=() what
	shift 3

	while (($#)) && [[ $1 != -- ]]; do
		args+=("$1")
		shift
	done
	(($#)) && shift
	what=${1:-}
	(($#)) && shift
	if wait_until "$tries" "$delay" "${args[@]}"; then
		pass "$name"
		return 0
	fi
	if (($#)); then
		fail "$name" "$what" "$("$@" 2>&1 | head -c 3000)"
	else
		fail "$name" "$what"
	fi
	return 1
}

# wait_until TRIES DELAY CMD...: like tb__wait_for, and $WAITED is the ms it took.
WAITED=
wait_until()
{
	local t0 rc

	t0=$(now_ms)
	tb__wait_for "$@"
	rc=$?
	WAITED=$(($(now_ms) - t0))
	return $rc
}

# The routing state nothing here may touch: everything but the two tables
# the pair owns and the VIP, which keepalived moves.
snapshot()
{
	on "$1" sh -c 'ip route show table all; echo "-- ip -6 route"
		ip -6 route show table all; echo "-- ip rule"
		ip rule show; echo "-- ip -6 rule"; ip -6 rule show' 2>&1 |
		grep -Ev "(^| )table ($EXPORT_TABLE|$IMPORT_TABLE)( |$)" |
		grep -Fvw -e "$TB_VIP4" -e "$TB_VIP6"
}

# ---- the example files, filled in -------------------------------------------

# The testbed's addresses are those of the examples (lan0, 192.0.2.1 and
# 192.0.2.253, the VIPs); only the tunnels' names differ per run.
# gw_conf GW FILE [EXTRA...]: etc/fleet/bpfroute.conf for GW, with EXTRA lines.
gw_conf()
{
	local g=$1 f=$2
	shift 2

	{
		sed "s/\bwg0\b/${GW_WG[$g]}/g" "$EXAMPLES/bpfroute.conf"
		printf '%s\n' "$@"
	} >"$f"
}

for g in A B; do
	gw_conf "$g" "$TB_DIR/fleet-$g.conf" "min-ttl 1" "max-ttl $MAX_TTL" \
		"idle-timeout $IDLE_TIMEOUT"
	# The scale phase's: the default lifetimes, so that nothing it counts
	# expires meanwhile.
	gw_conf "$g" "$TB_DIR/scale-$g.conf"
done
cp "$EXAMPLES/keepalived-gw-a.conf" "$TB_DIR/keepalived-a.conf" &&
cp "$EXAMPLES/keepalived-gw-b.conf" "$TB_DIR/keepalived-b.conf" &&
cp "$EXAMPLES/bird-gw-a.conf" "$TB_DIR/bird-a.conf" &&
cp "$EXAMPLES/bird-gw-b.conf" "$TB_DIR/bird-b.conf" || {
	fail fleet_examples "could not copy the examples of $EXAMPLES"
	exit 1
}

# ---- a. keepalived, BIRD, the agents -----------------------------------------

vip_on() { [[ -n $(ipn "$1" -o addr show to "$TB_VIP4/32" 2>/dev/null) ]]; }
ka_log() { tail -n 5 "$TB_DIR/keepalived-${GW_NS[$1]}.log"; }

# All four started before waiting for any: VRRP and BGP take seconds to settle.
KA_A=""
BIRD_A=""
BIRD_B=""
tb_keepalived "${GW_NS[A]}" "$TB_DIR/keepalived-a.conf" && KA_A=$TB_SPAWNED &&
	tb_keepalived "${GW_NS[B]}" "$TB_DIR/keepalived-b.conf"
tb_bird "${GW_NS[A]}" "$TB_DIR/bird-a.conf" && BIRD_A=$TB_BIRD_CTL &&
	tb_bird "${GW_NS[B]}" "$TB_DIR/bird-b.conf" && BIRD_B=$TB_BIRD_CTL
wait_check vrrp_vip_on_a 100 0.1 vip_on A -- \
	"the VIP $TB_VIP4 is not on A 10 s after keepalived started" ka_log A || finish
note "vrrp: VIP on A $WAITED ms after both BIRDs answered"
birdc_a() { on A birdc -s "$BIRD_A" "$@"; }
birdc_b() { on B birdc -s "$BIRD_B" "$@"; }
bgp_up() { birdc_a show protocols fleet 2>/dev/null | grep -q Established; }
wait_check bgp_established 150 0.1 bgp_up -- \
	"BIRD's session between A and B is not established after 15 s" \
	birdc_a show protocols all fleet || finish
note "bgp: session established $WAITED ms later"

ROUTING_A=$(snapshot A)
ROUTING_B=$(snapshot B)

# expect_agent_starts NAME GW CONF
expect_agent_starts()
{
	if gw_agent_start "$2" "$3"; then
		pass "$1"
		return 0
	fi
	fail "$1" "bpfroute run -c $3 on $2 did not start" "$(gw_agent_log "$2")"
	return 1
}

for g in A B; do
	expect_agent_starts "agent_${g}_starts" "$g" "$TB_DIR/fleet-$g.conf" || finish
done

# The client's requests: answered "private" through a tunnel, "decoy" if not.
url="http://$NAME:$TB_SERVICE_PORT/"
fetch() { tb_cli curl -sS --max-time "${2:-3}" "$1" "$url" 2>&1; }

# ---- b. learned on A, imported by B ------------------------------------------

routes_of() { bpfr "$1" routes -j; }
table_of() { ipn "$1" "$2" route show table "$3"; }

# The kernel's own times of the route changes, to the microsecond: polls
# with a command each cost tens of ms and would measure themselves.
for g in A B; do
	tb_spawn "${GW_NS[$g]}" ip "$TB_DIR/monitor-$g.log" ip -ts monitor route
	MONITOR[$g]=$TB_SPAWNED
done
sleep 0.2
# monitor_ms GW PATTERN: when GW's kernel first said a route change matching
# PATTERN (ms since the epoch), or nothing.
monitor_ms()
{
	local ts

	ts=$(grep -m1 -E "$2" "$TB_DIR/monitor-$1.log" | sed -n 's/^\[\([^]]*\)\].*/\1/p')
	[[ -n $ts ]] && date -d "$ts" +%s%3N
}

# The answer leaving A on the LAN, by tcpdump's clock: A learns it there, in
# the kernel, as it leaves.
tb_capture "${GW_NS[A]}" "$TB_GW_LAN" "udp and src port 53" ||
	fail capture_answers "tcpdump did not start"
capture_answers=$TB_CAPTURED
tb_cli dig +short +time=2 +tries=1 "$NAME" A >/dev/null 2>&1
tb_cli dig +short +time=2 +tries=1 "$NAME" AAAA >/dev/null 2>&1
ts=$(grep -m1 -E " A $TB_SERVICE4 " "$capture_answers" |
	grep -oE '^[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]+')
t_dig=$(date -d "today $ts" +%s%3N 2>/dev/null)
wait_check a_learns 100 0.01 has_entry A "$TB_SERVICE4/32" "*.corp.example.com" -- \
	"A has no entry of $TB_SERVICE4/32 under *.corp.example.com 1 s after the answer" \
	routes_of A
wait_check a_exports 100 0.01 in_table A "$EXPORT_TABLE" "$TB_SERVICE4" -- \
	"A's table $EXPORT_TABLE has no route of $TB_SERVICE4 1 s after A learned it" \
	table_of A -4 "$EXPORT_TABLE"
route=$(ipn A route show table "$EXPORT_TABLE" "$TB_SERVICE4" 2>&1)
check a_export_is_blackhole_191 grep -Eq "^blackhole $TB_SERVICE4 proto (191|bpfroute)( |$)" \
	<<<"$route" -- "table $EXPORT_TABLE: expected 'blackhole $TB_SERVICE4 proto 191', got '$route'"
# b_receives TABLE_CHECK IMPORT_CHECK ADDRESS LEN BIRD_TABLE: the route of
# ADDRESS reaches B's table 200 (BIRD_TABLE shows why not), and B imports it.
b_receives()
{
	wait_check "$1" 300 0.01 in_table B "$IMPORT_TABLE" "$3" -- \
		"B's table $IMPORT_TABLE has no route of $3 3 s after A learned it" \
		birdc_b show route all table "$5"
	wait_check "$2" 300 0.01 has_entry B "$3/$4" import -- \
		"B has no imported entry of $3/$4 3 s after A learned it" routes_of B
}
b_receives b_table200 b_imports "$TB_SERVICE4" 32 fleet4
t_exp=$(monitor_ms A "^\\[[^]]*\\] blackhole $TB_SERVICE4 table $EXPORT_TABLE ")
t_200=$(monitor_ms B "^\\[[^]]*\\] $TB_SERVICE4 .*table $IMPORT_TABLE ")
if [[ -n $t_dig && -n $t_exp && -n $t_200 ]]; then
	note "propagation ms: $((t_200 - t_dig)) from the answer leaving A to the route" \
		"in B's table $IMPORT_TABLE (A's export $((t_exp - t_dig)), BIRD and BGP" \
		"$((t_200 - t_exp)); tcpdump's and ip monitor's times); B's agent installs the entry" \
		"in the loop round the route's notification wakes"
else
	note "propagation: a time is missing (answer '$t_dig', export '$t_exp', table 200 '$t_200')"
fi
kill "${MONITOR[A]}" "${MONITOR[B]}" 2>/dev/null
b_receives b_table200_6 b_imports6 "$TB_SERVICE6" 128 fleet6
got=$(entry B "$TB_SERVICE4/32")
check b_import_to_own_tunnel [ "$(jq -r .dev <<<"$got" 2>/dev/null)" == "${GW_WG[B]}" ] -- \
	"B's imported entry must go into B's own tunnel ${GW_WG[B]}: $got"
# Imported entries are not exported again, and nothing comes back to A.
sleep 0.5
n=$(($(table_count B "$EXPORT_TABLE" -4) + $(table_count B "$EXPORT_TABLE" -6)))
check b_no_reexport [ "$n" -eq 0 ] -- "B exported what it imported:" \
	"$(table_of B -4 "$EXPORT_TABLE" 2>&1; table_of B -6 "$EXPORT_TABLE" 2>&1)"
n=$(($(table_count A "$IMPORT_TABLE" -4) + $(table_count A "$IMPORT_TABLE" -6)))
check a_no_loop [ "$n" -eq 0 ] -- "A's own exports came back into its table $IMPORT_TABLE:" \
	"$(table_of A -4 "$IMPORT_TABLE" 2>&1; table_of A -6 "$IMPORT_TABLE" 2>&1)"

got=$(fetch -4)
check via_a_private [ "$got" == private ] -- "curl $url through A: expected 'private', got '$got'"

# ---- c. failover -------------------------------------------------------------

steered() { bpfr "$1" status -j 2>/dev/null | jq -r '.counters.steered // 0' 2>/dev/null; }
private_once() { [[ $(fetch -4 1) == private ]]; }
last_answer() { echo "last answer: '$(fetch -4 1)'"; }

b_steered0=$(steered B)
t0=$(now_ms)
[[ -n $KA_A ]] && tb__alive "$KA_A" && kill -TERM "$KA_A"
wait_check vrrp_vip_moves_to_b 100 0.05 vip_on B -- \
	"the VIP is not on B 5 s after A's keepalived stopped" ka_log B
t_vip=$(now_ms)
wait_check failover_private_via_b 50 0.05 private_once -- \
	"the client's connections to $NAME do not reach 'private' after the failover" last_answer
note "failover ms: VIP on B $((t_vip - t0)), first new connection through B's tunnel" \
	"$(($(now_ms) - t0)), from A's keepalived stopping"
got=$(fetch -6)
check failover_private6_via_b [ "$got" == private ] -- \
	"curl -6 $url through B: expected 'private', got '$got'"
b_steered1=$(steered B)
check failover_b_steers [ "${b_steered1:-0}" -gt "${b_steered0:-0}" ] -- \
	"B's steered counter did not grow ($b_steered0 -> $b_steered1): not B's tunnel"

# ---- d. withdrawal -----------------------------------------------------------

# A's entry lives max-ttl, then idle-timeout unused (nothing uses it on A now).
wait_check a_entry_expires $(((MAX_TTL + IDLE_TIMEOUT + 5) * 10)) 0.1 \
	no_entry A "$TB_SERVICE4/32" -- \
	"A's entry of $TB_SERVICE4/32 is still there $((MAX_TTL + IDLE_TIMEOUT + 5)) s on" \
	entry A "$TB_SERVICE4/32"
t_gone=$(now_ms)
wait_check a_export_withdrawn 100 0.05 not_in_table A "$EXPORT_TABLE" "$TB_SERVICE4" -- \
	"A's table $EXPORT_TABLE still routes $TB_SERVICE4 5 s after A's entry went" \
	table_of A -4 "$EXPORT_TABLE"
wait_check b_table200_withdrawn 100 0.05 not_in_table B "$IMPORT_TABLE" "$TB_SERVICE4" -- \
	"B's table $IMPORT_TABLE still routes $TB_SERVICE4 5 s after A's entry went" \
	table_of B -4 "$IMPORT_TABLE"
note "withdrawal ms: $(($(now_ms) - t_gone)) from A's entry going to B's table $IMPORT_TABLE"
wait_check b_table200_withdrawn6 100 0.05 not_in_table B "$IMPORT_TABLE" "$TB_SERVICE6" -- \
	"B's table $IMPORT_TABLE still routes $TB_SERVICE6 5 s after A's entry went" \
	table_of B -6 "$IMPORT_TABLE"
wait_check b_entry_goes $(((IDLE_TIMEOUT + 5) * 10)) 0.1 \
	no_entry B "$TB_SERVICE4/32" -- \
	"B's imported entry of $TB_SERVICE4/32 is still there" entry B "$TB_SERVICE4/32"
wait_check b_entry6_goes $(((IDLE_TIMEOUT + 5) * 10)) 0.1 \
	no_entry B "$TB_SERVICE6/128" -- \
	"B's imported entry of $TB_SERVICE6/128 is still there" entry B "$TB_SERVICE6/128"

# ---- f. masquerade -------------------------------------------------------------

# The peer as a VPN provider's server: it takes from each gateway only that
# gateway's tunnel address, so both masquerade (`target WG masquerade`, by a
# reload). A lets A's keepalived back (it preempts: the VIP returns to A),
# the client learns the name through A again and holds a connection open
# across a second failover: translations are per gateway, so that one is
# expected to break (README); a new one must work through B at once.

# masq GW: GW's tunnel masquerades, as `status -j` says.
masq()
{
	bpfr "$1" status -j 2>/dev/null |
		jq -e --arg d "${GW_WG[$1]}" '.targets[] | select(.dev == $d) | .masquerade' \
		>/dev/null 2>&1
}

# The held connection: the request head sent a line every HOLD_IV seconds
# (the responder waits up to 2 s for each), HOLD_N lines, then the answer
# read, or what broke it.
HOLD_N=24
HOLD_IV=0.25
hold_script()
{
	cat <<EOF
exec 3<>/dev/tcp/$TB_SERVICE4/$TB_SERVICE_PORT || { echo "no connection"; exit 1; }
printf 'GET / HTTP/1.0\r\n' >&3
for ((i = 0; i < $HOLD_N; i++)); do
	printf 'X-Hold: %d\r\n' "\$i" 2>/dev/null >&3 || { echo "broken at line \$i"; exit 1; }
	sleep $HOLD_IV
done
printf '\r\n' >&3
timeout 3 cat <&3 | tail -n 1
echo "end"
EOF
}

masquerade()
{
	local g t0 hold_pid got

	tb_setup_vpn_peer || { fail masq_vpn_peer "could not set the peer up as a VPN's"; return 1; }
	for g in A B; do
		gw_conf "$g" "$TB_DIR/fleet-$g.conf" "min-ttl 1" "max-ttl $MAX_TTL" \
			"idle-timeout $IDLE_TIMEOUT" "target ${GW_WG[$g]} masquerade"
		AGENT_PID=${GW_AGENT[$g]}
		agent_signal HUP
		wait_check "masq_reload_$g" 50 0.1 masq "$g" -- \
			"$g's tunnel does not masquerade 5 s after SIGHUP" gw_agent_log "$g" || return 1
	done
	if ! tb_keepalived "${GW_NS[A]}" "$TB_DIR/keepalived-a.conf"; then
		fail masq_vrrp_back "keepalived on A did not start again"
		return 1
	fi
	KA_A=$TB_SPAWNED
	wait_check masq_vip_back_on_a 100 0.1 vip_on A -- \
		"the VIP did not return to A (preemption) within 10 s" ka_log A || return 1

	tb_cli dig +short +time=2 +tries=1 "$NAME" A >/dev/null 2>&1
	wait_check masq_b_imports 300 0.01 has_entry B "$TB_SERVICE4/32" import -- \
		"B has no imported entry of $TB_SERVICE4/32 3 s after the answer" routes_of B
	got=$(fetch -4)
	check masq_via_a_private [ "$got" == private ] -- \
		"curl $url through A, masqueraded: expected 'private', got '$got'"

	hold_script >"$TB_DIR/hold.sh"
	tb_spawn "$TB_NS_CLI" bash "$TB_DIR/hold.log" bash "$TB_DIR/hold.sh"
	hold_pid=$TB_SPAWNED
	sleep 1
	t0=$(now_ms)
	[[ -n $KA_A ]] && tb__alive "$KA_A" && kill -TERM "$KA_A"
	wait_check masq_vip_moves_to_b 100 0.05 vip_on B -- \
		"the VIP is not on B 5 s after A's keepalived stopped" ka_log B
	wait_check masq_failover_private_via_b 50 0.05 private_once -- \
		"new connections to $NAME do not reach 'private' after the failover" last_answer
	note "masquerade failover ms: first new connection through B's tunnel $(($(now_ms) - t0))" \
		"after A's keepalived stopped"
	hold_done() { ! tb__alive "$hold_pid"; }
	tb__wait_for 150 0.1 hold_done
	got=$(grep -v '^end$' "$TB_DIR/hold.log" | tr '\n' ' ')
	note "masquerade: a connection open across the failover ended with '${got% }'" \
		"(expected to break: B has none of A's translations)"
}
masquerade

# ---- g. scale ----------------------------------------------------------------

# secs MS: seconds with one decimal.
secs() { printf '%d.%d' $(($1 / 1000)) $(($1 % 1000 / 100)); }
full() { [[ $(table_count "$1" "$2" -6) -ge $SCALE_N ]]; }
learned_full() { [[ $(learned_count B) -ge $SCALE_N ]]; }
count_of() { echo "$2 of $SCALE_N: $(table_count "$1" "$3" -6)"; }
learned_of() { echo "entries: $(learned_count "$1") of $SCALE_N"; gw_agent_log "$1"; }

# A's table filled while its agent is stopped (bench_fill writes the pinned
# table directly), then the agent starts: everything is exported at once.
scale()
{
	local first=2001:db8:9::1 t0 t_exp t_bgp t_imp ifindex got g

	# B's agent too: it comes back with the default max-ttl, so that no
	# imported entry expires before the count is taken.
	for g in A B; do
		if ! gw_agent_stop "$g"; then
			fail "scale_agent_${g}_stops" "the agent of $g did not stop" \
				"$(gw_agent_log "$g")"
			return 1
		fi
	done
	ifindex=$(on A cat "/sys/class/net/${GW_WG[A]}/ifindex")
	check scale_fill on A "$BENCH_FILL" "${GW_PIN[A]}" "$ifindex" "$first" "$SCALE_N" -- \
		"bench_fill of $SCALE_N entries into A failed" || return 1
	expect_agent_starts scale_agent_B_starts B "$TB_DIR/scale-B.conf" || return 1
	t0=$(now_ms)
	expect_agent_starts scale_agent_A_starts A "$TB_DIR/scale-A.conf" || return 1
	wait_check scale_export 120 0.5 full A "$EXPORT_TABLE" -- \
		"A's table $EXPORT_TABLE is not full after 60 s" count_of A routes "$EXPORT_TABLE"
	t_exp=$(now_ms)
	wait_check scale_bgp 120 0.5 full B "$IMPORT_TABLE" -- \
		"B's table $IMPORT_TABLE is not full after 60 s" count_of B routes "$IMPORT_TABLE"
	t_bgp=$(now_ms)
	note "scale: B's IPv6 learned table held $(learned_count B) of $SCALE_N when its table" \
		"$IMPORT_TABLE was full"
	wait_check scale_import 120 0.5 learned_full -- \
		"B's learned table is not full after 60 s" learned_of B
	t_imp=$(now_ms)
	got=$(learned_count B)
	check scale_import_count [ "${got:-0}" -eq "$SCALE_N" ] -- \
		"B's learned table holds $got entries, expected exactly $SCALE_N"
	note "scale $SCALE_N: export $(secs $((t_exp - t0))) s, bgp $(secs $((t_bgp - t0))) s," \
		"import $(secs $((t_imp - t0))) s (each from A's agent starting)"
}
scale

# ---- h. unload -----------------------------------------------------------------

# What A announced, A no longer steers once unloaded: the routes go, on both.
empty() { [[ $(table_count "$1" "$2" -4) -eq 0 && $(table_count "$1" "$2" -6) -eq 0 ]]; }
if gw_agent_stop A && bpfr A unload >"$TB_DIR/unload-a.log" 2>&1; then
	pass unload_a
	# Its counters and the CPU of its longest step of export work (scale included).
	note "A's agent, $(grep -o 'fleet: .*' "${GW_LOG[A]}" | tail -n 1)"
	wait_check unload_export_emptied 100 0.1 empty A "$EXPORT_TABLE" -- \
		"A's table $EXPORT_TABLE still holds routes after unload" count_of A routes "$EXPORT_TABLE"
	wait_check unload_withdrawn_from_b 600 0.1 empty B "$IMPORT_TABLE" -- \
		"B's table $IMPORT_TABLE still holds A's routes 60 s after A's unload" \
		count_of B routes "$IMPORT_TABLE"
	note "unload: $(grep -o 'removed [0-9]* route(s) of the export table' "$TB_DIR/unload-a.log")"
else
	fail unload_a "stopping A's agent or unloading A failed" "$(cat "$TB_DIR/unload-a.log")"
fi

# ---- e. nothing else touched ---------------------------------------------------

expect_same routing_a_untouched \
	"A's routes and rules outside tables $EXPORT_TABLE and $IMPORT_TABLE" \
	"$ROUTING_A" "$(snapshot A)"
expect_same routing_b_untouched \
	"B's routes and rules outside tables $EXPORT_TABLE and $IMPORT_TABLE" \
	"$ROUTING_B" "$(snapshot B)"

finish
