#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# End-to-end test of strict targets (`target DEV strict [yes|no]`) on the
# namespace testbed (selftests/lib/testbed.sh): the client pings the service
# address steered into the tunnel, without pause, and the tunnel is taken
# down under it. Replies tell the way (TTL 63: the peer, through the tunnel;
# 49: the decoy, the gateway's ordinary path) and tcpdump on the gateway's
# uplink (wan0) sees every packet that took the ordinary path.
#
#   strict (the default): while the tunnel is down nothing reaches the
#     uplink, drop_target_down grows; up again, the tunnel carries it again.
#   `strict no`, set by a SIGHUP reload: while it is down the pings go the
#     ordinary way (seen on the uplink, answered by the decoy),
#     pass_target_down grows; up again, through the tunnel again.
#   no agent running: the datapath's flag lags behind the link; what is
#     redirected into the down device, and into a deleted one, is dropped by
#     the kernel and never leaves by the uplink either.
#
# Prints one "PASS name", "FAIL name" or "SKIP name: why" line per check.
#
#	sudo selftests/test_e2e_strict.sh		# after `make`

set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BPFROUTE=${BPFROUTE:-$HERE/../bpfroute}
# One ping every PING_IV seconds while the tunnel is taken down and up.
PING_IV=0.1
PING_N=50

# shellcheck source-path=SCRIPTDIR source=lib/checks.sh
. "$HERE/lib/checks.sh"

require_root_and_tools e2e_strict wireguard-go wg socat curl ip ping jq tcpdump bpftool
require_built e2e_strict BPFROUTE

# shellcheck source-path=SCRIPTDIR source=lib/testbed.sh
. "$HERE/lib/testbed.sh"
# shellcheck source-path=SCRIPTDIR source=lib/agent.sh
. "$HERE/lib/agent.sh"
trap tb_teardown EXIT
trap 'exit 130' INT TERM HUP

if ! tb_setup; then
	fail strict_testbed "could not build the testbed (see the messages above)"
	exit 1
fi
pass strict_testbed

CONF=$TB_DIR/bpfroute.conf
# write_conf STRICT: the config, with `target WG strict STRICT`.
write_conf()
{
	cat >"$CONF" <<CONF
# bpfroute e2e strict test (generated)
interface $TB_GW_LAN
route $TB_PREFIX4 dev $TB_GW_WG
target $TB_GW_WG strict $1
CONF
}

gw_cli() { tb_gw "$BPFROUTE" --pin-dir "$TB_PIN" "$@"; }

# counter NAME: a datapath counter of `status -j`.
counter() { gw_cli status -j | jq -r ".counters.$1"; }

# target_field FIELD: the tunnel's FIELD in `status -j` (down, strict).
target_field()
{
	gw_cli status -j | jq -r --arg d "$TB_GW_WG" '.targets[] | select(.dev == $d) | .'"$1"
}

# field_is FIELD WANT: the tunnel's FIELD in `status -j` is WANT.
field_is() { [[ $(target_field "$1") == "$2" ]]; }

# wait_down WANT: the tunnel's datapath flag says WANT (true/false) within 3 s.
wait_down() { tb__wait_for 30 0.1 field_is down "$1"; }

# The tunnel answers: a reply with TTL 63 (the peer's), within 10 tries (a
# tunnel up again needs a new handshake).
tunnel_answers_once() { tb_cli ping -n -c 1 -W 1 "$TB_SERVICE4" 2>&1 | grep -q 'ttl=63'; }
tunnel_answers() { tb__wait_for 10 0.5 tunnel_answers_once; }

# ping_start: the client pings the service PING_N times, PING_IV apart, in
# the background; its output in $PING_LOG.
PING_N_RUNS=0
ping_start()
{
	PING_N_RUNS=$((PING_N_RUNS + 1))
	PING_LOG=$TB_DIR/ping-$PING_N_RUNS.log
	tb_spawn "$TB_NS_CLI" ping "$PING_LOG" ping -n -i "$PING_IV" -c "$PING_N" -W 1 \
		"$TB_SERVICE4"
	PING_PID=$TB_SPAWNED
}

# ping_wait: until the pings end (bounded: their count, and some).
ping_done() { ! tb__alive "$PING_PID"; }
ping_wait() { tb__wait_for 150 0.1 ping_done; }

