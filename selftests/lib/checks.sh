# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# shellcheck shell=bash
#
# Helpers shared by the end-to-end tests (selftests/test_e2e*.sh): the
# PASS/FAIL/SKIP lines that selftests/run.sh counts, the whole-test
# preconditions, and the check that the gateway's routing state is left
# alone. Sourced by bash scripts that run under `set -u`; snapshot_routing
# needs selftests/lib/testbed.sh (tb_gw) by the time it is called.

N_PASS=0
N_FAIL=0
N_SKIP=0

pass()
{
	printf 'PASS %s\n' "$1"
	N_PASS=$((N_PASS + 1))
}

# fail NAME [DETAIL...]: each detail line is printed as a "#" comment.
fail()
{
	local name=$1 line
	shift

	printf 'FAIL %s\n' "$name"
	for line in "$@"; do
		printf '%s\n' "$line" | sed 's/^/#   /'
	done
	N_FAIL=$((N_FAIL + 1))
}

skip()
{
	printf 'SKIP %s: %s\n' "$1" "$2"
	N_SKIP=$((N_SKIP + 1))
}

# skip_all WHY NAME...: the checks of a phase whose precondition failed.
skip_all()
{
	local why=$1 name
	shift

	for name in "$@"; do
		skip "$name" "$why"
	done
}

note()
{
	printf '# %s\n' "$*"
}

# check NAME CONDITION_CMD... -- DETAIL...: pass if the command succeeds.
check()
{
	local name=$1 args=() detail=()
	shift

	while (($#)) && [[ $1 != -- ]]; do
		args+=("$1")
		shift
	done
	(($#)) && shift
	detail=("$@")
	if "${args[@]}"; then
		pass "$name"
		return 0
	fi
	fail "$name" "${detail[@]}"
	return 1
}

# require_root_and_tools NAME TOOL...: skip the whole test NAME (and exit
# the script with 0) unless we are root and every TOOL is installed.
require_root_and_tools()
{
	local name=$1 tool missing=()
	shift

	if ((EUID != 0)); then
		skip "$name" "needs root (network namespaces, bpffs, TC)"
		exit 0
	fi
	for tool in "$@"; do
		command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
	done
	if ((${#missing[@]})); then
		skip "$name" "missing ${missing[*]}"
		exit 0
	fi
}

# require_built NAME VAR...: each variable names a binary of the build
# (BPFROUTE, SYN_FLOOD, ...). One missing after `make tests` fails test
# NAME: it is not a reason to skip. Each is made absolute, for commands run
# from another directory or namespace.
require_built()
{
	local name=$1 var path
	shift

	for var in "$@"; do
		path=${!var}
		if [[ ! -x $path ]]; then
			fail "$name" "$path is not an executable (run make tests, or set $var)"
			exit 1
		fi
		printf -v "$var" '%s/%s' "$(cd "$(dirname "$path")" && pwd)" "$(basename "$path")"
	done
}

# The gateway's routing state that bpfroute must never touch.
snapshot_routing()
{
	tb_gw sh -c 'ip route show table all; echo "-- ip -6 route"
		ip -6 route show table all; echo "-- ip rule"
		ip rule show; echo "-- ip -6 rule"; ip -6 rule show'
}

# expect_same NAME WHAT BEFORE AFTER
expect_same()
{
	local name=$1 what=$2

	if [[ $3 == "$4" ]]; then
		pass "$name"
	else
		fail "$name" "$what changed:" "$(diff <(printf '%s\n' "$3") <(printf '%s\n' "$4"))"
	fi
}

# bpfroute on the gateway, bounded in time; stdout and stderr kept apart in
# $OUT and $ERR, exit status returned.
OUT=
ERR=
br()
{
	local rc errf

	errf=$TB_DIR/stderr
	OUT=$(tb_gw timeout 20 "$BPFROUTE" --pin-dir "$TB_PIN" "$@" 2>"$errf")
	rc=$?
	ERR=$(<"$errf")
	return $rc
}

# br_check NAME ARGS...: a bpfroute command that must exit 0.
br_check()
{
	local name=$1 rc
	shift

	br "$@"
	rc=$?
	if ((rc == 0)); then
		pass "$name"
		return 0
	fi
	fail "$name" "bpfroute $* exited $rc, expected 0" "stdout: $OUT" "stderr: $ERR"
	return 1
}

# expect_jq NAME JQ-TEST ARGS...: `bpfroute ARGS` exits 0 and its output
# ($OUT) passes the jq test (jq -e: true, not false or null).
expect_jq()
{
	local name=$1 test=$2 rc
	shift 2

	br "$@"
	rc=$?
	if ((rc == 0)) && jq -e "$test" <<<"$OUT" >/dev/null 2>&1; then
		pass "$name"
		return 0
	fi
	fail "$name" "bpfroute $* (exit $rc): expected output passing jq '$test'" \
		"stdout: $(head -c 2000 <<<"$OUT")" "stderr: $ERR"
	return 1
}
