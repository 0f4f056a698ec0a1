#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# End-to-end test of the metrics (README "Metrics") and of the agent's
# liveness in `status`, on the namespace testbed (selftests/lib/testbed.sh)
# with its real resolver: the agent serves `metrics 192.0.2.1:PORT` on the
# gateway's LAN address, the client resolves and sends traffic, and the
# client scrapes the endpoint with curl as Prometheus would; promtool checks
# the text. Then `bpfroute metrics` without an agent, and `status` before
# and after the agent stops.
#
# Prints one "PASS name", "FAIL name" or "SKIP name: why" line per check
# (selftests/run.sh counts them); details of a failure follow on "#" lines.
#
#	sudo selftests/test_metrics.sh		# after `make tests`

set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BPFROUTE=${BPFROUTE:-$HERE/../bpfroute}

# shellcheck source-path=SCRIPTDIR source=lib/checks.sh
. "$HERE/lib/checks.sh"

require_root_and_tools metrics wireguard-go wg socat curl ip ss jq dig dnsmasq ping timeout
if ! command -v promtool >/dev/null 2>&1; then
	skip metrics "promtool is not installed (tools/install-deps.sh installs prometheus)"
	exit 0
fi
require_built metrics BPFROUTE

# shellcheck source-path=SCRIPTDIR source=lib/testbed.sh
. "$HERE/lib/testbed.sh"
# shellcheck source-path=SCRIPTDIR source=lib/agent.sh
. "$HERE/lib/agent.sh"
trap tb_teardown EXIT
trap 'exit 130' INT TERM HUP

PORT=9472
PORT2=9473		# the changed line of the SIGHUP check: not applied
GW_LAN4=192.0.2.1	# the gateway's address on the LAN (testbed)
URL=http://$GW_LAN4:$PORT
PINGS=5			# echo requests to a learned address: steered packets

# ---- helpers --------------------------------------------------------------

# scrape [PATH]: the client's GET of the endpoint; the body in $BODY, the
# status code in $CODE.
BODY=
CODE=
scrape()
{
	local f=$TB_DIR/scrape

	CODE=$(tb_cli curl -sS --max-time 5 -o "$f" -w '%{http_code}' "$URL${1:-/metrics}" \
		2>"$TB_DIR/scrape.err")
	BODY=$(cat "$f" 2>/dev/null)
}

# metric TEXT SERIES: the value of one series ("name{labels}" exactly as
# written), or nothing if it is not there.
metric()
{
	awk -v s="$2" '$1 == s { print $2; exit }' <<<"$1"
}

# promtool_ok TEXT: promtool finds nothing wrong with it (lint included).
promtool_ok()
{
	PROMTOOL_OUT=$(promtool check metrics <<<"$1" 2>&1)
}
PROMTOOL_OUT=

# is_number V: a sample value of this text (integers and decimals).
is_number()
{
	[[ $1 =~ ^[0-9]+(\.[0-9]+)?$ ]]
}