# replies TTL: the replies with this TTL in the current ping's output.
replies() { grep -c "ttl=$1" "$PING_LOG"; }

# link_set up|down: the tunnel on the gateway.
link_set() { tb__run ip -n "$TB_NS_GW" link set "$TB_GW_WG" "$1"; }

if ! tb_capture "$TB_NS_GW" "$TB_GW_WAN" "icmp and host $TB_SERVICE4"; then
	fail strict_capture "tcpdump on $TB_GW_WAN did not start" "$(cat "$TB_CAPTURED")"
	exit 1
fi
UPLINK=$TB_CAPTURED

# ---- strict (the default, said explicitly) ----------------------------------

write_conf yes
if ! agent_start "$CONF"; then
	fail strict_agent "bpfroute run did not start" "$(agent_log)"
	exit 1
fi
pass strict_agent
check strict_target_flags [ "$(target_field strict)/$(target_field down)" == true/false ] -- \
	"status -j: expected the tunnel strict and up, got $(gw_cli status -j | jq -c .targets)"
check strict_tunnel_before tunnel_answers -- "no reply through the tunnel before the test"

up0=$(tb_captured "$UPLINK" "echo request")
drop0=$(counter drop_target_down)
ping_start
sleep 1.5
t0=$(date +%s%N)
link_set down
check strict_flag_down wait_down true -- \
	"the agent did not mark $TB_GW_WG down within 3 s" "$(agent_log)"
note "strict: the datapath flag said down $((($(date +%s%N) - t0) / 1000000)) ms after" \
	"'ip link set down' (status polled every 100 ms)"
sleep 2
drop1=$(counter drop_target_down)
link_set up
check strict_flag_up wait_down false -- \
	"the agent did not mark $TB_GW_WG up within 3 s" "$(agent_log)"
ping_wait
sleep 0.5
up1=$(tb_captured "$UPLINK" "echo request")
check strict_uplink_silent [ "$up1" -eq "$up0" ] -- \
	"$TB_GW_WAN saw $((up1 - up0)) echo requests to $TB_SERVICE4 while the tunnel was down" \
	"$(tail -n 5 "$UPLINK")"
check strict_drop_counted [ "$drop1" -gt "$drop0" ] -- \
	"drop_target_down did not grow while the tunnel was down: $drop0 -> $drop1"
note "strict: $((drop1 - drop0)) pings dropped while down, $(replies 63) of $PING_N answered" \
	"through the tunnel, $((up1 - up0)) on $TB_GW_WAN"
check strict_no_decoy [ "$(replies 49)" -eq 0 ] -- \
	"the decoy answered $(replies 49) pings: they left by the ordinary path"
check strict_tunnel_before_down [ "$(replies 63)" -gt 0 ] -- \
	"no ping was answered through the tunnel before it went down" "$(tail -n 5 "$PING_LOG")"
check strict_tunnel_after_up tunnel_answers -- "the tunnel does not answer once up again"
out=$(gw_cli why "$TB_SERVICE4")
check strict_why_up grep -q "^  target:    $TB_GW_WG (ifindex [0-9]*), up, routed, strict\$" \
	<<<"$out" -- "why: expected the target up and strict" "$out"

# ---- strict no, by a SIGHUP reload ------------------------------------------

write_conf no
agent_signal HUP
check nostrict_reload tb__wait_for 50 0.1 field_is strict false -- \
	"status -j: the tunnel is still strict 5 s after SIGHUP" "$(agent_log)"

up0=$(tb_captured "$UPLINK" "echo request")
pass0=$(counter pass_target_down)
drop0=$(counter drop_target_down)
ping_start
sleep 1.5
link_set down
check nostrict_flag_down wait_down true -- \
	"the agent did not mark $TB_GW_WG down within 3 s" "$(agent_log)"
sleep 2
out=$(gw_cli why "$TB_SERVICE4")
check nostrict_why_down grep -q "ordinary path (pass_target_down): strict no" <<<"$out" -- \
	"why: expected the fallback to be told while the tunnel is down" "$out"
link_set up
check nostrict_flag_up wait_down false -- \
	"the agent did not mark $TB_GW_WG up within 3 s" "$(agent_log)"
