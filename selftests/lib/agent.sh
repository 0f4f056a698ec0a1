# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# shellcheck shell=bash
#
# The agent (`bpfroute run`) on the testbed's gateway, for the end-to-end
# tests: start it, signal it (never a recycled pid), stop it and wait, check
# its sandbox. Needs selftests/lib/checks.sh and selftests/lib/testbed.sh
# sourced first, and BPFROUTE set; AGENT_PID and AGENT_LOG are the running
# agent's. AGENT_NS and AGENT_PIN, if set, name the namespace and the pin
# directory agent_start runs it with (default the testbed's gateway and
# $TB_PIN): a test with two gateways keeps one agent's variables per gateway.

# The name the agent runs under (/proc/PID/comm: 15 characters at most),
# checked before it is signalled.
AGENT_COMM=$(basename "$BPFROUTE" | cut -c 1-15)
AGENT_PID=
AGENT_LOG=
AGENT_N=0

# agent_start CONF: `bpfroute run -c CONF` on the gateway, in the background;
# true once it says it runs (loaded, attached, sandboxed: traffic sent after
# this meets the new datapath), false if it ends first or takes over 10 s.
agent_start()
{
	local i

	AGENT_N=$((AGENT_N + 1))
	AGENT_LOG=$TB_DIR/agent-$AGENT_N.log
	tb_spawn "${AGENT_NS:-$TB_NS_GW}" "$AGENT_COMM" "$AGENT_LOG" \
		"$BPFROUTE" --pin-dir "${AGENT_PIN:-$TB_PIN}" run -c "$1"
	AGENT_PID=$TB_SPAWNED
	for ((i = 0; i < 100; i++)); do
		tb__alive "$AGENT_PID" || return 1
		grep -q 'agent running for' "$AGENT_LOG" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# agent_signal SIGNAL: signal the agent if it still runs (never a recycled pid).
agent_signal()
{
	[[ -n $AGENT_PID ]] && tb__alive "$AGENT_PID" &&
		[[ $(cat "/proc/$AGENT_PID/comm" 2>/dev/null) == "$AGENT_COMM" ]] &&
		kill "-$1" "$AGENT_PID" 2>/dev/null
}

# agent_stop [SIGNAL]: signal the agent (if SIGNAL) and wait (up to 5 s) for it to end.
agent_stop()
{
	local i

	[[ -n $AGENT_PID ]] || return 1
	[[ -z ${1:-} ]] || agent_signal "$1"
	for ((i = 0; i < 50; i++)); do
		tb__alive "$AGENT_PID" || break
		sleep 0.1
	done
	if tb__alive "$AGENT_PID"; then
		return 1
	fi
	AGENT_PID=
	return 0
}

# expect_agent_stops NAME SIGNAL: the agent ends within 5 s of SIGNAL.
expect_agent_stops()
{
	if [[ -z $AGENT_PID ]]; then
		fail "$1" "no agent was running"
		return 1
	fi
	if agent_stop "$2"; then
		pass "$1"
		return 0
	fi
	fail "$1" "the agent (pid $AGENT_PID) did not exit within 5 s of SIG$2" "$(agent_log)"
	return 1
}

# The agent's privileges once it runs (README "Privileges", user/sandbox.h):
# CAP_BPF (39) alone, effective, permitted and bounding; nothing inheritable
# or ambient; no_new_privs; a seccomp filter.
SANDBOX_CAPS=0000008000000000

# agent_status_field FIELD: that line of the running agent's /proc/PID/status.
agent_status_field()
{
	awk -v f="$1:" '$1 == f { print $2 }' "/proc/$AGENT_PID/status" 2>/dev/null
}

# expect_sandboxed NAME: the running agent holds exactly the documented
# privileges. One check per field, so a failure names what is wrong.
expect_sandboxed()
{
	local name=$1 field want got

	if [[ -z $AGENT_PID ]] || ! tb__alive "$AGENT_PID"; then
		fail "$name" "no agent is running" "$(agent_log)"
		return 1
	fi
	# It says so once loaded and sandboxed; a busy machine takes its time.
	if ! tb__wait_for 100 0.1 grep -q 'agent running for' "$AGENT_LOG"; then
		fail "$name" "the agent did not say it runs within 10 s" "$(agent_log)"
		return 1
	fi
	for field in CapEff:$SANDBOX_CAPS CapPrm:$SANDBOX_CAPS CapBnd:$SANDBOX_CAPS \
		     CapInh:0000000000000000 CapAmb:0000000000000000 NoNewPrivs:1 Seccomp:2; do
		want=${field#*:}
		field=${field%%:*}
		got=$(agent_status_field "$field")
		check "${name}_$field" [ "$got" == "$want" ] -- \
			"/proc/$AGENT_PID/status: expected $field $want, got '$got'" \
			"$(grep -E '^(Cap|NoNewPrivs|Seccomp)' "/proc/$AGENT_PID/status" 2>&1)"
	done
}

agent_log()
{
	[[ -n $AGENT_LOG && -r $AGENT_LOG ]] && printf 'agent log:\n%s\n' "$(tail -n 20 "$AGENT_LOG")"
}