# expect_series NAME TEXT SERIES: the series is there with a number.
expect_series()
{
	local v

	v=$(metric "$2" "$3")
	check "$1" is_number "$v" -- "expected a series $3 with a number, got '${v}'" \
		"$(grep -F "${3%%\{*}" <<<"$2" | head -n 20)"
}

# json_true JQ-EXPR JSON: the expression holds.
json_true()
{
	jq -e "$1" <<<"$2" >/dev/null 2>&1
}

# idle_connections N: N connections to the endpoint from the client that
# send nothing (processes teardown stops); true once all N are connected
# (the client's side: established, or half closed by the agent since).
idle_connections()
{
	local i n

	for ((i = 0; i < $1; i++)); do
		tb_spawn "$TB_NS_CLI" sleep "$TB_DIR/idle-$i.log" \
			bash -c "exec 3<>/dev/tcp/$GW_LAN4/$PORT && exec sleep 30"
		IDLE_PIDS+=("$TB_SPAWNED")
	done
	for ((i = 0; i < 50; i++)); do
		n=$(tb_cli ss -Htn state established state close-wait "( dport = :$PORT )" |
			wc -l)
		((n >= $1)) && return 0
		sleep 0.1
	done
	return 1
}
IDLE_PIDS=()

# no_established: the agent holds no connection to the endpoint.
no_established()
{
	[[ -z $(tb_gw ss -Htn state established "( sport = :$PORT )") ]]
}

# ---- the testbed ------------------------------------------------------------

START=$SECONDS
# shellcheck disable=SC2119  # the testbed's zones are enough: no file of our own
if ! { tb_setup && tb_setup_dns; }; then
	fail metrics_testbed "could not build the testbed (see the messages above)"
	exit 1
fi
pass metrics_testbed

CONF=$TB_DIR/bpfroute.conf
conf_write()
{
	cat >"$CONF" <<EOF
# bpfroute metrics test (generated)
interface $TB_GW_LAN
resolver $TB_DNS4
route *.corp.example.com dev $TB_GW_WG
route app.example.org dev $TB_GW_WG
metrics $GW_LAN4:$1
EOF
}
conf_write "$PORT"

# ---- the agent serves the endpoint -----------------------------------------

if ! check metrics_agent_running agent_start "$CONF" -- \
	"bpfroute run -c $CONF is not running" "$(agent_log)"; then
	exit 1
fi
check metrics_agent_says_where tb__wait_for 100 0.1 \
	grep -q "metrics on http://$GW_LAN4:$PORT" "$AGENT_LOG" -- "$(agent_log)"

br status
check status_agent_running grep -Eq "^agent: +running, pid $AGENT_PID," <<<"$OUT" -- \
	"status: expected 'agent: running, pid $AGENT_PID, ...', got:" "$(head -n 5 <<<"$OUT")"
br status -j
check status_json_agent_running json_true ".agent.running == true and
	.agent.pid == $AGENT_PID and .agent.last_tick_ms_ago <= 3000" "$OUT" -- \
	"status -j: expected .agent running with pid $AGENT_PID, got:" "$(jq -c .agent <<<"$OUT")"

# Learn an address, then send what is counted: PINGS echo requests to it,
# each steered once (the replies come back through the tunnel, not the LAN).
out=$(tb_cli dig +short +time=2 +tries=2 www.corp.example.com A 2>&1)
check metrics_resolved [ "$out" == "$TB_SERVICE4" ] -- \
	"dig www.corp.example.com: expected $TB_SERVICE4, got '$out'"
scrape
before_steered=$(metric "$BODY" bpfroute_steered_total)
check metrics_scrape_ok [ "$CODE" == 200 ] -- "GET $URL/metrics: expected 200, got '$CODE'" \
	"$(cat "$TB_DIR/scrape.err")"
tb_cli ping -c "$PINGS" -i 0.2 -W 1 "$TB_SERVICE4" >/dev/null 2>&1
scrape
after_steered=$(metric "$BODY" bpfroute_steered_total)
check metrics_steered_grows [ "$((after_steered - before_steered))" -eq "$PINGS" ] -- \
	"bpfroute_steered_total: expected +$PINGS after $PINGS pings, went" \
	"from '$before_steered' to '$after_steered'"

# The content type Prometheus looks for.
ctype=$(tb_cli curl -sS --max-time 5 -o /dev/null -w '%{content_type}' "$URL/metrics")
check metrics_content_type [ "$ctype" == "text/plain; version=0.0.4; charset=utf-8" ] -- \
	"Content-Type: expected text/plain; version=0.0.4; charset=utf-8, got '$ctype'"

# The per-rule and per-target figures come from the agent's walk, redone
# every 5 s: wait (bounded) for one that saw the pings.
rule_series='bpfroute_rule_packets{rule="*.corp.example.com"}'
target_series="bpfroute_target_packets{dev=\"$TB_GW_WG\",origin=\"learned\"}"
for ((i = 0; i < 15; i++)); do
	scrape
	v=$(metric "$BODY" "$rule_series")
	[[ -n $v ]] && ((v >= PINGS)) && break
	sleep 1
done
check metrics_rule_packets [ "$(metric "$BODY" "$rule_series")" == "$PINGS" ] -- \
	"$rule_series: expected $PINGS, got '$(metric "$BODY" "$rule_series")'" \
	"$(grep '^bpfroute_rule' <<<"$BODY")"
check metrics_target_packets [ "$(metric "$BODY" "$target_series")" == "$PINGS" ] -- \
	"$target_series: expected $PINGS, got '$(metric "$BODY" "$target_series")'" \
	"$(grep '^bpfroute_target' <<<"$BODY")"
expect_series metrics_rule_entries "$BODY" \
	'bpfroute_rule_learned_entries{rule="*.corp.example.com",family="ipv4"}'
expect_series metrics_rule_other "$BODY" 'bpfroute_rule_packets{rule="app.example.org"}'
expect_series metrics_target_flows "$BODY" "bpfroute_target_flows{dev=\"$TB_GW_WG\"}"
expect_series metrics_learned_fill "$BODY" 'bpfroute_map_entries{map="learned4"}'
expect_series metrics_dns_learned "$BODY" 'bpfroute_dns_total{counter="learned"}'
check metrics_agent_up [ "$(metric "$BODY" bpfroute_agent_up)" == 1 ] -- \
	"bpfroute_agent_up: expected 1, got '$(metric "$BODY" bpfroute_agent_up)'"
check metrics_promtool promtool_ok "$BODY" -- "promtool check metrics:" "$PROMTOOL_OUT"

# An answer with more addresses than the kernel learns alone: the agent
# finishes it, and its learn latency is counted.
tb_cli dig +short +time=2 +tries=2 many.corp.example.com A >/dev/null 2>&1
for ((i = 0; i < 30; i++)); do
	scrape
	n=$(metric "$BODY" bpfroute_agent_learn_latency_seconds_count)
	[[ -n $n ]] && ((n >= 1)) && break
	sleep 0.2
done
check metrics_learn_latency_counted [ "${n:-0}" -ge 1 ] -- \
	"bpfroute_agent_learn_latency_seconds_count: expected >= 1, got '$n'" \
	"$(grep learn_latency <<<"$BODY")"
inf=$(metric "$BODY" 'bpfroute_agent_learn_latency_seconds_bucket{le="+Inf"}')
check metrics_learn_latency_inf [ "$inf" == "$n" ] -- \
	"the +Inf bucket ($inf) should equal the count ($n)"
fin=$(metric "$BODY" bpfroute_agent_events_finished_total)
check metrics_agent_finished [ "${fin:-0}" -ge 1 ] -- \
	"bpfroute_agent_events_finished_total: expected >= 1, got '$fin'"

# Other paths and bad requests.
scrape /other
check metrics_404 [ "$CODE" == 404 ] -- "GET $URL/other: expected 404, got '$CODE'"
code=$(tb_cli curl -sS --max-time 5 -o /dev/null -w '%{http_code}' -X POST "$URL/metrics")
check metrics_400 [ "$code" == 400 ] -- "POST $URL/metrics: expected 400, got '$code'"

# Nine connections that say nothing hold every slot (8) and one more; a
# scrape still gets its answer at once, not after their 2 s deadline.
if idle_connections 9; then
	pass metrics_idle_connections_open
	t0=$SECONDS
	scrape
	note "a scrape beside 9 idle connections took $((SECONDS - t0)) s"
	check metrics_scrape_beside_idle [ "$CODE" == 200 ] -- \
		"GET $URL/metrics beside 9 idle connections: expected 200, got '$CODE'" \
		"$(cat "$TB_DIR/scrape.err")"
	check metrics_scrape_beside_idle_promtool promtool_ok "$BODY" -- "$PROMTOOL_OUT"
	# The deadline closes the idle ones (the agent's side of them).
	check metrics_idle_closed tb__wait_for 50 0.1 no_established -- \
		"connections to :$PORT still established 5 s later:" \
		"$(tb_gw ss -tn "( sport = :$PORT )")" "$(agent_log)"
else
	fail metrics_idle_connections_open "9 connections to :$PORT not established within 5 s" \
		"$(tb_cli ss -tn "( dport = :$PORT )")"
fi
for pid in "${IDLE_PIDS[@]}"; do
	tb__alive "$pid" && [[ $(cat "/proc/$pid/comm" 2>/dev/null) == sleep ]] &&
		kill "$pid" 2>/dev/null
done
check metrics_agent_alive_after_idle tb__alive "$AGENT_PID" -- "$(agent_log)"

# SIGHUP with another port: not applied; the old one keeps serving.
conf_write "$PORT2"
agent_signal HUP
check metrics_sighup_warns tb__wait_for 50 0.1 \
	grep -q "changed 'metrics' line takes effect at the next start" "$AGENT_LOG" -- \
	"$(agent_log)"
scrape
check metrics_sighup_still_serving [ "$CODE" == 200 ] -- \
	"GET $URL/metrics after SIGHUP: expected 200, got '$CODE'"
conf_write "$PORT"

# ---- without the agent ------------------------------------------------------

expect_agent_stops metrics_agent_stops TERM
br status
check status_agent_not_running grep -Eq '^agent: +not running' <<<"$OUT" -- \
	"status: expected 'agent: not running ...', got:" "$(head -n 5 <<<"$OUT")"
br status -j
check status_json_agent_not_running json_true '.agent.running == false' "$OUT" -- \
	"status -j: expected .agent.running false, got: $(jq -c .agent <<<"$OUT")"
refused=$(grep -h 'refused by the sandbox' "$TB_DIR"/agent-*.log 2>/dev/null)
check metrics_no_syscall_refused [ -z "$refused" ] -- "the agent's log says:" "$refused"

if br_check metrics_cli metrics; then
	check metrics_cli_agent_down [ "$(metric "$OUT" bpfroute_agent_up)" == 0 ] -- \
		"bpfroute metrics: expected bpfroute_agent_up 0, got '$(metric "$OUT" bpfroute_agent_up)'"
	check metrics_cli_promtool promtool_ok "$OUT" -- "promtool check metrics:" "$PROMTOOL_OUT"
	check metrics_cli_rule_packets [ "$(metric "$OUT" "$rule_series")" == "$PINGS" ] -- \
		"$rule_series: expected $PINGS, got '$(metric "$OUT" "$rule_series")'"
fi
code=$(tb_cli curl -sS --max-time 2 -o /dev/null -w '%{http_code}' "$URL/metrics" 2>/dev/null)
check metrics_port_closed_after_stop [ "$code" == 000 ] -- \
	"GET $URL/metrics without the agent: expected no connection, got '$code'"

# A bind that fails (an address the gateway does not have) ends run at once.
sed -i "s/^metrics .*/metrics 192.0.2.99:$PORT/" "$CONF"
tb_gw timeout 20 "$BPFROUTE" --pin-dir "$TB_PIN" run -c "$CONF" >"$TB_DIR/bind.out" 2>&1
rc=$?
check metrics_bind_failure_exits [ "$rc" -ne 0 -a "$rc" -ne 124 ] -- \
	"run with an address it cannot bind: expected a non-zero exit, got $rc" \
	"$(cat "$TB_DIR/bind.out")"
check metrics_bind_failure_said grep -q "^metrics 192.0.2.99:$PORT: " "$TB_DIR/bind.out" -- \
	"expected a line 'metrics 192.0.2.99:$PORT: reason', got:" "$(cat "$TB_DIR/bind.out")"

# Killed outright: the record stays, the pid is gone; not running, and
# status says it did not stop cleanly.
conf_write "$PORT"
if check metrics_agent_restarted agent_start "$CONF" -- "$(agent_log)" &&
	tb__wait_for 100 0.1 grep -q 'agent running for' "$AGENT_LOG"; then
	killed=$AGENT_PID
	expect_agent_stops metrics_agent_killed KILL
	br status
	check status_agent_killed \
		grep -Eq "^agent: +not running \(pid $killed .*did not stop cleanly\)" <<<"$OUT" -- \
		"status after SIGKILL: expected 'not running (pid $killed ... did not stop" \
		"cleanly)', got:" "$(head -n 5 <<<"$OUT")"
	br metrics
	check metrics_agent_killed_down [ "$(metric "$OUT" bpfroute_agent_up)" == 0 ] -- \
		"bpfroute_agent_up after SIGKILL: expected 0, got '$(metric "$OUT" bpfroute_agent_up)'"
fi

br_check metrics_unload unload
note "$N_PASS passed, $N_FAIL failed, $N_SKIP skipped in $((SECONDS - START)) s"
((N_FAIL == 0))