ping_wait
sleep 0.5
up1=$(tb_captured "$UPLINK" "echo request")
check nostrict_uplink_used [ "$up1" -gt "$up0" ] -- \
	"$TB_GW_WAN saw no echo request while the tunnel was down (strict no)"
check nostrict_decoy_answered [ "$(replies 49)" -gt 0 ] -- \
	"no ping was answered by the decoy while the tunnel was down" "$(tail -n 5 "$PING_LOG")"
check nostrict_pass_counted [ "$(counter pass_target_down)" -gt "$pass0" ] -- \
	"pass_target_down did not grow while the tunnel was down"
note "strict no: $(($(counter pass_target_down) - pass0)) pings passed to the stack while" \
	"down, $((up1 - up0)) on $TB_GW_WAN, $(replies 49) answered by the decoy," \
	"$(replies 63) through the tunnel"
check nostrict_no_drop [ "$(counter drop_target_down)" -eq "$drop0" ] -- \
	"drop_target_down grew although the target is not strict"
check nostrict_tunnel_after_up tunnel_answers -- \
	"the tunnel does not carry the pings again once up"
up2=$(tb_captured "$UPLINK" "echo request")
tb_cli ping -n -c 3 -i 0.2 -W 1 "$TB_SERVICE4" >/dev/null 2>&1
sleep 0.5
check nostrict_uplink_quiet_after_up [ "$(tb_captured "$UPLINK" "echo request")" -eq "$up2" ] -- \
	"$TB_GW_WAN still sees echo requests once the tunnel is up"

# ---- no agent: the kernel's own behaviour ------------------------------------

# Back to strict, then no agent: the flag is the one load and the agent left.
write_conf yes
agent_signal HUP
check strict_again_reload tb__wait_for 50 0.1 field_is strict true -- \
	"status -j: the tunnel is still not strict 5 s after SIGHUP" "$(agent_log)"
expect_agent_stops noagent_stop TERM

up0=$(tb_captured "$UPLINK" "echo request")
steer0=$(counter steered)
drop0=$(counter drop_target_down)
link_set down
sleep 0.5
check noagent_flag_lags [ "$(target_field down)" == false ] -- \
	"without an agent the flag changed anyway"
out=$(gw_cli why "$TB_SERVICE4")
check noagent_why_lag grep -q "the datapath has not seen it yet" <<<"$out" -- \
	"why: expected it to say the datapath lags behind the device" "$out"
tb_cli ping -n -c 10 -i 0.1 -W 1 "$TB_SERVICE4" >"$TB_DIR/ping-noagent.log" 2>&1
sleep 0.5
check noagent_down_uplink_silent [ "$(tb_captured "$UPLINK" "echo request")" -eq "$up0" ] -- \
	"a packet redirected into the down tunnel left by $TB_GW_WAN"
check noagent_down_redirected [ "$(counter steered)" -ge $((steer0 + 10)) ] -- \
	"the pings were not redirected (steered $steer0 -> $(counter steered))"
check noagent_down_no_reply [ "$(grep -c 'ttl=' "$TB_DIR/ping-noagent.log")" -eq 0 ] -- \
	"pings into the down tunnel were answered" "$(cat "$TB_DIR/ping-noagent.log")"
check noagent_no_drop_count [ "$(counter drop_target_down)" -eq "$drop0" ] -- \
	"drop_target_down grew without an agent to set the flag"

# The device deleted: its ifindex is gone (wireguard-go exits with it).
link_set up
up0=$(tb_captured "$UPLINK" "echo request")
tb__run ip -n "$TB_NS_GW" link del "$TB_GW_WG"
tb_cli ping -n -c 10 -i 0.1 -W 1 "$TB_SERVICE4" >"$TB_DIR/ping-deleted.log" 2>&1
sleep 0.5
check noagent_deleted_uplink_silent [ "$(tb_captured "$UPLINK" "echo request")" -eq "$up0" ] \
	-- "a packet redirected to the deleted tunnel's ifindex left by $TB_GW_WAN"
out=$(gw_cli why "$TB_SERVICE4")
check noagent_why_missing grep -q "), missing, routed, strict\$" <<<"$out" -- \
	"why: expected the target missing" "$out"

note "$N_PASS passed, $N_FAIL failed, $N_SKIP skipped"
((N_FAIL == 0))
