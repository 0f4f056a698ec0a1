#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# Run every test of bpfroute and count the results. Each test prints one line
# per check, "PASS name", "FAIL name" or "SKIP name: why"; a test program that
# exits non-zero without a FAIL line counts as one failure of its own.
# The last line is "N passed, N failed, N skipped"; the exit status is
# non-zero if anything failed.
#
# Usage: selftests/run.sh [-t PATTERN]... [TEST...]    (default: all, in order)
#
# The binaries are those of `make tests`: .output and ./bpfroute, or those
# named by BPFROUTE_OUTPUT and BPFROUTE (`make check SANITIZE=1` names its
# own). The fuzz test runs each harness FUZZ_CHECK_TIME seconds (default 10).
# The asan test runs the C test programs again from BPFROUTE_SAN_OUTPUT, a
# build with ASan and UBSan (`make SANITIZE=1 unit-tests`, as CI does), their
# checks named asan_NAME; without it, it is skipped.
#
# -t PATTERN runs only the subtests whose name matches the shell pattern
# (repeatable), as the kernel selftests' -t does: `selftests/run.sh -t
# learn_a dns`. The C test programs take it; the shell tests are scripts of
# dependent steps, so with -t the default is the C programs only, and a
# shell test named with -t is refused.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
out=${BPFROUTE_OUTPUT:-$top/.output}
export BPFROUTE=${BPFROUTE:-$top/bpfroute}
export RACE_CLIENT=$out/race_client
# A sanitized build (SANITIZE=1) stops at its first finding; say where it was.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}

all_tests=(config tc table xdp dns nat agent asan fuzz cli wireguard e2e e2e_dns metrics e2e_nat
	e2e_clients e2e_query_flood e2e_strict e2e_mtu e2e_biglist e2e_fleet package)
c_tests=(config tc table xdp dns nat agent)

topts=()
while getopts t: opt; do
	case $opt in
	t) topts+=(-t "$OPTARG") ;;
	*) echo "usage: $0 [-t PATTERN]... [TEST...]" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
if ((${#topts[@]})); then
	for t in "$@"; do
		case " ${c_tests[*]} " in
		*" $t "*) ;;
		*) echo "$0: -t selects subtests of the C test programs (${c_tests[*]}), not of $t" >&2
		   exit 2 ;;
		esac
	done
	(($#)) || set -- "${c_tests[@]}"
fi

# The C test programs of the sanitized build, each line's check renamed asan_NAME.
run_asan() {
	local san=${BPFROUTE_SAN_OUTPUT:-} t rc=0

	if [ -z "$san" ]; then
		echo "SKIP asan: BPFROUTE_SAN_OUTPUT not set (make SANITIZE=1 unit-tests builds it)"
		return 0
	fi
	for t in "${c_tests[@]}"; do
		if [ ! -x "$san/test_$t" ]; then
			echo "FAIL asan_$t: no $san/test_$t"
			rc=1
			continue
		fi
		"$san/test_$t" "${topts[@]}" 2>&1 | sed -E 's/^(PASS|FAIL|SKIP) /\1 asan_/'
		[ "${PIPESTATUS[0]}" -eq 0 ] || rc=1
	done
	return "$rc"
}

run_one() {
	case $1 in
	config) "$out/test_config" "${topts[@]}" ;;
	tc) "$out/test_tc" "${topts[@]}" ;;
	table) "$out/test_table" "${topts[@]}" ;;
	xdp) "$out/test_xdp" "${topts[@]}" ;;
	dns) "$out/test_dns" "${topts[@]}" ;;
	nat) "$out/test_nat" "${topts[@]}" ;;
	agent) "$out/test_agent" "${topts[@]}" ;;
	asan) run_asan ;;
	fuzz) "$top/selftests/test_fuzz.sh" -d "$out/fuzz" -s "${FUZZ_CHECK_TIME:-10}" ;;
	cli) "$top/selftests/test_cli.sh" ;;
	wireguard) "$top/selftests/test_wireguard.sh" "$out/test_wireguard" ;;
	e2e) "$top/selftests/test_e2e.sh" ;;
	e2e_dns) "$top/selftests/test_e2e_dns.sh" ;;
	metrics) "$top/selftests/test_metrics.sh" ;;
	e2e_nat) "$top/selftests/test_e2e_nat.sh" ;;
	e2e_mtu) "$top/selftests/test_e2e_mtu.sh" ;;
	e2e_clients) "$top/selftests/test_e2e_clients.sh" ;;
	e2e_query_flood) "$top/selftests/test_e2e_query_flood.sh" ;;
	e2e_strict) "$top/selftests/test_e2e_strict.sh" ;;
	e2e_biglist) "$top/selftests/test_e2e_biglist.sh" ;;
	e2e_fleet) "$top/selftests/test_e2e_fleet.sh" ;;
	package) "$top/selftests/test_package.sh" ;;
	*) echo "FAIL $1: no such test"; return 1 ;;
	esac
}

passed=0 failed=0 skipped=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

for t in "${@:-${all_tests[@]}}"; do
	echo "== $t"
	start=$SECONDS
	run_one "$t" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	echo "# $t took $((SECONDS - start)) s"	# where the suite's time goes
	p=$(grep -c '^PASS ' "$log")
	f=$(grep -c '^FAIL ' "$log")
	s=$(grep -c '^SKIP ' "$log")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "FAIL $t: exited with status $rc"
		f=1
	fi
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
done

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
